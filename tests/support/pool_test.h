/* Helpers for the tensor pool tests: a context on a private base directory (so tests never
 * meet each other's drivers), a driver with small profiles, frames whose payload is a
 * checkable pattern. */
#ifndef LF_POOL_TEST_H
#define LF_POOL_TEST_H

#include "lf_test.h"

#ifdef __cplusplus  /* (the C++ wrapper's tests use these too) */
extern "C" {
#endif

/* A fresh base directory under /dev/shm (malloc'ed path) and a context on it. */
lf_context_t *pool_test_context(char **out_base_dir);

/* Driver settings the tests vary. */
typedef struct pool_test_driver_options {
  uint32_t keepalive_ms;     /* 0: 1000 */
  uint32_t announce_ms;      /* 0: 1000 */
  uint32_t header_slots;     /* the "small" profile's slots; 0: 16 */
  uint32_t drain_ms;         /* 0: 200 */
  uint64_t max_bytes;        /* 0: the default quota */
  uint32_t max_streams;      /* 0: the default quota */
  uint32_t consumer_entries; /* 0: the default (64) */
} pool_test_driver_options_t;

/* A driver with dynamic streams, no prefault, and as the default profile pools of 256 B and
 * 4 KiB with `header_slots` slots; a second profile "wide" has 32 slots of one 64 KiB pool. */
lf_pool_driver_t *pool_test_driver(lf_context_t *context, const pool_test_driver_options_t *options);

/* Producer and consumer params that never start an embedded driver. */
lf_pool_producer_params_t pool_test_producer_params(void);
lf_pool_consumer_params_t pool_test_consumer_params(int32_t mode);

/* A producer of `stream` (start_driver: whether it may start an embedded driver). */
lf_pool_producer_t *pool_test_attach_producer(lf_context_t *context, uint32_t stream, int32_t start_driver);

/* A consumer's counters. */
lf_pool_counters_t pool_test_counters(lf_pool_consumer_t *consumer);

/* A 1-D uint8 tensor of `bytes` elements. */
lf_pool_tensor_t pool_test_tensor(uint32_t bytes);

/* Payload pattern for frame number `n`: fill and check (returns 1 if it matches). */
void pool_test_fill(void *payload, uint32_t bytes, uint64_t n);
int pool_test_check(const void *payload, uint32_t bytes, uint64_t n);

/* Publishes frame `n` of `bytes` (pattern n). */
void pool_test_publish(lf_pool_producer_t *producer, uint32_t bytes, uint64_t n);

/* The epoch a producer publishes into. */
uint64_t pool_test_producer_epoch(lf_pool_producer_t *producer);

/* Polls `consumer` until it is on `epoch` or later (announcements arrive asynchronously), reading and
 * releasing what it finds meanwhile; returns how many frames it read intact. Fails the test
 * after 5 s. */
uint64_t pool_test_follow(lf_pool_consumer_t *consumer, uint64_t epoch);

/* Removes the base directory tree. */
void pool_test_remove_dir(const char *path);

/* Number of entries (not . or ..) in a directory; -1 if it cannot be opened. */
int pool_test_count_entries(const char *path);

#ifdef __cplusplus
}
#endif

#endif

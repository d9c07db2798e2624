#define _GNU_SOURCE
#include "pool_test.h"

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

lf_context_t *pool_test_context(char **out_base_dir) {
  char template_path[] = "/dev/shm/lf-pool-test-XXXXXX";
  char *dir = mkdtemp(template_path);
  assert_non_null(dir);
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS | LF_CONTEXT_PARAM_FIELD_TOPOLOGY | LF_CONTEXT_PARAM_FIELD_BASE_DIR;
  params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
  params.topology = "synthetic:pack:1 core:2 pu:1";
  params.base_dir = dir;
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  *out_base_dir = strdup(dir);
  return context;
}

lf_pool_driver_t *pool_test_driver(lf_context_t *context, const pool_test_driver_options_t *o) {
  static lf_pool_profile_t profiles[2];
  memset(profiles, 0, sizeof profiles);
  lf_pool_profile_t *profile = &profiles[0];
  profile->name = "default";
  profile->header_slots = o != NULL && o->header_slots != 0 ? o->header_slots : 16;
  profile->pool_count = 2;
  profile->pools[0].pool_id = 1;
  profile->pools[0].stride_bytes = 256;
  profile->pools[1].pool_id = 2;
  profile->pools[1].stride_bytes = 4096;
  profiles[1].name = "wide";
  profiles[1].header_slots = 32;
  profiles[1].pool_count = 1;
  profiles[1].pools[0].pool_id = 3;
  profiles[1].pools[0].stride_bytes = 65536;
  lf_pool_driver_params_t params = {0};
  params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_PROFILES | LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS | LF_POOL_DRIVER_PARAM_FIELD_PREFAULT |
                      LF_POOL_DRIVER_PARAM_FIELD_KEEPALIVE | LF_POOL_DRIVER_PARAM_FIELD_ANNOUNCE_PERIOD | LF_POOL_DRIVER_PARAM_FIELD_SHUTDOWN_DRAIN |
                      LF_POOL_DRIVER_PARAM_FIELD_FLAGS;
  params.profiles = profiles;
  params.profile_count = 2;
  params.dynamic_streams = 1;
  params.prefault = 0;
  params.keepalive_ms = o != NULL && o->keepalive_ms != 0 ? o->keepalive_ms : 1000;
  params.announce_period_ms = o != NULL && o->announce_ms != 0 ? o->announce_ms : 1000;
  params.shutdown_drain_ms = o != NULL && o->drain_ms != 0 ? o->drain_ms : 200;
  params.flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT;
  if (o != NULL && o->max_bytes != 0) {
    params.field_mask |= LF_POOL_DRIVER_PARAM_FIELD_MAX_BYTES_PER_UID;
    params.max_bytes_per_uid = o->max_bytes;
  }
  if (o != NULL && o->consumer_entries != 0) {
    params.field_mask |= LF_POOL_DRIVER_PARAM_FIELD_CONSUMER_ENTRIES;
    params.consumer_entries = o->consumer_entries;
  }
  if (o != NULL && o->max_streams != 0) {
    params.field_mask |= LF_POOL_DRIVER_PARAM_FIELD_MAX_STREAMS_PER_UID;
    params.max_streams_per_uid = o->max_streams;
  }
  lf_pool_driver_t *driver = NULL;
  LF_OK_(lf_pool_driver_create(context, &params, &driver));
  return driver;
}

lf_pool_producer_params_t pool_test_producer_params(void) {
  lf_pool_producer_params_t p = {0};
  p.field_mask = LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER | LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT;
  p.start_driver = 0;
  p.connect_timeout_ms = 2000;
  return p;
}

lf_pool_consumer_params_t pool_test_consumer_params(int32_t mode) {
  lf_pool_consumer_params_t p = {0};
  p.field_mask = LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER | LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT | LF_POOL_CONSUMER_PARAM_FIELD_MODE;
  p.start_driver = 0;
  p.connect_timeout_ms = 2000;
  p.mode = mode;
  return p;
}

lf_pool_producer_t *pool_test_attach_producer(lf_context_t *context, uint32_t stream, int32_t start_driver) {
  lf_pool_producer_params_t p = pool_test_producer_params();
  p.start_driver = start_driver;
  lf_pool_producer_t *producer = NULL;
  LF_OK_(lf_pool_producer_attach(context, stream, &p, &producer));
  return producer;
}

lf_pool_counters_t pool_test_counters(lf_pool_consumer_t *consumer) {
  lf_pool_counters_t counters = {.struct_size = sizeof counters};
  LF_OK_(lf_pool_consumer_get_counters(consumer, &counters));
  return counters;
}

lf_pool_tensor_t pool_test_tensor(uint32_t bytes) {
  lf_pool_tensor_t t;
  memset(&t, 0, sizeof t);
  t.dtype = LF_DTYPE_UINT8;
  t.major_order = LF_ORDER_ROW;
  t.ndims = 1;
  t.dims[0] = (int32_t)bytes;
  return t;
}

void pool_test_fill(void *payload, uint32_t bytes, uint64_t n) {
  uint8_t *p = payload;
  for (uint32_t i = 0; i < bytes; ++i) p[i] = (uint8_t)(n * 31 + i * 7 + (i >> 8));
}

int pool_test_check(const void *payload, uint32_t bytes, uint64_t n) {
  const uint8_t *p = payload;
  for (uint32_t i = 0; i < bytes; ++i)
    if (p[i] != (uint8_t)(n * 31 + i * 7 + (i >> 8))) return 0;
  return 1;
}

void pool_test_publish(lf_pool_producer_t *producer, uint32_t bytes, uint64_t n) {
  void *payload = NULL;
  LF_OK_(lf_pool_producer_claim(producer, bytes, &payload));
  pool_test_fill(payload, bytes, n);
  lf_pool_tensor_t t = pool_test_tensor(bytes);
  t.timestamp_ns = n + 1;
  LF_OK_(lf_pool_producer_commit(producer, &t, bytes));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(path);
}

void pool_test_remove_dir(const char *path) { nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

int pool_test_count_entries(const char *path) {
  DIR *dir = opendir(path);
  if (dir == NULL) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL)
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) ++n;
  closedir(dir);
  return n;
}

uint64_t pool_test_producer_epoch(lf_pool_producer_t *producer) {
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_pool_producer_get_info(producer, &info));
  return info.epoch;
}

uint64_t pool_test_follow(lf_pool_consumer_t *consumer, uint64_t epoch) {
  uint64_t read = 0;
  for (int i = 0; i < 5000; ++i) {
    lf_pool_view_t v = {.struct_size = sizeof v};
    lf_status_t s = lf_pool_consumer_poll(consumer, &v);
    if (s == LF_OK) {
      if (lf_pool_consumer_release(consumer) == LF_OK) ++read;
      continue;
    }
    assert_true(s == LF_WOULD_BLOCK || s == LF_EPOCH_CHANGED);
    if (pool_test_counters(consumer).epoch >= epoch) return read;
    usleep(1000);
  }
  fail_msg("the consumer did not reach epoch %llu in 5 s", (unsigned long long)epoch);
  return read;
}

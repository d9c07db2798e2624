/* A tensor pool client in a process of its own, for the lease and epoch tests (public API only).
 *   lf_pool_helper producer BASE STREAM START_DRIVER
 *        attach as the producer of STREAM, print "ready EPOCH", then publish frames (pool_test
 *        pattern, 64 bytes, timestamp = n + 1) every 200 us until killed
 *   lf_pool_helper consumer BASE STREAM START_DRIVER
 *        attach as a STREAM consumer, print "ready EPOCH", then read until killed
 *   lf_pool_helper consume-one BASE STREAM START_DRIVER
 *        attach as a STREAM consumer, print "ready EPOCH", read one frame and check its pattern
 *        (exit 0), or exit 4 if none came in 5 s, 5 if it was wrong; exit 3 if the attach was
 *        refused, after printing "refused STATUS_NAME"
 * LF_POOL_DRIVER_UID=N in the environment: attach to user N's driver (group sharing).
 * START_DRIVER 1: start an embedded driver if none listens (this process then serves others). */
#define _GNU_SOURCE
#include <lavaflow/lavaflow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lf_context_t *context_on(const char *base) {
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS | LF_CONTEXT_PARAM_FIELD_TOPOLOGY | LF_CONTEXT_PARAM_FIELD_BASE_DIR;
  params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
  params.topology = "synthetic:pack:1 core:2 pu:1";
  params.base_dir = base;
  lf_context_t *context = NULL;
  if (lf_context_create(&params, &context) != LF_OK) {
    fprintf(stderr, "context: %s\n", lf_last_error_message());
    exit(3);
  }
  return context;
}

static int produce(const char *base, uint32_t stream, int start_driver) {
  lf_context_t *context = context_on(base);
  lf_pool_producer_params_t p = {0};
  p.field_mask = LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER;
  p.start_driver = start_driver;
  lf_pool_producer_t *producer = NULL;
  if (lf_pool_producer_attach(context, stream, &p, &producer) != LF_OK) {
    fprintf(stderr, "attach: %s\n", lf_last_error_message());
    return 3;
  }
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  lf_pool_producer_get_info(producer, &info);
  printf("ready %llu\n", (unsigned long long)info.epoch);
  fflush(stdout);
  for (uint64_t n = 0;; ++n) {
    void *payload = NULL;
    if (lf_pool_producer_claim(producer, 64, &payload) == LF_OK) {
      uint8_t *b = payload;
      for (uint32_t i = 0; i < 64; ++i) b[i] = (uint8_t)(n * 31 + i * 7);
      lf_pool_tensor_t t = {0};
      t.dtype = LF_DTYPE_UINT8;
      t.major_order = LF_ORDER_ROW;
      t.ndims = 1;
      t.dims[0] = 64;
      t.timestamp_ns = n + 1;
      lf_pool_producer_commit(producer, &t, 64);
    }
    usleep(200);
  }
}

static int consume(const char *base, uint32_t stream, int start_driver, int just_one) {
  lf_context_t *context = context_on(base);
  lf_pool_consumer_params_t p = {0};
  p.field_mask = LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER;
  p.start_driver = start_driver;
  if (getenv("LF_POOL_DRIVER_UID") != NULL) {
    p.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_DRIVER_UID;
    p.driver_uid = (uint32_t)strtoul(getenv("LF_POOL_DRIVER_UID"), NULL, 10);
  }
  lf_pool_consumer_t *consumer = NULL;
  lf_status_t status = lf_pool_consumer_attach(context, stream, &p, &consumer);
  if (status != LF_OK) {
    printf("refused %s\n", lf_status_name(status));
    fprintf(stderr, "attach: %s\n", lf_last_error_message());
    return 3;
  }
  lf_pool_counters_t c = {.struct_size = sizeof c};
  lf_pool_consumer_get_counters(consumer, &c);
  printf("ready %llu\n", (unsigned long long)c.epoch);
  fflush(stdout);
  if (just_one) {
    for (int i = 0; i < 50; ++i) {
      lf_pool_view_t v = {.struct_size = sizeof v};
      if (lf_pool_consumer_wait(consumer, &v, 100000000) != LF_OK) continue;
      const uint8_t *b = v.payload;
      const uint64_t n = v.tensor.timestamp_ns - 1;
      int good = v.bytes == 64;
      for (uint32_t k = 0; k < 64 && good; ++k) good = b[k] == (uint8_t)(n * 31 + k * 7);
      if (lf_pool_consumer_release(consumer) != LF_OK) continue;
      lf_pool_consumer_detach(consumer);
      lf_context_destroy(context);
      return good ? 0 : 5;
    }
    return 4;
  }
  while (1) {
    lf_pool_view_t v = {.struct_size = sizeof v};
    if (lf_pool_consumer_wait(consumer, &v, 100000000) == LF_OK) lf_pool_consumer_release(consumer);
  }
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "producer") == 0) return produce(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), atoi(argv[4]));
  if (argc == 5 && strcmp(argv[1], "consumer") == 0) return consume(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), atoi(argv[4]), 0);
  if (argc == 5 && strcmp(argv[1], "consume-one") == 0) return consume(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), atoi(argv[4]), 1);
  fprintf(stderr, "usage: %s producer|consumer|consume-one BASE STREAM START_DRIVER\n", argv[0]);
  return 2;
}

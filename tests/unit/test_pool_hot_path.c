/* The tensor pool's data calls allocate nothing and make no system call after setup: claim,
 * commit, publish, poll and release in a loop, counted by the allocation counter, and run
 * again under seccomp strict mode (syscall_free.h). */
#define _GNU_SOURCE
#include "alloc_counter.h"
#include "pool_test.h"
#include "syscall_free.h"

#include <stdlib.h>

typedef struct fixture {
  char *base;
  lf_context_t *context;
  lf_pool_driver_t *driver;
  lf_pool_producer_t *producer;
  lf_pool_consumer_t *stream;
  lf_pool_consumer_t *latest;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  f->context = pool_test_context(&f->base);
  f->driver = pool_test_driver(f->context, NULL);
  f->producer = pool_test_attach_producer(f->context, 1, 0);
  lf_pool_consumer_params_t cp = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  LF_OK_(lf_pool_consumer_attach(f->context, 1, &cp, &f->stream));
  cp = pool_test_consumer_params(LF_POOL_MODE_LATEST);
  LF_OK_(lf_pool_consumer_attach(f->context, 1, &cp, &f->latest));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_detach(f->latest);
  lf_pool_consumer_detach(f->stream);
  lf_pool_producer_detach(f->producer);
  lf_pool_driver_destroy(f->driver);
  lf_context_destroy(f->context);
  pool_test_remove_dir(f->base);
  free(f->base);
  free(f);
  return 0;
}

/* `n` frames through both calls of the producer and both consumers; a checksum of what was read. */
static uint32_t frames(fixture_t *f, uint32_t n) {
  uint32_t sum = 0;
  uint8_t data[200];
  for (uint32_t i = 0; i < sizeof data; ++i) data[i] = (uint8_t)i;
  lf_pool_tensor_t t = pool_test_tensor(sizeof data);
  t.timestamp_ns = 1; /* 0 would make lavaflow read the clock, a system call where there is no vDSO */
  for (uint32_t i = 0; i < n; ++i) {
    void *payload = NULL;
    if (i % 2 == 0) {
      if (lf_pool_producer_claim(f->producer, 100, &payload) != LF_OK) return 0;
      ((uint8_t *)payload)[0] = (uint8_t)i;
      lf_pool_tensor_t small = pool_test_tensor(100);
      small.timestamp_ns = 2;
      if (lf_pool_producer_commit(f->producer, &small, 100) != LF_OK) return 0;
    } else if (lf_pool_producer_publish(f->producer, &t, data, sizeof data) != LF_OK) {
      return 0;
    }
    lf_pool_view_t v = {.struct_size = sizeof v};
    lf_pool_consumer_t *consumers[2] = {f->stream, f->latest};
    for (int c = 0; c < 2; ++c) {
      while (lf_pool_consumer_poll(consumers[c], &v) == LF_OK) {
        sum += v.bytes + ((const uint8_t *)v.payload)[0];
        if (lf_pool_consumer_release(consumers[c]) != LF_OK) return 0;
      }
    }
  }
  return sum;
}

static uint32_t frames_loop(void *arg) { return frames(arg, 1000); }

static void the_data_calls_allocate_nothing(void **state) {
  fixture_t *f = *state;
  pool_test_follow(f->stream, pool_test_producer_epoch(f->producer));
  pool_test_follow(f->latest, pool_test_producer_epoch(f->producer));
  assert_true(frames(f, 100) != 0); /* warm up */
  unsigned long before = lf_test_allocations();
  uint32_t sum = frames(f, 10000);
  unsigned long after = lf_test_allocations();
  assert_true(sum != 0);
  assert_int_equal(after - before, 0);
}

static void the_data_calls_make_no_system_call(void **state) {
  fixture_t *f = *state;
  pool_test_follow(f->stream, pool_test_producer_epoch(f->producer));
  pool_test_follow(f->latest, pool_test_producer_epoch(f->producer));
  assert_true(frames(f, 10) != 0);
  /* The child continues from the same sequence numbers as the parent would. */
  const uint32_t in_child = lf_test_syscall_free(frames_loop, f, "the frame loop");
  assert_true(in_child != 0);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(the_data_calls_allocate_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(the_data_calls_make_no_system_call, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

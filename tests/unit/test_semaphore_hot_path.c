/* The semaphore hot path — signal, a wait the value already satisfies, get_value, on two handles
 * of one shared semaphore (so that it has two holders) — allocates nothing (counted) and makes
 * no system call (run under seccomp strict mode, where any system call but read, write, exit
 * and sigreturn kills the process). A wait that must spin reads the clock, which on some
 * virtual machines is a system call: it is measured by bench_sync instead. */
#define _GNU_SOURCE
#include "alloc_counter.h"
#include "syscall_free.h"
#include "lf_test.h"

#include <unistd.h>

static lf_context_t *g_context;
static lf_semaphore_t *g_a, *g_b;
static uint64_t g_next = 1;

/* A hand-off in both directions per round; returns a checksum of what was seen. */
static uint32_t hand_off(int rounds) {
  uint32_t sum = 0;
  for (int r = 0; r < rounds; ++r, g_next += 2) {
    if (lf_semaphore_signal(g_a, g_next) != LF_OK) return 0;
    if (lf_semaphore_wait(g_b, g_next, -1) != LF_OK) return 0;
    if (lf_semaphore_signal(g_b, g_next + 1) != LF_OK) return 0;
    if (lf_semaphore_wait(g_a, g_next + 1, 1000000000) != LF_OK) return 0;
    if (lf_semaphore_wait(g_a, g_next, 0) != LF_OK) return 0;
    uint64_t value = 0;
    if (lf_semaphore_get_value(g_b, &value) != LF_OK) return 0;
    sum += (uint32_t)value;
  }
  return sum;
}

static uint32_t hand_off_loop(void *arg) {
  (void)arg;
  return hand_off(1000);
}

static void signal_and_wait_allocate_nothing_and_make_no_system_call(void **state) {
  (void)state;
  LF_OK_(lf_semaphore_create(g_context, NULL, &g_a));
  int fd = -1;
  LF_OK_(lf_semaphore_export_fd(g_a, &fd));
  LF_OK_(lf_semaphore_import_fd(g_context, fd, NULL, &g_b));
  close(fd);
  assert_true(hand_off(100) != 0); /* warm up */
  const unsigned long before = lf_test_allocations();
  const uint32_t sum = hand_off(10000);
  const unsigned long after = lf_test_allocations();
  assert_true(sum != 0);
  assert_int_equal(after - before, 0);
  /* the child signals the same shared semaphore (its region is shared memory): the values it
   * saw are those the loop computes from where the parent left off */
  uint32_t expected = 0;
  for (int r = 0; r < 1000; ++r) expected += (uint32_t)(g_next + 2 * (uint64_t)r + 1);
  assert_int_equal(lf_test_syscall_free(hand_off_loop, NULL, "the semaphore hand-off loop"), expected);
  uint64_t value = 0;
  LF_OK_(lf_semaphore_get_value(g_a, &value));
  assert_int_equal(value, g_next + 2000 - 1); /* and the parent sees them */
  LF_OK_(lf_semaphore_destroy(g_b));
  LF_OK_(lf_semaphore_destroy(g_a));
}

int main(void) {
  lf_test_reset_environment();
  g_context = lf_test_context("system");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(signal_and_wait_allocate_nothing_and_make_no_system_call),
  };
  const int failures = cmocka_run_group_tests(tests, NULL, NULL);
  lf_context_destroy(g_context);
  return failures;
}

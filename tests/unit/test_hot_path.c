/* Deciding a scope between two known identities allocates nothing and makes no system
 * call: the decision loop runs under seccomp strict mode, where any system call other than
 * read, write, exit and sigreturn kills the process. */
#define _GNU_SOURCE
#include "alloc_counter.h"
#include "lf_test.h"
#include "syscall_free.h"

#include <sys/wait.h>
#include <unistd.h>

typedef struct {
  lf_context_t *context;
  lf_identity_t *ids[3];
} Fixture;

static int setup(void **state) {
  static Fixture f;
  f.context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  const char *cpusets[] = {"0", "5", "8-15"};
  for (int i = 0; i < 3; ++i) {
    lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = cpusets[i]};
    LF_OK_(lf_identity_create(f.context, &params, &f.ids[i]));
  }
  *state = &f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  for (int i = 0; i < 3; ++i) lf_identity_destroy(f->ids[i]);
  return lf_context_destroy(f->context);
}

/* Runs many decisions; returns a checksum of the results so the work cannot be skipped. */
static uint32_t decide_many(Fixture *f, int rounds) {
  uint32_t sum = 0;
  for (int r = 0; r < rounds; ++r) {
    for (int i = 0; i < 3; ++i) {
      lf_scope_info_t info = {.struct_size = sizeof info};
      if (lf_scope_decide(f->context, f->ids[i], f->ids[(i + r) % 3], &info) != LF_OK) return 0;
      sum += (uint32_t)info.level * 7u + (uint32_t)info.hardware_level + info.mechanisms;
    }
  }
  return sum;
}

static void deciding_allocates_nothing(void **state) {
  Fixture *f = *state;
  assert_true(decide_many(f, 10) != 0); /* warm up */
  unsigned long before = lf_test_allocations();
  uint32_t sum = decide_many(f, 10000);
  unsigned long after = lf_test_allocations();
  assert_true(sum != 0);
  assert_int_equal(after - before, 0);
  /* and the counter does see allocations: creating a scope object allocates */
  lf_scope_t *scope = NULL;
  LF_OK_(lf_scope_create(f->context, f->ids[0], f->ids[1], &scope));
  assert_true(lf_test_allocations() > after);
  lf_scope_destroy(scope);
}

static uint32_t decide_loop(void *arg) { return decide_many(arg, 1000); }

static void deciding_makes_no_system_call(void **state) {
  Fixture *f = *state;
  uint32_t expected = decide_many(f, 1000);
  assert_int_equal(lf_test_syscall_free(decide_loop, f, "the decision loop"), expected);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(deciding_allocates_nothing),
      cmocka_unit_test(deciding_makes_no_system_call),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

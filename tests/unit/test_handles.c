/* Handle misuse: NULL, destroyed, foreign and wrong-type handles never crash (run under
 * ASan too), and destruction order never matters. */
#include "lf_test.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  lf_context_t *context;
  lf_identity_t *identity;
  lf_scope_t *scope;
} Fixture;

static int setup(void **state) {
  Fixture *f = calloc(1, sizeof *f);
  f->context = lf_test_context("system");
  LF_OK_(lf_identity_create(f->context, NULL, &f->identity));
  LF_OK_(lf_scope_create(f->context, f->identity, f->identity, &f->scope));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  lf_scope_destroy(f->scope);
  lf_identity_destroy(f->identity);
  lf_context_destroy(f->context);
  free(f);
  return 0;
}

/* Every handle-taking call with `context`, `identity` and `scope` as given; each must
 * return `expected` (or succeed when expected is LF_OK). */
static void call_everything(lf_context_t *context, lf_identity_t *identity, lf_scope_t *scope,
                            lf_status_t expect_context, lf_status_t expect_identity, lf_status_t expect_scope) {
  const char *text = NULL;
  uint32_t count = 0;
  char buffer[256];
  size_t length = 0;
  lf_topology_info_t tinfo = {.struct_size = sizeof tinfo};
  lf_topology_object_t object = {.struct_size = sizeof object};
  lf_identity_info_t iinfo = {.struct_size = sizeof iinfo};
  lf_scope_info_t sinfo = {.struct_size = sizeof sinfo};
  lf_identity_t *new_identity = NULL;
  lf_scope_t *new_scope = NULL;

  LF_EXPECT(expect_context, lf_context_get_name(context, &text));
  LF_EXPECT(expect_context, lf_context_get_base_dir(context, &text));
  LF_EXPECT(expect_context, lf_topology_get_info(context, &tinfo));
  LF_EXPECT(expect_context, lf_topology_get_source(context, &text));
  LF_EXPECT(expect_context, lf_topology_count(context, LF_TOPOLOGY_PU, &count));
  LF_EXPECT(expect_context, lf_topology_get_object(context, LF_TOPOLOGY_PU, 0, &object));
  LF_EXPECT(expect_context, lf_topology_get_cpuset(context, LF_TOPOLOGY_PU, 0, buffer, sizeof buffer, &length));
  LF_EXPECT(expect_context, lf_topology_get_binding(context, LF_BINDING_PROCESS, buffer, sizeof buffer, &length));
  LF_EXPECT(expect_context, lf_identity_create(context, NULL, &new_identity));
  lf_identity_destroy(new_identity);

  LF_EXPECT(expect_identity, lf_identity_get_info(identity, &iinfo));
  LF_EXPECT(expect_identity, lf_identity_get_text(identity, LF_IDENTITY_TEXT_CPUSET, buffer, sizeof buffer, &length));
  static uint8_t blob[LF_IDENTITY_BLOB_MAX_SIZE];
  LF_EXPECT(expect_identity, lf_identity_serialize(identity, blob, sizeof blob, &length));

  lf_status_t expect_pair = expect_context != LF_OK ? expect_context : expect_identity;
  LF_EXPECT(expect_pair, lf_scope_decide(context, identity, identity, &sinfo));
  LF_EXPECT(expect_pair, lf_scope_create(context, identity, identity, &new_scope));
  lf_scope_destroy(new_scope);

  LF_EXPECT(expect_scope, lf_scope_get_info(scope, &sinfo));
  LF_EXPECT(expect_scope, lf_scope_get_reason(scope, &text));
  LF_EXPECT(expect_scope, lf_scope_get_mechanism_reason(scope, LF_MECHANISM_NETWORK, &text));
}

static void valid_handles_work(void **state) {
  Fixture *f = *state;
  call_everything(f->context, f->identity, f->scope, LF_OK, LF_OK, LF_OK);
}

static void null_handles_are_refused(void **state) {
  Fixture *f = *state;
  call_everything(NULL, f->identity, f->scope, LF_ERR_INVALID_HANDLE, LF_OK, LF_OK);
  LF_EXPECT_MESSAGE("is NULL");
  call_everything(f->context, NULL, NULL, LF_OK, LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_HANDLE);
  /* destroying NULL is a no-op */
  LF_OK_(lf_context_destroy(NULL));
  LF_OK_(lf_identity_destroy(NULL));
  LF_OK_(lf_scope_destroy(NULL));
}

static void destroyed_handles_are_refused(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  lf_identity_t *identity = NULL;
  lf_scope_t *scope = NULL;
  LF_OK_(lf_identity_create(context, NULL, &identity));
  LF_OK_(lf_scope_create(context, identity, identity, &scope));
  LF_OK_(lf_scope_destroy(scope));
  LF_OK_(lf_identity_destroy(identity));
  LF_OK_(lf_context_destroy(context));

  call_everything(context, identity, scope, LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_HANDLE);
  LF_EXPECT_MESSAGE("was already destroyed");
  /* double destroy */
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_context_destroy(context));
  LF_EXPECT_MESSAGE("was already destroyed");
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_destroy(identity));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_scope_destroy(scope));

  /* a new object does not revive the old handle */
  lf_context_t *fresh = lf_test_context("system");
  assert_ptr_not_equal(fresh, context);
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_context_destroy(context));
  LF_OK_(lf_context_destroy(fresh));
}

static void wrong_type_handles_are_refused(void **state) {
  Fixture *f = *state;
  call_everything((lf_context_t *)f->identity, (lf_identity_t *)f->scope, (lf_scope_t *)f->context,
                  LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_HANDLE);
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_context_destroy((lf_context_t *)f->identity));
  LF_EXPECT_MESSAGE("is an lf_identity_t handle, expected an lf_context_t");
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_destroy((lf_identity_t *)f->scope));
  LF_EXPECT_MESSAGE("is an lf_scope_t handle, expected an lf_identity_t");
  /* the real objects are untouched */
  call_everything(f->context, f->identity, f->scope, LF_OK, LF_OK, LF_OK);
}

static void foreign_pointers_are_refused(void **state) {
  (void)state;
  int on_stack = 0;
  void *on_heap = malloc(64);
  memset(on_heap, 0xA5, 64); /* looks like nothing in particular */
  void *foreign[] = {&on_stack, on_heap, (void *)(uintptr_t)1, (void *)(uintptr_t)0xdeadbeef,
                     (void *)(uintptr_t)UINT64_MAX, (void *)(uintptr_t)0xA000000000000001ull};
  for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; ++i) {
    call_everything(foreign[i], foreign[i], foreign[i], LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_HANDLE,
                    LF_ERR_INVALID_HANDLE);
    LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_context_destroy(foreign[i]));
    LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_destroy(foreign[i]));
  }
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_context_destroy((lf_context_t *)&on_stack));
  LF_EXPECT_MESSAGE("is not a lavaflow handle");
  free(on_heap);
}

static void forged_handles_are_refused(void **state) {
  Fixture *f = *state;
  uint64_t value = (uint64_t)(uintptr_t)f->identity;
  /* Flip every bit of a valid handle, one at a time: each forgery is refused. (This
   * fixture holds the only live identity, so no flip can land on another real one.) */
  for (int bit = 0; bit < 64; ++bit) {
    lf_identity_info_t info = {.struct_size = sizeof info};
    lf_identity_t *forged = (lf_identity_t *)(uintptr_t)(value ^ (1ull << bit));
    LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_get_info(forged, &info));
  }
  call_everything(f->context, f->identity, f->scope, LF_OK, LF_OK, LF_OK);
}

static void null_outputs_and_bad_structs_are_refused(void **state) {
  Fixture *f = *state;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_context_get_name(f->context, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_get_info(f->context, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_count(f->context, LF_TOPOLOGY_PU, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_create(f->context, NULL, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_get_info(f->identity, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_scope_create(f->context, f->identity, f->identity, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_scope_get_reason(f->scope, NULL));

  lf_identity_info_t info;
  memset(&info, 0, sizeof info); /* struct_size 0 */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_get_info(f->identity, &info));
  LF_EXPECT_MESSAGE("struct_size is 0");
  lf_scope_info_t scope_info = {.struct_size = 4};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_scope_decide(f->context, f->identity, f->identity, &scope_info));
}

static void destruction_order_never_matters(void **state) {
  (void)state;
  static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int o = 0; o < 6; ++o) {
    lf_context_t *context = lf_test_context("synthetic:pack:2 core:2 pu:1");
    lf_identity_t *identity = NULL;
    lf_scope_t *scope = NULL;
    LF_OK_(lf_identity_create(context, NULL, &identity));
    LF_OK_(lf_scope_create(context, identity, identity, &scope));
    for (int step = 0; step < 3; ++step) {
      switch (orders[o][step]) {
        case 0: LF_OK_(lf_context_destroy(context)); break;
        case 1: LF_OK_(lf_identity_destroy(identity)); break;
        case 2: LF_OK_(lf_scope_destroy(scope)); break;
      }
      /* what is still alive still works, even with its parent context gone */
      const char *text = NULL;
      int destroyed_identity = 0, destroyed_scope = 0;
      for (int s = 0; s <= step; ++s) {
        destroyed_identity |= orders[o][s] == 1;
        destroyed_scope |= orders[o][s] == 2;
      }
      lf_identity_info_t info = {.struct_size = sizeof info};
      LF_EXPECT(destroyed_identity ? LF_ERR_INVALID_HANDLE : LF_OK, lf_identity_get_info(identity, &info));
      LF_EXPECT(destroyed_scope ? LF_ERR_INVALID_HANDLE : LF_OK, lf_scope_get_reason(scope, &text));
      if (!destroyed_scope) assert_non_null(strstr(text, "process"));
    }
  }
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(valid_handles_work, setup, teardown),
      cmocka_unit_test_setup_teardown(null_handles_are_refused, setup, teardown),
      cmocka_unit_test(destroyed_handles_are_refused),
      cmocka_unit_test_setup_teardown(wrong_type_handles_are_refused, setup, teardown),
      cmocka_unit_test(foreign_pointers_are_refused),
      cmocka_unit_test_setup_teardown(forged_handles_are_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(null_outputs_and_bad_structs_are_refused, setup, teardown),
      cmocka_unit_test(destruction_order_never_matters),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

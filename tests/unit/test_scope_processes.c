/* Scope between this process and real child processes: on this host, placed on a
 * synthetic topology, in another base directory, and isolated in their own IPC and mount
 * namespaces with a private /dev/shm. */
#define _GNU_SOURCE
#include "lf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs argv, which must print an identity blob, and parses it. NULL if the child failed. */
static lf_identity_t *identity_from(lf_context_t *context, char *const argv[], char *const env[]) {
  uint8_t *blob = NULL;
  size_t size = 0;
  int status = lf_test_run(argv, env, 0, &blob, &size);
  lf_identity_t *id = NULL;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) LF_OK_(lf_identity_create_from_blob(context, blob, size, &id));
  free(blob);
  return id;
}

static lf_identity_t *child_identity(lf_context_t *context, const char *cpuset, char *const env[]) {
  char *argv[] = {(char *)lf_test_helper_path(), "identity", (char *)cpuset, NULL};
  lf_identity_t *id = identity_from(context, argv, env);
  assert_non_null(id);
  return id;
}

static lf_scope_t *scope_of(lf_context_t *context, const lf_identity_t *a, const lf_identity_t *b, lf_scope_info_t *info) {
  lf_scope_t *scope = NULL;
  LF_OK_(lf_scope_create(context, a, b, &scope));
  info->struct_size = sizeof *info;
  LF_OK_(lf_scope_get_info(scope, info));
  return scope;
}

static void a_child_on_this_host_can_share_memory(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  lf_identity_t *self = NULL;
  LF_OK_(lf_identity_create(context, NULL, &self));
  lf_identity_t *child = child_identity(context, NULL, NULL);

  /* the child inherits our affinity: expect the level our cpuset alone reaches */
  lf_identity_info_t me = {.struct_size = sizeof me};
  LF_OK_(lf_identity_get_info(self, &me));
  int32_t expected = me.numa_node_count == 1 ? LF_SCOPE_NUMA : me.package_count == 1 ? LF_SCOPE_PACKAGE : LF_SCOPE_HOST;

  lf_scope_info_t info;
  lf_scope_t *scope = scope_of(context, self, child, &info);
  assert_int_equal(info.level, expected);
  assert_int_equal(info.hardware_level, expected);
  assert_true(info.mechanisms & LF_MECHANISM_SHARED_MEMORY);
  assert_true(info.mechanisms & LF_MECHANISM_FD_PASSING);
  assert_int_equal(info.mechanisms & LF_MECHANISM_ADDRESS_SPACE, 0);
  const char *reason = NULL;
  LF_OK_(lf_scope_get_reason(scope, &reason));
  assert_non_null(strstr(reason, "same kernel"));
  lf_scope_destroy(scope);
  lf_identity_destroy(child);
  lf_identity_destroy(self);
  lf_context_destroy(context);
}

static void children_on_a_synthetic_machine_are_placed(void **state) {
  (void)state;
  static char topology[] = "LAVAFLOW_TOPOLOGY=synthetic:pack:2 numa:2 core:2 pu:2";
  char *env[] = {topology, NULL};
  lf_context_t *context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  lf_identity_t *pu0 = child_identity(context, "0", env);
  struct {
    const char *cpuset;
    int32_t level;
  } cases[] = {{"1", LF_SCOPE_NUMA}, {"4", LF_SCOPE_PACKAGE}, {"8", LF_SCOPE_HOST}, {"12-15", LF_SCOPE_HOST}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    lf_identity_t *other = child_identity(context, cases[i].cpuset, env);
    lf_scope_info_t info;
    lf_scope_t *scope = scope_of(context, pu0, other, &info);
    assert_int_equal(info.level, cases[i].level);
    assert_true(info.mechanisms & LF_MECHANISM_SHARED_MEMORY);
    lf_scope_destroy(scope);
    lf_identity_destroy(other);
  }
  lf_identity_destroy(pu0);
  lf_context_destroy(context);
}

static void a_child_with_another_base_directory_is_isolated(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  lf_identity_t *self = NULL;
  LF_OK_(lf_identity_create(context, NULL, &self));
  char *dir = lf_test_temp_dir(); /* on /tmp, not on the /dev/shm tmpfs */
  char setting[600];
  snprintf(setting, sizeof setting, "LAVAFLOW_BASE_DIR=%s", dir);
  char *env[] = {setting, NULL};
  lf_identity_t *child = child_identity(context, NULL, env);
  lf_scope_info_t info;
  lf_scope_t *scope = scope_of(context, self, child, &info);
  assert_int_equal(info.level, LF_SCOPE_ISOLATED);
  assert_int_equal(info.mechanisms, LF_MECHANISM_NETWORK);
  const char *reason = NULL;
  LF_OK_(lf_scope_get_reason(scope, &reason));
  assert_non_null(strstr(reason, dir));
  lf_scope_destroy(scope);
  lf_identity_destroy(child);
  lf_identity_destroy(self);
  rmdir(dir);
  free(dir);
}

static void a_child_in_its_own_ipc_and_mount_namespace_is_isolated(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  lf_identity_t *self = NULL;
  LF_OK_(lf_identity_create(context, NULL, &self));
  char script[1024];
  snprintf(script, sizeof script, "mount -t tmpfs lavaflow-test /dev/shm && exec '%s' identity", lf_test_helper_path());
  /* As root first; otherwise inside a new user namespace, where we are root. */
  char *as_root[] = {"/usr/bin/unshare", "--ipc", "--mount", "--propagation", "private", "/bin/sh", "-c", script, NULL};
  char *as_user[] = {"/usr/bin/unshare", "--user", "--map-root-user", "--ipc", "--mount", "--propagation",
                     "private", "/bin/sh", "-c", script, NULL};
  lf_identity_t *child = identity_from(context, as_root, NULL);
  if (child == NULL) child = identity_from(context, as_user, NULL);
  if (child == NULL) {
    lf_identity_destroy(self);
    lf_context_destroy(context);
    print_message("unshare --ipc --mount is not permitted here; skipping the isolation test\n");
    skip();
  }
  lf_scope_info_t info;
  lf_scope_t *scope = scope_of(context, self, child, &info);
  assert_int_equal(info.level, LF_SCOPE_ISOLATED); /* not HOST: no common shared-memory directory */
  assert_int_equal(info.mechanisms & (LF_MECHANISM_SHARED_MEMORY | LF_MECHANISM_FD_PASSING), 0);
  const char *reason = NULL;
  LF_OK_(lf_scope_get_reason(scope, &reason));
  assert_non_null(strstr(reason, "base directories are different filesystems"));
  assert_non_null(strstr(reason, "IPC namespaces differ"));
  lf_scope_destroy(scope);
  lf_identity_destroy(child);
  lf_identity_destroy(self);
  lf_context_destroy(context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_child_on_this_host_can_share_memory),
      cmocka_unit_test(children_on_a_synthetic_machine_are_placed),
      cmocka_unit_test(a_child_with_another_base_directory_is_isolated),
      cmocka_unit_test(a_child_in_its_own_ipc_and_mount_namespace_is_isolated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

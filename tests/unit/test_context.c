/* Context creation: defaults, params validation, environment overrides. */
#include "lf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lf_status_t create_with(const lf_context_params_t *params, lf_context_t **out) {
  *out = NULL;
  return lf_context_create(params, out);
}

static void null_and_zeroed_params_mean_defaults(void **state) {
  (void)state;
  lf_context_params_t zeroed;
  memset(&zeroed, 0, sizeof zeroed);
  const lf_context_params_t *variants[] = {NULL, &zeroed};
  for (int i = 0; i < 2; ++i) {
    lf_context_t *context = NULL;
    LF_OK_(create_with(variants[i], &context));
    const char *text = NULL;
    LF_OK_(lf_context_get_name(context, &text));
    assert_string_equal(text, "lavaflow");
    LF_OK_(lf_context_get_base_dir(context, &text));
    assert_string_equal(text, "/dev/shm");
    LF_OK_(lf_topology_get_source(context, &text));
    assert_string_equal(text, "system (from default)");
    LF_OK_(lf_context_destroy(context));
  }
}

static void unknown_bits_are_refused(void **state) {
  (void)state;
  lf_context_t *context = NULL;
  lf_context_params_t params = {0};
  params.field_mask = 1u << 20;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(&params, &context));
  LF_EXPECT_MESSAGE("unknown bits 0x100000");
  assert_null(context); /* outputs are written only on success */

  params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS;
  params.flags = 1u << 7;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(&params, &context));
  LF_EXPECT_MESSAGE("flags has unknown bits");

  params.field_mask = LF_CONTEXT_PARAM_FIELD_TOPOLOGY; /* bit set, pointer NULL */
  params.flags = 0;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(&params, &context));
  LF_EXPECT_MESSAGE("params->topology is NULL");
}

static lf_status_t create_topology(const char *topology) {
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_TOPOLOGY;
  params.topology = topology;
  lf_context_t *context = NULL;
  lf_status_t status = create_with(&params, &context);
  lf_context_destroy(context);
  return status;
}

static void bad_topologies_are_refused_clearly(void **state) {
  (void)state;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_topology("sideways"));
  LF_EXPECT_MESSAGE("is not 'system', 'synthetic:DESCRIPTION' or 'xml:PATH'");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_topology("synthetic:"));
  LF_EXPECT_MESSAGE("synthetic description is empty");
  LF_EXPECT(LF_ERR_CORRUPT, create_topology("synthetic:pack:2 banana:7"));
  LF_EXPECT_MESSAGE("hwloc rejected the synthetic topology");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_topology("xml:relative/file.xml"));
  LF_EXPECT_MESSAGE("must be absolute");
  LF_EXPECT(LF_ERR_NOT_FOUND, create_topology("xml:/nonexistent/topology.xml"));
  LF_EXPECT_MESSAGE("/nonexistent/topology.xml");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_topology("xml:/tmp"));
  LF_EXPECT_MESSAGE("not a regular file");

  char *dir = lf_test_temp_dir();
  char path[512];
  snprintf(path, sizeof path, "%s/garbage.xml", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs("this is not an hwloc topology\n", f);
  fclose(f);
  char spec[600];
  snprintf(spec, sizeof spec, "xml:%s", path);
  LF_EXPECT(LF_ERR_CORRUPT, create_topology(spec));
  unlink(path);
  rmdir(dir);
  free(dir);
}

static void environment_overrides_params_unless_ignored(void **state) {
  (void)state;
  setenv("LAVAFLOW_TOPOLOGY", "synthetic:pack:3 core:1 pu:1", 1);
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_TOPOLOGY;
  params.topology = "system";
  lf_context_t *context = NULL;
  LF_OK_(create_with(&params, &context));
  const char *source = NULL;
  LF_OK_(lf_topology_get_source(context, &source));
  assert_string_equal(source, "synthetic \"pack:3 core:1 pu:1\" (from LAVAFLOW_TOPOLOGY)");
  uint32_t packages = 0;
  LF_OK_(lf_topology_count(context, LF_TOPOLOGY_PACKAGE, &packages));
  assert_int_equal(packages, 3);
  LF_OK_(lf_context_destroy(context));

  params.field_mask |= LF_CONTEXT_PARAM_FIELD_FLAGS;
  params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
  LF_OK_(create_with(&params, &context));
  LF_OK_(lf_topology_get_source(context, &source));
  assert_string_equal(source, "system (from params)");
  LF_OK_(lf_context_destroy(context));

  /* an invalid environment value fails loudly instead of being ignored */
  setenv("LAVAFLOW_TOPOLOGY", "bogus", 1);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(NULL, &context));
  LF_EXPECT_MESSAGE("LAVAFLOW_TOPOLOGY");
  unsetenv("LAVAFLOW_TOPOLOGY");

  setenv("LAVAFLOW_SCOPE_OVERRIDE", "sideways", 1);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(NULL, &context));
  LF_EXPECT_MESSAGE("LAVAFLOW_SCOPE_OVERRIDE='sideways' is not a scope level");
  unsetenv("LAVAFLOW_SCOPE_OVERRIDE");

  setenv("LAVAFLOW_BASE_DIR", "/nonexistent-base", 1);
  LF_EXPECT(LF_ERR_NOT_FOUND, create_with(NULL, &context));
  LF_EXPECT_MESSAGE("(LAVAFLOW_BASE_DIR)");
  unsetenv("LAVAFLOW_BASE_DIR");
}

static lf_status_t create_base_dir(const char *base_dir, lf_context_t **out) {
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR;
  params.base_dir = base_dir;
  return create_with(&params, out);
}

static void base_directory_is_checked_and_canonical(void **state) {
  (void)state;
  lf_context_t *context = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_base_dir("dev/shm", &context));
  LF_EXPECT_MESSAGE("must be an absolute path");
  LF_EXPECT(LF_ERR_NOT_FOUND, create_base_dir("/nonexistent/base", &context));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_base_dir("/etc/hostname", &context));
  LF_EXPECT_MESSAGE("is not a directory");

  char *dir = lf_test_temp_dir();
  char link[512], via_link[600];
  snprintf(link, sizeof link, "%s-link", dir);
  assert_int_equal(symlink(dir, link), 0);
  snprintf(via_link, sizeof via_link, "%s/../%s", link, strrchr(link, '/') + 1);
  LF_OK_(create_base_dir(via_link, &context));
  const char *canonical = NULL;
  LF_OK_(lf_context_get_base_dir(context, &canonical));
  assert_string_equal(canonical, dir); /* symlinks and .. resolved */
  LF_OK_(lf_context_destroy(context));
  unlink(link);
  rmdir(dir);
  free(dir);
}

static void names_and_levels_are_validated(void **state) {
  (void)state;
  lf_context_params_t params = {0};
  lf_context_t *context = NULL;
  params.field_mask = LF_CONTEXT_PARAM_FIELD_NAME;
  params.name = "worker-7";
  LF_OK_(create_with(&params, &context));
  const char *name = NULL;
  LF_OK_(lf_context_get_name(context, &name));
  assert_string_equal(name, "worker-7");
  LF_OK_(lf_context_destroy(context));

  params.name = "";
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(&params, &context));
  char long_name[65];
  memset(long_name, 'x', 64);
  long_name[64] = '\0';
  params.name = long_name;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(&params, &context));
  LF_EXPECT_MESSAGE("1..63 bytes");

  params.field_mask = LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE;
  params.scope_override = LF_SCOPE_REMOTE + 1;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, create_with(&params, &context));
  LF_EXPECT_MESSAGE("scope_override");
  params.scope_override = 0; /* zero: no override */
  LF_OK_(create_with(&params, &context));
  LF_OK_(lf_context_destroy(context));
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(null_and_zeroed_params_mean_defaults),
      cmocka_unit_test(unknown_bits_are_refused),
      cmocka_unit_test(bad_topologies_are_refused_clearly),
      cmocka_unit_test(environment_overrides_params_unless_ignored),
      cmocka_unit_test(base_directory_is_checked_and_canonical),
      cmocka_unit_test(names_and_levels_are_validated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Log routing: silent by default, LAVAFLOW_LOG to stderr, global and per-context callbacks. */
#include "lf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
  int calls;
  int32_t last_level;
  char last_message[512];
} Recorder;

static void record(int32_t level, const char *message, void *user_data) {
  Recorder *r = user_data;
  r->calls++;
  r->last_level = level;
  strncpy(r->last_message, message, sizeof r->last_message - 1);
}

static void global_callback_gets_failures_at_debug(void **state) {
  (void)state;
  Recorder global = {0};
  LF_OK_(lf_log_set_callback(record, &global));
  LF_OK_(lf_log_set_level(LF_LOG_DEBUG));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_destroy((lf_identity_t *)(uintptr_t)0x42));
  assert_int_equal(global.calls, 1);
  assert_int_equal(global.last_level, LF_LOG_DEBUG);
  assert_non_null(strstr(global.last_message, "lf_identity_destroy"));

  /* below the threshold nothing is delivered */
  LF_OK_(lf_log_set_level(LF_LOG_ERROR));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_destroy((lf_identity_t *)(uintptr_t)0x42));
  assert_int_equal(global.calls, 1);

  LF_OK_(lf_log_set_callback(NULL, NULL));
  LF_OK_(lf_log_set_level(LF_LOG_OFF));
}

static void a_context_callback_takes_its_messages(void **state) {
  (void)state;
  Recorder global = {0}, mine = {0};
  LF_OK_(lf_log_set_callback(record, &global));
  LF_OK_(lf_log_set_level(LF_LOG_OFF)); /* global threshold off; the context sets its own */
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_LOG_CALLBACK | LF_CONTEXT_PARAM_FIELD_LOG_LEVEL |
                      LF_CONTEXT_PARAM_FIELD_NAME;
  params.log_callback = record;
  params.log_user_data = &mine;
  params.log_level = LF_LOG_INFO;
  params.name = "logger";
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  assert_true(mine.calls >= 1); /* the context logs its topology and base directory at info */
  assert_int_equal(mine.last_level, LF_LOG_INFO);
  assert_non_null(strstr(mine.last_message, "context 'logger'"));
  assert_non_null(strstr(mine.last_message, "topology"));
  assert_int_equal(global.calls, 0);
  LF_OK_(lf_context_destroy(context));
  LF_OK_(lf_log_set_callback(NULL, NULL));
}

static void levels_are_validated_and_named(void **state) {
  (void)state;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_log_set_level(LF_LOG_TRACE + 1));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_log_set_level(-1));
  const char *names[] = {"off", "error", "warn", "info", "debug", "trace"};
  for (int32_t level = LF_LOG_OFF; level <= LF_LOG_TRACE; ++level) assert_string_equal(lf_log_level_name(level), names[level]);
  assert_string_equal(lf_log_level_name(42), "unknown");

  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_LOG_LEVEL;
  params.log_level = 9;
  lf_context_t *context = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_context_create(&params, &context));
  LF_EXPECT_MESSAGE("log_level");
}

/* Runs the helper's "log" mode with the given LAVAFLOW_LOG and returns what it printed. */
static char *helper_output(const char *log_setting) {
  char *argv[] = {(char *)lf_test_helper_path(), "log", NULL};
  char setting[64];
  snprintf(setting, sizeof setting, "LAVAFLOW_LOG=%s", log_setting);
  char *env[] = {setting, NULL};
  uint8_t *output = NULL;
  size_t size = 0;
  int status = lf_test_run(argv, env, 1, &output, &size);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  output = realloc(output, size + 1);
  output[size] = '\0';
  return (char *)output;
}

static void silent_unless_lavaflow_log_is_set(void **state) {
  (void)state;
  char *quiet = helper_output(""); /* empty counts as unset */
  assert_string_equal(quiet, "");
  free(quiet);

  char *debug = helper_output("debug");
  assert_non_null(strstr(debug, "lavaflow[lavaflow] info: context 'lavaflow'"));
  assert_non_null(strstr(debug, "debug: lf_context_create: out_context is NULL"));
  free(debug);

  char *errors_only = helper_output("error");
  assert_string_equal(errors_only, "");
  free(errors_only);

  char *bogus = helper_output("loud");
  assert_non_null(strstr(bogus, "LAVAFLOW_LOG='loud' is not one of"));
  free(bogus);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(global_callback_gets_failures_at_debug),
      cmocka_unit_test(a_context_callback_takes_its_messages),
      cmocka_unit_test(levels_are_validated_and_named),
      cmocka_unit_test(silent_unless_lavaflow_log_is_set),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

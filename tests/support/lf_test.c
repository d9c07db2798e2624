#define _GNU_SOURCE
#include "lf_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void lf_test_expect(lf_status_t expected, lf_status_t got, const char *expr, const char *file, int line) {
  if (expected == got) return;
  print_error("%s:%d: %s\n  expected %s (%d), got %s (%d)\n  last error: %s\n", file, line, expr,
              lf_status_name(expected), expected, lf_status_name(got), got, lf_last_error_message());
  _fail(file, line);
}

void lf_test_expect_message(const char *needle, const char *file, int line) {
  const char *message = lf_last_error_message();
  if (strstr(message, needle) != NULL) return;
  print_error("%s:%d: last error message lacks \"%s\":\n  %s\n", file, line, needle, message);
  _fail(file, line);
}

void lf_test_reset_environment(void) {
  static const char *const names[] = {"LAVAFLOW_TOPOLOGY", "LAVAFLOW_BASE_DIR", "LAVAFLOW_SCOPE_OVERRIDE", NULL};
  for (int i = 0; names[i] != NULL; ++i) unsetenv(names[i]);
}

lf_context_t *lf_test_context(const char *topology) {
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS | LF_CONTEXT_PARAM_FIELD_TOPOLOGY;
  params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
  params.topology = topology;
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  return context;
}

int lf_test_setup_system_context(void **state) {
  *state = lf_test_context("system");
  return 0;
}

int lf_test_teardown_context(void **state) { return lf_context_destroy((lf_context_t *)*state); }

uint8_t *lf_test_serialize(const lf_identity_t *identity, size_t *out_size) {
  size_t size = 0;
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_identity_serialize(identity, NULL, 0, &size));
  uint8_t *blob = malloc(size);
  assert_non_null(blob);
  LF_OK_(lf_identity_serialize(identity, blob, size, out_size));
  assert_int_equal(*out_size, size);
  return blob;
}

int lf_test_run(char *const argv[], char *const extra_env[], int capture_stderr, uint8_t **out_output,
                size_t *out_size) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (capture_stderr) dup2(fds[1], STDERR_FILENO);
    for (int i = 0; extra_env != NULL && extra_env[i] != NULL; ++i) putenv(extra_env[i]);
    execve(argv[0], argv, environ);
    _exit(127);
  }
  close(fds[1]);
  size_t size = 0, capacity = 4096;
  uint8_t *output = malloc(capacity);
  for (;;) {
    if (size == capacity) output = realloc(output, capacity *= 2);
    ssize_t n = read(fds[0], output + size, capacity - size);
    if (n > 0) {
      size += (size_t)n;
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (out_output != NULL) {
    *out_output = output;
    *out_size = size;
  } else {
    free(output);
  }
  return status;
}

const char *lf_test_helper_path(void) {
  const char *path = getenv("LF_TEST_HELPER");
  if (path == NULL) fail_msg("LF_TEST_HELPER is not set (run the tests through ctest)");
  return path;
}

const char *lf_test_identity_text(const lf_identity_t *identity, int32_t which) {
  static char buffers[8][4096];
  static int next = 0;
  char *buffer = buffers[next++ % 8];
  size_t length = 0;
  LF_OK_(lf_identity_get_text(identity, which, buffer, 4096, &length));
  assert_int_equal(length, strlen(buffer));
  return buffer;
}

char *lf_test_temp_dir(void) {
  char template_path[] = "/tmp/lavaflow-test-XXXXXX";
  char *dir = mkdtemp(template_path);
  assert_non_null(dir);
  return strdup(dir);
}

uint32_t lf_test_scaled(uint32_t count) {
  const char *scale = getenv("LF_TEST_SCALE");
  uint32_t percent = scale != NULL ? (uint32_t)strtoul(scale, NULL, 10) : 100;
  if (percent == 0 || percent > 100) percent = 100;
  uint32_t scaled = (uint32_t)((uint64_t)count * percent / 100);
  return scaled > 0 ? scaled : 1;
}

/* A child process for the tests, using only the public API.
 *   lf_test_helper identity [CPUSET]   write this process's identity blob to stdout
 *   lf_test_helper log                 make calls that log (one failing), for the log tests */
#include <lavaflow/lavaflow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int identity(const char *cpuset) {
  lf_context_t *context = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) {
    fprintf(stderr, "lf_context_create: %s\n", lf_last_error_message());
    return 1;
  }
  lf_identity_params_t params = {0};
  if (cpuset != NULL) {
    params.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET;
    params.cpuset = cpuset;
  }
  lf_identity_t *id = NULL;
  static unsigned char blob[LF_IDENTITY_BLOB_MAX_SIZE];
  size_t size = 0;
  if (lf_identity_create(context, &params, &id) != LF_OK || lf_identity_serialize(id, blob, sizeof blob, &size) != LF_OK) {
    fprintf(stderr, "identity: %s\n", lf_last_error_message());
    return 1;
  }
  fwrite(blob, 1, size, stdout);
  lf_identity_destroy(id);
  lf_context_destroy(context);
  return fflush(stdout) == 0 ? 0 : 1;
}

static int log_calls(void) {
  lf_context_t *context = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) return 1;
  (void)lf_context_create(NULL, NULL); /* fails: out_context is NULL (logged at debug) */
  lf_context_destroy(context);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "identity") == 0) return identity(argc >= 3 ? argv[2] : NULL);
  if (argc >= 2 && strcmp(argv[1], "log") == 0) return log_calls();
  fprintf(stderr, "usage: %s identity [CPUSET] | log\n", argv[0]);
  return 2;
}

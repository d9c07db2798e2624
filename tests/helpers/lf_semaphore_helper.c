/* A second process for the semaphore tests, using only the public API.
 *   lf_semaphore_helper echo FD ROUNDS [BASE]
 *                                           receive a semaphore over the SEQPACKET socket FD;
 *                                           then, for k = 1..ROUNDS, wait for BASE+2k-1 and
 *                                           signal BASE+2k (BASE: 0 if not given)
 *   lf_semaphore_helper echo-named NAME ROUNDS
 *                                           the same with the semaphore opened by name
 *   lf_semaphore_helper hold FD signaller|wait-only
 *                                           receive a semaphore over FD (wait-only: with
 *                                           LF_SEMAPHORE_FLAG_WAIT_ONLY), write one byte to FD,
 *                                           then sleep until killed
 * Exit status 0 on success; 1 with the failing call's message on stderr. */
#include <lavaflow/lavaflow.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int64_t kTimeoutNs = 20LL * 1000 * 1000 * 1000;

static int failed(const char *what, lf_status_t status) {
  fprintf(stderr, "lf_semaphore_helper: %s: %s (%s)\n", what, lf_status_name(status), lf_last_error_message());
  return 1;
}

static int echo(lf_semaphore_t *semaphore, uint64_t rounds, uint64_t base) {
  for (uint64_t k = 1; k <= rounds; ++k) {
    lf_status_t status = lf_semaphore_wait(semaphore, base + 2 * k - 1, kTimeoutNs);
    if (status != LF_OK) return failed("lf_semaphore_wait", status);
    status = lf_semaphore_signal(semaphore, base + 2 * k);
    if (status != LF_OK) return failed("lf_semaphore_signal", status);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s echo FD ROUNDS [BASE] | echo-named NAME ROUNDS | hold FD signaller|wait-only\n", argv[0]);
    return 2;
  }
  lf_context_t *context = NULL;
  lf_status_t status = lf_context_create(NULL, &context);
  if (status != LF_OK) return failed("lf_context_create", status);
  lf_semaphore_t *semaphore = NULL;
  int result = 2;
  if (strcmp(argv[1], "echo") == 0 || strcmp(argv[1], "hold") == 0) {
    const int fd = atoi(argv[2]);
    const int wait_only = strcmp(argv[1], "hold") == 0 && strcmp(argv[3], "wait-only") == 0;
    lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_FLAGS,
                                    .flags = wait_only ? LF_SEMAPHORE_FLAG_WAIT_ONLY : 0};
    status = lf_semaphore_recv(context, fd, &params, 20000, &semaphore);
    if (status != LF_OK) return failed("lf_semaphore_recv", status);
    if (strcmp(argv[1], "echo") == 0) {
      result = echo(semaphore, strtoull(argv[3], NULL, 10), argc >= 5 ? strtoull(argv[4], NULL, 10) : 0);
    } else {
      const uint8_t ready = 1;
      if (write(fd, &ready, 1) != 1) return failed("write", LF_ERR_SYSTEM);
      for (;;) pause();
    }
  } else if (strcmp(argv[1], "echo-named") == 0) {
    status = lf_semaphore_open(context, argv[2], NULL, &semaphore);
    if (status != LF_OK) return failed("lf_semaphore_open", status);
    result = echo(semaphore, strtoull(argv[3], NULL, 10), 0);
  }
  lf_semaphore_destroy(semaphore);
  lf_context_destroy(context);
  return result;
}

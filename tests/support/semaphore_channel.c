#define _GNU_SOURCE
#include "semaphore_channel.h"

#include "lf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kBytes = 64 * 1024 };
static const int64_t kTwentySeconds = 20LL * 1000 * 1000 * 1000;

static uint8_t pattern(uint32_t round, size_t i) { return (uint8_t)(round * 31u + i); }
static uint8_t complement(uint32_t round, size_t i) { return (uint8_t)(0xffu ^ pattern(round, i)); }

void semaphore_channel_rounds(lf_context_t *context, const lf_buffer_params_t *buffer_params, uint32_t rounds) {
  char name[64], rounds_text[16];
  snprintf(name, sizeof name, "lf-semaphore-channel-%d", (int)getpid());
  snprintf(rounds_text, sizeof rounds_text, "%u", rounds);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    execl(getenv("LF_SEMAPHORE_HELPER"), "lf_semaphore_helper", "channel-sync", name, rounds_text, (char *)NULL);
    _exit(127);
  }
  lf_channel_params_t as_producer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT,
                                     .role = LF_CHANNEL_PRODUCER, .connect_timeout_ms = 20000};
  lf_channel_t *out = NULL;
  LF_OK_(lf_channel_open(context, name, &as_producer, &out));
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(context, kBytes, buffer_params, &buffer));
  uint8_t *bytes = NULL;
  LF_OK_(lf_buffer_get_data(buffer, (void **)&bytes, NULL));
  lf_semaphore_t *ready = NULL, *done = NULL;
  LF_OK_(lf_semaphore_create(context, NULL, &ready));
  LF_OK_(lf_semaphore_create(context, NULL, &done));
  for (uint32_t k = 1; k <= rounds; ++k) {
    const lf_buffer_sync_t sync = {.ready = ready, .ready_value = k, .done = done, .done_value = k};
    LF_OK_(lf_channel_send_buffer_sync(out, buffer, 0, kBytes, &sync, &k, sizeof k, 20000));
    for (size_t i = 0; i < kBytes; ++i) bytes[i] = pattern(k, i); /* (after the message: it says "ready at k") */
    LF_OK_(lf_semaphore_signal(ready, k));
    LF_OK_(lf_semaphore_wait(done, k, kTwentySeconds));
    for (size_t i = kBytes / 2; i < kBytes; ++i)
      if (bytes[i] != complement(k, i)) fail_msg("round %u: byte %zu is 0x%02x after the consumer's done", k, i, bytes[i]);
  }
  lf_buffer_sync_t none = {0};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send_buffer_sync(out, buffer, 0, kBytes, &none, NULL, 0, 0));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send_buffer_sync(out, buffer, 0, kBytes, NULL, NULL, 0, 0));
  LF_OK_(lf_channel_close(out));
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  lf_channel_destroy(out);
  lf_semaphore_destroy(done);
  lf_semaphore_destroy(ready);
  lf_buffer_destroy(buffer);
}

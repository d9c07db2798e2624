/* A second process for the semaphore tests, using only the public API.
 *   lf_semaphore_helper echo FD ROUNDS [BASE]
 *                                           receive a semaphore over the SEQPACKET socket FD;
 *                                           then, for k = 1..ROUNDS, wait for BASE+2k-1 and
 *                                           signal BASE+2k (BASE: 0 if not given)
 *   lf_semaphore_helper echo-named NAME ROUNDS
 *                                           the same with the semaphore opened by name
 *   lf_semaphore_helper channel-sync NAME ROUNDS
 *                                           create channel NAME as its consumer; for each of
 *                                           ROUNDS buffer messages with semaphores
 *                                           (semaphore_channel.h): wait for ready, check the
 *                                           bytes, write their complement into the second half,
 *                                           signal done; then expect the end of the stream
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

static uint8_t pattern(uint32_t round, size_t i) { return (uint8_t)(round * 31u + i); }

static int channel_sync(lf_context_t *context, const char *name, uint32_t rounds) {
  lf_channel_t *in = NULL;
  lf_status_t status = lf_channel_create(context, name, NULL, &in);
  if (status != LF_OK) return failed("lf_channel_create", status);
  for (uint32_t k = 1; k <= rounds; ++k) {
    lf_buffer_t *buffer = NULL;
    uint64_t offset = 0, length = 0;
    uint32_t round = 0;
    size_t size = 0;
    const void *inline_data = NULL;
    if ((status = lf_channel_peek(in, 20000, &inline_data, &size)) != LF_OK) return failed("lf_channel_peek", status);
    if (size != sizeof round) return failed("the message's inline round number", LF_ERR_PROTOCOL);
    memcpy(&round, inline_data, sizeof round);
    if ((status = lf_channel_peeked_buffer(in, &buffer, &offset, &length)) != LF_OK) return failed("lf_channel_peeked_buffer", status);
    lf_buffer_sync_t sync;
    if ((status = lf_channel_peeked_sync(in, &sync)) != LF_OK) return failed("lf_channel_peeked_sync", status);
    if (round != k || sync.ready == NULL || sync.done == NULL || sync.ready_value != k || sync.done_value != k)
      return failed("the message's semaphores and values", LF_ERR_PROTOCOL);
    if ((status = lf_semaphore_wait(sync.ready, sync.ready_value, kTimeoutNs)) != LF_OK) return failed("lf_semaphore_wait", status);
    uint8_t *bytes = NULL;
    if ((status = lf_buffer_get_data(buffer, (void **)&bytes, NULL)) != LF_OK) return failed("lf_buffer_get_data", status);
    for (uint64_t i = 0; i < length; ++i)
      if (bytes[offset + i] != pattern(k, (size_t)i)) return failed("a byte the producer wrote before ready", LF_ERR_CORRUPT);
    for (uint64_t i = length / 2; i < length; ++i) bytes[offset + i] = (uint8_t)(0xffu ^ pattern(k, (size_t)i));
    if ((status = lf_semaphore_signal(sync.done, sync.done_value)) != LF_OK) return failed("lf_semaphore_signal", status);
    if ((status = lf_channel_release(in)) != LF_OK) return failed("lf_channel_release", status);
  }
  const void *data = NULL;
  size_t size = 0;
  status = lf_channel_peek(in, 20000, &data, &size);
  lf_channel_destroy(in);
  return status == LF_END_OF_STREAM ? 0 : failed("the end of the stream", status);
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s echo FD ROUNDS [BASE] | echo-named NAME ROUNDS | channel-sync NAME ROUNDS | hold FD signaller|wait-only\n", argv[0]);
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
  } else if (strcmp(argv[1], "channel-sync") == 0) {
    result = channel_sync(context, argv[2], (uint32_t)strtoul(argv[3], NULL, 10));
  } else if (strcmp(argv[1], "echo-named") == 0) {
    status = lf_semaphore_open(context, argv[2], NULL, &semaphore);
    if (status != LF_OK) return failed("lf_semaphore_open", status);
    result = echo(semaphore, strtoull(argv[3], NULL, 10), 0);
  }
  lf_semaphore_destroy(semaphore);
  lf_context_destroy(context);
  return result;
}

#define _GNU_SOURCE
#include "buffer_echo.h"

#include "buffer_message.h"
#include "lf_test.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_counter;

static lf_channel_t *make(lf_context_t *context, const char *name, int32_t role) {
  lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = role};
  lf_channel_t *channel = NULL;
  LF_OK_(lf_channel_create(context, name, &params, &channel));
  return channel;
}

/* The sending side, against whoever echoes on `name` / `name`-ack. */
static void drive(lf_context_t *context, const char *name, lf_buffer_t *const *buffers, uint32_t count, uint32_t rounds,
                  void (*start)(void *), void *start_arg) {
  char ack_name[128];
  snprintf(ack_name, sizeof ack_name, "%s-ack", name);
  lf_channel_t *out = make(context, name, LF_CHANNEL_PRODUCER);
  lf_channel_t *ack = make(context, ack_name, LF_CHANNEL_CONSUMER);
  start(start_arg);
  uint8_t fresh[BUFFER_MESSAGE_MAX_BUFFERS] = {0};
  for (uint32_t seq = 0; seq < rounds; ++seq) {
    const uint32_t index = seq % count;
    uint8_t *data = NULL;
    size_t size = 0;
    LF_OK_(lf_buffer_get_data(buffers[index], (void **)&data, &size));
    /* a different range and byte each time */
    const uint64_t offset = (seq * 4096u) % (size / 2), length = size / 2 - (seq % 7);
    BufferMessage m = {.seq = seq, .buffer_index = index, .pattern = (uint8_t)(seq * 37 + 1), .fresh = fresh[index]};
    memset(data + offset, m.pattern, length);
    LF_OK_(lf_channel_send_buffer(out, buffers[index], offset, length, &m, sizeof m, 10000));
    fresh[index] = 0;
    uint32_t acked = UINT32_MAX;
    size_t got = 0;
    LF_OK_(lf_channel_recv(ack, &acked, sizeof acked, &got, 10000));
    assert_int_equal(acked, seq);
    const uint8_t complement = (uint8_t)(0xFF ^ m.pattern);
    for (uint64_t i = 0; i < length; ++i)
      if (data[offset + i] != complement) fail_msg("message %u: byte %llu not written back", seq, (unsigned long long)i);
    if (seq == rounds / 2) { /* forget buffer 0: the receiver must drop its import and get a new one */
      LF_OK_(lf_channel_forget_buffer(out, buffers[0], 10000));
      LF_EXPECT(LF_ERR_NOT_FOUND, lf_channel_forget_buffer(out, buffers[0], 0));
      fresh[0] = 1;
    }
  }
  LF_OK_(lf_channel_destroy(out)); /* the echo sees the end of the stream */
  LF_OK_(lf_channel_destroy(ack));
}

static void start_helper(void *arg) {
  const char *name = ((const char **)arg)[0];
  pid_t *pid = ((pid_t **)arg)[1];
  *pid = fork();
  if (*pid == 0) {
    execl(lf_test_helper_path(), "lf_test_helper", "channel-buffer-echo", name, (char *)NULL);
    _exit(127);
  }
}

void buffer_echo_with_helper(lf_context_t *context, lf_buffer_t *const *buffers, uint32_t count, uint32_t rounds) {
  char name[64];
  snprintf(name, sizeof name, "buffer-echo-%d-%d", (int)getpid(), ++g_counter);
  pid_t pid = -1;
  void *arg[2] = {name, &pid};
  drive(context, name, buffers, count, rounds, start_helper, arg);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* The thread: the helper's loop, with this process's context. */
typedef struct {
  lf_context_t *context;
  char name[64];
  pthread_t thread;
  int result;
} Echo;

static void *echo_thread(void *arg) {
  Echo *e = arg;
  char ack_name[128];
  snprintf(ack_name, sizeof ack_name, "%s-ack", e->name);
  lf_channel_params_t consumer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_CONSUMER};
  lf_channel_params_t producer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_PRODUCER};
  lf_channel_t *in = NULL, *ack = NULL;
  if (lf_channel_open(e->context, e->name, &consumer, &in) != LF_OK || lf_channel_open(e->context, ack_name, &producer, &ack) != LF_OK) {
    e->result = 1;
    return NULL;
  }
  e->result = buffer_echo_loop(in, ack);
  lf_channel_destroy(ack);
  lf_channel_destroy(in);
  return NULL;
}

static void start_thread(void *arg) {
  Echo *e = arg;
  assert_int_equal(pthread_create(&e->thread, NULL, echo_thread, e), 0);
}

void buffer_echo_with_thread(lf_context_t *context, lf_buffer_t *const *buffers, uint32_t count, uint32_t rounds) {
  Echo e = {.context = context};
  snprintf(e.name, sizeof e.name, "buffer-echo-%d-%d", (int)getpid(), ++g_counter);
  drive(context, e.name, buffers, count, rounds, start_thread, &e);
  pthread_join(e.thread, NULL);
  assert_int_equal(e.result, 0);
}

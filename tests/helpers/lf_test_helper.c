/* A child process for the tests, using only the public API.
 *   lf_test_helper identity [CPUSET]   write this process's identity blob to stdout
 *   lf_test_helper log                 make calls that log (one failing), for the log tests
 *   lf_test_helper shared-child FD     over the SEQPACKET socket FD: receive a buffer, check the
 *                                      parent's pattern in its first half, write ours in the
 *                                      second half, ack; then send a buffer of our own
 *   lf_test_helper device-child FD     over FD: receive a device buffer, check 0xA5 in its first
 *                                      half, write 0x5A into its second half, ack
 *   lf_test_helper channel-produce NAME COUNT ID
 *                                      open NAME as a producer and send COUNT checked messages
 *                                      (channel_message.h), alternating copy and zero-copy; close
 *   lf_test_helper channel-stall-producer NAME COUNT
 *                                      send COUNT messages, reserve one more and write half of
 *                                      it, print "ready", then sleep (the test kills us)
 *   lf_test_helper channel-stall-consumer NAME COUNT
 *                                      open NAME as the consumer, receive COUNT messages, print
 *                                      "ready", then sleep (the test kills us)
 *   lf_test_helper channel-in-buffer FD COUNT close|die
 *                                      receive a shared buffer over FD, open the channel in it
 *                                      as a producer, send COUNT checked messages (id 7), then
 *                                      close, or die by SIGKILL without closing
 *   lf_test_helper channel-buffer-echo NAME
 *                                      open NAME as the consumer and NAME-ack as a producer;
 *                                      check each buffer message (buffer_message.h), overwrite
 *                                      its range with the complement, ack its seq; exit 0 at
 *                                      the end of the stream */
#include "buffer_message.h"
#include "channel_message.h"

#include <lavaflow/lavaflow.h>

#define LF_EXPERIMENTAL /* lf_socket_*_fds */
#include <lavaflow/experimental.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
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

static uint8_t parent_byte(size_t i) { return (uint8_t)(i % 251); }
static uint8_t child_byte(size_t i) { return (uint8_t)(255 - i % 251); }

static int fail_with(const char *what) {
  fprintf(stderr, "shared-child: %s: %s\n", what, lf_last_error_message());
  return 1;
}

static int shared_child(int socket_fd) {
  lf_context_t *context = NULL;
  lf_buffer_t *received = NULL, *mine = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) return fail_with("context");
  if (lf_buffer_recv(context, socket_fd, 10000, &received) != LF_OK) return fail_with("lf_buffer_recv");
  uint8_t *data = NULL;
  size_t size = 0;
  if (lf_buffer_get_data(received, (void **)&data, &size) != LF_OK) return fail_with("get_data");
  for (size_t i = 0; i < size / 2; ++i)
    if (data[i] != parent_byte(i)) {
      fprintf(stderr, "shared-child: byte %zu is %u, expected %u\n", i, data[i], parent_byte(i));
      return 2;
    }
  for (size_t i = size / 2; i < size; ++i) data[i] = child_byte(i);
  uint8_t ack = 1;
  if (lf_socket_send_fds(socket_fd, &ack, 1, NULL, 0) != LF_OK) return fail_with("ack");

  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  if (lf_buffer_create(context, size, &params, &mine) != LF_OK) return fail_with("create");
  uint8_t *own = NULL;
  lf_buffer_get_data(mine, (void **)&own, NULL);
  for (size_t i = 0; i < size; ++i) own[i] = child_byte(i);
  if (lf_buffer_send(mine, socket_fd) != LF_OK) return fail_with("lf_buffer_send");
  /* Wait for the parent to check our buffer before we unmap it (it stays valid anyway). */
  size_t got = 0;
  uint32_t fds = 0;
  if (lf_socket_recv_fds(socket_fd, &ack, 1, &got, NULL, 0, &fds, 10000) != LF_OK) return fail_with("final ack");
  lf_buffer_destroy(mine);
  lf_buffer_destroy(received);
  lf_context_destroy(context);
  return 0;
}

static int device_child(int socket_fd) {
  lf_context_t *context = NULL;
  lf_buffer_t *received = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) return fail_with("context");
  if (lf_buffer_recv(context, socket_fd, 10000, &received) != LF_OK) return fail_with("lf_buffer_recv");
  lf_buffer_info_t info = {.struct_size = sizeof info};
  lf_buffer_get_info(received, &info);
  if (info.kind != LF_MEMORY_DEVICE || !(info.flags & LF_BUFFER_IMPORTED)) {
    fprintf(stderr, "device-child: kind %d flags 0x%x\n", info.kind, info.flags);
    return 3;
  }
  uint8_t *data = info.host_pointer;
  for (size_t i = 0; i < info.size / 2; ++i)
    if (data[i] != 0xA5) {
      fprintf(stderr, "device-child: byte %zu is 0x%x\n", i, data[i]);
      return 2;
    }
  memset(data + info.size / 2, 0x5A, info.size - info.size / 2);
  uint8_t ack = 1;
  if (lf_socket_send_fds(socket_fd, &ack, 1, NULL, 0) != LF_OK) return fail_with("ack");
  lf_buffer_destroy(received);
  lf_context_destroy(context);
  return 0;
}

static lf_channel_t *open_channel(const char *name, int32_t role) {
  lf_context_t *context = NULL;
  lf_channel_t *channel = NULL;
  lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT,
                                .role = role, .connect_timeout_ms = 10000};
  if (lf_context_create(NULL, &context) != LF_OK || lf_channel_open(context, name, &params, &channel) != LF_OK) {
    fprintf(stderr, "open %s: %s\n", name, lf_last_error_message());
    exit(1);
  }
  lf_context_destroy(context); /* the channel keeps it alive */
  return channel;
}

/* Sends `count` checked messages, alternating copy and zero-copy; 0 on success. */
static int produce_on(lf_channel_t *channel, uint32_t count, uint32_t id) {
  uint8_t message[CHANNEL_MESSAGE_MAX];
  for (uint32_t seq = 0; seq < count; ++seq) {
    size_t size = channel_message_fill(message, id, seq);
    lf_status_t status;
    if (seq % 2) {
      status = lf_channel_send(channel, message, size, -1);
    } else {
      void *slot = NULL;
      status = lf_channel_reserve(channel, CHANNEL_MESSAGE_MAX, -1, &slot);
      if (status == LF_OK) {
        memcpy(slot, message, size);
        status = lf_channel_commit(channel, size);
      }
    }
    if (status != LF_OK) {
      fprintf(stderr, "producer %u: message %u: %s\n", id, seq, lf_last_error_message());
      return 1;
    }
  }
  return 0;
}

static int channel_produce(const char *name, uint32_t count, uint32_t id) {
  lf_channel_t *channel = open_channel(name, LF_CHANNEL_PRODUCER);
  if (produce_on(channel, count, id) != 0) return 1;
  return lf_channel_destroy(channel) == LF_OK ? 0 : 1;
}

/* A producer of a channel in a buffer received over the socket FD: sends COUNT checked
 * messages, then closes ("close") or kills itself without closing ("die"). */
static int channel_in_buffer(int socket_fd, uint32_t count, const char *ending) {
  lf_context_t *context = NULL;
  lf_buffer_t *buffer = NULL;
  lf_channel_t *channel = NULL;
  if (lf_context_create(NULL, &context) != LF_OK || lf_buffer_recv(context, socket_fd, 10000, &buffer) != LF_OK ||
      lf_channel_open_buffer(context, buffer, NULL, &channel) != LF_OK) {
    fprintf(stderr, "channel-in-buffer: %s\n", lf_last_error_message());
    return 1;
  }
  if (produce_on(channel, count, 7) != 0) return 1;
  if (strcmp(ending, "die") == 0) raise(SIGKILL);
  lf_channel_destroy(channel);
  lf_buffer_destroy(buffer);
  lf_context_destroy(context);
  return 0;
}

/* Sends (or receives) `count` checked messages as producer `id`, then (a producer) reserves
 * one more and writes half of it; prints "ready" and waits to be killed. */
static int channel_stall(const char *name, uint32_t count, int producer, uint32_t id) {
  lf_channel_t *channel = open_channel(name, producer ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER);
  uint8_t message[CHANNEL_MESSAGE_MAX];
  for (uint32_t seq = 0; seq < count; ++seq) {
    size_t size;
    lf_status_t status = producer ? lf_channel_send(channel, message, channel_message_fill(message, id, seq), -1)
                                  : lf_channel_recv(channel, message, sizeof message, &size, -1);
    if (status != LF_OK) return 1;
  }
  if (producer) { /* killed mid-reserve: half a message written, never committed */
    void *slot = NULL;
    if (lf_channel_reserve(channel, CHANNEL_MESSAGE_MAX, -1, &slot) != LF_OK) return 1;
    size_t size = channel_message_fill(message, id, count);
    memcpy(slot, message, size / 2);
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}

/* Creates channel NAME as its consumer, prints "ready" and waits to be killed. */
static int channel_create(const char *name) {
  lf_context_t *context = NULL;
  lf_channel_t *channel = NULL;
  if (lf_context_create(NULL, &context) != LF_OK || lf_channel_create(context, name, NULL, &channel) != LF_OK) {
    fprintf(stderr, "create %s: %s\n", name, lf_last_error_message());
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}

static int channel_buffer_echo(const char *name) {
  char ack_name[128];
  snprintf(ack_name, sizeof ack_name, "%s-ack", name);
  lf_channel_t *in = open_channel(name, LF_CHANNEL_CONSUMER);
  lf_channel_t *ack = open_channel(ack_name, LF_CHANNEL_PRODUCER);
  const int result = buffer_echo_loop(in, ack);
  lf_channel_destroy(ack);
  lf_channel_destroy(in);
  return result;
}

int main(int argc, char **argv) {
  if (argc >= 5 && strcmp(argv[1], "channel-produce") == 0)
    return channel_produce(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), (uint32_t)strtoul(argv[4], NULL, 10));
  if (argc >= 4 && strcmp(argv[1], "channel-stall-producer") == 0)  /* [id] */
    return channel_stall(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), 1, argc >= 5 ? (uint32_t)strtoul(argv[4], NULL, 10) : 0);
  if (argc >= 4 && strcmp(argv[1], "channel-stall-consumer") == 0) return channel_stall(argv[2], (uint32_t)strtoul(argv[3], NULL, 10), 0, 0);
  if (argc >= 3 && strcmp(argv[1], "channel-buffer-echo") == 0) return channel_buffer_echo(argv[2]);
  if (argc >= 3 && strcmp(argv[1], "channel-create") == 0) return channel_create(argv[2]);
  if (argc >= 5 && strcmp(argv[1], "channel-in-buffer") == 0)
    return channel_in_buffer(atoi(argv[2]), (uint32_t)strtoul(argv[3], NULL, 10), argv[4]);
  if (argc >= 3 && strcmp(argv[1], "shared-child") == 0) return shared_child(atoi(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "device-child") == 0) return device_child(atoi(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "identity") == 0) return identity(argc >= 3 ? argv[2] : NULL);
  if (argc >= 2 && strcmp(argv[1], "log") == 0) return log_calls();
  fprintf(stderr, "usage: %s identity [CPUSET] | log | shared-child FD | device-child FD\n", argv[0]);
  return 2;
}

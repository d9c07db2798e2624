/* Channels laid out in a caller's lf_buffer_t instead of created under a name: threads of one
 * process over host memory, another process over shared memory passed with lf_buffer_send
 * (every message checked, the end of the stream seen), a producer killed by SIGKILL reported
 * as dead after everything it committed, and bad buffers, regions and identities refused. */
#define _GNU_SOURCE
#include "blob_edit.h"
#include "channel_message.h"
#include "lf_test.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Documented offsets (docs/wire-formats.md, "Channel region"). */
enum { REGION_LAYOUT_VERSION = 8, REGION_CAPACITY = 24, REGION_CONSUMER_IDENTITY_BYTES = 92, REGION_IDENTITY = 1024 };

static lf_context_t *g_context;

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context("system");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

static lf_buffer_t *buffer_for(int32_t kind, uint64_t capacity) {
  uint64_t size = 0;
  LF_OK_(lf_channel_buffer_size(capacity, 1, &size));
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_ALIGNMENT,
                               .kind = kind, .alignment = 4096};
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(g_context, size, &params, &buffer));
  return buffer;
}

static uint8_t *data_of(lf_buffer_t *buffer) {
  void *data = NULL;
  size_t size = 0;
  LF_OK_(lf_buffer_get_data(buffer, &data, &size));
  return data;
}

static lf_channel_info_t info_of(const lf_channel_t *channel) {
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(channel, &info));
  return info;
}

/* Receives `count` checked messages from producer `id`. */
static void consume_checked(lf_channel_t *consumer, uint32_t count, uint32_t id) {
  uint8_t message[CHANNEL_MESSAGE_MAX];
  for (uint32_t seq = 0; seq < count; ++seq) {
    size_t size = 0;
    LF_OK_(lf_channel_recv(consumer, message, sizeof message, &size, 10000));
    uint32_t got_id = 0, got_seq = 0;
    size_t bad = channel_message_check(message, size, &got_id, &got_seq);
    if (bad != 0 || got_id != id || got_seq != seq)
      fail_msg("message %u: id %u seq %u, first bad byte %zu", seq, got_id, got_seq, bad);
  }
}

typedef struct {
  lf_channel_t *producer;
  uint32_t count;
  int failed;
} Producer;

static void *produce(void *arg) {
  Producer *p = arg;
  uint8_t message[CHANNEL_MESSAGE_MAX];
  for (uint32_t seq = 0; seq < p->count && !p->failed; ++seq)
    p->failed = lf_channel_send(p->producer, message, channel_message_fill(message, 3, seq), 10000) != LF_OK;
  lf_channel_close(p->producer);
  return NULL;
}

/* Waits (up to 5 s) until the creator's reason names its first peer: the watcher thread
 * notices the peer asynchronously. */
static const char *first_peer_reason(const lf_channel_t *creator) {
  const char *reason = NULL;
  for (int i = 0; i < 500; ++i) {
    LF_OK_(lf_channel_get_reason(creator, &reason));
    if (strstr(reason, "first peer") != NULL) break;
    usleep(10000);
  }
  return reason;
}

static void threads_share_a_channel_in_host_memory(void **state) {
  (void)state;
  lf_buffer_t *buffer = buffer_for(LF_MEMORY_HOST, 8192);
  lf_channel_t *consumer = NULL, *producer = NULL;
  LF_OK_(lf_channel_create_in_buffer(g_context, buffer, NULL, &consumer));
  LF_OK_(lf_channel_open_buffer(g_context, buffer, NULL, &producer));
  LF_OK_(lf_buffer_destroy(buffer)); /* the channel ends keep it alive */
  assert_int_equal(info_of(producer).transport, LF_TRANSPORT_IN_PROCESS);
  assert_int_equal(info_of(producer).scope, LF_SCOPE_PROCESS);
  const char *reason = NULL;
  LF_OK_(lf_channel_get_reason(producer, &reason));
  assert_non_null(strstr(reason, "in-process ring in a caller's buffer"));
  assert_non_null(strstr(first_peer_reason(consumer), "first peer"));
  assert_int_equal(info_of(consumer).transport, LF_TRANSPORT_IN_PROCESS);

  /* an 8 KiB ring: the stream wraps around it many times */
  Producer p = {producer, lf_test_scaled(20000), 0};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, produce, &p), 0);
  consume_checked(consumer, p.count, 3);
  uint8_t spare[16];
  size_t size = 0;
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(consumer, spare, sizeof spare, &size, 10000));
  pthread_join(thread, NULL);
  assert_false(p.failed);
  LF_OK_(lf_channel_destroy(producer));
  LF_OK_(lf_channel_destroy(consumer));
}

/* The helper process producing `count` checked messages into the channel in `buffer`, then
 * closing or dying (`ending`). */
static pid_t spawn_buffer_producer(lf_buffer_t *buffer, uint32_t count, const char *ending) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  const char *helper = lf_test_helper_path(); /* (before the fork: it may fail the test) */
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char fd_text[16], count_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
    snprintf(count_text, sizeof count_text, "%u", count);
    execl(helper, "lf_test_helper", "channel-in-buffer", fd_text, count_text, ending, (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  LF_OK_(lf_buffer_send(buffer, sv[0]));
  close(sv[0]);
  return pid;
}

/* A consumer in a fresh shared buffer, and the helper process producing into it. */
static pid_t start_producer_process(lf_channel_t **out_consumer, uint32_t count, const char *ending) {
  lf_buffer_t *buffer = buffer_for(LF_MEMORY_SHARED, 65536);
  LF_OK_(lf_channel_create_in_buffer(g_context, buffer, NULL, out_consumer));
  pid_t pid = spawn_buffer_producer(buffer, count, ending);
  LF_OK_(lf_buffer_destroy(buffer));
  return pid;
}

static int exit_status(pid_t pid) {
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return status;
}

static void another_process_produces_into_shared_memory(void **state) {
  (void)state;
  lf_channel_t *consumer = NULL;
  const uint32_t count = lf_test_scaled(100000);
  pid_t pid = start_producer_process(&consumer, count, "close");
  consume_checked(consumer, count, 7);
  uint8_t spare[16];
  size_t size = 0;
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(consumer, spare, sizeof spare, &size, 10000));
  const int status = exit_status(pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_non_null(strstr(first_peer_reason(consumer), "shared-memory ring in a caller's buffer"));
  lf_channel_info_t info = info_of(consumer);
  assert_int_equal(info.transport, LF_TRANSPORT_SHARED_MEMORY);
  assert_true(info.scope >= LF_SCOPE_NUMA && info.scope <= LF_SCOPE_HOST);
  assert_int_equal(info.messages, count);
  LF_OK_(lf_channel_destroy(consumer));
}

/* A producer killed (SIGKILL) after its messages: they all arrive, then its death. Its slot
 * (the only one) is then free again: a second producer process opens the buffer, its
 * messages arrive, and its own death is noticed too (the watch follows the slot's new owner). */
static void a_killed_producer_is_reported_after_its_messages(void **state) {
  (void)state;
  lf_buffer_t *buffer = buffer_for(LF_MEMORY_SHARED, 65536);
  lf_channel_t *consumer = NULL;
  LF_OK_(lf_channel_create_in_buffer(g_context, buffer, NULL, &consumer));
  for (uint32_t round = 0; round < 2; ++round) {
    const uint32_t count = 500 - 200 * round;
    pid_t pid = spawn_buffer_producer(buffer, count, "die");
    /* (a consumer whose producers are all gone says so at once: wait until this one came;
     * it fills the 64 KiB ring and waits for us before it dies) */
    for (int spins = 0; spins < 1000 && info_of(consumer).producers == 0; ++spins) usleep(10000);
    assert_int_equal(info_of(consumer).producers, 1);
    consume_checked(consumer, count, 7); /* everything it committed arrives */
    uint8_t spare[16];
    size_t size = 0;
    /* then its death, noticed through its pidfd: well before the timeout */
    LF_EXPECT(LF_ERR_PEER_DEAD, lf_channel_recv(consumer, spare, sizeof spare, &size, 10000));
    const int status = exit_status(pid);
    assert_true(WIFSIGNALED(status));
    assert_true(info_of(consumer).flags & LF_CHANNEL_PEER_DEAD);
  }
  LF_OK_(lf_buffer_destroy(buffer));
  LF_OK_(lf_channel_destroy(consumer));
}

static void bad_buffers_and_regions_are_refused(void **state) {
  (void)state;
  uint64_t size = 0;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_buffer_size(1000, 1, &size));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_buffer_size(4096, 0, &size));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_buffer_size(4096, 1, NULL));
  LF_OK_(lf_channel_buffer_size(4096, 2, &size));
  assert_int_equal(size, 4096 + 2 * (4096 + 4096)); /* the documented formula */

  lf_channel_t *channel = NULL;
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_channel_create_in_buffer(g_context, NULL, NULL, &channel));
  lf_buffer_t *buffer = buffer_for(LF_MEMORY_SHARED, 4096);
  lf_channel_params_t big = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY, .capacity = 65536};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create_in_buffer(g_context, buffer, &big, &channel));
  LF_EXPECT_MESSAGE("lf_channel_buffer_size");
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_open_buffer(g_context, buffer, NULL, &channel)); /* zeros: no channel */
  LF_EXPECT_MESSAGE("not a lavaflow channel region");

  lf_channel_params_t small = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY, .capacity = 4096};
  lf_channel_t *consumer = NULL;
  LF_OK_(lf_channel_create_in_buffer(g_context, buffer, &small, &consumer));
  uint8_t *region = data_of(buffer);
  uint32_t saved32;
  memcpy(&saved32, region + REGION_LAYOUT_VERSION, 4);
  blob_put32(region + REGION_LAYOUT_VERSION, 99);
  LF_EXPECT(LF_ERR_VERSION_MISMATCH, lf_channel_open_buffer(g_context, buffer, NULL, &channel));
  memcpy(region + REGION_LAYOUT_VERSION, &saved32, 4);
  uint64_t saved64;
  memcpy(&saved64, region + REGION_CAPACITY, 8);
  blob_put64(region + REGION_CAPACITY, 3000);
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_open_buffer(g_context, buffer, NULL, &channel));
  memcpy(region + REGION_CAPACITY, &saved64, 8);

  /* the creator's identity: an impossible length, a broken blob, another user */
  uint32_t length;
  memcpy(&length, region + REGION_CONSUMER_IDENTITY_BYTES, 4);
  assert_true(length > 0 && length <= 3072);
  blob_put32(region + REGION_CONSUMER_IDENTITY_BYTES, 5000);
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_open_buffer(g_context, buffer, NULL, &channel));
  blob_put32(region + REGION_CONSUMER_IDENTITY_BYTES, length);
  uint8_t *identity = region + REGION_IDENTITY;
  identity[length - 1] ^= 0xFF; /* the CRC no longer matches */
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_open_buffer(g_context, buffer, NULL, &channel));
  identity[length - 1] ^= 0xFF;
  uint32_t section_length = 0;
  size_t process = blob_section(identity, length, 2, &section_length);
  assert_true(process != 0);
  const uint32_t uid = blob_get32(identity + process + PROC_UID);
  blob_put32(identity + process + PROC_UID, uid + 1);
  blob_reseal(identity, length);
  LF_EXPECT(LF_ERR_PERMISSION, lf_channel_open_buffer(g_context, buffer, NULL, &channel));
  LF_EXPECT_MESSAGE("may not open a channel of uid");
  blob_put32(identity + process + PROC_UID, uid);
  blob_reseal(identity, length);

  /* repaired: it opens; a second producer finds the only slot taken */
  lf_channel_t *producer = NULL;
  LF_OK_(lf_channel_open_buffer(g_context, buffer, NULL, &producer));
  LF_EXPECT(LF_ERR_BUSY, lf_channel_open_buffer(g_context, buffer, NULL, &channel));
  lf_channel_params_t as_consumer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_CONSUMER};
  LF_EXPECT(LF_ERR_BUSY, lf_channel_open_buffer(g_context, buffer, &as_consumer, &channel));
  /* no connection between the ends: no buffer references */
  LF_EXPECT(LF_ERR_UNSUPPORTED, lf_channel_send_buffer(producer, buffer, 0, 16, NULL, 0, 0));
  LF_EXPECT_MESSAGE("create the channel by name");
  uint32_t value = 42, got = 0;
  LF_OK_(lf_channel_send(producer, &value, sizeof value, 0));
  size_t got_size = 0;
  LF_OK_(lf_channel_recv(consumer, &got, sizeof got, &got_size, 0));
  assert_int_equal(got, 42);
  LF_OK_(lf_channel_destroy(producer));
  LF_OK_(lf_channel_destroy(consumer));
  LF_OK_(lf_buffer_destroy(buffer));
}

/* A ring whose tail a peer set to capacity - 3: the producer that opens the buffer refuses
 * it (it once wrote the next record header past the ring), and the consumer hears the
 * producer's end is dead instead of waiting for it. */
static void a_buffer_with_impossible_ring_indices_is_refused(void **state) {
  (void)state;
  lf_buffer_t *buffer = buffer_for(LF_MEMORY_SHARED, 4096);
  lf_channel_params_t small = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY, .capacity = 4096};
  lf_channel_t *consumer = NULL, *producer = NULL;
  LF_OK_(lf_channel_create_in_buffer(g_context, buffer, &small, &consumer));
  uint8_t *ring_tail = data_of(buffer) + 4096; /* ring 0's control page starts with the tail */
  blob_put64(ring_tail, 4096 - 3);
  LF_EXPECT(LF_ERR_CORRUPT, lf_channel_open_buffer(g_context, buffer, NULL, &producer));
  LF_EXPECT_MESSAGE("impossible indices");
  assert_null(producer);
  uint8_t byte;
  size_t size = 0;
  LF_EXPECT(LF_ERR_PEER_DEAD, lf_channel_recv(consumer, &byte, 1, &size, 1000));
  LF_OK_(lf_channel_destroy(consumer));
  LF_OK_(lf_buffer_destroy(buffer));
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(threads_share_a_channel_in_host_memory),
      cmocka_unit_test(a_buffer_with_impossible_ring_indices_is_refused),
      cmocka_unit_test(another_process_produces_into_shared_memory),
      cmocka_unit_test(a_killed_producer_is_reported_after_its_messages),
      cmocka_unit_test(bad_buffers_and_regions_are_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

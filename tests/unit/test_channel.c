/* Channels inside one process: ordering and integrity across wrap-around, zero-copy and copy
 * calls mixed, full/empty/timeout edges, close, misuse, and forced scopes. */
#define _GNU_SOURCE
#include "lf_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static lf_context_t *g_context;
static int g_counter;

static const char *fresh_name(void) {
  static char name[64];
  snprintf(name, sizeof name, "test-%d-%d", (int)getpid(), ++g_counter);
  return name;
}

static lf_channel_params_t params_with(uint64_t capacity, uint64_t max_message) {
  lf_channel_params_t p = {0};
  if (capacity) {
    p.field_mask |= LF_CHANNEL_PARAM_FIELD_CAPACITY;
    p.capacity = capacity;
  }
  if (max_message) {
    p.field_mask |= LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE;
    p.max_message_size = max_message;
  }
  return p;
}

/* A consumer (created) and a producer (opened) in this process. */
static void pair(const lf_channel_params_t *params, lf_channel_t **consumer, lf_channel_t **producer) {
  const char *name = fresh_name();
  LF_OK_(lf_channel_create(g_context, name, params, consumer));
  LF_OK_(lf_channel_open(g_context, name, NULL, producer));
}

static lf_channel_info_t info_of(const lf_channel_t *channel) {
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(channel, &info));
  return info;
}

static uint32_t next_random(uint32_t *state) {
  *state = *state * 1664525u + 1013904223u;
  return *state >> 8;
}

static void threads_of_one_process_use_an_in_process_ring(void **state) {
  (void)state;
  lf_channel_t *consumer, *producer;
  pair(NULL, &consumer, &producer);
  lf_channel_info_t ci = info_of(consumer), pi = info_of(producer);
  assert_int_equal(pi.transport, LF_TRANSPORT_IN_PROCESS);
  assert_int_equal(pi.scope, LF_SCOPE_PROCESS);
  assert_int_equal(ci.transport, LF_TRANSPORT_IN_PROCESS);
  assert_int_equal(ci.role, LF_CHANNEL_CONSUMER);
  assert_int_equal(pi.role, LF_CHANNEL_PRODUCER);
  assert_int_equal(ci.producers, 1);
  assert_int_equal(ci.capacity, 1u << 20);
  assert_int_equal(ci.max_message_size, 256u << 10);
  const char *reason = NULL;
  LF_OK_(lf_channel_get_reason(producer, &reason));
  assert_non_null(strstr(reason, "in-process ring"));
  assert_string_equal(lf_transport_name(LF_TRANSPORT_SHARED_MEMORY), "shared_memory");
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

/* Messages of random sizes carrying their sequence number and size, with contents derived
 * from the sequence number, through a small ring (many wrap-arounds), sent and received with
 * the copy and zero-copy calls mixed. */
static void order_and_integrity_across_wrap_around(void **state) {
  (void)state;
  lf_channel_params_t params = params_with(4096, 1000);
  lf_channel_t *consumer, *producer;
  pair(&params, &consumer, &producer);
  uint32_t rng = 7;
  uint8_t message[1000], received[1000];
  uint32_t sent = 0, got = 0;
  const uint32_t total = 20000;
  while (got < total) {
    while (sent < total) { /* produce until full */
      uint32_t size = 8 + next_random(&rng) % 992;
      memcpy(message, &sent, 4);
      memcpy(message + 4, &size, 4);
      for (uint32_t i = 8; i < size; ++i) message[i] = (uint8_t)(sent * 31 + i);
      lf_status_t s;
      if (sent % 2) {
        s = lf_channel_send(producer, message, size, 0);
      } else {
        void *slot = NULL;
        s = lf_channel_reserve(producer, 1000, 0, &slot); /* reserve the most, commit what is used */
        if (s == LF_OK) {
          memcpy(slot, message, size);
          LF_OK_(lf_channel_commit(producer, size));
        }
      }
      if (s == LF_WOULD_BLOCK) break; /* (the size drawn for this message is redrawn: fine) */
      LF_OK_(s);
      ++sent;
    }
    for (;;) { /* consume until empty */
      size_t size = 0;
      const void *data = NULL;
      const int copy = got % 3 != 0;
      lf_status_t s = copy ? lf_channel_recv(consumer, received, sizeof received, &size, 0)
                           : lf_channel_peek(consumer, 0, &data, &size);
      if (s == LF_WOULD_BLOCK) break;
      LF_OK_(s);
      const uint8_t *bytes = copy ? received : data;
      uint32_t seq, declared;
      memcpy(&seq, bytes, 4);
      memcpy(&declared, bytes + 4, 4);
      assert_int_equal(seq, got);
      assert_int_equal(size, declared);
      for (uint32_t i = 8; i < size; ++i)
        if (bytes[i] != (uint8_t)(got * 31 + i)) fail_msg("message %u byte %u torn", got, i);
      if (!copy) LF_OK_(lf_channel_release(consumer));
      ++got;
    }
  }
  lf_channel_info_t pi = info_of(producer), ci = info_of(consumer);
  assert_int_equal(pi.messages, total);
  assert_int_equal(ci.messages, total);
  assert_int_equal(pi.bytes, ci.bytes);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

static void full_empty_and_timeouts(void **state) {
  (void)state;
  lf_channel_params_t params = params_with(4096, 512);
  lf_channel_t *consumer, *producer;
  pair(&params, &consumer, &producer);
  char buffer[512] = {0};
  size_t size = 0;
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_recv(consumer, buffer, sizeof buffer, &size, 0));
  LF_EXPECT(LF_TIMEOUT, lf_channel_recv(consumer, buffer, sizeof buffer, &size, 20));
  int sent = 0;
  while (lf_channel_send(producer, buffer, 500, 0) == LF_OK) ++sent;
  assert_int_equal(sent, 7); /* 4096 bytes hold seven 528-byte records (16-byte header + 512) */
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_send(producer, buffer, 500, 0));
  LF_EXPECT(LF_TIMEOUT, lf_channel_send(producer, buffer, 500, 20));
  int empties = 0;
  while (lf_channel_send(producer, buffer, 0, 0) == LF_OK) ++empties; /* the last 400 bytes: 16-byte records */
  assert_int_equal(empties, 25);
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_send(producer, buffer, 0, 0)); /* not even an empty record fits */
  LF_OK_(lf_channel_recv(consumer, buffer, sizeof buffer, &size, 0));
  LF_OK_(lf_channel_send(producer, buffer, 500, 0)); /* room again, at the start of the ring */

  /* too large for the channel, or for the caller's buffer */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send(producer, buffer, 513, 0));
  LF_EXPECT_MESSAGE("larger than the channel's max_message_size");
  char small[100];
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_channel_recv(consumer, small, sizeof small, &size, 0));
  assert_int_equal(size, 500);
  LF_OK_(lf_channel_recv(consumer, buffer, sizeof buffer, &size, 0)); /* it stayed queued */
  assert_int_equal(size, 500);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

typedef struct {
  lf_channel_t *channel;
  int delay_ms;
  int count;
} Sender;

static void *send_later(void *arg) {
  Sender *s = arg;
  usleep((useconds_t)s->delay_ms * 1000);
  for (int i = 0; i < s->count; ++i) lf_channel_send(s->channel, &i, sizeof i, -1);
  return NULL;
}

static void blocked_calls_wake_in_every_wait_mode(void **state) {
  (void)state;
  const int32_t modes[] = {LF_WAIT_ADAPTIVE, LF_WAIT_SPIN, LF_WAIT_SLEEP};
  for (int m = 0; m < 3; ++m) {
    lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_WAIT_MODE | LF_CHANNEL_PARAM_FIELD_SPIN_US,
                                  .wait_mode = modes[m], .spin_us = 100};
    const char *name = fresh_name();
    lf_channel_t *consumer, *producer;
    LF_OK_(lf_channel_create(g_context, name, &params, &consumer));
    LF_OK_(lf_channel_open(g_context, name, &params, &producer));
    Sender sender = {producer, 60, 3};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, send_later, &sender), 0);
    for (int i = 0; i < 3; ++i) {
      int value = -1;
      size_t size = 0;
      LF_OK_(lf_channel_recv(consumer, &value, sizeof value, &size, 5000));
      assert_int_equal(value, i);
    }
    pthread_join(thread, NULL);
    lf_channel_info_t ci = info_of(consumer), pi = info_of(producer);
    if (modes[m] == LF_WAIT_SLEEP) {
      assert_true(ci.sleeps >= 1); /* it slept, and was woken by the producer */
      assert_true(pi.wakes >= 1);
    }
    if (modes[m] == LF_WAIT_SPIN) assert_int_equal(ci.sleeps, 0);
    lf_channel_destroy(producer);
    lf_channel_destroy(consumer);
  }
}

/* Lost wake-ups. Every exchange below makes one side go to sleep just as the other publishes:
 * if the Dekker handshake (seq_cst, or the heavy fence; the _seq_cst variant of this test runs
 * with LAVAFLOW_HEAVY_FENCES=0) ever let both miss each other, a call would wait until its
 * timeout and the test would fail, instead of taking microseconds. */
typedef struct {
  lf_channel_t *in, *out;
  uint32_t rounds;
  int failed;
} Echo;

static void *echo_back(void *arg) {
  Echo *e = arg;
  for (uint32_t i = 0; i < e->rounds; ++i) {
    uint32_t value = 0;
    size_t size = 0;
    if (lf_channel_recv(e->in, &value, sizeof value, &size, 2000) != LF_OK ||
        lf_channel_send(e->out, &value, sizeof value, 2000) != LF_OK) {
      e->failed = 1;
      return NULL;
    }
  }
  return NULL;
}

static void sleepers_are_always_woken(void **state) {
  (void)state;
  const int32_t modes[] = {LF_WAIT_SLEEP, LF_WAIT_ADAPTIVE};
  for (int m = 0; m < 2; ++m) {
    /* adaptive with a 1 µs spin: it falls asleep on nearly every wait, as late as possible */
    lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_WAIT_MODE | LF_CHANNEL_PARAM_FIELD_SPIN_US,
                                  .wait_mode = modes[m], .spin_us = 1};
    lf_channel_t *ping_consumer, *ping_producer, *pong_consumer, *pong_producer;
    pair(&params, &ping_consumer, &ping_producer);
    pair(&params, &pong_consumer, &pong_producer);
    Echo echo = {ping_consumer, pong_producer, lf_test_scaled(20000), 0};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, echo_back, &echo), 0);
    for (uint32_t i = 0; i < echo.rounds; ++i) {
      uint32_t value = 0;
      size_t size = 0;
      LF_OK_(lf_channel_send(ping_producer, &i, sizeof i, 2000));
      LF_OK_(lf_channel_recv(pong_consumer, &value, sizeof value, &size, 2000));
      assert_int_equal(value, i);
    }
    pthread_join(thread, NULL);
    assert_false(echo.failed);
    lf_channel_info_t info = info_of(pong_consumer);
    assert_true(info.sleeps > 0); /* the test did exercise the sleeping path */
    lf_channel_destroy(ping_consumer);
    lf_channel_destroy(ping_producer);
    lf_channel_destroy(pong_consumer);
    lf_channel_destroy(pong_producer);
  }
}

typedef struct {
  lf_channel_t *channel;
  uint32_t count;
  int failed;
} Stream;

static void *stream_out(void *arg) {
  Stream *s = arg;
  char message[500];
  for (uint32_t i = 0; i < s->count; ++i) {
    memset(message, (int)(i & 0xff), sizeof message);
    memcpy(message, &i, sizeof i);
    if (lf_channel_send(s->channel, message, sizeof message, 10000) != LF_OK) {
      s->failed = 1;
      return NULL;
    }
  }
  return NULL;
}

static void busy_for_ns(long ns) {
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do clock_gettime(CLOCK_MONOTONIC, &now);
  while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < ns);
}

static void a_producer_blocked_on_a_full_ring_is_always_woken(void **state) {
  (void)state;
  /* 4 KiB holds seven 500-byte messages: the producer fills it and sleeps over and over */
  lf_channel_params_t params = params_with(4096, 512);
  params.field_mask |= LF_CHANNEL_PARAM_FIELD_WAIT_MODE;
  params.wait_mode = LF_WAIT_SLEEP;
  lf_channel_t *consumer, *producer;
  pair(&params, &consumer, &producer);
  Stream stream = {producer, lf_test_scaled(50000), 0};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, stream_out, &stream), 0);
  char message[512];
  for (uint32_t i = 0; i < stream.count; ++i) {
    size_t size = 0;
    if (i % 1000 == 0) {
      /* Now and then, give the producer time to fill the ring and fall asleep on it: the test
       * then exercises that path however the scheduler treats the two threads (a sanitizer may
       * make the producer the slower one). It must wake up below, or the stream stalls. (It
       * may be asleep already, so that the count does not move: hence the bound, far below
       * the producer's timeout.) */
      const uint64_t before = info_of(producer).sleeps;
      for (int waited_ms = 0; info_of(producer).sleeps == before && waited_ms < 100; ++waited_ms) usleep(1000);
    }
    LF_OK_(lf_channel_recv(consumer, message, sizeof message, &size, 2000));
    assert_int_equal(size, 500);
    uint32_t value;
    memcpy(&value, message, sizeof value);
    assert_int_equal(value, i);
    assert_int_equal((unsigned char)message[499], i & 0xff);
    busy_for_ns(2000); /* slower than the producer: it keeps finding the ring full */
  }
  pthread_join(thread, NULL);
  assert_false(stream.failed);
  assert_true(info_of(producer).sleeps > 0);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

static void *drain_later(void *arg) {
  Sender *s = arg;
  usleep((useconds_t)s->delay_ms * 1000);
  char buffer[512];
  size_t size;
  for (int i = 0; i < s->count; ++i) lf_channel_recv(s->channel, buffer, sizeof buffer, &size, -1);
  return NULL;
}

static void a_full_ring_blocks_the_producer_until_there_is_room(void **state) {
  (void)state;
  lf_channel_params_t params = params_with(4096, 512);
  lf_channel_t *consumer, *producer;
  pair(&params, &consumer, &producer);
  char buffer[500] = {0};
  int sent = 0;
  while (lf_channel_send(producer, buffer, sizeof buffer, 0) == LF_OK) ++sent;
  Sender drainer = {consumer, 50, sent + 1};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, drain_later, &drainer), 0);
  LF_OK_(lf_channel_send(producer, buffer, sizeof buffer, 5000)); /* waits for the drainer */
  pthread_join(thread, NULL);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

static void closing_either_end(void **state) {
  (void)state;
  lf_channel_t *consumer, *producer;
  pair(NULL, &consumer, &producer);
  int value = 42;
  size_t size;
  LF_OK_(lf_channel_send(producer, &value, sizeof value, 0));
  LF_OK_(lf_channel_close(producer));
  LF_OK_(lf_channel_close(producer)); /* idempotent */
  LF_EXPECT(LF_ERR_CLOSED, lf_channel_send(producer, &value, sizeof value, 0));
  value = 0;
  LF_OK_(lf_channel_recv(consumer, &value, sizeof value, &size, 0)); /* drained first */
  assert_int_equal(value, 42);
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(consumer, &value, sizeof value, &size, 0));
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(consumer, &value, sizeof value, &size, -1)); /* does not block */
  assert_true(info_of(consumer).flags & LF_CHANNEL_PEER_CLOSED);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);

  pair(NULL, &consumer, &producer);
  LF_OK_(lf_channel_close(consumer));
  LF_EXPECT(LF_ERR_CLOSED, lf_channel_send(producer, &value, sizeof value, -1));
  LF_EXPECT_MESSAGE("the consumer closed the channel");
  assert_true(info_of(producer).flags & LF_CHANNEL_PEER_CLOSED);
  lf_channel_destroy(consumer); /* destruction order does not matter */
  lf_channel_destroy(producer);
}

static void misuse_is_refused(void **state) {
  (void)state;
  lf_channel_t *consumer, *producer;
  pair(NULL, &consumer, &producer);
  void *slot = NULL;
  const void *data = NULL;
  size_t size = 0;
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_commit(producer, 0));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_abort(producer));
  LF_OK_(lf_channel_reserve(producer, 16, 0, &slot));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_reserve(producer, 16, 0, &slot));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_commit(producer, 17));
  LF_OK_(lf_channel_abort(producer));
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_peek(consumer, 0, &data, &size)); /* aborted: nothing sent */
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_reserve(consumer, 16, 0, &slot));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_peek(producer, 0, &data, &size));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_release(consumer));
  LF_OK_(lf_channel_send(producer, "x", 1, 0));
  LF_OK_(lf_channel_peek(consumer, 0, &data, &size));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_peek(consumer, 0, &data, &size));
  LF_OK_(lf_channel_release(consumer));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_reserve(producer, 16, 0, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send(producer, NULL, 4, 0));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_recv(consumer, NULL, 4, &size, 0));
  lf_channel_destroy(producer);
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_channel_send(producer, "x", 1, 0));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_channel_destroy(producer));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_channel_send((lf_channel_t *)g_context, "x", 1, 0));
  lf_channel_destroy(consumer);
}

static void bad_parameters_and_names(void **state) {
  (void)state;
  lf_channel_t *channel = NULL;
  lf_channel_params_t p = params_with(5000, 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, fresh_name(), &p, &channel));
  LF_EXPECT_MESSAGE("not a power of two");
  p = params_with(4096, 4096);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, fresh_name(), &p, &channel));
  LF_EXPECT_MESSAGE("exceeds");
  p = (lf_channel_params_t){.field_mask = LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS, .max_producers = 65};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, fresh_name(), &p, &channel));
  p = (lf_channel_params_t){.field_mask = LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS | LF_CHANNEL_PARAM_FIELD_ROLE,
                            .max_producers = 2, .role = LF_CHANNEL_PRODUCER};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, fresh_name(), &p, &channel));
  LF_EXPECT_MESSAGE("created by its consumer");
  p = (lf_channel_params_t){.field_mask = 1u << 20};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, fresh_name(), &p, &channel));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, "../escape", NULL, &channel));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_create(g_context, NULL, NULL, &channel));
  assert_null(channel);

  const char *name = fresh_name();
  lf_channel_t *consumer, *producer, *other = NULL;
  LF_OK_(lf_channel_create(g_context, name, NULL, &consumer));
  LF_EXPECT(LF_ERR_EXISTS, lf_channel_create(g_context, name, NULL, &other));
  LF_OK_(lf_channel_open(g_context, name, NULL, &producer));
  LF_EXPECT(LF_ERR_BUSY, lf_channel_open(g_context, name, NULL, &other)); /* single producer */
  lf_channel_params_t as_consumer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_CONSUMER};
  LF_EXPECT(LF_ERR_BUSY, lf_channel_open(g_context, name, &as_consumer, &other));
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
  /* the name is free again */
  LF_OK_(lf_channel_create(g_context, name, NULL, &consumer));
  lf_channel_destroy(consumer);

  LF_EXPECT(LF_ERR_NOT_FOUND, lf_channel_open(g_context, "nobody-made-this", NULL, &other));
  LF_EXPECT_MESSAGE("no channel named 'nobody-made-this'");
  lf_channel_params_t wait = {.field_mask = LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT, .connect_timeout_ms = 30};
  LF_EXPECT(LF_TIMEOUT, lf_channel_open(g_context, "nobody-made-this", &wait, &other));
}

static void a_producer_can_create_and_a_consumer_open(void **state) {
  (void)state;
  const char *name = fresh_name();
  lf_channel_params_t as_producer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_PRODUCER};
  lf_channel_params_t as_consumer = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_CONSUMER};
  lf_channel_t *producer, *consumer;
  LF_OK_(lf_channel_create(g_context, name, &as_producer, &producer));
  LF_OK_(lf_channel_send(producer, "early", 6, 0)); /* before anyone listens: queued */
  LF_OK_(lf_channel_open(g_context, name, &as_consumer, &consumer));
  char buffer[8];
  size_t size;
  LF_OK_(lf_channel_recv(consumer, buffer, sizeof buffer, &size, 0));
  assert_string_equal(buffer, "early");
  lf_channel_destroy(producer);
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(consumer, buffer, sizeof buffer, &size, 0));
  lf_channel_destroy(consumer);
}

static lf_context_t *context_forcing(int32_t level) {
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE | LF_CONTEXT_PARAM_FIELD_FLAGS,
                                .scope_override = level, .flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT};
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  return context;
}

static void forced_scopes_pick_other_transports(void **state) {
  (void)state;
  /* forced to "host": the same process talks through the shared-memory transport */
  lf_context_t *host = context_forcing(LF_SCOPE_HOST);
  const char *name = fresh_name();
  lf_channel_t *consumer, *producer;
  LF_OK_(lf_channel_create(host, name, NULL, &consumer));
  LF_OK_(lf_channel_open(host, name, NULL, &producer));
  assert_int_equal(info_of(producer).transport, LF_TRANSPORT_SHARED_MEMORY);
  assert_int_equal(info_of(producer).scope, LF_SCOPE_HOST);
  LF_OK_(lf_channel_send(producer, "via memfd", 10, 0));
  char buffer[16];
  size_t size;
  LF_OK_(lf_channel_recv(consumer, buffer, sizeof buffer, &size, 1000));
  assert_string_equal(buffer, "via memfd");
  lf_channel_info_t ci = info_of(consumer);
  assert_int_equal(ci.transport, LF_TRANSPORT_SHARED_MEMORY); /* learned from its peer */
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);

  /* forced to "remote": no transport for that in this release, and the reason says so */
  lf_context_t *remote = context_forcing(LF_SCOPE_REMOTE);
  name = fresh_name();
  LF_OK_(lf_channel_create(remote, name, NULL, &consumer));
  lf_channel_t *refused = NULL;
  LF_EXPECT(LF_ERR_UNSUPPORTED, lf_channel_open(remote, name, NULL, &refused));
  LF_EXPECT_MESSAGE("MPI transport");
  assert_null(refused);
  lf_channel_destroy(consumer);
  lf_context_destroy(host);
  lf_context_destroy(remote);
}

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context("system");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(threads_of_one_process_use_an_in_process_ring),
      cmocka_unit_test(order_and_integrity_across_wrap_around),
      cmocka_unit_test(full_empty_and_timeouts),
      cmocka_unit_test(blocked_calls_wake_in_every_wait_mode),
      cmocka_unit_test(sleepers_are_always_woken),
      cmocka_unit_test(a_producer_blocked_on_a_full_ring_is_always_woken),
      cmocka_unit_test(a_full_ring_blocks_the_producer_until_there_is_room),
      cmocka_unit_test(closing_either_end),
      cmocka_unit_test(misuse_is_refused),
      cmocka_unit_test(bad_parameters_and_names),
      cmocka_unit_test(a_producer_can_create_and_a_consumer_open),
      cmocka_unit_test(forced_scopes_pick_other_transports),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* The channel hot path — send, recv, reserve/commit, peek/release, and buffer messages once
 * the buffer was announced, when no one has to wait — allocates nothing (counted) and makes no
 * system call (run under seccomp strict mode, where any system call but read, write, exit and
 * sigreturn kills the process). Both transports. */
#define _GNU_SOURCE
#include "alloc_counter.h"
#include "syscall_free.h"
#include "lf_test.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static lf_channel_t *g_consumer, *g_producer;
static lf_context_t *g_context;
static lf_buffer_t *g_buffer; /* shared memory, referred to by buffer messages */

/* Sends and receives `rounds` messages with both kinds of calls; returns a checksum. */
static uint32_t exchange(int rounds) {
  uint32_t sum = 0;
  uint8_t message[256], received[256];
  for (int r = 0; r < rounds; ++r) {
    memset(message, r & 0xff, sizeof message);
    size_t size = 0;
    if (lf_channel_send(g_producer, message, 64 + (size_t)(r % 128), 0) != LF_OK) return 0;
    if (lf_channel_recv(g_consumer, received, sizeof received, &size, 0) != LF_OK) return 0;
    void *slot = NULL;
    if (lf_channel_reserve(g_producer, 200, 0, &slot) != LF_OK) return 0;
    memcpy(slot, message, 100);
    if (lf_channel_commit(g_producer, 100) != LF_OK) return 0;
    const void *data = NULL;
    if (lf_channel_peek(g_consumer, 0, &data, &size) != LF_OK) return 0;
    sum += ((const uint8_t *)data)[size - 1] + (uint32_t)size;
    if (lf_channel_release(g_consumer) != LF_OK) return 0;
    const uint32_t tag = (uint32_t)r;
    if (lf_channel_send_buffer(g_producer, g_buffer, (uint64_t)(r % 100), 64, &tag, sizeof tag, 0) != LF_OK) return 0;
    lf_buffer_t *buffer = NULL;
    uint64_t offset = 0, length = 0;
    uint32_t got = 0;
    if (lf_channel_recv_buffer(g_consumer, &buffer, &offset, &length, &got, sizeof got, &size, 0) != LF_OK) return 0;
    if (buffer == NULL || got != tag || length != 64) return 0;
    sum += (uint32_t)offset;
  }
  return sum;
}

static void connect_pair(int32_t forced_scope) {
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS, .flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT};
  if (forced_scope) {
    params.field_mask |= LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE;
    params.scope_override = forced_scope;
  }
  LF_OK_(lf_context_create(&params, &g_context));
  char name[64];
  snprintf(name, sizeof name, "hot-path-%d-%d", (int)getpid(), forced_scope);
  LF_OK_(lf_channel_create(g_context, name, NULL, &g_consumer));
  LF_OK_(lf_channel_open(g_context, name, NULL, &g_producer));
  lf_buffer_params_t shared = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  LF_OK_(lf_buffer_create(g_context, 4096, &shared, &g_buffer));
}

static void disconnect_pair(void) {
  lf_buffer_destroy(g_buffer); /* (the producer's pin keeps it alive until its end goes) */
  lf_channel_destroy(g_producer);
  lf_channel_destroy(g_consumer);
  lf_context_destroy(g_context);
}

static void no_allocation_per_message(int32_t forced_scope, int32_t expected_transport) {
  connect_pair(forced_scope);
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(g_producer, &info));
  assert_int_equal(info.transport, expected_transport);
  assert_true(exchange(100) != 0); /* warm up: this also announces the buffer */
  unsigned long before = lf_test_allocations();
  uint32_t sum = exchange(10000);
  unsigned long after = lf_test_allocations();
  assert_true(sum != 0);
  assert_int_equal(after - before, 0);
  disconnect_pair();
}

static uint32_t exchange_loop(void *arg) {
  (void)arg;
  return exchange(1000);
}

static void no_system_call_per_message(int32_t forced_scope) {
  connect_pair(forced_scope);
  uint32_t expected = exchange(1000);
  assert_int_equal(lf_test_syscall_free(exchange_loop, NULL, "the message loop"), expected);
  disconnect_pair();
}

static void in_process_ring(void **state) {
  (void)state;
  no_allocation_per_message(0, LF_TRANSPORT_IN_PROCESS);
  no_system_call_per_message(0);
}

static void shared_memory_ring(void **state) {
  (void)state;
  no_allocation_per_message(LF_SCOPE_HOST, LF_TRANSPORT_SHARED_MEMORY);
  no_system_call_per_message(LF_SCOPE_HOST);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(in_process_ring),
      cmocka_unit_test(shared_memory_ring),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

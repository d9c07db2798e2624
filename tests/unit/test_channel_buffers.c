/* Buffer references in channel messages: shared memory handed to a thread and to another
 * process (written and read on both sides, imported once, dropped when forgotten), and every
 * misuse refused with a clear status while the messages stay queued. (Device memory: see
 * test_memory_vulkan.c.) */
#define _GNU_SOURCE
#include "buffer_echo.h"
#include "lf_test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static lf_context_t *g_context;
static int g_counter;

static lf_buffer_t *shared_buffer(size_t size) {
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(g_context, size, &params, &buffer));
  return buffer;
}

/* A consumer (created) and a producer (opened) in this process. */
static void pair(lf_channel_t **consumer, lf_channel_t **producer) {
  char name[64];
  snprintf(name, sizeof name, "buffers-%d-%d", (int)getpid(), ++g_counter);
  LF_OK_(lf_channel_create(g_context, name, NULL, consumer));
  LF_OK_(lf_channel_open(g_context, name, NULL, producer));
}

static void shared_buffers_cross_to_another_process(void **state) {
  (void)state;
  lf_buffer_t *buffers[3] = {shared_buffer(65536), shared_buffer(65536), shared_buffer(1 << 20)};
  buffer_echo_with_helper(g_context, buffers, 3, lf_test_scaled(60));
  for (int i = 0; i < 3; ++i) LF_OK_(lf_buffer_destroy(buffers[i]));
}

static void shared_buffers_cross_to_another_thread(void **state) {
  (void)state;
  lf_buffer_t *buffers[2] = {shared_buffer(65536), shared_buffer(8192)};
  buffer_echo_with_thread(g_context, buffers, 2, lf_test_scaled(60));
  for (int i = 0; i < 2; ++i) LF_OK_(lf_buffer_destroy(buffers[i]));
}

static void the_receiver_imports_each_buffer_once(void **state) {
  (void)state;
  lf_channel_t *consumer, *producer;
  pair(&consumer, &producer);
  lf_buffer_t *buffer = shared_buffer(4096);
  lf_buffer_t *first = NULL;
  for (uint32_t i = 0; i < 5; ++i) {
    LF_OK_(lf_channel_send_buffer(producer, buffer, i, 10, &i, sizeof i, 0));
    lf_buffer_t *got = NULL;
    uint64_t offset = 99, length = 99;
    uint32_t tag = 99;
    size_t size = 0;
    LF_OK_(lf_channel_recv_buffer(consumer, &got, &offset, &length, &tag, sizeof tag, &size, 0));
    assert_int_equal(tag, i);
    assert_int_equal(offset, i);
    assert_int_equal(length, 10);
    if (first == NULL) first = got;
    assert_ptr_equal(got, first); /* one import, handed out again */
  }
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(first, &info));
  assert_int_equal(info.kind, LF_MEMORY_SHARED);
  assert_true(info.flags & LF_BUFFER_IMPORTED);
  assert_int_equal(info.size, 4096);
  /* the user's destroy of the producer's handle does not unpin it */
  LF_OK_(lf_buffer_destroy(buffer));
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
  /* the consumer's end owned the import: gone with it */
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_get_info(first, &info));
}

static void misuse_is_refused_and_nothing_is_lost(void **state) {
  (void)state;
  lf_channel_t *consumer, *producer;
  pair(&consumer, &producer);
  lf_buffer_t *buffer = shared_buffer(4096);
  lf_buffer_t *private_memory = NULL;
  LF_OK_(lf_buffer_create(g_context, 4096, NULL, &private_memory));
  const char inline_data[] = "frame 7";

  LF_EXPECT(LF_ERR_UNSUPPORTED, lf_channel_send_buffer(producer, private_memory, 0, 16, NULL, 0, 0));
  lf_test_expect_message("shared or device memory", __FILE__, __LINE__);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send_buffer(producer, buffer, 4000, 100, NULL, 0, 0));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send_buffer(producer, buffer, 0, 1, inline_data, 300u << 10, 0));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_channel_send_buffer(producer, buffer, 0, 1, NULL, 5, 0));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_send_buffer(consumer, buffer, 0, 1, NULL, 0, 0));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_channel_send_buffer(producer, (lf_buffer_t *)consumer, 0, 1, NULL, 0, 0));
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_channel_forget_buffer(producer, buffer, 0));

  /* a buffer message, then a plain one */
  LF_OK_(lf_channel_send_buffer(producer, buffer, 8, 16, inline_data, sizeof inline_data, 0));
  LF_OK_(lf_channel_send(producer, "plain", 5, 0));

  char text[64];
  size_t size = 0;
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_recv(consumer, text, sizeof text, &size, 0));
  lf_test_expect_message("lf_channel_recv_buffer", __FILE__, __LINE__);
  lf_buffer_t *got = NULL;
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_peeked_buffer(consumer, &got, NULL, NULL)); /* nothing peeked */
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_channel_recv_buffer(consumer, &got, NULL, NULL, text, 3, &size, 0));
  assert_int_equal(size, sizeof inline_data);
  /* still first in line: peek sees the inline data, peeked_buffer the reference */
  const void *data = NULL;
  LF_OK_(lf_channel_peek(consumer, 0, &data, &size));
  assert_int_equal(size, sizeof inline_data);
  assert_string_equal((const char *)data, inline_data);
  uint64_t offset = 0, length = 0;
  LF_OK_(lf_channel_peeked_buffer(consumer, &got, &offset, &length));
  assert_non_null(got);
  assert_int_equal(offset, 8);
  assert_int_equal(length, 16);
  LF_OK_(lf_channel_release(consumer));

  /* the plain message: no buffer; recv_buffer takes it all the same */
  LF_OK_(lf_channel_peek(consumer, 0, &data, &size));
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_channel_peeked_buffer(consumer, &got, &offset, &length));
  LF_OK_(lf_channel_release(consumer));
  LF_OK_(lf_channel_send(producer, "plain", 5, 0));
  got = (lf_buffer_t *)1;
  LF_OK_(lf_channel_recv_buffer(consumer, &got, &offset, &length, text, sizeof text, &size, 0));
  assert_null(got);
  assert_int_equal(offset, 0);
  assert_int_equal(size, 5);
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_recv_buffer(consumer, &got, NULL, NULL, text, sizeof text, &size, 0));

  lf_buffer_destroy(private_memory);
  lf_buffer_destroy(buffer);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

static void at_most_256_buffers_are_pinned(void **state) {
  (void)state;
  lf_channel_t *consumer, *producer;
  pair(&consumer, &producer);
  enum { N = 257 };
  static lf_buffer_t *buffers[N];
  for (int i = 0; i < N; ++i) buffers[i] = shared_buffer(4096);
  for (uint32_t i = 0; i < N - 1; ++i) LF_OK_(lf_channel_send_buffer(producer, buffers[i], 0, 4096, &i, sizeof i, 0));
  uint32_t last = N - 1;
  LF_EXPECT(LF_ERR_LIMIT, lf_channel_send_buffer(producer, buffers[N - 1], 0, 4096, &last, sizeof last, 0));
  lf_test_expect_message("lf_channel_forget_buffer", __FILE__, __LINE__);
  LF_OK_(lf_channel_forget_buffer(producer, buffers[0], 0));
  LF_OK_(lf_channel_send_buffer(producer, buffers[N - 1], 0, 4096, &last, sizeof last, 0));
  /* the consumer receives all of them, each with its own buffer, in order */
  lf_buffer_t *seen[N] = {0};
  for (uint32_t i = 0; i < N; ++i) {
    lf_buffer_t *got = NULL;
    uint32_t tag = 0;
    size_t size = 0;
    LF_OK_(lf_channel_recv_buffer(consumer, &got, NULL, NULL, &tag, sizeof tag, &size, 0));
    assert_int_equal(tag, i);
    for (uint32_t j = 1; j < i; ++j) assert_ptr_not_equal(seen[j], got);
    seen[i] = got;
  }
  /* buffer 0 was forgotten before message 256 was received: its import is gone */
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_get_info(seen[0], &info));
  LF_OK_(lf_buffer_get_info(seen[1], &info));
  for (int i = 0; i < N; ++i) lf_buffer_destroy(buffers[i]);
  lf_channel_destroy(producer);
  lf_channel_destroy(consumer);
}

static int setup(void **state) {
  (void)state;
  lf_test_reset_environment();
  return lf_context_create(NULL, &g_context) == LF_OK ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  lf_context_destroy(g_context);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(shared_buffers_cross_to_another_process),
      cmocka_unit_test(shared_buffers_cross_to_another_thread),
      cmocka_unit_test(the_receiver_imports_each_buffer_once),
      cmocka_unit_test(misuse_is_refused_and_nothing_is_lost),
      cmocka_unit_test(at_most_256_buffers_are_pinned),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

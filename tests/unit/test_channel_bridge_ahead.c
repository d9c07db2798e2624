/* Several messages open at once on a bridge's add-on end (extension.h): peeked ahead and
 * released in order, or reserved ahead and committed in order, across the ring's wrap (a
 * small ring, messages of every size), with the user's end seeing exactly the released room
 * and the committed messages; misuse is refused. */
#include "lf_test.h"

#define LF_ADDON_INTERFACE /* the tests act as an add-on */
#include <lavaflow/extension.h>

#include <string.h>

#define RING 4096
#define MAX_MESSAGE 700

static uint32_t next_random(uint32_t *x) {
  *x ^= *x << 13, *x ^= *x >> 17, *x ^= *x << 5;
  return *x;
}

/* Message `n`: its size and its bytes. */
static size_t message_size(uint32_t n) {
  uint32_t x = n * 2654435761u + 1;
  return next_random(&x) % (MAX_MESSAGE + 1);
}
static void fill_message(uint32_t n, uint8_t *out, size_t size) {
  for (size_t i = 0; i < size; ++i) out[i] = (uint8_t)(n * 31 + i * 7);
}
static void expect_message(uint32_t n, const void *data, size_t size) {
  assert_int_equal(size, message_size(n));
  uint8_t expected[MAX_MESSAGE];
  fill_message(n, expected, size);
  assert_memory_equal(data, expected, size);
}

static void make_bridge(lf_context_t *context, int32_t user_role, lf_channel_t **user, lf_channel_t **addon) {
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                              .capacity = RING, .max_message_size = MAX_MESSAGE};
  lf_bridge_params_t params = {.field_mask = LF_BRIDGE_PARAM_FIELD_USER_ROLE, .user_role = user_role};
  LF_OK_(lf_bridge_create(context, &ring, &params, user, addon));
}

static void test_peek_ahead_releases_in_order(void **state) {
  lf_channel_t *user = NULL, *addon = NULL;
  make_bridge(*state, LF_CHANNEL_PRODUCER, &user, &addon);
  const uint32_t total = lf_test_scaled(20000);
  uint32_t sent = 0, peeked = 0, released = 0, x = 7, most_open = 0;
  const void *open_data[64];
  size_t open_size[64];
  while (released < total) {
    /* The user fills what room was released. */
    uint8_t bytes[MAX_MESSAGE];
    while (sent < total) {
      fill_message(sent, bytes, message_size(sent));
      const lf_status_t status = lf_channel_send(user, bytes, message_size(sent), 0);
      if (status == LF_WOULD_BLOCK) break;
      LF_OK_(status);
      ++sent;
    }
    /* The add-on peeks ahead some or all of what is there, then releases some. */
    const uint32_t want = 1 + next_random(&x) % 8;
    for (uint32_t k = 0; k < want && peeked - released < 64; ++k) {
      const void *data = NULL;
      size_t size = 0;
      const lf_status_t status = lf_bridge_peek_ahead(addon, &data, &size);
      if (peeked == sent) {
        LF_EXPECT(LF_WOULD_BLOCK, status);
        break;
      }
      LF_OK_(status);
      expect_message(peeked, data, size);
      open_data[peeked % 64] = data;
      open_size[peeked % 64] = size;
      ++peeked;
    }
    if (peeked - released > most_open) most_open = peeked - released;
    uint32_t release = next_random(&x) % (peeked - released + 1);
    if (sent == total || peeked - released == 64) release = peeked - released;  /* (never stall) */
    for (uint32_t k = 0; k < release; ++k) {
      /* Still intact while open, though the user wrote after it. */
      expect_message(released, open_data[released % 64], open_size[released % 64]);
      LF_OK_(lf_bridge_release_oldest(addon));
      ++released;
    }
  }
  assert_true(most_open >= 8); /* several were open at once */
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_release_oldest(addon));

  /* At most 64 open. */
  for (uint32_t i = 0; i < 65; ++i) LF_OK_(lf_channel_send(user, &i, 1, 0));
  for (uint32_t i = 0; i < 64; ++i) LF_OK_(lf_bridge_peek_ahead(addon, &open_data[0], &open_size[0]));
  LF_EXPECT(LF_ERR_LIMIT, lf_bridge_peek_ahead(addon, &open_data[0], &open_size[0]));
  for (uint32_t i = 0; i < 64; ++i) LF_OK_(lf_bridge_release_oldest(addon));
  LF_OK_(lf_bridge_peek_ahead(addon, &open_data[0], &open_size[0]));
  assert_int_equal(*(const uint8_t *)open_data[0], 64);
  LF_OK_(lf_bridge_release_oldest(addon));

  /* Closed: what is left is handed out, then the end of the stream, not before. */
  LF_OK_(lf_channel_send(user, "ab", 2, 0));
  LF_OK_(lf_channel_send(user, "cde", 3, 0));
  LF_OK_(lf_channel_close(user));
  const void *data = NULL;
  size_t size = 0;
  LF_OK_(lf_bridge_peek_ahead(addon, &data, &size));
  assert_int_equal(size, 2);
  LF_OK_(lf_bridge_peek_ahead(addon, &data, &size));
  assert_memory_equal(data, "cde", 3);
  LF_EXPECT(LF_WOULD_BLOCK, lf_bridge_peek_ahead(addon, &data, &size)); /* two still open */
  LF_OK_(lf_bridge_release_oldest(addon));
  LF_OK_(lf_bridge_release_oldest(addon));
  LF_EXPECT(LF_END_OF_STREAM, lf_bridge_peek_ahead(addon, &data, &size));

  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(addon, &info));
  assert_int_equal(info.messages, total + 65 + 2);
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));
}

static void test_reserve_ahead_commits_in_order(void **state) {
  lf_channel_t *user = NULL, *addon = NULL;
  make_bridge(*state, LF_CHANNEL_CONSUMER, &user, &addon);
  const uint32_t total = lf_test_scaled(20000);
  uint32_t reserved = 0, committed = 0, received = 0, x = 11, most_open = 0;
  void *open_room[64];
  while (received < total) {
    /* Reserve ahead what fits, and write the messages newest first. */
    const uint32_t want = 1 + next_random(&x) % 8;
    uint32_t first_new = reserved;
    for (uint32_t k = 0; k < want && reserved < total; ++k) {
      void *room = NULL;
      const lf_status_t status = lf_bridge_reserve_ahead(addon, message_size(reserved), &room);
      if (status == LF_WOULD_BLOCK || status == LF_ERR_LIMIT) break;
      LF_OK_(status);
      open_room[reserved % 64] = room;
      ++reserved;
    }
    for (uint32_t n = reserved; n-- > first_new;) fill_message(n, open_room[n % 64], message_size(n));
    if (reserved - committed > most_open) most_open = reserved - committed;
    /* Commit some of the oldest: the user sees exactly those. */
    uint32_t commit = next_random(&x) % (reserved - committed + 1);
    if (reserved == total || commit == 0) commit = reserved - committed; /* (never stall) */
    for (uint32_t k = 0; k < commit; ++k, ++committed) LF_OK_(lf_bridge_commit_oldest(addon));
    for (;;) {
      uint8_t bytes[MAX_MESSAGE];
      size_t size = 0;
      const lf_status_t status = lf_channel_recv(user, bytes, sizeof bytes, &size, 0);
      if (received == committed) {
        LF_EXPECT(LF_WOULD_BLOCK, status);
        break;
      }
      LF_OK_(status);
      expect_message(received++, bytes, size);
    }
  }
  assert_true(most_open >= 4);
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_commit_oldest(addon));

  /* lf_channel_abort() drops every reservation made ahead; the room is reserved again. */
  void *room = NULL;
  LF_OK_(lf_bridge_reserve_ahead(addon, 5, &room));
  memcpy(room, "lost!", 5);
  LF_OK_(lf_bridge_reserve_ahead(addon, 3, &room));
  LF_OK_(lf_channel_abort(addon));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_commit_oldest(addon));
  LF_OK_(lf_bridge_reserve_ahead(addon, 4, &room));
  memcpy(room, "kept", 4);
  LF_OK_(lf_bridge_commit_oldest(addon));
  char bytes[8];
  size_t size = 0;
  LF_OK_(lf_channel_recv(user, bytes, sizeof bytes, &size, 0));
  assert_int_equal(size, 4);
  assert_memory_equal(bytes, "kept", 4);

  /* At most 64 open; a full ring says so without waiting. */
  for (int i = 0; i < 64; ++i) LF_OK_(lf_bridge_reserve_ahead(addon, 0, &room));
  LF_EXPECT(LF_ERR_LIMIT, lf_bridge_reserve_ahead(addon, 0, &room));
  LF_OK_(lf_channel_abort(addon));
  int fitted = 0;
  lf_status_t status;
  while ((status = lf_bridge_reserve_ahead(addon, MAX_MESSAGE, &room)) == LF_OK) ++fitted;
  LF_EXPECT(LF_WOULD_BLOCK, status);
  assert_true(fitted >= 1 && fitted <= RING / MAX_MESSAGE);
  LF_OK_(lf_channel_abort(addon));

  /* The user closed: reserving says so. */
  LF_OK_(lf_channel_close(user));
  LF_EXPECT(LF_ERR_CLOSED, lf_bridge_reserve_ahead(addon, 1, &room));
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));
}

static void test_misuse_is_refused(void **state) {
  lf_channel_t *user = NULL, *addon = NULL;
  make_bridge(*state, LF_CHANNEL_PRODUCER, &user, &addon);
  const void *data = NULL;
  size_t size = 0;
  void *room = NULL;
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_peek_ahead(user, &data, &size)); /* the user's end */
  LF_EXPECT_MESSAGE("not the add-on's end");
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_reserve_ahead(addon, 1, &room)); /* a consumer end */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_peek_ahead(addon, NULL, &size));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_peek_ahead(addon, &data, NULL));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_bridge_peek_ahead(NULL, &data, &size));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_bridge_release_oldest(NULL));
  LF_EXPECT(LF_WOULD_BLOCK, lf_bridge_peek_ahead(addon, &data, &size));

  /* Not mixed with lf_channel_peek() on the same end. */
  LF_OK_(lf_channel_send(user, "one", 3, 0));
  LF_OK_(lf_channel_send(user, "two", 3, 0));
  LF_OK_(lf_channel_peek(addon, 0, &data, &size));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_peek_ahead(addon, &data, &size));
  LF_OK_(lf_channel_release(addon));
  LF_OK_(lf_bridge_peek_ahead(addon, &data, &size));
  assert_memory_equal(data, "two", 3);
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_peek(addon, 0, &data, &size));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_release(addon));
  LF_OK_(lf_bridge_release_oldest(addon));

  /* Buffer references cannot cross a bridge: refused at once, not a wait for a socket. */
  lf_buffer_t *buffer = NULL;
  lf_buffer_params_t buffer_params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  LF_OK_(lf_buffer_create(*state, 4096, &buffer_params, &buffer));
  LF_EXPECT(LF_ERR_UNSUPPORTED, lf_channel_send_buffer(user, buffer, 0, 16, NULL, 0, -1));
  LF_EXPECT_MESSAGE("do not cross a bridged channel");
  LF_OK_(lf_buffer_destroy(buffer));
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));

  make_bridge(*state, LF_CHANNEL_CONSUMER, &user, &addon);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_reserve_ahead(addon, 1, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_reserve_ahead(addon, MAX_MESSAGE + 1, &room));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_peek_ahead(addon, &data, &size)); /* a producer end */
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_commit_oldest(user));
  LF_OK_(lf_channel_reserve(addon, 1, 0, &room));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_reserve_ahead(addon, 1, &room));
  LF_OK_(lf_channel_abort(addon));
  LF_OK_(lf_bridge_reserve_ahead(addon, 1, &room));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_reserve(addon, 1, 0, &room));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_channel_commit(addon, 1)); /* nothing reserved that way */
  LF_OK_(lf_bridge_commit_oldest(addon));
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_peek_ahead_releases_in_order),
      cmocka_unit_test(test_reserve_ahead_commits_in_order),
      cmocka_unit_test(test_misuse_is_refused),
  };
  return cmocka_run_group_tests(tests, lf_test_setup_system_context, lf_test_teardown_context);
}

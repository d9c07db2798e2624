/* The add-on's shortcuts past a bridged channel's ring (extension.h: lf_bridge_send_fn,
 * lf_bridge_recv_fn, lf_bridge_queued), as an add-on library uses them: a message takes a
 * shortcut only while nothing is queued in the ring, so the order always holds; refused
 * shortcuts fall back to the ring; timeouts, a too-small buffer and bad arguments behave as
 * on any channel. */
#include "lf_test.h"

#define LF_ADDON_INTERFACE /* the tests act as an add-on */
#include <lavaflow/extension.h>

#include <string.h>

enum { kMaxTaken = 16 };

/* A fake add-on: its direct_send keeps what it is given (when `accept`); its direct_recv
 * delivers `next` (when `has_next`) into the user's buffer, only if the ring is empty and the
 * message fits, as the contract asks — else it commits it to the ring. */
struct fake_addon {
  lf_channel_t *end;   /* the add-on's end */
  lf_channel_t *user;  /* the user's end, as the shortcuts must name it */
  int accept;
  uint32_t send_calls, recv_calls, wrong_user_end;
  uint32_t taken[kMaxTaken];
  uint32_t taken_count;
  int has_next;
  uint32_t next;
  uint64_t queued_seen;
};

static lf_status_t take_direct(void *arg, lf_channel_t *user_end, const void *data, size_t size) {
  struct fake_addon *addon = arg;
  addon->send_calls++;
  if (user_end != addon->user) addon->wrong_user_end++;
  if (!addon->accept || size != sizeof(uint32_t) || addon->taken_count == kMaxTaken) return LF_WOULD_BLOCK;
  memcpy(&addon->taken[addon->taken_count++], data, size);
  return LF_OK;
}

static lf_status_t deliver_direct(void *arg, lf_channel_t *user_end, void *buffer, size_t capacity, size_t *out_size) {
  struct fake_addon *addon = arg;
  addon->recv_calls++;
  if (user_end != addon->user) addon->wrong_user_end++;
  if (!addon->has_next) return LF_WOULD_BLOCK;
  uint64_t queued = 1;
  if (lf_bridge_queued(addon->end, &queued) != LF_OK) return LF_WOULD_BLOCK;
  addon->queued_seen = queued;
  addon->has_next = 0;
  if (queued == 0 && capacity >= sizeof addon->next) {
    memcpy(buffer, &addon->next, sizeof addon->next);
    *out_size = sizeof addon->next;
    return LF_OK;
  }
  lf_channel_send(addon->end, &addon->next, sizeof addon->next, 0);  /* (behind what is queued) */
  return LF_WOULD_BLOCK;
}

static void nothing(void *arg) { (void)arg; }

static lf_channel_t *direct_bridge(lf_context_t *context, struct fake_addon *addon, int32_t user_role, uint32_t flags) {
  lf_bridge_params_t params = {.field_mask = LF_BRIDGE_PARAM_FIELD_USER_ROLE | LF_BRIDGE_PARAM_FIELD_PROGRESS |
                                             LF_BRIDGE_PARAM_FIELD_FLAGS | LF_BRIDGE_PARAM_FIELD_DIRECT,
                               .user_role = user_role, .flags = flags, .progress = nothing,
                               .direct_send = take_direct, .direct_recv = deliver_direct, .direct_arg = addon};
  LF_OK_(lf_bridge_create(context, NULL, &params, &addon->user, &addon->end));
  return addon->user;
}

/* Both ends go; every shortcut call named the user's end. */
static void destroy_bridge(struct fake_addon *addon) {
  assert_int_equal(addon->wrong_user_end, 0);
  LF_OK_(lf_channel_destroy(addon->user));
  LF_OK_(lf_channel_destroy(addon->end));
}

static uint64_t messages_of(lf_channel_t *end) {
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(end, &info));
  return info.messages;
}

static void test_send_takes_the_shortcut_only_when_the_ring_is_empty(void **state) {
  struct fake_addon fake = {.accept = 1};
  lf_channel_t *user = direct_bridge(*state, &fake, LF_CHANNEL_PRODUCER, 0);
  for (uint32_t i = 0; i < 3; ++i) LF_OK_(lf_channel_send(user, &i, sizeof i, 0));
  assert_int_equal(fake.taken_count, 3);
  for (uint32_t i = 0; i < 3; ++i) assert_int_equal(fake.taken[i], i);
  assert_int_equal(messages_of(user), 3);  /* counted as sent */
  uint32_t got = 0;
  size_t size = 0;
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_recv(fake.end, &got, sizeof got, &size, 0));  /* none in the ring */

  /* Refused: the message goes through the ring. */
  fake.accept = 0;
  uint32_t value = 3;
  LF_OK_(lf_channel_send(user, &value, sizeof value, 0));
  /* Accepted again, but the ring holds message 3: 4 must queue behind it, not overtake it. */
  fake.accept = 1;
  const uint32_t calls = fake.send_calls;
  value = 4;
  LF_OK_(lf_channel_send(user, &value, sizeof value, 0));
  assert_int_equal(fake.send_calls, calls);
  assert_int_equal(fake.taken_count, 3);
  for (uint32_t want = 3; want <= 4; ++want) {
    LF_OK_(lf_channel_recv(fake.end, &got, sizeof got, &size, 0));
    assert_int_equal(got, want);
  }
  /* Drained: the shortcut is back. A zero-copy reservation never takes it. */
  value = 5;
  LF_OK_(lf_channel_send(user, &value, sizeof value, 0));
  assert_int_equal(fake.taken_count, 4);
  assert_int_equal(fake.taken[3], 5);
  void *slot = NULL;
  LF_OK_(lf_channel_reserve(user, sizeof value, 0, &slot));
  memcpy(slot, &value, sizeof value);
  LF_OK_(lf_channel_commit(user, sizeof value));
  assert_int_equal(fake.taken_count, 4);
  LF_OK_(lf_channel_recv(fake.end, &got, sizeof got, &size, 0));
  assert_int_equal(got, 5);
  /* A closed end sends nothing, shortcut or not. */
  LF_OK_(lf_channel_close(user));
  LF_EXPECT(LF_ERR_CLOSED, lf_channel_send(user, &value, sizeof value, 0));
  assert_int_equal(fake.taken_count, 4);
  destroy_bridge(&fake);
}

static void test_recv_takes_the_shortcut_after_the_ring(void **state) {
  struct fake_addon fake = {0};
  lf_channel_t *user = direct_bridge(*state, &fake, LF_CHANNEL_CONSUMER, 0);
  uint32_t got = 0;
  size_t size = 0;
  /* One message in the ring, the next on its way: the ring's comes first. */
  uint32_t value = 1;
  LF_OK_(lf_channel_send(fake.end, &value, sizeof value, 0));
  fake.has_next = 1;
  fake.next = 2;
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));
  assert_int_equal(got, 1);
  assert_int_equal(fake.recv_calls, 0);  /* the ring had it */
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));
  assert_int_equal(got, 2);
  assert_int_equal(size, sizeof got);
  assert_int_equal(fake.queued_seen, 0);
  assert_int_equal(messages_of(user), 2);

  /* Nothing comes: a call that must not wait asks once and says so; a timed one keeps asking. */
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_recv(user, &got, sizeof got, &size, 0));
  const uint32_t before = fake.recv_calls;
  LF_EXPECT(LF_TIMEOUT, lf_channel_recv(user, &got, sizeof got, &size, 20));
  assert_true(fake.recv_calls > before + 10);

  /* A buffer too small for it: the add-on queues it in the ring, where it stays for a larger one. */
  fake.has_next = 1;
  fake.next = 3;
  uint16_t small = 0;
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_channel_recv(user, &small, sizeof small, &size, 0));
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));
  assert_int_equal(got, 3);

  /* The add-on's close reaches the user once everything was delivered. */
  LF_OK_(lf_channel_close(fake.end));
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(user, &got, sizeof got, &size, 0));
  destroy_bridge(&fake);
}

static void test_zero_copy_and_helped_ends_keep_the_ring(void **state) {
  /* lf_channel_peek() never takes the receiving shortcut. */
  struct fake_addon peeking = {.has_next = 1, .next = 7};
  lf_channel_t *user = direct_bridge(*state, &peeking, LF_CHANNEL_CONSUMER, 0);
  const void *data = NULL;
  size_t size = 0;
  LF_EXPECT(LF_WOULD_BLOCK, lf_channel_peek(user, 0, &data, &size));
  assert_int_equal(peeking.recv_calls, 0);
  destroy_bridge(&peeking);
  /* An add-on with its own thread: the user's end may sleep, so it never asks. */
  struct fake_addon helped = {.has_next = 1, .next = 8};
  user = direct_bridge(*state, &helped, LF_CHANNEL_CONSUMER, LF_BRIDGE_FLAG_PROGRESS_HELPS);
  uint32_t got = 0;
  LF_EXPECT(LF_TIMEOUT, lf_channel_recv(user, &got, sizeof got, &size, 5));
  assert_int_equal(helped.recv_calls, 0);
  destroy_bridge(&helped);
}

static void test_queued_counts_what_the_user_has_yet_to_take(void **state) {
  struct fake_addon fake = {0};
  lf_channel_t *user = direct_bridge(*state, &fake, LF_CHANNEL_CONSUMER, 0);
  uint64_t queued = 99;
  LF_OK_(lf_bridge_queued(fake.end, &queued));
  assert_int_equal(queued, 0);
  const uint32_t value = 1;
  LF_OK_(lf_channel_send(fake.end, &value, sizeof value, 0));
  LF_OK_(lf_channel_send(fake.end, &value, sizeof value, 0));
  LF_OK_(lf_bridge_queued(fake.end, &queued));
  assert_true(queued >= 2 * sizeof value);
  const uint64_t two = queued;
  uint32_t got = 0;
  size_t size = 0;
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));
  LF_OK_(lf_bridge_queued(fake.end, &queued));
  assert_int_equal(queued, two / 2);
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));
  LF_OK_(lf_bridge_queued(fake.end, &queued));
  assert_int_equal(queued, 0);

  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_queued(fake.end, NULL));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_queued(user, &queued));
  LF_EXPECT_MESSAGE("not the add-on's end");
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_bridge_queued(NULL, &queued));
  destroy_bridge(&fake);
  /* The add-on's end of a producing user is a consumer: it queues nothing. */
  struct fake_addon producing = {0};
  user = direct_bridge(*state, &producing, LF_CHANNEL_PRODUCER, 0);
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_queued(producing.end, &queued));
  LF_EXPECT_MESSAGE("only a producer end");
  destroy_bridge(&producing);
}

/* The waiting shortcuts (lf_bridge_waiting_send_fn, _recv_fn): a call with no timeout takes
 * them instead of the others, a call with one never does; without them it takes the others.
 * Same fake add-on, counted apart. */
static uint32_t g_waiting_sends, g_waiting_recvs;
static lf_status_t take_waiting(void *arg, lf_channel_t *user_end, const void *data, size_t size) {
  g_waiting_sends++;
  return take_direct(arg, user_end, data, size);
}
static lf_status_t deliver_waiting(void *arg, lf_channel_t *user_end, void *buffer, size_t capacity, size_t *out_size) {
  g_waiting_recvs++;
  return deliver_direct(arg, user_end, buffer, capacity, out_size);
}

static lf_channel_t *waiting_bridge(lf_context_t *context, struct fake_addon *addon, int32_t user_role, uint64_t fields) {
  lf_bridge_params_t params = {.field_mask = LF_BRIDGE_PARAM_FIELD_USER_ROLE | LF_BRIDGE_PARAM_FIELD_PROGRESS | fields,
                               .user_role = user_role, .progress = nothing, .direct_send = take_direct,
                               .direct_recv = deliver_direct, .direct_arg = addon, .waiting_send = take_waiting,
                               .waiting_recv = deliver_waiting};
  LF_OK_(lf_bridge_create(context, NULL, &params, &addon->user, &addon->end));
  return addon->user;
}

static void test_calls_without_a_timeout_take_the_waiting_shortcuts(void **state) {
  struct fake_addon fake = {.accept = 1};
  lf_channel_t *user = waiting_bridge(*state, &fake, LF_CHANNEL_PRODUCER,
                                      LF_BRIDGE_PARAM_FIELD_DIRECT | LF_BRIDGE_PARAM_FIELD_WAITING);
  g_waiting_sends = 0;
  uint32_t value = 7;
  LF_OK_(lf_channel_send(user, &value, sizeof value, -1));
  assert_int_equal(g_waiting_sends, 1);
  assert_int_equal(fake.send_calls, 1);
  LF_OK_(lf_channel_send(user, &value, sizeof value, 1000));  /* a timeout: the other shortcut */
  assert_int_equal(g_waiting_sends, 1);
  assert_int_equal(fake.send_calls, 2);
  assert_int_equal(fake.taken_count, 2);
  /* Refused: the ring takes it, as after any shortcut. */
  fake.accept = 0;
  LF_OK_(lf_channel_send(user, &value, sizeof value, -1));
  assert_int_equal(g_waiting_sends, 2);
  uint32_t got = 0;
  size_t size = 0;
  LF_OK_(lf_channel_recv(fake.end, &got, sizeof got, &size, 0));
  assert_int_equal(got, 7);
  destroy_bridge(&fake);

  struct fake_addon receiving = {.has_next = 1, .next = 9};
  user = waiting_bridge(*state, &receiving, LF_CHANNEL_CONSUMER, LF_BRIDGE_PARAM_FIELD_DIRECT | LF_BRIDGE_PARAM_FIELD_WAITING);
  g_waiting_recvs = 0;
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, -1));
  assert_int_equal(got, 9);
  assert_int_equal(g_waiting_recvs, 1);
  assert_int_equal(receiving.recv_calls, 1);
  receiving.has_next = 1;
  receiving.next = 10;
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 1000));
  assert_int_equal(got, 10);
  assert_int_equal(g_waiting_recvs, 1);  /* (a timeout: the other one) */
  destroy_bridge(&receiving);

  /* Without the WAITING field, calls without a timeout take the others. */
  struct fake_addon plain = {.accept = 1};
  user = waiting_bridge(*state, &plain, LF_CHANNEL_PRODUCER, LF_BRIDGE_PARAM_FIELD_DIRECT);
  g_waiting_sends = 0;
  LF_OK_(lf_channel_send(user, &value, sizeof value, -1));
  assert_int_equal(g_waiting_sends, 0);
  assert_int_equal(plain.taken_count, 1);
  destroy_bridge(&plain);
  /* Only the waiting ones: a call with a timeout goes through the ring. */
  struct fake_addon only = {.accept = 1};
  user = waiting_bridge(*state, &only, LF_CHANNEL_PRODUCER, LF_BRIDGE_PARAM_FIELD_WAITING);
  LF_OK_(lf_channel_send(user, &value, sizeof value, 1000));
  assert_int_equal(only.taken_count, 0);
  LF_OK_(lf_channel_recv(only.end, &got, sizeof got, &size, 0));  /* (the ring is empty again) */
  LF_OK_(lf_channel_send(user, &value, sizeof value, -1));
  assert_int_equal(only.taken_count, 1);
  destroy_bridge(&only);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_send_takes_the_shortcut_only_when_the_ring_is_empty),
      cmocka_unit_test(test_recv_takes_the_shortcut_after_the_ring),
      cmocka_unit_test(test_zero_copy_and_helped_ends_keep_the_ring),
      cmocka_unit_test(test_queued_counts_what_the_user_has_yet_to_take),
      cmocka_unit_test(test_calls_without_a_timeout_take_the_waiting_shortcuts),
  };
  return cmocka_run_group_tests(tests, lf_test_setup_system_context, lf_test_teardown_context);
}

/* Bridged channels (extension.h), as an add-on library uses them: the user's end reports the
 * add-on's transport, scope and reason; messages pass both ways in order; the add-on's
 * verdict (lf_bridge_fail) reaches the user after what was delivered; a progress function is
 * called by the user's waits, commits and releases; a watcher's verdict (lf_bridge_raise) wakes
 * a sleeping user at once; bad arguments are refused. */
#include "lf_test.h"

#define LF_ADDON_INTERFACE /* the tests act as an add-on */
#include <lavaflow/extension.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static lf_bridge_params_t bridge_params(int32_t user_role) {
  lf_bridge_params_t params = {.field_mask = LF_BRIDGE_PARAM_FIELD_USER_ROLE | LF_BRIDGE_PARAM_FIELD_TRANSPORT |
                                             LF_BRIDGE_PARAM_FIELD_SCOPE | LF_BRIDGE_PARAM_FIELD_REASON,
                               .user_role = user_role, .transport = LF_TRANSPORT_MPI,
                               .scope = LF_SCOPE_REMOTE, .reason = "mpi: rank 1 is on another host (test)"};
  return params;
}

static void test_user_producer_reports_the_addon(void **state) {
  lf_context_t *context = *state;
  lf_bridge_params_t params = bridge_params(LF_CHANNEL_PRODUCER);
  lf_channel_t *user = NULL, *addon = NULL;
  LF_OK_(lf_bridge_create(context, NULL, &params, &user, &addon));
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(user, &info));
  assert_int_equal(info.role, LF_CHANNEL_PRODUCER);
  assert_int_equal(info.transport, LF_TRANSPORT_MPI);
  assert_int_equal(info.scope, LF_SCOPE_REMOTE);
  assert_string_equal(lf_transport_name(info.transport), "mpi");
  const char *reason = NULL;
  LF_OK_(lf_channel_get_reason(user, &reason));
  assert_string_equal(reason, "mpi: rank 1 is on another host (test)");

  for (uint32_t i = 0; i < 100; ++i) LF_OK_(lf_channel_send(user, &i, sizeof i, 0));
  for (uint32_t i = 0; i < 100; ++i) {
    uint32_t got = 0;
    size_t size = 0;
    LF_OK_(lf_channel_recv(addon, &got, sizeof got, &size, 0));
    assert_int_equal(size, sizeof got);
    assert_int_equal(got, i);
  }
  LF_OK_(lf_channel_close(user));
  size_t size = 0;
  uint32_t got = 0;
  LF_EXPECT(LF_END_OF_STREAM, lf_channel_recv(addon, &got, sizeof got, &size, 0));
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));
}

static void test_verdict_reaches_a_producer_at_once(void **state) {
  lf_context_t *context = *state;
  lf_bridge_params_t params = bridge_params(LF_CHANNEL_PRODUCER);
  lf_channel_t *user = NULL, *addon = NULL;
  LF_OK_(lf_bridge_create(context, NULL, &params, &user, &addon));
  LF_OK_(lf_channel_send(user, "x", 1, 0));
  LF_OK_(lf_bridge_fail(addon, LF_ERR_AUTH, "chunk 7 failed authentication"));
  LF_OK_(lf_bridge_fail(addon, LF_ERR_PEER_DEAD, "later verdicts change nothing"));
  LF_EXPECT(LF_ERR_AUTH, lf_channel_send(user, "y", 1, -1));
  LF_EXPECT_MESSAGE("chunk 7 failed authentication");
  LF_OK_(lf_channel_destroy(addon));
  LF_OK_(lf_channel_destroy(user));
}

static void test_verdict_reaches_a_consumer_after_the_data(void **state) {
  lf_context_t *context = *state;
  lf_bridge_params_t params = bridge_params(LF_CHANNEL_CONSUMER);
  lf_channel_t *user = NULL, *addon = NULL;
  LF_OK_(lf_bridge_create(context, NULL, &params, &user, &addon));
  LF_OK_(lf_channel_send(addon, "one", 3, 0));
  LF_OK_(lf_channel_send(addon, "two", 3, 0));
  LF_OK_(lf_bridge_fail(addon, LF_ERR_PEER_DEAD, "rank 1 died"));
  char text[8];
  size_t size = 0;
  LF_OK_(lf_channel_recv(user, text, sizeof text, &size, 0));
  assert_memory_equal(text, "one", 3);
  LF_OK_(lf_channel_recv(user, text, sizeof text, &size, 0));
  assert_memory_equal(text, "two", 3);
  LF_EXPECT(LF_ERR_PEER_DEAD, lf_channel_recv(user, text, sizeof text, &size, 1000));
  LF_EXPECT_MESSAGE("rank 1 died");
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(user, &info));
  assert_true(info.flags & LF_CHANNEL_PEER_DEAD);
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));
}

/* A fake add-on without a thread: each call delivers one pending message. */
struct fake_addon {
  lf_channel_t *end;
  uint32_t calls;
  uint32_t pending;
};

static void deliver_one(void *arg) {
  struct fake_addon *addon = arg;
  addon->calls++;
  if (addon->pending > 0 && lf_channel_send(addon->end, &addon->pending, sizeof addon->pending, 0) == LF_OK)
    addon->pending--;
}

static void test_progress_is_driven_by_the_users_calls(void **state) {
  lf_context_t *context = *state;
  struct fake_addon fake = {.pending = 3};
  lf_bridge_params_t params = bridge_params(LF_CHANNEL_CONSUMER);
  params.field_mask |= LF_BRIDGE_PARAM_FIELD_PROGRESS;
  params.progress = deliver_one;
  params.progress_arg = &fake;
  lf_channel_t *user = NULL;
  LF_OK_(lf_bridge_create(context, NULL, &params, &user, &fake.end));
  uint32_t got = 0;
  size_t size = 0;
  /* Nothing is queued: even a call that must not wait lets the add-on deliver first. */
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));
  assert_int_equal(got, 3);
  assert_true(fake.calls >= 1);
  const uint32_t after_first = fake.calls;
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 0));  /* the release above delivered it */
  assert_int_equal(got, 2);
  assert_true(fake.calls > after_first);
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 10));
  assert_int_equal(got, 1);
  /* Nothing left: a timed wait keeps calling progress until it times out. */
  const uint32_t before_wait = fake.calls;
  LF_EXPECT(LF_TIMEOUT, lf_channel_recv(user, &got, sizeof got, &size, 20));
  assert_true(fake.calls > before_wait + 10);
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(fake.end));
}

/* An add-on with a thread of its own (LF_BRIDGE_FLAG_PROGRESS_HELPS): the user's end calls
 * its progress function while it spins, then sleeps until the add-on's thread delivers. */
struct helped {
  lf_channel_t *end;
  uint32_t calls;
};

static void count_call(void *arg) { ((struct helped *)arg)->calls++; }

static void *deliver_later(void *arg) {
  struct helped *addon = arg;
  usleep(30000);
  const uint32_t value = 42;
  lf_channel_send(addon->end, &value, sizeof value, 1000);
  return NULL;
}

static lf_channel_t *helped_bridge(lf_context_t *context, struct helped *addon, int32_t wait_mode) {
  lf_bridge_params_t params = bridge_params(LF_CHANNEL_CONSUMER);
  params.field_mask |= LF_BRIDGE_PARAM_FIELD_PROGRESS | LF_BRIDGE_PARAM_FIELD_FLAGS;
  params.progress = count_call;
  params.progress_arg = addon;
  params.flags = LF_BRIDGE_FLAG_PROGRESS_HELPS;
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_WAIT_MODE, .wait_mode = wait_mode};
  lf_channel_t *user = NULL;
  LF_OK_(lf_bridge_create(context, &ring, &params, &user, &addon->end));
  return user;
}

static void test_helping_progress_then_sleep(void **state) {
  lf_context_t *context = *state;
  uint32_t got = 0;
  size_t size = 0;
  /* Adaptive waiting: progress is called while spinning; the end then sleeps and the add-on's
   * thread wakes it with its message. */
  struct helped adaptive = {0};
  lf_channel_t *user = helped_bridge(context, &adaptive, LF_WAIT_ADAPTIVE);
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, deliver_later, &adaptive), 0);
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 5000));
  assert_int_equal(got, 42);
  assert_true(adaptive.calls >= 1);
  pthread_join(thread, NULL);
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(adaptive.end));
  /* Sleeping at once: no spin, so the wait itself never calls progress (a thread-less add-on
   * would be polled in a loop instead: test_progress_is_driven_by_the_users_calls). */
  struct helped sleeping = {0};
  user = helped_bridge(context, &sleeping, LF_WAIT_SLEEP);
  assert_int_equal(pthread_create(&thread, NULL, deliver_later, &sleeping), 0);
  LF_OK_(lf_channel_recv(user, &got, sizeof got, &size, 5000));
  assert_int_equal(got, 42);
  const uint32_t calls_before_release = sleeping.calls;
  pthread_join(thread, NULL);
  assert_true(calls_before_release <= 1);  /* none while asleep: the one is the release's, after the message */
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(sleeping.end));
}

/* lf_bridge_raise: the verdict of a thread that watches the peer while the add-on's own
 * thread is stuck. It wakes a user's call asleep on the ring (a consumer with nothing to
 * receive, a producer whose ring is full) and leaves the add-on's end open: a message it
 * commits afterwards is still delivered, in order, before the verdict again. */
struct user_wait {
  lf_channel_t *user;
  int consumer;
  lf_status_t status;
  char message[160];
};

static void *wait_on_user_end(void *arg) {
  struct user_wait *wait = arg;
  uint8_t bytes[64] = {0};
  size_t size = 0;
  wait->status = wait->consumer ? lf_channel_recv(wait->user, bytes, sizeof bytes, &size, -1)
                                : lf_channel_send(wait->user, bytes, sizeof bytes, -1);
  snprintf(wait->message, sizeof wait->message, "%s", lf_last_error_message());
  return NULL;
}

static void test_raise_wakes_a_sleeping_user(void **state) {
  lf_context_t *context = *state;
  for (int consumer = 1; consumer >= 0; --consumer) {
    lf_bridge_params_t params = bridge_params(consumer ? LF_CHANNEL_CONSUMER : LF_CHANNEL_PRODUCER);
    lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_WAIT_MODE,
                                .capacity = 4096, .wait_mode = LF_WAIT_SLEEP};
    lf_channel_t *user = NULL, *addon = NULL;
    LF_OK_(lf_bridge_create(context, &ring, &params, &user, &addon));
    if (!consumer) {  /* fill the ring: the user's next send must wait for room */
      const uint8_t bytes[64] = {0};
      while (lf_channel_send(user, bytes, sizeof bytes, 0) == LF_OK) {}
    }
    struct user_wait wait = {.user = user, .consumer = consumer};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, wait_on_user_end, &wait), 0);
    lf_channel_info_t info = {.struct_size = sizeof info};
    for (int i = 0; i < 5000 && info.sleeps == 0; ++i) {  /* until it sleeps (at most 5 s) */
      LF_OK_(lf_channel_get_info(user, &info));
      usleep(1000);
    }
    assert_true(info.sleeps > 0);
    LF_OK_(lf_bridge_raise(addon, LF_ERR_PEER_DEAD, "rank 1 died (seen by the watcher)"));
    pthread_join(thread, NULL);
    assert_int_equal(wait.status, LF_ERR_PEER_DEAD);
    assert_non_null(strstr(wait.message, "rank 1 died (seen by the watcher)"));
    LF_OK_(lf_channel_get_info(user, &info));
    assert_true(info.flags & LF_CHANNEL_PEER_DEAD);
    char text[8];
    size_t size = 0;
    if (consumer) {  /* the add-on's end is still open: a late commit is delivered, then the verdict */
      LF_OK_(lf_channel_send(addon, "late", 4, 0));
      LF_OK_(lf_channel_recv(user, text, sizeof text, &size, 0));
      assert_true(size == 4 && memcmp(text, "late", 4) == 0);
    }
    /* The driving thread's lf_bridge_fail() comes later and changes nothing. */
    LF_OK_(lf_bridge_fail(addon, LF_ERR_AUTH, "a later verdict"));
    LF_EXPECT(LF_ERR_PEER_DEAD, consumer ? lf_channel_recv(user, text, sizeof text, &size, 0)
                                         : lf_channel_send(user, "x", 1, 0));
    LF_EXPECT_MESSAGE("seen by the watcher");
    LF_OK_(lf_channel_destroy(user));
    LF_OK_(lf_channel_destroy(addon));
  }
}

static void test_bad_arguments(void **state) {
  lf_context_t *context = *state;
  lf_bridge_params_t params = bridge_params(LF_CHANNEL_PRODUCER);
  lf_channel_t *user = NULL, *addon = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, NULL, &params, NULL, &addon));
  lf_bridge_params_t unknown = params;
  unknown.field_mask |= 1u << 20;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, NULL, &unknown, &user, &addon));
  lf_bridge_params_t flags = params;
  flags.field_mask |= LF_BRIDGE_PARAM_FIELD_FLAGS;
  flags.flags = 1u << 7;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, NULL, &flags, &user, &addon));
  flags.flags = LF_BRIDGE_FLAG_PROGRESS_HELPS;  /* helps, but names no progress function */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, NULL, &flags, &user, &addon));
  LF_EXPECT_MESSAGE("without a progress function");
  lf_bridge_params_t role = params;
  role.user_role = 7;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, NULL, &role, &user, &addon));
  lf_bridge_params_t transport = params;
  transport.transport = 99;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, NULL, &transport, &user, &addon));
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY, .capacity = 1000};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_create(context, &ring, &params, &user, &addon));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_bridge_create(NULL, NULL, &params, &user, &addon));

  LF_OK_(lf_bridge_create(context, NULL, &params, &user, &addon));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_fail(addon, LF_OK, "not an error"));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_fail(addon, LF_ERR_AUTH, NULL));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_fail(user, LF_ERR_AUTH, "the user's end is not the add-on's"));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_bridge_fail(NULL, LF_ERR_AUTH, "no handle"));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_raise(addon, LF_OK, "not an error"));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_bridge_raise(addon, LF_ERR_PEER_DEAD, NULL));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_raise(user, LF_ERR_PEER_DEAD, "the user's end is not the add-on's"));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_bridge_raise(NULL, LF_ERR_PEER_DEAD, "no handle"));
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));

  /* An ordinary channel end is not a bridge. */
  lf_channel_t *plain = NULL;
  LF_OK_(lf_channel_create(context, "bridge-test-plain", NULL, &plain));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_fail(plain, LF_ERR_AUTH, "no"));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_bridge_raise(plain, LF_ERR_PEER_DEAD, "no"));
  LF_OK_(lf_channel_destroy(plain));

  /* Defaults: the user's end is a producer that reports no transport yet. */
  LF_OK_(lf_bridge_create(context, NULL, NULL, &user, &addon));
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(user, &info));
  assert_int_equal(info.role, LF_CHANNEL_PRODUCER);
  assert_int_equal(info.transport, LF_TRANSPORT_NONE);
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));

  /* A shared context handle outlives the original. */
  lf_context_t *original = lf_test_context("system");
  lf_context_t *shared = NULL;
  LF_OK_(lf_extension_share_context(original, &shared));
  LF_OK_(lf_context_destroy(original));
  LF_OK_(lf_bridge_create(shared, NULL, NULL, &user, &addon));
  LF_OK_(lf_channel_destroy(user));
  LF_OK_(lf_channel_destroy(addon));
  LF_OK_(lf_context_destroy(shared));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_extension_share_context(original, &shared));

  LF_EXPECT(LF_ERR_AUTH, lf_extension_report("lf_addon_call", LF_ERR_AUTH, "the add-on's detail"));
  assert_int_equal(lf_last_error_status(), LF_ERR_AUTH);
  LF_EXPECT_MESSAGE("lf_addon_call: the add-on's detail");
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_user_producer_reports_the_addon),
      cmocka_unit_test(test_verdict_reaches_a_producer_at_once),
      cmocka_unit_test(test_verdict_reaches_a_consumer_after_the_data),
      cmocka_unit_test(test_progress_is_driven_by_the_users_calls),
      cmocka_unit_test(test_helping_progress_then_sleep),
      cmocka_unit_test(test_raise_wakes_a_sleeping_user),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, lf_test_setup_system_context, lf_test_teardown_context);
}

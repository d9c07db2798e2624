/* Shared timeline semaphores (sync.h): values, waits in every mode, threads, a second process
 * reached by fd, by socket and by name, holders killed (waiters woken with LF_ERR_PEER_DEAD),
 * monotonicity and misuse. */
#define _GNU_SOURCE
#include "lf_test.h"
#include "semaphore_channel.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const int64_t kSecond = 1000LL * 1000 * 1000;

static lf_context_t *g_context;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * kSecond + ts.tv_nsec;
}

static lf_semaphore_t *semaphore_with(const lf_semaphore_params_t *params) {
  lf_semaphore_t *semaphore = NULL;
  LF_OK_(lf_semaphore_create(g_context, params, &semaphore));
  return semaphore;
}

static lf_semaphore_info_t info_of(const lf_semaphore_t *semaphore) {
  lf_semaphore_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_semaphore_get_info(semaphore, &info));
  return info;
}

static uint64_t value_of(const lf_semaphore_t *semaphore) {
  uint64_t value = UINT64_MAX;
  LF_OK_(lf_semaphore_get_value(semaphore, &value));
  return value;
}

/* The helper program, started with `args` (NULL-terminated, after the program name); the
 * socket `keep` stays open in it. */
static pid_t start_helper(const char *const *args, int keep) {
  const char *path = getenv("LF_SEMAPHORE_HELPER");
  assert_non_null(path);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char *argv[8] = {(char *)"lf_semaphore_helper"};
    for (int i = 0; args[i] != NULL && i < 6; ++i) argv[i + 1] = (char *)args[i];
    if (keep >= 0) fcntl(keep, F_SETFD, 0);
    execv(path, argv);
    _exit(127);
  }
  return pid;
}

static void expect_exit(pid_t pid, int code) {
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), code);
}

static void socket_pair(int sv[2]) {
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

/* ---- values ------------------------------------------------------------------------------ */

static void a_default_semaphore_is_shared_at_zero(void **state) {
  (void)state;
  lf_semaphore_t *s = semaphore_with(NULL);
  lf_semaphore_info_t info = info_of(s);
  assert_int_equal(info.kind, LF_SEMAPHORE_SHARED);
  assert_int_equal(info.requested_kind, LF_SEMAPHORE_SHARED);
  assert_int_equal(info.value, 0);
  assert_int_equal(info.holders, 1);
  assert_int_equal(info.dead_holders, 0);
  assert_int_equal(info.device_index, -1);
  assert_int_equal(info.wait_mode, LF_WAIT_ADAPTIVE);
  assert_int_equal(info.spin_us, 50);
  assert_true(info.flags & LF_SEMAPHORE_EXPORTABLE);
  assert_false(info.flags & (LF_SEMAPHORE_FELL_BACK | LF_SEMAPHORE_IMPORTED | LF_SEMAPHORE_PEER_DEAD));
  const char *reason = NULL;
  LF_OK_(lf_semaphore_get_reason(s, &reason));
  assert_non_null(strstr(reason, "shared semaphore (memfd)"));
  assert_string_equal(lf_semaphore_kind_name(LF_SEMAPHORE_SHARED), "shared");
  assert_string_equal(lf_semaphore_kind_name(LF_SEMAPHORE_VULKAN), "vulkan");
  assert_string_equal(lf_semaphore_kind_name(7), "invalid");
  LF_OK_(lf_semaphore_destroy(s));
}

static void values_only_grow(void **state) {
  (void)state;
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE, .initial_value = 10};
  lf_semaphore_t *s = semaphore_with(&params);
  assert_int_equal(value_of(s), 10);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_signal(s, 9));
  LF_EXPECT_MESSAGE("values only grow");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_signal(s, 10));
  LF_OK_(lf_semaphore_signal(s, 11));
  LF_OK_(lf_semaphore_signal(s, 1000000000000ULL));
  assert_int_equal(value_of(s), 1000000000000ULL);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_signal(s, 11));
  assert_int_equal(value_of(s), 1000000000000ULL);
  LF_OK_(lf_semaphore_destroy(s));
}

static void waits_end_at_the_value_or_the_timeout(void **state) {
  (void)state;
  const int32_t modes[] = {LF_WAIT_ADAPTIVE, LF_WAIT_SPIN, LF_WAIT_SLEEP};
  for (size_t m = 0; m < 3; ++m) {
    lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE, .wait_mode = modes[m]};
    lf_semaphore_t *s = semaphore_with(&params);
    LF_OK_(lf_semaphore_wait(s, 0, 0));  /* reached already */
    LF_EXPECT(LF_TIMEOUT, lf_semaphore_wait(s, 1, 0));
    const int64_t start = now_ns();
    LF_EXPECT(LF_TIMEOUT, lf_semaphore_wait(s, 1, 20 * 1000 * 1000));
    const int64_t waited = now_ns() - start;
    assert_true(waited >= 20 * 1000 * 1000);
    assert_true(waited < 5 * kSecond);
    LF_OK_(lf_semaphore_signal(s, 3));
    LF_OK_(lf_semaphore_wait(s, 2, -1));  /* at least: 3 satisfies 2 */
    LF_OK_(lf_semaphore_wait(s, 3, 0));
    LF_EXPECT(LF_TIMEOUT, lf_semaphore_wait(s, 4, 1000));
    LF_OK_(lf_semaphore_destroy(s));
  }
}

/* ---- threads ----------------------------------------------------------------------------- */

struct pong {
  lf_semaphore_t *semaphore;
  uint64_t rounds;
  lf_status_t status;
};

/* For k = 1..rounds: wait for 2k-1, signal 2k. */
static void *pong_thread(void *arg) {
  struct pong *p = arg;
  p->status = LF_OK;
  for (uint64_t k = 1; k <= p->rounds && p->status == LF_OK; ++k) {
    p->status = lf_semaphore_wait(p->semaphore, 2 * k - 1, 20 * kSecond);
    if (p->status == LF_OK) p->status = lf_semaphore_signal(p->semaphore, 2 * k);
  }
  return NULL;
}

static void ping(lf_semaphore_t *s, uint64_t rounds) {
  for (uint64_t k = 1; k <= rounds; ++k) {
    LF_OK_(lf_semaphore_signal(s, 2 * k - 1));
    LF_OK_(lf_semaphore_wait(s, 2 * k, 20 * kSecond));
  }
}

static void threads_ping_pong_in_every_wait_mode(void **state) {
  (void)state;
  const int32_t modes[] = {LF_WAIT_ADAPTIVE, LF_WAIT_SPIN, LF_WAIT_SLEEP};
  for (size_t m = 0; m < 3; ++m) {
    lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE, .wait_mode = modes[m]};
    lf_semaphore_t *s = semaphore_with(&params);
    struct pong p = {.semaphore = s, .rounds = lf_test_scaled(2000)};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, pong_thread, &p), 0);
    ping(s, p.rounds);
    assert_int_equal(pthread_join(thread, NULL), 0);
    LF_OK_(p.status);
    assert_int_equal(value_of(s), 2 * p.rounds);
    if (modes[m] == LF_WAIT_SLEEP) assert_true(info_of(s).sleeps > 0);
    LF_OK_(lf_semaphore_destroy(s));
  }
}

static void *late_signal_thread(void *arg) {
  struct timespec pause = {.tv_nsec = 30 * 1000 * 1000};
  nanosleep(&pause, NULL);
  lf_semaphore_signal(arg, 5);
  return NULL;
}

static void a_wait_before_the_signal_is_woken_by_it(void **state) {
  (void)state;
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_SPIN_US, .spin_us = 1};
  lf_semaphore_t *s = semaphore_with(&params);
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, late_signal_thread, s), 0);
  LF_OK_(lf_semaphore_wait(s, 5, 20 * kSecond));
  assert_int_equal(pthread_join(thread, NULL), 0);
  lf_semaphore_info_t info = info_of(s);
  assert_true(info.sleeps >= 1); /* it slept, and the signal woke it */
  assert_true(info.wakes >= 1);
  LF_OK_(lf_semaphore_destroy(s));
}

/* ---- other handles and processes ---------------------------------------------------------- */

static void an_imported_fd_is_the_same_semaphore(void **state) {
  (void)state;
  lf_semaphore_t *s = semaphore_with(NULL);
  int fd = -1;
  LF_OK_(lf_semaphore_export_fd(s, &fd));
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  lf_semaphore_t *other = NULL;
  LF_OK_(lf_semaphore_import_fd(g_context, fd, NULL, &other));
  close(fd);
  LF_OK_(lf_semaphore_signal(s, 4));
  assert_int_equal(value_of(other), 4);
  LF_OK_(lf_semaphore_signal(other, 6));
  LF_OK_(lf_semaphore_wait(s, 6, 0));
  lf_semaphore_info_t info = info_of(other);
  assert_true(info.flags & LF_SEMAPHORE_IMPORTED);
  assert_int_equal(info.holders, 2);
  LF_OK_(lf_semaphore_destroy(s));
  assert_int_equal(info_of(other).holders, 1); /* a destroyed handle leaves the table */
  LF_OK_(lf_semaphore_destroy(other));
}

static void a_process_plays_ping_pong_over_a_socket(void **state) {
  (void)state;
  int sv[2];
  socket_pair(sv);
  char fd_text[16], rounds_text[16];
  const uint64_t rounds = lf_test_scaled(2000);
  snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
  snprintf(rounds_text, sizeof rounds_text, "%llu", (unsigned long long)rounds);
  const char *args[] = {"echo", fd_text, rounds_text, NULL};
  pid_t pid = start_helper(args, sv[1]);
  close(sv[1]);
  lf_semaphore_t *s = semaphore_with(NULL);
  LF_OK_(lf_semaphore_send(s, sv[0]));
  ping(s, rounds);
  expect_exit(pid, 0);
  assert_int_equal(value_of(s), 2 * rounds);
  assert_int_equal(info_of(s).holders, 1); /* the helper destroyed its handle */
  LF_OK_(lf_semaphore_destroy(s));
  close(sv[0]);
}

static void a_named_semaphore_is_opened_by_another_process(void **state) {
  (void)state;
  char name[64];
  snprintf(name, sizeof name, "lf-test-semaphore-%d", (int)getpid());
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_NAME, .name = name};
  lf_semaphore_t *s = semaphore_with(&params);
  assert_true(info_of(s).flags & LF_SEMAPHORE_NAMED);
  lf_semaphore_t *twin = NULL;
  LF_EXPECT(LF_ERR_EXISTS, lf_semaphore_create(g_context, &params, &twin));
  const char *args[] = {"echo-named", name, "50", NULL};
  pid_t pid = start_helper(args, -1);
  ping(s, 50);
  expect_exit(pid, 0);
  lf_semaphore_t *opened = NULL;
  LF_OK_(lf_semaphore_open(g_context, name, NULL, &opened));
  lf_semaphore_info_t info = info_of(opened);
  assert_int_equal(info.value, 100);
  assert_int_equal(info.flags & (LF_SEMAPHORE_NAMED | LF_SEMAPHORE_IMPORTED), LF_SEMAPHORE_NAMED | LF_SEMAPHORE_IMPORTED);
  LF_OK_(lf_semaphore_destroy(opened));
  LF_OK_(lf_semaphore_destroy(s));
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_semaphore_open(g_context, name, NULL, &opened)); /* the creator removed it */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_open(g_context, "../escape", NULL, &opened));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_open(g_context, ".hidden", NULL, &opened));
}

/* A helper holding the semaphore (`role`), killed while we wait (or before). */
static pid_t start_holder(lf_semaphore_t *s, const char *role) {
  int sv[2];
  socket_pair(sv);
  char fd_text[16];
  snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
  const char *args[] = {"hold", fd_text, role, NULL};
  pid_t pid = start_helper(args, sv[1]);
  close(sv[1]);
  LF_OK_(lf_semaphore_send(s, sv[0]));
  uint8_t ready = 0;
  assert_int_equal(read(sv[0], &ready, 1), 1); /* it holds the semaphore now */
  close(sv[0]);
  return pid;
}

struct killer {
  pid_t pid;
  int delay_ms;
};

static void *kill_later(void *arg) {
  struct killer *k = arg;
  struct timespec pause = {.tv_sec = k->delay_ms / 1000, .tv_nsec = (k->delay_ms % 1000) * 1000000L};
  nanosleep(&pause, NULL);
  kill(k->pid, SIGKILL);
  return NULL;
}

static void a_dead_signaller_wakes_its_waiters(void **state) {
  (void)state;
  lf_semaphore_t *s = semaphore_with(NULL);
  LF_OK_(lf_semaphore_signal(s, 1));
  pid_t pid = start_holder(s, "signaller");
  assert_int_equal(info_of(s).holders, 2);
  struct killer k = {.pid = pid, .delay_ms = 50};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, kill_later, &k), 0);
  const int64_t start = now_ns();
  LF_EXPECT(LF_ERR_PEER_DEAD, lf_semaphore_wait(s, 2, 30 * kSecond));
  const int64_t waited = now_ns() - start;
  LF_EXPECT_MESSAGE("died");
  assert_true(waited < 5 * kSecond); /* woken by the death, not by the timeout */
  assert_int_equal(pthread_join(thread, NULL), 0);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  lf_semaphore_info_t info = info_of(s);
  assert_true(info.flags & LF_SEMAPHORE_PEER_DEAD);
  assert_int_equal(info.dead_holders, 1);
  /* sticky for values not reached; values reached still wait fine */
  LF_EXPECT(LF_ERR_PEER_DEAD, lf_semaphore_wait(s, 2, 0));
  LF_OK_(lf_semaphore_wait(s, 1, 0));
  LF_OK_(lf_semaphore_destroy(s));
}

static void a_signaller_dead_before_the_wait_is_noticed_too(void **state) {
  (void)state;
  lf_semaphore_t *s = semaphore_with(NULL);
  pid_t pid = start_holder(s, "signaller");
  kill(pid, SIGKILL);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  /* nobody watched it when it died: the wait looks at the holders before sleeping */
  LF_EXPECT(LF_ERR_PEER_DEAD, lf_semaphore_wait(s, 1, 30 * kSecond));
  LF_OK_(lf_semaphore_destroy(s));
}

static void a_dead_wait_only_holder_does_not_count(void **state) {
  (void)state;
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE, .wait_mode = LF_WAIT_SLEEP};
  lf_semaphore_t *s = semaphore_with(&params);
  pid_t pid = start_holder(s, "wait-only");
  struct killer k = {.pid = pid, .delay_ms = 20};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, kill_later, &k), 0);
  LF_EXPECT(LF_TIMEOUT, lf_semaphore_wait(s, 1, 300 * 1000 * 1000));
  assert_int_equal(pthread_join(thread, NULL), 0);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  LF_EXPECT(LF_TIMEOUT, lf_semaphore_wait(s, 1, 10 * 1000 * 1000));
  lf_semaphore_info_t info = info_of(s);
  assert_false(info.flags & LF_SEMAPHORE_PEER_DEAD);
  assert_int_equal(info.dead_holders, 1); /* marked dead (its slot is free again), not a signaller */
  LF_OK_(lf_semaphore_signal(s, 1));
  LF_OK_(lf_semaphore_wait(s, 1, 0));
  LF_OK_(lf_semaphore_destroy(s));
}

static void a_wait_only_handle_cannot_signal(void **state) {
  (void)state;
  lf_semaphore_t *s = semaphore_with(NULL);
  int fd = -1;
  LF_OK_(lf_semaphore_export_fd(s, &fd));
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_FLAGS, .flags = LF_SEMAPHORE_FLAG_WAIT_ONLY};
  lf_semaphore_t *waiter = NULL;
  LF_OK_(lf_semaphore_import_fd(g_context, fd, &params, &waiter));
  close(fd);
  assert_true(info_of(waiter).flags & LF_SEMAPHORE_WAIT_ONLY);
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_semaphore_signal(waiter, 1));
  LF_EXPECT_MESSAGE("wait-only");
  LF_OK_(lf_semaphore_signal(s, 1));
  LF_OK_(lf_semaphore_wait(waiter, 1, 0));
  LF_OK_(lf_semaphore_destroy(waiter));
  LF_OK_(lf_semaphore_destroy(s));
}

/* A buffer message saying "ready at k, signal done at k" to a consumer in another process. */
static void a_buffer_message_carries_its_semaphores(void **state) {
  (void)state;
  lf_buffer_params_t shared = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  semaphore_channel_rounds(g_context, &shared, lf_test_scaled(200));
}

/* ---- misuse -------------------------------------------------------------------------------- */

static void bad_params_are_refused(void **state) {
  (void)state;
  lf_semaphore_t *s = NULL;
  lf_semaphore_params_t params = {.field_mask = 1u << 30};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_KIND, .kind = 9};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE, .wait_mode = 7};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_SPIN_US, .spin_us = 5000000};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_FLAGS, .flags = 2};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_FALLBACK, .fallback = 4};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_NAME, .name = NULL};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_NAME, .name = "a/b"};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_DEVICE, .device_index = 0};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s)); /* device: Vulkan only */
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_KIND | LF_SEMAPHORE_PARAM_FIELD_NAME,
                                   .kind = LF_SEMAPHORE_VULKAN, .name = "x"};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, &params, &s));
  assert_null(s);
  /* taking a semaphore from elsewhere: creation fields are refused */
  lf_semaphore_t *real = semaphore_with(NULL);
  int fd = -1;
  LF_OK_(lf_semaphore_export_fd(real, &fd));
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE, .initial_value = 3};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_import_fd(g_context, fd, &params, &s));
  LF_EXPECT_MESSAGE("only wait_mode, spin_us and flags");
  close(fd);
  LF_OK_(lf_semaphore_destroy(real));
}

static void bad_handles_and_pointers_are_refused(void **state) {
  (void)state;
  uint64_t value = 0;
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_semaphore_signal(NULL, 1));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_semaphore_wait(NULL, 1, 0));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_semaphore_get_value(NULL, &value));
  LF_OK_(lf_semaphore_destroy(NULL));
  lf_semaphore_t *s = semaphore_with(NULL);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_get_value(s, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_get_reason(s, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_export_fd(s, NULL));
  lf_semaphore_info_t small = {.struct_size = 8};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_get_info(s, &small));
  lf_vulkan_semaphore_info_t vk = {.struct_size = sizeof vk};
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_semaphore_get_vulkan_info(s, &vk));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_create(g_context, NULL, NULL));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_semaphore_create(NULL, NULL, &s));
  LF_OK_(lf_semaphore_destroy(s));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_semaphore_signal(s, 1)); /* destroyed */
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_semaphore_destroy(s));
}

static void what_is_not_a_semaphore_is_refused(void **state) {
  (void)state;
  lf_semaphore_t *s = NULL;
  /* not an fd; a pipe */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_import_fd(g_context, -1, NULL, &s));
  int pipe_fds[2];
  assert_int_equal(pipe(pipe_fds), 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_import_fd(g_context, pipe_fds[0], NULL, &s));
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  /* a sealed memfd of the right size that is not a semaphore region */
  lf_buffer_params_t shared = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  lf_buffer_t *page = NULL;
  LF_OK_(lf_buffer_create(g_context, 4096, &shared, &page));
  void *data = NULL;
  LF_OK_(lf_buffer_get_data(page, &data, NULL));
  memset(data, 0x5a, 4096);
  int fd = -1;
  LF_OK_(lf_buffer_export_fd(page, &fd));
  LF_EXPECT(LF_ERR_CORRUPT, lf_semaphore_import_fd(g_context, fd, NULL, &s));
  LF_EXPECT_MESSAGE("magic");
  close(fd);
  /* ... and one of another size */
  lf_buffer_t *big = NULL;
  LF_OK_(lf_buffer_create(g_context, 8192, &shared, &big));
  LF_OK_(lf_buffer_export_fd(big, &fd));
  LF_EXPECT(LF_ERR_CORRUPT, lf_semaphore_import_fd(g_context, fd, NULL, &s));
  close(fd);
  /* a buffer message where a semaphore message is expected */
  int sv[2];
  socket_pair(sv);
  LF_OK_(lf_buffer_send(page, sv[0]));
  LF_EXPECT(LF_ERR_PROTOCOL, lf_semaphore_recv(g_context, sv[1], NULL, 1000, &s));
  LF_EXPECT(LF_TIMEOUT, lf_semaphore_recv(g_context, sv[1], NULL, 0, &s));
  close(sv[0]);
  LF_EXPECT(LF_ERR_CLOSED, lf_semaphore_recv(g_context, sv[1], NULL, 1000, &s));
  close(sv[1]);
  assert_null(s);
  LF_OK_(lf_buffer_destroy(big));
  LF_OK_(lf_buffer_destroy(page));
}

static void a_damaged_region_is_reported_not_followed(void **state) {
  (void)state;
  lf_semaphore_t *s = semaphore_with(NULL);
  int fd = -1;
  LF_OK_(lf_semaphore_export_fd(s, &fd));
  /* another process scribbles an impossible holder into the table (pid 0, state live) */
  uint8_t *region = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  assert_true(region != MAP_FAILED);
  const size_t holder = 128 + 32 * 63;
  region[holder] = 2; /* live, generation 0 */
  memset(region + holder + 8, 0, 4); /* pid 0 */
  lf_semaphore_t *other = NULL;
  LF_OK_(lf_semaphore_import_fd(g_context, fd, NULL, &other)); /* (the header is fine) */
  LF_EXPECT(LF_ERR_CORRUPT, lf_semaphore_wait(other, 1, 1000000));
  LF_EXPECT_MESSAGE("impossible pid");
  /* a bad magic is refused at import */
  region[0] ^= 0xff;
  lf_semaphore_t *third = NULL;
  LF_EXPECT(LF_ERR_CORRUPT, lf_semaphore_import_fd(g_context, fd, NULL, &third));
  region[0] ^= 0xff;
  region[4] = 9; /* version */
  LF_EXPECT(LF_ERR_VERSION_MISMATCH, lf_semaphore_import_fd(g_context, fd, NULL, &third));
  munmap(region, 4096);
  close(fd);
  LF_OK_(lf_semaphore_destroy(other));
  LF_OK_(lf_semaphore_destroy(s));
}

int main(void) {
  lf_test_reset_environment();
  g_context = lf_test_context("system");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_default_semaphore_is_shared_at_zero),
      cmocka_unit_test(values_only_grow),
      cmocka_unit_test(waits_end_at_the_value_or_the_timeout),
      cmocka_unit_test(threads_ping_pong_in_every_wait_mode),
      cmocka_unit_test(a_wait_before_the_signal_is_woken_by_it),
      cmocka_unit_test(an_imported_fd_is_the_same_semaphore),
      cmocka_unit_test(a_process_plays_ping_pong_over_a_socket),
      cmocka_unit_test(a_named_semaphore_is_opened_by_another_process),
      cmocka_unit_test(a_dead_signaller_wakes_its_waiters),
      cmocka_unit_test(a_signaller_dead_before_the_wait_is_noticed_too),
      cmocka_unit_test(a_dead_wait_only_holder_does_not_count),
      cmocka_unit_test(a_wait_only_handle_cannot_signal),
      cmocka_unit_test(a_buffer_message_carries_its_semaphores),
      cmocka_unit_test(bad_params_are_refused),
      cmocka_unit_test(bad_handles_and_pointers_are_refused),
      cmocka_unit_test(what_is_not_a_semaphore_is_refused),
      cmocka_unit_test(a_damaged_region_is_reported_not_followed),
  };
  const int failures = cmocka_run_group_tests(tests, NULL, NULL);
  lf_context_destroy(g_context);
  return failures;
}

/* Channels between processes: a million checked messages of random sizes through a small
 * ring, four producer processes into one consumer, peers killed with SIGKILL on either side,
 * and another user refused. The producers and consumers on the other side are the helper
 * program (fork + exec). */
#define _GNU_SOURCE
#include "channel_message.h"
#include "lf_test.h"

#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static lf_context_t *g_context;

static const char *fresh_name(const char *what) {
  static char name[64];
  static int counter;
  snprintf(name, sizeof name, "%s-%d-%d", what, (int)getpid(), ++counter);
  return name;
}

/* Starts the helper with arguments; if `ready_fd` is not NULL, its stdout is a pipe returned there. */
static pid_t spawn(const char *mode, const char *name, const char *a, const char *b, int *ready_fd) {
  int fds[2] = {-1, -1};
  if (ready_fd != NULL) assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (ready_fd != NULL) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
    }
    execl(lf_test_helper_path(), "lf_test_helper", mode, name, a, b, (char *)NULL);
    _exit(127);
  }
  if (ready_fd != NULL) {
    close(fds[1]);
    *ready_fd = fds[0];
  }
  return pid;
}

static void wait_ready(int fd) {
  char line[16] = {0};
  assert_true(read(fd, line, sizeof line - 1) > 0);
  assert_non_null(strstr(line, "ready"));
  close(fd);
}

static int exit_status(pid_t pid) {
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static lf_channel_t *create(const char *name, int32_t role, uint64_t capacity, uint32_t producers) {
  lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CAPACITY |
                                              LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                                .role = role, .capacity = capacity, .max_producers = producers,
                                .max_message_size = CHANNEL_MESSAGE_MAX};
  lf_channel_t *channel = NULL;
  LF_OK_(lf_channel_create(g_context, name, &params, &channel));
  return channel;
}

/* Receives until the end of the stream, checking every message; counts per producer. */
static lf_status_t drain(lf_channel_t *consumer, uint32_t *next_seq, uint32_t producers, uint64_t *total) {
  uint8_t buffer[CHANNEL_MESSAGE_MAX];
  for (;;) {
    const void *data = NULL;
    size_t size = 0;
    const int copy = (*total % 2) == 0;
    lf_status_t status = copy ? lf_channel_recv(consumer, buffer, sizeof buffer, &size, 30000)
                              : lf_channel_peek(consumer, 30000, &data, &size);
    if (status != LF_OK) return status;
    uint32_t id = 0, seq = 0;
    size_t bad = channel_message_check(copy ? buffer : data, size, &id, &seq);
    if (bad != 0) fail_msg("message %llu is torn at byte %zu", (unsigned long long)*total, bad - 1);
    if (id >= producers) fail_msg("message from unknown producer %u", id);
    if (seq != next_seq[id]) fail_msg("producer %u: got message %u, expected %u (order)", id, seq, next_seq[id]);
    ++next_seq[id];
    ++*total;
    if (!copy) LF_OK_(lf_channel_release(consumer));
  }
}

static void a_million_messages_cross_processes_intact_and_in_order(void **state) {
  (void)state;
  const char *name = fresh_name("million");
  lf_channel_t *consumer = create(name, LF_CHANNEL_CONSUMER, 64u << 10, 1); /* wraps ~8000 times */
  const uint32_t count = lf_test_scaled(1000000);
  char count_text[16];
  snprintf(count_text, sizeof count_text, "%u", count);
  pid_t producer = spawn("channel-produce", name, count_text, "0", NULL);
  uint32_t next = 0;
  uint64_t total = 0;
  LF_EXPECT(LF_END_OF_STREAM, drain(consumer, &next, 1, &total));
  assert_int_equal(total, count);
  assert_int_equal(exit_status(producer), 0);
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(consumer, &info));
  assert_int_equal(info.transport, LF_TRANSPORT_SHARED_MEMORY);
  assert_int_equal(info.messages, count);
  lf_channel_destroy(consumer);
}

static void four_producer_processes_into_one_consumer(void **state) {
  (void)state;
  const char *name = fresh_name("mpsc");
  lf_channel_t *consumer = create(name, LF_CHANNEL_CONSUMER, 16u << 10, 4);
  pid_t producers[4];
  char id[4][16], count_text[16];
  const uint32_t count = lf_test_scaled(100000);
  snprintf(count_text, sizeof count_text, "%u", count);
  for (int i = 0; i < 4; ++i) {
    snprintf(id[i], sizeof id[i], "%d", i);
    producers[i] = spawn("channel-produce", name, count_text, id[i], NULL);
  }
  uint32_t next[4] = {0};
  uint64_t total = 0;
  LF_EXPECT(LF_END_OF_STREAM, drain(consumer, next, 4, &total));
  for (int i = 0; i < 4; ++i) {
    assert_int_equal(next[i], count);
    assert_int_equal(exit_status(producers[i]), 0);
  }
  assert_int_equal(total, 4 * (uint64_t)count);
  lf_channel_destroy(consumer);
}

static void a_producer_killed_mid_reserve_leaves_no_torn_message(void **state) {
  (void)state;
  const char *name = fresh_name("killed-producer");
  lf_channel_t *consumer = create(name, LF_CHANNEL_CONSUMER, 1u << 20, 1);
  int ready = -1;
  pid_t producer = spawn("channel-stall-producer", name, "500", "", &ready);
  wait_ready(ready); /* 500 sent, a 501st reserved and half written */
  assert_int_equal(kill(producer, SIGKILL), 0);
  assert_int_equal(exit_status(producer), 128 + SIGKILL);
  uint32_t next = 0;
  uint64_t total = 0;
  /* everything committed arrives intact, then the death is reported (well before the timeout) */
  LF_EXPECT(LF_ERR_PEER_DEAD, drain(consumer, &next, 1, &total));
  LF_EXPECT_MESSAGE("process died");
  assert_int_equal(total, 500);
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(consumer, &info));
  assert_true(info.flags & LF_CHANNEL_PEER_DEAD);
  lf_channel_destroy(consumer);
}

/* Two producers of a two-slot channel killed mid-reserve: until the consumer has received
 * what they committed, a new producer is refused with a reason; then both slots are free
 * again and new producers use them — twice over — with every message intact, in order, and
 * nothing of the half-written reservations delivered. */
static void killed_producers_give_their_slots_back(void **state) {
  (void)state;
  const char *name = fresh_name("slots-back");
  char channel_name[64];
  snprintf(channel_name, sizeof channel_name, "%s", name);
  lf_channel_t *consumer = create(channel_name, LF_CHANNEL_CONSUMER, 1u << 20, 2);
  for (uint32_t round = 0; round < 3; ++round) {
    const uint32_t count = 500 - 100 * round;
    char count_text[16];
    snprintf(count_text, sizeof count_text, "%u", count);
    pid_t producers[2];
    for (int i = 0; i < 2; ++i) {
      int ready = -1;
      producers[i] = spawn("channel-stall-producer", channel_name, count_text, i == 0 ? "0" : "1", &ready);
      wait_ready(ready); /* it opened (a free slot), sent `count`, reserved and half wrote one more */
    }
    for (int i = 0; i < 2; ++i) {
      assert_int_equal(kill(producers[i], SIGKILL), 0);
      assert_int_equal(exit_status(producers[i]), 128 + SIGKILL);
    }
    if (round == 0) {
      /* both deaths noticed (their connections hung up), nothing received yet: no slot is free */
      lf_channel_info_t info = {.struct_size = sizeof info};
      for (int spins = 0; spins < 1000; ++spins) {
        LF_OK_(lf_channel_get_info(consumer, &info));
        if (info.producers == 0) break;
        usleep(10000);
      }
      assert_int_equal(info.producers, 0);
      lf_channel_params_t params = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE, .role = LF_CHANNEL_PRODUCER};
      lf_channel_t *refused = NULL;
      LF_EXPECT(LF_ERR_BUSY, lf_channel_open(g_context, channel_name, &params, &refused));
      LF_EXPECT_MESSAGE("2 by dead producers");
    }
    uint32_t next[2] = {0, 0};
    uint64_t total = 0;
    LF_EXPECT(LF_ERR_PEER_DEAD, drain(consumer, next, 2, &total));
    assert_int_equal(next[0], count);
    assert_int_equal(next[1], count);
    assert_int_equal(total, 2 * (uint64_t)count);
  }
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(consumer, &info));
  assert_true(info.flags & LF_CHANNEL_PEER_DEAD);
  lf_channel_destroy(consumer);
}

/* Connects to a channel's socket, as a peer that then says nothing. */
static int silent_connection(const char *name) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  int n = snprintf(address.sun_path, sizeof address.sun_path, "/dev/shm/lavaflow-%u/channels/%s", (unsigned)geteuid(), name);
  assert_true(n > 0 && (size_t)n < sizeof address.sun_path);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&address, sizeof address), 0);
  return fd;
}

/* Peers that connect to a channel's socket and never say hello hold up nobody: a producer
 * that comes after three of them connects and delivers everything (the creator's handshakes
 * once ran one at a time, each silent peer holding it for 5 s, so the producer's open timed
 * out), and the silent ones are hung up on after the handshake timeout. */
static void silent_connections_do_not_stall_the_creator(void **state) {
  (void)state;
  char name[64];
  snprintf(name, sizeof name, "%s", fresh_name("silent"));
  lf_channel_t *consumer = create(name, LF_CHANNEL_CONSUMER, 1u << 16, 1);
  int silent[3];
  for (int i = 0; i < 3; ++i) silent[i] = silent_connection(name);
  pid_t producer = spawn("channel-produce", name, "50", "0", NULL);
  uint32_t next = 0;
  uint64_t total = 0;
  LF_EXPECT(LF_END_OF_STREAM, drain(consumer, &next, 1, &total));
  assert_int_equal(total, 50);
  assert_int_equal(exit_status(producer), 0);
  for (int i = 0; i < 3; ++i) {
    struct pollfd p = {.fd = silent[i], .events = POLLIN};
    assert_int_equal(poll(&p, 1, 30000), 1); /* (after the 5 s handshake timeout) */
    char byte;
    assert_int_equal(recv(silent[i], &byte, 1, 0), 0); /* hung up, nothing said */
    close(silent[i]);
  }
  lf_channel_destroy(consumer);
}

/* A creator killed with SIGKILL leaves its socket file; the next process that creates any
 * channel removes it (once it is old enough not to be a creator between bind and listen),
 * and the name can be created again. */
static void a_killed_creators_socket_is_cleaned_up(void **state) {
  (void)state;
  char name[64], path[200];
  snprintf(name, sizeof name, "%s", fresh_name("killed-creator"));
  snprintf(path, sizeof path, "/dev/shm/lavaflow-%u/channels/%s", (unsigned)geteuid(), name);
  int ready = -1;
  pid_t creator = spawn("channel-create", name, "", "", &ready);
  wait_ready(ready);
  assert_int_equal(kill(creator, SIGKILL), 0);
  assert_int_equal(exit_status(creator), 128 + SIGKILL);
  assert_int_equal(access(path, F_OK), 0); /* left behind */
  sleep(3);                                 /* (older than a creator between bind and listen) */
  lf_channel_t *other = create(fresh_name("cleaner"), LF_CHANNEL_CONSUMER, 4096, 1);
  assert_int_equal(access(path, F_OK), -1); /* gone */
  lf_channel_t *again = create(name, LF_CHANNEL_CONSUMER, 4096, 1);
  lf_channel_destroy(again);
  lf_channel_destroy(other);
}

static void a_killed_consumer_stops_a_blocked_producer(void **state) {
  (void)state;
  const char *name = fresh_name("killed-consumer");
  lf_channel_t *producer = create(name, LF_CHANNEL_PRODUCER, 4096, 1);
  int ready = -1;
  pid_t consumer = spawn("channel-stall-consumer", name, "3", "", &ready);
  uint8_t message[CHANNEL_MESSAGE_MAX];
  for (uint32_t seq = 0; seq < 3; ++seq) LF_OK_(lf_channel_send(producer, message, channel_message_fill(message, 0, seq), -1));
  wait_ready(ready);
  /* fill the ring: the consumer no longer reads */
  while (lf_channel_send(producer, message, 100, 0) == LF_OK) {
  }
  assert_int_equal(kill(consumer, SIGKILL), 0);
  assert_int_equal(exit_status(consumer), 128 + SIGKILL);
  /* a send that would wait forever returns as soon as the death is noticed */
  LF_EXPECT(LF_ERR_PEER_DEAD, lf_channel_send(producer, message, 100, 30000));
  LF_EXPECT_MESSAGE("consumer's process died");
  lf_channel_destroy(producer);
}

/* Runs `body` in a child with uid/gid 65534; returns what it wrote (a status). With
 * `keep_dac_override`, the child keeps CAP_DAC_OVERRIDE (it can reach root's directories). */
static lf_status_t as_another_user(int keep_dac_override, lf_status_t (*body)(const char *), const char *name) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t child = fork();
  if (child == 0) {
    lf_status_t status = LF_ERR_INTERNAL;
    prctl(PR_SET_KEEPCAPS, keep_dac_override, 0, 0, 0);
    if (setresgid(65534, 65534, 65534) == 0 && setresuid(65534, 65534, 65534) == 0) {
      if (keep_dac_override) {
        struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2];
        memset(data, 0, sizeof data);
        data[0].permitted = data[0].effective = 1u << CAP_DAC_OVERRIDE;
        if (syscall(SYS_capset, &header, data) != 0) _exit(3);
      }
      status = body(name);
    }
    if (write(fds[1], &status, sizeof status) != sizeof status) _exit(2);
    _exit(0);
  }
  close(fds[1]);
  lf_status_t status = LF_OK;
  assert_int_equal(read(fds[0], &status, sizeof status), sizeof status);
  close(fds[0]);
  assert_int_equal(exit_status(child), 0);
  return status;
}

static lf_status_t open_as_api_user(const char *name) {
  lf_context_t *context = NULL;
  lf_channel_t *channel = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) return LF_ERR_INTERNAL;
  return lf_channel_open(context, name, NULL, &channel);
}

/* Speaks to root's socket directly, as the wire format says (docs/wire-formats.md): the
 * creator must refuse us from our credentials alone. Returns the status of its reply. */
static lf_status_t knock_on_roots_socket(const char *name) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "/dev/shm/lavaflow-0/channels/%s", name);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&address, sizeof address) != 0) return LF_ERR_SYSTEM;
  uint8_t reply[64];
  ssize_t n = recv(fd, reply, sizeof reply, 0);
  close(fd);
  if (n < 12 || memcmp(reply, "LFHS", 4) != 0) return LF_ERR_PROTOCOL;
  int32_t status;
  memcpy(&status, reply + 8, 4);
  return status;
}

static void other_users_can_neither_find_nor_join_a_channel(void **state) {
  (void)state;
  if (geteuid() != 0) {
    print_message("not root: cannot switch to another uid; skipping\n");
    skip();
  }
  const char *name = fresh_name("private");
  lf_channel_t *consumer = create(name, LF_CHANNEL_CONSUMER, 4096, 1);
  /* channels live in a per-user directory: another user does not see ours */
  LF_EXPECT(LF_ERR_NOT_FOUND, as_another_user(0, open_as_api_user, name));
  /* and one that reaches our socket anyway is refused by its credentials */
  LF_EXPECT(LF_ERR_PERMISSION, as_another_user(1, knock_on_roots_socket, name));
  lf_channel_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_channel_get_info(consumer, &info));
  assert_int_equal(info.producers, 0);
  lf_channel_destroy(consumer);
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
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_million_messages_cross_processes_intact_and_in_order),
      cmocka_unit_test(four_producer_processes_into_one_consumer),
      cmocka_unit_test(a_producer_killed_mid_reserve_leaves_no_torn_message),
      cmocka_unit_test(killed_producers_give_their_slots_back),
      cmocka_unit_test(silent_connections_do_not_stall_the_creator),
      cmocka_unit_test(a_killed_creators_socket_is_cleaned_up),
      cmocka_unit_test(a_killed_consumer_stops_a_blocked_producer),
      cmocka_unit_test(other_users_can_neither_find_nor_join_a_channel),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

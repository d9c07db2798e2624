/* Passing descriptors over Unix sockets: what arrives is usable and close-on-exec, and
 * every malformed message is refused without leaking a descriptor. */
#define _GNU_SOURCE
#include "lf_test.h"

#define LF_EXPERIMENTAL /* lf_socket_*_fds */
#include <lavaflow/experimental.h>

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_fd_count(void) {
  DIR *dir = opendir("/proc/self/fd");
  int count = 0;
  for (struct dirent *e; (e = readdir(dir)) != NULL;) count += e->d_name[0] != '.';
  closedir(dir);
  return count;
}

static void descriptors_and_bytes_arrive_together(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  int pipe_fds[2];
  assert_int_equal(pipe(pipe_fds), 0);
  int sent[3] = {pipe_fds[0], pipe_fds[1], STDIN_FILENO};
  LF_OK_(lf_socket_send_fds(sv[0], "three", 5, sent, 3));
  char data[16] = {0};
  int got[4] = {-1, -1, -1, -1};
  size_t size = 0;
  uint32_t count = 0;
  LF_OK_(lf_socket_recv_fds(sv[1], data, sizeof data, &size, got, 4, &count, 1000));
  assert_int_equal(size, 5);
  assert_memory_equal(data, "three", 5);
  assert_int_equal(count, 3);
  for (int i = 0; i < 3; ++i) {
    struct stat a, b;
    assert_int_equal(fstat(sent[i], &a), 0);
    assert_int_equal(fstat(got[i], &b), 0);
    assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    assert_true(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
    close(got[i]);
  }
  /* the received pipe end works */
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(sv[0]);
  close(sv[1]);
}

static void malformed_messages_leak_nothing(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  int before = open_fd_count();
  int sent[3] = {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO};
  char data[8];
  size_t size = 0;
  uint32_t count = 99;
  int got[1] = {-1};

  LF_OK_(lf_socket_send_fds(sv[0], "x", 1, sent, 3));
  LF_EXPECT(LF_ERR_PROTOCOL, lf_socket_recv_fds(sv[1], data, sizeof data, &size, got, 1, &count, 1000));
  LF_EXPECT_MESSAGE("carried 3 descriptors, more than the 1 expected");
  assert_int_equal(got[0], -1);
  assert_int_equal(count, 99);
  assert_int_equal(open_fd_count(), before);

  LF_OK_(lf_socket_send_fds(sv[0], "a message longer than eight bytes", 33, sent, 1));
  LF_EXPECT(LF_ERR_PROTOCOL, lf_socket_recv_fds(sv[1], data, sizeof data, &size, got, 1, &count, 1000));
  LF_EXPECT_MESSAGE("larger than");
  assert_int_equal(open_fd_count(), before);

  LF_EXPECT(LF_TIMEOUT, lf_socket_recv_fds(sv[1], data, sizeof data, &size, got, 1, &count, 0));
  LF_EXPECT(LF_TIMEOUT, lf_socket_recv_fds(sv[1], data, sizeof data, &size, got, 1, &count, 30));
  int many[17] = {0};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_socket_send_fds(sv[0], "x", 1, many, 17));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_socket_send_fds(sv[0], NULL, 0, NULL, 0));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_socket_send_fds(-1, "x", 1, NULL, 0));

  close(sv[0]);
  LF_EXPECT(LF_ERR_CLOSED, lf_socket_recv_fds(sv[1], data, sizeof data, &size, got, 1, &count, 1000));
  LF_EXPECT(LF_ERR_CLOSED, lf_socket_send_fds(sv[1], "x", 1, NULL, 0));
  close(sv[1]);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(descriptors_and_bytes_arrive_together),
      cmocka_unit_test(malformed_messages_leak_nothing),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

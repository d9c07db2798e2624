#define _GNU_SOURCE
#include "syscall_free.h"

#include "lf_test.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

uint32_t lf_test_syscall_free(uint32_t (*loop)(void *arg), void *arg, const char *what) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) { /* the objects' memory came along; the loop must stay in user space */
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) syscall(SYS_exit, 3);
    uint32_t sum = loop(arg);
    if (write(fds[1], &sum, sizeof sum) != sizeof sum) syscall(SYS_exit, 4);
    syscall(SYS_exit, 0); /* exit(), not exit_group(): the only exit strict mode allows */
  }
  close(fds[1]);
  uint32_t sum = 0;
  ssize_t n = read(fds[0], &sum, sizeof sum);
  close(fds[0]);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (WIFSIGNALED(status)) fail_msg("%s was killed by signal %d: it made a system call", what, WTERMSIG(status));
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  assert_int_equal(n, sizeof sum);
  return sum;
}

/* Checks for the MPI test programs (run under mpirun, so no cmocka): a failed check prints
 * the rank, the place, the expression and lavaflow's last error, then aborts the whole job
 * with exit status 1. A call that timed out first prints every thread's stack: a wait that
 * should have ended is a hang somewhere, and the log then shows where. */
#ifndef LF_MPI_CHECK_H
#define LF_MPI_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <lavaflow/lavaflow_mpi.h>

#include <dirent.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int mpi_stack_copy_fd = -1; /* where the stacks also go, to be searched */

static inline void mpi_print_stack(int sig) {
  (void)sig;
  void *frames[48];
  char line[64];
  const int count = backtrace(frames, 48);
  const int length = snprintf(line, sizeof line, "--- thread %ld:\n", (long)syscall(SYS_gettid));
  if (write(2, line, (size_t)length) < 0) return;
  backtrace_symbols_fd(frames, count, 2);
  if (mpi_stack_copy_fd >= 0) backtrace_symbols_fd(frames, count, mpi_stack_copy_fd);
}

/* Every thread of this process prints its stack to stderr (MPI's functions by name,
 * lavaflow's internals as offsets into liblavaflow_mpi, for addr2line). Returns whether a
 * stack names `look_for` (NULL: nothing to look for). */
static inline int mpi_dump_threads(const char *look_for) {
  void *warm_up[1];
  backtrace(warm_up, 1); /* (the first call may load the unwinder: not in a signal handler) */
  FILE *copy = look_for != NULL ? tmpfile() : NULL;
  mpi_stack_copy_fd = copy != NULL ? fileno(copy) : -1;
  signal(SIGURG, mpi_print_stack);
  DIR *tasks = opendir("/proc/self/task");
  for (struct dirent *task; tasks != NULL && (task = readdir(tasks)) != NULL;) {
    const long tid = strtol(task->d_name, NULL, 10);
    if (tid <= 0) continue;
    syscall(SYS_tgkill, getpid(), (pid_t)tid, SIGURG);
    usleep(100000); /* (one at a time: their lines do not interleave) */
  }
  if (tasks != NULL) closedir(tasks);
  int found = 0;
  if (copy != NULL) {
    static char text[1 << 16];
    const ssize_t length = pread(mpi_stack_copy_fd, text, sizeof text - 1, 0);
    text[length > 0 ? length : 0] = '\0';
    found = strstr(text, look_for) != NULL;
    mpi_stack_copy_fd = -1;
    fclose(copy);
  }
  return found;
}

#define MPI_CHECK(cond)                                                                                   \
  do {                                                                                                    \
    if (!(cond)) mpi_check_fail(__FILE__, __LINE__, #cond, 0, 0);                                         \
  } while (0)
#define MPI_EXPECT(expected, call)                                                                        \
  do {                                                                                                    \
    lf_status_t mpi_check_status_ = (call);                                                               \
    if (mpi_check_status_ != (expected)) mpi_check_fail(__FILE__, __LINE__, #call, (expected), mpi_check_status_); \
  } while (0)
#define MPI_OK(call) MPI_EXPECT(LF_OK, call)

static inline void mpi_check_fail(const char *file, int line, const char *what, lf_status_t expected, lf_status_t got) {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  fprintf(stderr, "rank %d: %s:%d: FAILED %s (expected %s, got %s; last error: %s)\n", rank, file, line, what,
          lf_status_name(expected), lf_status_name(got), lf_last_error_message());
  if (got == LF_TIMEOUT) mpi_dump_threads(NULL);
  fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  exit(1);
}

/* A barrier that keeps lavaflow's data moving meanwhile (caller progress needs it). */
static inline void mpi_barrier_progressing(lf_mpi_t *mpi) {
  MPI_Request request;
  MPI_Ibarrier(MPI_COMM_WORLD, &request);
  for (int done = 0; !done;) {
    MPI_OK(lf_mpi_progress(mpi));
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
  }
}

#endif

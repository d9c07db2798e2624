/* Checks for the MPI test programs (run under mpirun, so no cmocka): a failed check prints
 * the rank, the place, the expression and lavaflow's last error, then aborts the whole job
 * with exit status 1. */
#ifndef LF_MPI_CHECK_H
#define LF_MPI_CHECK_H

#include <lavaflow/lavaflow_mpi.h>

#include <stdio.h>
#include <stdlib.h>

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

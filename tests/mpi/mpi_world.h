/* What the two-rank MPI programs share (the tests in this folder and bench/bench_mpi.c):
 * starting MPI with exactly two ranks, and a base directory for lavaflow per "host" — the
 * same fresh path on both ranks, created on each host that runs one (ranks on two hosts
 * cannot see each other's /dev/shm). Header-only, plain C; a failure aborts the job. */
#ifndef LF_MPI_WORLD_H
#define LF_MPI_WORLD_H

#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* MPI_Init_thread (asking for MPI_THREAD_MULTIPLE) and a check for two ranks; this rank. */
static inline int mpi_world_start_pair(int *argc, char ***argv, const char *program) {
  int provided = 0, rank = 0, size = 0;
  MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (size != 2) {
    if (rank == 0) fprintf(stderr, "%s: run with 2 ranks (mpirun -np 2)\n", program);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  return rank;
}

/* Makes `path` (a mkdtemp template, rank 0's choice) on every host of the two ranks; returns
 * whether the ranks are on two hosts (their processor names differ). */
static inline int mpi_world_host_dir(char *path, size_t size) {
  int rank = 0, length = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char names[2][MPI_MAX_PROCESSOR_NAME] = {{0}};
  MPI_Get_processor_name(names[rank], &length);
  MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, names, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
  const int two_hosts = strcmp(names[0], names[1]) != 0;
  if (rank == 0 && mkdtemp(path) == NULL) {
    fprintf(stderr, "rank 0: FAILED mkdtemp(%s)\n", path);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  MPI_Bcast(path, (int)size, MPI_CHAR, 0, MPI_COMM_WORLD);
  if (rank == 1 && two_hosts && mkdir(path, 0700) != 0) {
    fprintf(stderr, "rank 1: FAILED mkdir(%s)\n", path);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return two_hosts;
}

/* Removes what mpi_world_host_dir made (on each host that has it). */
static inline void mpi_world_remove_host_dir(const char *path, int two_hosts) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (rank != 0 && !two_hosts) return;
  char command[300];
  snprintf(command, sizeof command, "rm -rf %s", path);
  if (system(command) != 0) fprintf(stderr, "rank %d: could not remove %s\n", rank, path);
}

#endif

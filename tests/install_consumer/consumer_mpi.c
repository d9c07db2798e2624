/* An outside MPI program using an installed liblavaflow_mpi: attaches MPI_COMM_WORLD (run as
 * a singleton, without mpirun) and prints what the attachment is. */
#include <lavaflow/lavaflow.h>
#include <lavaflow/lavaflow_mpi.h>

#include <stdio.h>

int main(int argc, char **argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  lf_context_t *context = NULL;
  lf_mpi_t *mpi = NULL;
  lf_mpi_info_t info = {.struct_size = sizeof info};
  if (lf_context_create(NULL, &context) != LF_OK || lf_mpi_attach(context, MPI_COMM_WORLD, NULL, &mpi) != LF_OK ||
      lf_mpi_get_info(mpi, &info) != LF_OK) {
    fprintf(stderr, "consumer_mpi: %s\n", lf_last_error_message());
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  printf("consumer_mpi: lavaflow %s, rank %d of %d\n", lf_version_string(), info.rank, info.size);
  lf_mpi_detach(mpi);
  lf_context_destroy(context);
  MPI_Finalize();
  return info.size == 1 ? 0 : 2;
}

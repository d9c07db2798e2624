! An outside Fortran program using the installed module lavaflow_mpi: MPI_COMM_WORLD attached
! (a singleton without mpirun).
program consumer_mpi_f
  use mpi_f08
  use lavaflow
  use lavaflow_mpi
  implicit none
  type(lf_context) :: context
  type(lf_mpi) :: mpi
  type(lf_mpi_info_t) :: info
  call MPI_Init()
  call context%create()
  call mpi%attach(context, MPI_COMM_WORLD)
  call mpi%info(info)
  print '(a, i0, a, i0)', "consumer_mpi.f90: rank ", info%rank, " of ", info%size
  call mpi%detach()
  call context%destroy()
  call MPI_Finalize()
end program consumer_mpi_f

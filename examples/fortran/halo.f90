! halo (Fortran): a 2-D Jacobi solver whose ranks exchange halo columns over lavaflow channels,
! and the same solver exchanging them with MPI_Sendrecv (and with MPI_Irecv/MPI_Isend, both
! directions at once, as a tuned MPI code would), in one run: the times, and the residuals
! (identical: the same arithmetic on the same data).
!
! The global grid has `rows` x `columns` interior points, split by columns over the ranks (a
! column is contiguous in Fortran: each halo is one message). The left edge is held at 1, the
! others at 0. Each iteration sends the first and last owned columns to the neighbours and
! receives their ghosts, then relaxes every point. lavaflow picks the transport per pair: shared
! memory on one host, MPI between hosts (`use mpi`: the integer communicator of the classic
! module).
!
!   mpirun -np 2 halo_f [ROWS [COLUMNS [ITERATIONS [ROUNDS]]]]     (defaults 2048 512 1000 3)
!
! ROUNDS alternate the methods (A B C A B C ...) and keep each one's fastest, as the house's
! benchmarks compare.
program halo
  use, intrinsic :: iso_fortran_env, only: real64
  use mpi
  use lavaflow
  use lavaflow_mpi
  implicit none
  integer :: rows, columns, iterations, rounds
  integer :: rank, size, ierror, left, right, owned, first_column, round
  type(lf_context) :: context
  type(lf_mpi) :: attachment
  type(lf_channel) :: to_right, from_left, to_left, from_right
  real(real64), allocatable :: u(:, :), unew(:, :)
  integer, parameter :: methods = 3
  real(real64) :: time(methods), exchange(methods), residual(methods), checksum(methods), t, e
  character(len=*), parameter :: names(methods) = ["MPI_Sendrecv     ", "lavaflow         ", "MPI_Irecv/Isend  "]
  integer :: method

  call MPI_Init(ierror)
  call MPI_Comm_rank(MPI_COMM_WORLD, rank, ierror)
  call MPI_Comm_size(MPI_COMM_WORLD, size, ierror)
  rows = argument(1, 2048)
  columns = argument(2, 512)
  iterations = argument(3, 1000)
  rounds = argument(4, 3)
  if (mod(columns, size) /= 0) then
    if (rank == 0) print '(a)', "halo: COLUMNS must be a multiple of the number of ranks"
    call MPI_Abort(MPI_COMM_WORLD, 2, ierror)
  end if
  owned = columns / size
  first_column = rank * owned
  left = rank - 1
  right = rank + 1
  if (right == size) right = -1
  allocate (u(0:rows + 1, 0:owned + 1), unew(0:rows + 1, 0:owned + 1))

  ! The channels: ids 1 (rightwards) and 2 (leftwards), opened in an order every chain of ranks
  ! completes (a rank's first open waits for its neighbour's).
  call context%create(name="halo")
  call attachment%attach(context, MPI_COMM_WORLD)
  if (right >= 0) call attachment%channel_open(to_right, right, 1, LF_CHANNEL_PRODUCER)
  if (left >= 0) call attachment%channel_open(from_left, left, 1, LF_CHANNEL_CONSUMER)
  if (left >= 0) call attachment%channel_open(to_left, left, 2, LF_CHANNEL_PRODUCER)
  if (right >= 0) call attachment%channel_open(from_right, right, 2, LF_CHANNEL_CONSUMER)
  if (rank == 0 .and. right >= 0) print '(a, a, a)', "halo: lavaflow between ranks 0 and 1: ", &
    lf_transport_name(to_right%transport()), " (" // to_right%reason() // ")"

  time = huge(1.0_real64)
  exchange = huge(1.0_real64)
  do round = 1, rounds
    do method = 1, methods
      call solve(method, t, e, residual(method), checksum(method))
      time(method) = min(time(method), t)
      exchange(method) = min(exchange(method), e)
    end do
  end do

  if (rank == 0) then
    print '(a, i0, a, i0, a, i0, a, i0, a, i0, a)', "halo: ", rows, " x ", columns, " points on ", size, " ranks, ", &
      iterations, " iterations, best of ", rounds, " rounds"
    print '(a)', "method              total (s)   exchange (s)   residual              checksum"
    do method = 1, methods
      print '(a, f9.4, 3x, f12.4, 3x, es20.13, 2x, es20.13)', names(method), time(method), exchange(method), &
        residual(method), checksum(method)
    end do
    print '(a, f6.3, a, f6.3)', "halo: lavaflow / MPI_Sendrecv: total ", time(2) / time(1), ", exchange ", &
      exchange(2) / exchange(1)
    print '(a, f6.3, a, f6.3)', "halo: lavaflow / MPI_Irecv/Isend: total ", time(2) / time(3), ", exchange ", &
      exchange(2) / exchange(3)
    if (all(residual == residual(1)) .and. all(checksum == checksum(1))) then
      print '(a)', "halo: residuals identical"
    else
      print '(a)', "halo: FAILED: the two methods' results differ"
    end if
  end if

  if (right >= 0) call to_right%destroy()
  if (left >= 0) call from_left%destroy()
  if (left >= 0) call to_left%destroy()
  if (right >= 0) call from_right%destroy()
  call attachment%detach()
  call context%destroy()
  call MPI_Finalize(ierror)
  if (rank == 0 .and. (any(residual /= residual(1)) .or. any(checksum /= checksum(1)))) error stop 1

contains

  !> `iterations` Jacobi sweeps from the initial grid, exchanging halos by `method`; the wall
  !> time of the loop, the part spent exchanging, and the final residual and checksum (global).
  subroutine solve(method, total, exchanging, residual, checksum)
    integer, intent(in) :: method
    real(real64), intent(out) :: total, exchanging, residual, checksum
    real(real64) :: start, mark, local(2), global(2)
    integer :: iteration, i, j
    u = 0
    if (left < 0) u(:, 0) = 1  ! (the left edge of the global grid)
    unew = u
    exchanging = 0
    call MPI_Barrier(MPI_COMM_WORLD, ierror)
    start = MPI_Wtime()
    do iteration = 1, iterations
      mark = MPI_Wtime()
      select case (method)
      case (1)
        call exchange_sendrecv()
      case (2)
        call exchange_lavaflow()
      case default
        call exchange_nonblocking()
      end select
      exchanging = exchanging + (MPI_Wtime() - mark)
      do j = 1, owned
        do i = 1, rows
          unew(i, j) = 0.25_real64 * (u(i - 1, j) + u(i + 1, j) + u(i, j - 1) + u(i, j + 1))
        end do
      end do
      if (iteration == iterations) exit
      u(1:rows, 1:owned) = unew(1:rows, 1:owned)
    end do
    total = MPI_Wtime() - start
    local(1) = sum((unew(1:rows, 1:owned) - u(1:rows, 1:owned))**2)
    local(2) = sum(unew(1:rows, 1:owned))
    call MPI_Reduce(local, global, 2, MPI_DOUBLE_PRECISION, MPI_SUM, 0, MPI_COMM_WORLD, ierror)
    residual = sqrt(global(1))
    checksum = global(2)
  end subroutine solve

  subroutine exchange_sendrecv()
    integer :: left_rank, right_rank
    left_rank = merge(left, MPI_PROC_NULL, left >= 0)
    right_rank = merge(right, MPI_PROC_NULL, right >= 0)
    call MPI_Sendrecv(u(1, owned), rows, MPI_DOUBLE_PRECISION, right_rank, 1, u(1, 0), rows, MPI_DOUBLE_PRECISION, &
                      left_rank, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierror)
    call MPI_Sendrecv(u(1, 1), rows, MPI_DOUBLE_PRECISION, left_rank, 2, u(1, owned + 1), rows, MPI_DOUBLE_PRECISION, &
                      right_rank, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE, ierror)
  end subroutine exchange_sendrecv

  ! Both directions in flight at once (the receives posted first).
  subroutine exchange_nonblocking()
    integer :: requests(4), count
    count = 0
    if (left >= 0) then
      call MPI_Irecv(u(1, 0), rows, MPI_DOUBLE_PRECISION, left, 1, MPI_COMM_WORLD, requests(count + 1), ierror)
      count = count + 1
    end if
    if (right >= 0) then
      call MPI_Irecv(u(1, owned + 1), rows, MPI_DOUBLE_PRECISION, right, 2, MPI_COMM_WORLD, requests(count + 1), ierror)
      count = count + 1
    end if
    if (right >= 0) then
      call MPI_Isend(u(1, owned), rows, MPI_DOUBLE_PRECISION, right, 1, MPI_COMM_WORLD, requests(count + 1), ierror)
      count = count + 1
    end if
    if (left >= 0) then
      call MPI_Isend(u(1, 1), rows, MPI_DOUBLE_PRECISION, left, 2, MPI_COMM_WORLD, requests(count + 1), ierror)
      count = count + 1
    end if
    call MPI_Waitall(count, requests, MPI_STATUSES_IGNORE, ierror)
  end subroutine exchange_nonblocking

  ! Both sends first (each a copy into the ring, or handed to MPI), then both receives into the
  ! ghost columns: no rank waits on a neighbour that is itself waiting to send.
  subroutine exchange_lavaflow()
    if (right >= 0) call to_right%send(u(1:rows, owned))
    if (left >= 0) call to_left%send(u(1:rows, 1))
    if (left >= 0) call from_left%recv(u(1:rows, 0))
    if (right >= 0) call from_right%recv(u(1:rows, owned + 1))
  end subroutine exchange_lavaflow

  integer function argument(position, default)
    integer, intent(in) :: position, default
    character(len=32) :: text
    argument = default
    if (command_argument_count() >= position) then
      call get_command_argument(position, text)
      read (text, *) argument
    end if
  end function argument

end program halo

! Two ranks (mpirun -np 2) exchange 3-D real(8) arrays through lavaflow channels from Fortran,
! with the communicator of `use mpi_f08` (and, for the second attachment, as the integer of
! `use mpi`). Argument "mpi": the MPI transport forced; otherwise the scope decides (shared
! memory on one host). Every element is checked, both directions, copies and zero-copy.
program test_fortran_mpi
  use, intrinsic :: iso_fortran_env, only: int32, real64
  use mpi_f08
  use lavaflow
  use lavaflow_mpi
  implicit none
  integer, parameter :: nx = 16, ny = 12, nz = 8
  type(lf_context) :: context
  type(lf_mpi) :: mpi
  type(lf_mpi_info_t) :: info
  type(lf_mpi_channel_stats_t) :: stats
  type(lf_channel) :: field_channel, reply_channel
  real(real64), allocatable :: field(:, :, :), got(:, :, :)
  real(real64), pointer :: view(:, :, :), slot(:, :, :)
  integer(int32) :: reply(5)
  character(len=16) :: mode
  integer :: rank, peer, round, status, transport, expected_transport, failures = 0

  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank)
  peer = 1 - rank
  mode = ""
  if (command_argument_count() > 0) call get_command_argument(1, mode)
  call context%create(name="fortran-mpi")
  call mpi%attach(context, MPI_COMM_WORLD)
  call mpi%info(info)
  call expect(info%rank == rank .and. info%size == 2, "the attachment's rank and size")
  transport = 0
  expected_transport = LF_TRANSPORT_SHARED_MEMORY
  if (trim(mode) == "mpi") then
    transport = LF_TRANSPORT_MPI
    expected_transport = LF_TRANSPORT_MPI
  end if
  allocate (field(nx, ny, nz), got(nx, ny, nz))

  if (rank == 0) then
    call mpi%channel_open(field_channel, peer, 1, LF_CHANNEL_PRODUCER, transport=transport)
    call mpi%channel_open(reply_channel, peer, 2, LF_CHANNEL_CONSUMER, transport=transport)
  else
    call mpi%channel_open(field_channel, peer, 1, LF_CHANNEL_CONSUMER, transport=transport)
    call mpi%channel_open(reply_channel, peer, 2, LF_CHANNEL_PRODUCER, transport=transport)
  end if
  call expect(field_channel%transport() == expected_transport, "the transport: " // &
              lf_transport_name(field_channel%transport()) // " (" // field_channel%reason() // ")")

  if (rank == 0) then
    do round = 1, 3
      call fill(field, round)
      call field_channel%send(field)
    end do
    call field_channel%reserve(slot, [nx, ny, nz])  ! (zero-copy: written in the ring)
    call fill(slot, 4)
    call field_channel%commit()
    call reply_channel%recv(reply)
    call expect(all(reply == [1, 2, 3, 4, nx * ny * nz]), "the reply: every round arrived whole")
    call field_channel%close()
  else
    do round = 1, 3
      got = -1
      call field_channel%recv(got)
      call fill(field, round)
      call expect(all(got == field), "round " // digit(round) // ": every element")
    end do
    call field_channel%peek(view, [nx, ny, nz])
    call fill(field, 4)
    call expect(all(view == field), "round 4, read in place")
    call field_channel%release()
    call reply_channel%send([1, 2, 3, 4, nx * ny * nz])
    call field_channel%recv(got, status=status)
    call expect(status == LF_END_OF_STREAM, "after the producer closed: LF_END_OF_STREAM")
    if (expected_transport == LF_TRANSPORT_MPI) then
      call mpi%channel_stats(field_channel, stats)
      call expect(stats%messages == 4 .and. stats%payload_bytes == 4 * 8 * nx * ny * nz, "the MPI channel's counters")
    end if
  end if
  call field_channel%destroy()
  call reply_channel%destroy()
  call mpi%detach()

  ! The same communicator as `use mpi` knows it: an integer.
  call mpi%attach(context, MPI_COMM_WORLD%MPI_VAL)
  call mpi%info(info)
  call expect(info%rank == rank, "attached through the integer communicator")
  call expect(mpi%peer_level(peer) /= LF_SCOPE_UNKNOWN .and. len(mpi%peer_reason(peer)) > 0, "the peer's scope")
  call mpi%detach()
  call context%destroy()

  call MPI_Allreduce(MPI_IN_PLACE, failures, 1, MPI_INTEGER, MPI_SUM, MPI_COMM_WORLD)
  call MPI_Finalize()
  if (failures > 0) error stop 1
  if (rank == 0) print '(a)', "test_fortran_mpi: PASSED (" // trim(merge("mpi  ", "scope", trim(mode) == "mpi")) // ")"

contains

  subroutine fill(array, round)
    real(real64), intent(out) :: array(:, :, :)
    integer, intent(in) :: round
    integer :: i, j, k
    do k = 1, size(array, 3)
      do j = 1, size(array, 2)
        do i = 1, size(array, 1)
          array(i, j, k) = round * 1.0d6 + i + 100.0d0 * j + 10000.0d0 * k
        end do
      end do
    end do
  end subroutine fill

  subroutine expect(condition, what)
    logical, intent(in) :: condition
    character(len=*), intent(in) :: what
    if (.not. condition) then
      print '(a, i0, a, a)', "rank ", rank, " FAILED: ", what
      failures = failures + 1
    end if
  end subroutine expect

  function digit(n) result(text)
    integer, intent(in) :: n
    character(len=:), allocatable :: text
    character(len=12) :: buffer
    write (buffer, '(i0)') n
    text = trim(buffer)
  end function digit

end program test_fortran_mpi

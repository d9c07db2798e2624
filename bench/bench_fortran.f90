! bench_fortran: module lavaflow's friendly calls against the same C calls made through the raw
! interfaces (lavaflow_c, nothing between), in the same run, on the same channel: 64-byte
! messages (8 real(8)) sent and received in turn by one thread, as copies (send/recv) and
! zero-copy (reserve/commit, peek/release). Each case runs C and Fortran alternately (ABBA,
! REPS times) and reports the medians and the median of the paired ratios Fortran / C. The
! last row pairs the C calls with themselves: its distance from 1.000 is this machine's noise.
!
!   bench_fortran [REPS [MESSAGES]]     (defaults 21, 200000; bench_fortran 3 20000: a smoke run)
!   bench_fortran 0 MESSAGES CASE LAYER  one case (1: send + recv, 2: zero-copy) in one layer (c or
!                                        fortran), e.g. under valgrind to count instructions
program bench_fortran
  use, intrinsic :: iso_fortran_env, only: int64, real64
  use, intrinsic :: iso_c_binding
  use lavaflow
  implicit none
  integer, parameter :: copy = 1, zero_copy = 2, control = 3
  character(len=*), parameter :: case_names(3) = ["send + recv                  ", "reserve/commit + peek/release", &
                                                  "control, C again: send + recv"]
  type(lf_context) :: context
  type(lf_channel) :: consumer, producer
  real(real64), target :: message(8), received(8)
  integer :: reps, messages, work, rep, n
  real(real64), allocatable :: c_ns(:), f_ns(:), ratio(:)
  character(len=64) :: name

  reps = argument(1, 21)
  messages = argument(2, 200000)
  allocate (c_ns(max(reps, 1)), f_ns(max(reps, 1)), ratio(max(reps, 1)))
  call context%create(name="bench-fortran")
  write (name, '(a, i0)') "bench-fortran-", getpid()
  call consumer%create(context, trim(name), capacity=65536_int64)
  call producer%open(context, trim(name))
  message = 1
  if (reps == 0) then
    call get_command_argument(4, name)
    c_ns(1) = run(argument(3, 1), trim(name) == "fortran", messages)
    print '(a, f8.1)', "ns per message: ", c_ns(1)
    stop
  end if
  print '(a, i0, a)', "bench_fortran: module lavaflow against the same C calls, 64-byte messages, one thread, ", reps, &
    " paired runs (ABBA)"
  print '(a)', ""
  print '(a)', "case                               C ns   Fortran ns   Fortran/C"
  do work = copy, control
    c_ns(1) = run(work, .false., messages / 10)  ! (warm-up)
    f_ns(1) = run(work, .true., messages / 10)
    do rep = 1, reps
      if (mod(rep, 2) == 1) then
        c_ns(rep) = run(work, .false., messages)
        f_ns(rep) = run(work, .true., messages)
      else
        f_ns(rep) = run(work, .true., messages)
        c_ns(rep) = run(work, .false., messages)
      end if
      ratio(rep) = f_ns(rep) / c_ns(rep)
    end do
    print '(a, f8.1, 3x, f10.1, 3x, f9.3)', case_names(work), median(c_ns), median(f_ns), median(ratio)
  end do
  call producer%destroy()
  call consumer%destroy()
  call context%destroy()

contains

  !> Nanoseconds per message of `count` messages sent and received in turn, through module
  !> lavaflow (`friendly`) or the raw C calls (the control case: C both times).
  real(real64) function run(work, friendly, count) result(ns)
    integer, intent(in) :: work, count
    logical, intent(in) :: friendly
    integer(int64) :: start, finish, rate
    integer :: i
    call system_clock(start, rate)
    select case (work)
    case (copy)
      if (friendly) then
        do i = 1, count
          message(1) = i
          call producer%send(message)
          call consumer%recv(received)
        end do
      else
        do i = 1, count
          message(1) = i
          call c_send_recv()
        end do
      end if
    case (zero_copy)
      if (friendly) then
        do i = 1, count
          call friendly_zero_copy(i)
        end do
      else
        do i = 1, count
          call c_zero_copy(i)
        end do
      end if
    case default
      do i = 1, count
        message(1) = i
        call c_send_recv()
      end do
    end select
    call system_clock(finish)
    if (received(1) < 0) print *, received(1)  ! (the result is used)
    ns = real(finish - start, real64) / real(rate, real64) * 1.0d9 / count
  end function run

  subroutine c_send_recv()
    integer(c_size_t), target :: got
    if (lf_channel_send(producer%handle, c_loc(message), 64_c_size_t, -1) /= LF_OK) error stop "lf_channel_send"
    if (lf_channel_recv(consumer%handle, c_loc(received), 64_c_size_t, c_loc(got), -1) /= LF_OK) error stop "lf_channel_recv"
  end subroutine c_send_recv

  subroutine friendly_zero_copy(i)
    integer, intent(in) :: i
    real(real64), pointer :: slot(:), view(:)
    call producer%reserve(slot, [8])
    slot(1) = i
    call producer%commit()
    call consumer%peek(view, [8])
    received(1) = view(1)
    call consumer%release()
  end subroutine friendly_zero_copy

  subroutine c_zero_copy(i)
    integer, intent(in) :: i
    type(c_ptr), target :: data
    integer(c_size_t), target :: nbytes
    real(real64), pointer :: slot(:), view(:)
    if (lf_channel_reserve(producer%handle, 64_c_size_t, -1, c_loc(data)) /= LF_OK) error stop "lf_channel_reserve"
    call c_f_pointer(data, slot, [8])
    slot(1) = i
    if (lf_channel_commit(producer%handle, 64_c_size_t) /= LF_OK) error stop "lf_channel_commit"
    if (lf_channel_peek(consumer%handle, -1, c_loc(data), c_loc(nbytes)) /= LF_OK) error stop "lf_channel_peek"
    call c_f_pointer(data, view, [8])
    received(1) = view(1)
    if (lf_channel_release(consumer%handle) /= LF_OK) error stop "lf_channel_release"
  end subroutine c_zero_copy

  real(real64) function median(values)
    real(real64), intent(in) :: values(:)
    real(real64) :: sorted(size(values)), swap
    integer :: i, j
    sorted = values
    do i = 2, size(sorted)
      swap = sorted(i)
      j = i - 1
      do while (j >= 1)
        if (sorted(j) <= swap) exit
        sorted(j + 1) = sorted(j)
        j = j - 1
      end do
      sorted(j + 1) = swap
    end do
    median = sorted((size(sorted) + 1) / 2)
  end function median

  integer function argument(position, default)
    integer, intent(in) :: position, default
    character(len=32) :: text
    argument = default
    if (command_argument_count() >= position) then
      call get_command_argument(position, text)
      read (text, *) argument
    end if
  end function argument

end program bench_fortran

! Module lavaflow's hot path allocates nothing and makes no system call, as the C calls it wraps
! (test_channel_hot_path.c): send and recv of arrays, reserve/commit and peek/release of
! pointer arrays, and tensor-pool frames published, claimed, committed, waited for, read as
! pointer arrays and released. Allocations are counted per thread (tests/support/alloc_counter.c
! replaces malloc); the loop then runs again in a child under seccomp strict mode
! (tests/support/syscall_free.c), where any system call but read, write, exit and sigreturn
! kills it.
module hot_path_world
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int16, int64, real64
  use lavaflow
  implicit none
  type(lf_context) :: context
  type(lf_channel) :: consumer, producer
  type(lf_pool_driver) :: driver
  type(lf_pool_producer) :: publisher
  type(lf_pool_consumer) :: reader
  integer, parameter :: rounds = 5000

  interface
    integer(c_long) function lf_test_allocations() bind(C, name="lf_test_allocations")
      import :: c_long
    end function lf_test_allocations
    integer(c_int32_t) function lf_test_syscall_free(loop, arg, what) bind(C, name="lf_test_syscall_free")
      import :: c_int32_t, c_funptr, c_ptr, c_char
      type(c_funptr), value :: loop
      type(c_ptr), value :: arg
      character(kind=c_char), intent(in) :: what(*)
    end function lf_test_syscall_free
  end interface

contains

  !> `rounds` messages and frames through every hot call; a sum of what was read (0: a call
  !> failed), the same in the parent and in the seccomp child.
  integer(c_int32_t) function exchange(arg) bind(C) result(sum)
    type(c_ptr), value :: arg
    real(real64) :: message(16), received(16)
    real(real64), pointer :: slot(:, :), view(:, :)
    integer(int16) :: image(4, 8)
    integer(int16), pointer :: claimed(:, :), seen(:, :)
    type(lf_frame) :: frame
    integer :: round, status
    sum = 0
    if (c_associated(arg)) return
    do round = 1, rounds
      message = round
      call producer%send(message, timeout_ms=0, status=status)
      if (status /= LF_OK) return
      call consumer%recv(received, timeout_ms=0, status=status)
      if (status /= LF_OK) return
      call producer%reserve(slot, [4, 4], timeout_ms=0, status=status)
      if (status /= LF_OK) return
      slot = received(1) + 1
      call producer%commit(status=status)
      if (status /= LF_OK) return
      call consumer%peek(view, [4, 4], timeout_ms=0, status=status)
      if (status /= LF_OK) return
      sum = sum + int(view(4, 4), c_int32_t)
      call consumer%release(status=status)
      if (status /= LF_OK) return
      image = int(mod(round, 1000), int16)
      ! (timestamps given: lavaflow's own stamp is a clock_gettime, which does not survive the
      ! seccomp child on this VM — pool.h: "the vDSO, or a system call where there is none")
      call publisher%publish(image, timestamp_ns=int(round, int64), status=status)
      if (status /= LF_OK) return
      call reader%poll(frame, status=status)
      if (status /= LF_OK) return
      call frame%array(seen, status=status)
      if (status /= LF_OK) return
      sum = sum + seen(4, 8)
      call reader%release(status=status)
      if (status /= LF_OK) return
      call publisher%claim(claimed, [4, 8], status=status)
      if (status /= LF_OK) return
      claimed = 7
      call publisher%commit(timestamp_ns=int(round, int64), status=status)
      if (status /= LF_OK) return
      call reader%poll(frame, status=status)
      if (status /= LF_OK) return
      call frame%array(seen, status=status)
      if (status /= LF_OK) return
      sum = sum + seen(1, 1)
      call reader%release(status=status)
      if (status /= LF_OK) return
    end do
  end function exchange

end module hot_path_world

program test_hot_path
  use hot_path_world
  implicit none
  character(len=128) :: base, name
  integer(c_long) :: before, allocations
  integer(c_int32_t) :: expected, in_parent, in_child

  call get_environment_variable("LF_TEST_BASE_DIR", base)
  if (len_trim(base) == 0) error stop "LF_TEST_BASE_DIR names a fresh directory for the test's files"
  call context%create(name="fortran-hot-path", base_dir=trim(base))
  write (name, '(a, i0)') "fortran-hot-path-", getpid()
  call consumer%create(context, trim(name), capacity=65536_int64)
  call producer%open(context, trim(name))
  call driver%create(context)
  call publisher%attach(context, 3, start_driver=.false.)
  call reader%attach(context, 3, start_driver=.false.)

  expected = 0
  do in_parent = 1, rounds
    expected = expected + int(in_parent + 1, c_int32_t) + int(mod(in_parent, 1000), c_int32_t) + 7
  end do
  in_parent = exchange(c_null_ptr)  ! (warm: first calls resolve symbols, fault pages in)
  if (in_parent /= expected) error stop "the warm-up round trip failed"
  before = lf_test_allocations()
  in_parent = exchange(c_null_ptr)
  allocations = lf_test_allocations() - before
  if (in_parent /= expected) error stop "the counted round trip failed"
  if (allocations /= 0) then
    print '(a, i0, a, i0, a)', "FAILED: ", allocations, " allocations in ", rounds, " rounds"
    error stop 1
  end if
  in_child = lf_test_syscall_free(c_funloc(exchange), c_null_ptr, "module lavaflow's hot path" // c_null_char)
  if (in_child /= expected) then
    print '(a, i0, a, i0)', "FAILED: the seccomp child computed ", in_child, ", not ", expected
    error stop 1
  end if

  call reader%detach()
  call publisher%detach()
  call driver%destroy()
  call producer%destroy()
  call consumer%destroy()
  call context%destroy()
  print '(a, i0, a)', "test_fortran_hot_path: PASSED (", rounds, " rounds: no allocation, no system call)"
end program test_hot_path

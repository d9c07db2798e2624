! Every object of module `lavaflow` from Fortran, as a user writes it: a context, identities and
! their scope, buffers seen as pointer arrays, channels sending and receiving arrays of every kind
! (copies and zero-copy), the tensor pool publishing Fortran arrays and consuming frames as
! pointer arrays; and refusals with their status and message instead of a stop.
program test_objects
  use, intrinsic :: iso_fortran_env, only: int8, int16, int32, int64, real32, real64
  use lavaflow
  implicit none
  type(lf_context) :: context
  character(len=128) :: base
  integer :: failures = 0

  call get_environment_variable("LF_TEST_BASE_DIR", base)
  if (len_trim(base) == 0) error stop "LF_TEST_BASE_DIR names a fresh directory for the test's files"
  call context%create(name="fortran-objects", base_dir=trim(base))
  call expect(context%name() == "fortran-objects", "the context's name")
  call expect(context%base_dir() == trim(base), "the context's base directory")
  call expect(len(lf_version_string()) > 0 .and. lf_status_name(LF_TIMEOUT) == "LF_TIMEOUT", "version and status names")
  call expect(lf_dtype_name(LF_DTYPE_FLOAT64) == "float64", "lf_dtype_name as a Fortran string")

  call identities_and_scope()
  call buffers()
  call channel_copies()
  call channel_zero_copy()
  call channel_refusals()
  call pool()
  call semaphores()

  call context%destroy()
  if (failures > 0) then
    print '(i0, a)', failures, " check(s) failed"
    error stop 1
  end if
  print '(a)', "test_fortran_objects: PASSED"

contains

  subroutine expect(condition, what)
    logical, intent(in) :: condition
    character(len=*), intent(in) :: what
    if (.not. condition) then
      print '(a, a)', "FAILED: ", what
      failures = failures + 1
    end if
  end subroutine expect

  function unique(stem) result(name)
    character(len=*), intent(in) :: stem
    character(len=:), allocatable :: name
    character(len=64) :: text
    write (text, '(a, "-", i0)') stem, getpid()  ! (gfortran's intrinsic)
    name = trim(text)
  end function unique

  subroutine identities_and_scope()
    type(lf_identity) :: me, copy
    type(lf_scope) :: scope
    integer(int8), allocatable :: blob(:)
    call me%create(context)
    call me%serialize(blob)
    call expect(size(blob) > 16, "an identity serializes to bytes")
    call copy%from_blob(context, blob)
    call expect(len(copy%text(LF_IDENTITY_TEXT_HOSTNAME)) > 0, "the identity's host name")
    call expect(copy%text(LF_IDENTITY_TEXT_BOOT_ID) == me%text(LF_IDENTITY_TEXT_BOOT_ID), "the copy has the same boot id")
    call scope%create(context, me, copy)
    call expect(scope%level() == LF_SCOPE_PROCESS, "one process's two identities share the process: " // &
                lf_scope_level_name(scope%level()))
    call expect(len(scope%reason()) > 0, "the scope says why")
    call scope%destroy()
    call copy%destroy()
    call me%destroy()
    call expect(.not. c_associated(me%handle), "destroy clears the handle")
  end subroutine identities_and_scope

  subroutine buffers()
    type(lf_buffer) :: shared, imported
    real(real64), pointer :: grid(:, :), again(:, :)
    integer(int32), pointer :: words(:)
    integer :: fd, status
    call shared%create(context, 4096_int64, kind=LF_MEMORY_SHARED)
    call expect(shared%nbytes() == 4096, "the buffer's size")
    call shared%array(grid, [16, 32])
    call expect(all(shape(grid) == [16, 32]), "a buffer seen as a 16x32 real(8) array")
    grid = 0
    grid(3, 5) = 42.5d0
    fd = shared%export_fd()
    call imported%import_fd(context, fd)
    call imported%array(again, [16, 32])
    call expect(again(3, 5) == 42.5d0 .and. sum(again) == 42.5d0, "the imported buffer is the same memory")
    call imported%array(words)
    call expect(size(words) == 1024, "without extents: every whole element, rank 1")
    call shared%array(grid, [64, 64], status=status)
    call expect(status == LF_ERR_INVALID_ARGUMENT .and. .not. associated(grid), "a view larger than the buffer is refused")
    call expect(index(lf_last_error_message(), "[64,64]") > 0, "the refusal names the extents: " // lf_last_error_message())
    call imported%destroy()
    call shared%destroy()
  end subroutine buffers

  subroutine semaphores()
    type(lf_semaphore) :: ready, waiter, named, opened, vulkan
    type(lf_semaphore_info_t) :: info
    integer :: status
    call ready%create(context, initial_value=2_int64)
    call expect(ready%value() == 2 .and. ready%wait(2_int64, 0_int64), "a semaphore at its initial value")
    call expect(.not. ready%wait(3_int64, 1000000_int64, status=status) .and. status == LF_TIMEOUT, &
                "a wait for a value not reached times out")
    call ready%signal(3_int64)
    call expect(ready%wait(3_int64), "a signalled value is reached")
    call ready%signal(1_int64, status=status)
    call expect(status == LF_ERR_INVALID_ARGUMENT .and. index(lf_last_error_message(), "values only grow") > 0, &
                "a lower value is refused: " // lf_last_error_message())
    call waiter%import_fd(context, ready%export_fd(), wait_only=.true.)
    call ready%signal(4_int64)
    call waiter%info(info)
    call expect(waiter%value() == 4 .and. info%holders == 2, "an imported handle is the same semaphore")
    call waiter%signal(5_int64, status=status)
    call expect(status == LF_ERR_INVALID_STATE, "a wait-only handle cannot signal")
    call named%create(context, name="fortran-semaphore", wait_mode=LF_WAIT_SLEEP)
    call opened%open(context, "fortran-semaphore")
    call named%signal(9_int64)
    call expect(opened%wait(9_int64, 0_int64), "a named semaphore opened by name")
    call expect(lf_semaphore_kind_name(LF_SEMAPHORE_SHARED) == "shared", "lf_semaphore_kind_name as a Fortran string")
    call vulkan%create(context, kind=LF_SEMAPHORE_VULKAN, status=status)
    if (status == LF_OK) then  ! (a driver that exports timeline semaphores)
      call vulkan%signal(1_int64)
      call expect(vulkan%wait(1_int64, 0_int64), "a Vulkan semaphore signalled from the CPU")
    else
      call expect(status == LF_ERR_UNSUPPORTED, "a Vulkan semaphore where none can be exported is unsupported")
      call vulkan%create(context, kind=LF_SEMAPHORE_VULKAN, fallback=.true.)
      call expect(index(vulkan%reason(), "Vulkan requested") > 0, "the fallback says why: " // vulkan%reason())
    end if
    call vulkan%destroy()
    call opened%destroy()
    call named%destroy()
    call waiter%destroy()
    call ready%destroy()
  end subroutine semaphores

  subroutine channel_copies()
    type(lf_channel) :: consumer, producer
    real(real64) :: field(8, 6, 4), back(8, 6, 4)
    integer(int16) :: small(5), small_back(5)
    complex(real32) :: waves(3, 3), waves_back(3, 3)
    real(real32) :: value, value_back
    integer(int64) :: longs(2, 2, 2, 2), longs_back(2, 2, 2, 2)
    integer(c_size_t) :: got
    integer :: i, j, k, status
    call consumer%create(context, unique("fortran-copies"), capacity=65536_int64)
    call producer%open(context, unique("fortran-copies"))
    call expect(producer%transport() == LF_TRANSPORT_IN_PROCESS, "one process: " // lf_transport_name(producer%transport()))
    do concurrent (i = 1:8, j = 1:6, k = 1:4)
      field(i, j, k) = i + 10.0d0 * j + 100.0d0 * k
    end do
    small = [1, -2, 3, -4, 5]
    waves = cmplx(1.5, -2.5)
    waves(2, 3) = cmplx(7, 8)
    value = 3.25
    longs = -huge(0_int64)
    call producer%send(field)
    call producer%send(small)
    call producer%send(waves)
    call producer%send(value)
    call producer%send(longs)
    call producer%send(field(2:3, 1, :))  ! (a section: sent as a contiguous copy)
    call consumer%recv(back, nbytes=got)
    call expect(got == 8 * 6 * 4 * 8 .and. all(back == field), "a 3-D real(8) array, element by element")
    call consumer%recv(small_back)
    call expect(all(small_back == small), "int16")
    call consumer%recv(waves_back)
    call expect(all(waves_back == waves), "complex(real32)")
    call consumer%recv(value_back)
    call expect(value_back == value, "a scalar")
    call consumer%recv(longs_back)
    call expect(all(longs_back == longs), "a 4-D int64 array")
    back = 0
    call consumer%recv(back, nbytes=got)
    call expect(got == 2 * 4 * 8 .and. back(1, 1, 1) == field(2, 1, 1) .and. back(2, 1, 1) == field(3, 1, 1) .and. &
                back(3, 1, 1) == field(2, 1, 2), "an array section arrives as its elements in order")
    call consumer%recv(back, timeout_ms=0, status=status)
    call expect(status == LF_WOULD_BLOCK, "an empty channel: LF_WOULD_BLOCK, " // lf_status_name(status))
    call consumer%recv(back, timeout_ms=20, status=status)
    call expect(status == LF_TIMEOUT, "an empty channel with a timeout: LF_TIMEOUT")
    call producer%close()
    call consumer%recv(back, status=status)
    call expect(status == LF_END_OF_STREAM, "after close: LF_END_OF_STREAM")
    call producer%destroy()
    call consumer%destroy()
  end subroutine channel_copies

  subroutine channel_zero_copy()
    type(lf_channel) :: consumer, producer
    real(real64), pointer :: slot(:, :, :), view(:, :, :), flat(:)
    complex(real64), pointer :: zslot(:), zview(:)
    integer :: i, status
    call consumer%create(context, unique("fortran-zero-copy"), capacity=65536_int64)
    call producer%open(context, unique("fortran-zero-copy"))
    call producer%reserve(slot, [4, 3, 2])
    call expect(all(shape(slot) == [4, 3, 2]), "reserve lends a 4x3x2 array in the ring")
    slot = reshape([(real(i, real64), i = 1, 24)], [4, 3, 2])
    call producer%commit()
    call producer%reserve(zslot, [3])
    zslot = [(cmplx(i, -i, real64), i = 1, 3)]
    call producer%commit()
    call producer%reserve(zslot, [2])
    call producer%abort()
    call consumer%peek(view, [4, 3, 2])
    call expect(view(4, 3, 2) == 24 .and. view(2, 1, 1) == 2 .and. view(1, 2, 1) == 5, "peek: the message in place")
    call consumer%peek(flat)
    call expect(size(flat) == 24 .and. flat(24) == 24, "peek again without extents: rank 1, the same message")
    call consumer%release()
    call consumer%peek(zview)
    call expect(size(zview) == 3 .and. zview(3) == cmplx(3, -3, real64), "complex(real64) in place")
    call consumer%release()
    call consumer%peek(view, [4, 3, 2], timeout_ms=0, status=status)
    call expect(status == LF_WOULD_BLOCK .and. .not. associated(view), "the aborted reservation was never sent")
    call producer%destroy()
    call consumer%destroy()
  end subroutine channel_zero_copy

  subroutine channel_refusals()
    type(lf_channel) :: consumer, producer, nothing
    real(real64) :: field(10), too_small(2)
    real(real64), pointer :: view(:, :)
    integer :: status
    call consumer%create(context, unique("fortran-refusals"), capacity=4096_int64, max_message_size=512_int64)
    call producer%open(context, unique("fortran-refusals"))
    field = 1
    call producer%send(field)
    call consumer%peek(view, [3, 3], status=status)
    call expect(status == LF_ERR_INVALID_ARGUMENT .and. .not. associated(view), "a shape that does not fit is refused")
    call expect(index(lf_last_error_message(), "80") > 0, "the refusal says the message's bytes: " // lf_last_error_message())
    call consumer%peek(view, [5, 2], status=status)
    call expect(status == LF_OK .and. all(view == 1), "the message stayed for a second peek")
    call consumer%release()
    call producer%send(field)
    call consumer%recv(too_small, status=status)
    call expect(status == LF_ERR_BUFFER_TOO_SMALL, "recv into too small an array: " // lf_status_name(status))
    call consumer%recv(field)
    call expect(all(field == 1), "the message was not lost")
    call producer%send([(1.0d0, status = 1, 100)], status=status)
    call expect(status == LF_ERR_INVALID_ARGUMENT, "a message over max_message_size is refused")
    call expect(index(lf_last_error_message(), "max_message_size") > 0, "... and says why: " // lf_last_error_message())
    call nothing%send(field, status=status)
    call expect(status < 0, "a channel never created: " // lf_status_name(status))
    call producer%destroy()
    call consumer%destroy()
  end subroutine channel_refusals

  subroutine pool()
    type(lf_pool_driver) :: driver
    type(lf_pool_producer) :: producer
    type(lf_pool_consumer) :: consumer
    type(lf_frame) :: frame
    type(lf_pool_producer_params_t) :: producer_params
    type(lf_pool_counters_t) :: counters
    real(real32) :: image(5, 7)
    real(real32), pointer :: seen(:, :), flat(:)
    real(real64), pointer :: wrong(:, :)
    integer(int16), pointer :: slot(:, :, :), seen3(:, :, :)
    complex(real64) :: z(4)
    complex(real64), pointer :: zseen(:)
    character(len=:), allocatable :: name, units
    integer :: i, j, status
    call driver%create(context)
    producer_params%field_mask = LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT
    producer_params%connect_timeout_ms = 3000
    call producer%attach(context, 11, start_driver=.false., params=producer_params)
    call producer%set_metadata(name="fortran field", units="K")
    call consumer%attach(context, 11, start_driver=.false.)
    do j = 1, 7
      do i = 1, 5
        image(i, j) = i + 0.25 * j
      end do
    end do
    call producer%publish(image)
    call consumer%wait(frame, timeout_ms=2000)
    call expect(frame%seq == 0 .and. frame%dtype == LF_DTYPE_FLOAT32 .and. frame%ndims == 2 .and. frame%column_major, &
                "the frame's header: float32, 2 dimensions, column-major")
    call expect(all(frame%extents(1:2) == [5, 7]) .and. all(frame%view%tensor%dims(1:2) == [5, 7]), &
                "a Fortran array's dims are its shape")
    call frame%array(seen)
    call expect(all(seen == image), "the frame as a 5x7 real(4) pointer array")
    call frame%array(flat)
    call expect(size(flat) == 35 .and. flat(6) == image(1, 2), "rank 1: every element")
    call frame%array(wrong, status=status)
    call expect(status == LF_ERR_INVALID_ARGUMENT .and. index(lf_last_error_message(), "dtype") > 0, &
                "a pointer array of another kind is refused")
    call consumer%release()
    call producer%claim(slot, [2, 3, 4])
    slot = reshape([(int(i, int16), i = 1, 24)], [2, 3, 4])
    call producer%commit()
    call consumer%wait(frame, timeout_ms=2000)
    call frame%array(seen3)
    call expect(all(shape(seen3) == [2, 3, 4]) .and. seen3(2, 3, 4) == 24 .and. seen3(1, 2, 1) == 3, &
                "a claimed slot filled in place, read as int16 2x3x4")
    call consumer%release()
    z = [(cmplx(i, 10 * i, real64), i = 1, 4)]
    call producer%publish(z)
    call consumer%wait(frame, timeout_ms=2000)
    call expect(frame%dtype == LF_DTYPE_FLOAT64 .and. all(frame%extents(1:2) == [2, 4]), &
                "complex(real64): float64 with a leading dimension of 2")
    call frame%array(zseen)
    call expect(size(zseen) == 4 .and. zseen(4) == cmplx(4, 40, real64), "and a complex pointer array reads it back")
    call consumer%release()
    call consumer%poll(frame, status=status)
    call expect(status == LF_WOULD_BLOCK, "no frame: LF_WOULD_BLOCK")
    call frame%array(seen, status=status)
    call expect(status == LF_ERR_INVALID_STATE, "no frame, no array")
    call consumer%metadata(name, units)
    call expect(name == "fortran field" .and. units == "K", "metadata as Fortran strings")
    call consumer%counters(counters)
    call expect(counters%frames_read == 3 .and. counters%drops_gap == 0, "the counters")
    call consumer%detach()
    call producer%detach()
    call driver%destroy()
  end subroutine pool

end program test_objects

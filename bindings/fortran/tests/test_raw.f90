! The raw layer (module lavaflow_c) called from Fortran as the C API is: a context, a channel
! created and opened by name, a 3-D real(8) array sent and received whole, every element
! checked; a refused call's status and lavaflow's message read back as Fortran strings
! (lavaflow_text's conversions, the ones module lavaflow uses).
program test_raw
  use, intrinsic :: iso_c_binding
  use lavaflow_c
  use lavaflow_text, only: c_string, f_string
  implicit none
  type(c_ptr) :: context, consumer, producer, text
  type(lf_channel_params_t), target :: params
  real(c_double), target :: field(8, 6, 4), received(8, 6, 4)
  integer(c_size_t), target :: got
  integer(c_int32_t) :: status
  character(len=64) :: name
  character(kind=c_char), allocatable, target :: name_chars(:)
  integer :: i, j, k

  call check(lf_context_create(c_null_ptr, c_loc_ptr(context)), "lf_context_create")
  write (name, '(a, i0)') "fortran-raw-", getpid()  ! (gfortran's intrinsic)
  name_chars = c_string(name)
  params%field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY
  params%capacity = 65536_c_int64_t
  call check(lf_channel_create(context, c_loc(name_chars), c_loc(params), c_loc_ptr(consumer)), "lf_channel_create")
  call check(lf_channel_open(context, c_loc(name_chars), c_null_ptr, c_loc_ptr(producer)), "lf_channel_open")
  do k = 1, 4
    do j = 1, 6
      do i = 1, 8
        field(i, j, k) = i + 10.0d0 * j + 100.0d0 * k
      end do
    end do
  end do
  call check(lf_channel_send(producer, c_loc(field), c_sizeof(field), -1_c_int32_t), "lf_channel_send")
  received = 0
  call check(lf_channel_recv(consumer, c_loc(received), c_sizeof(received), c_loc(got), 0_c_int32_t), "lf_channel_recv")
  if (got /= c_sizeof(field) .or. any(received /= field)) error stop "the array came back different"
  status = lf_channel_recv(consumer, c_loc(received), c_sizeof(received), c_loc(got), 0_c_int32_t)
  if (status /= LF_WOULD_BLOCK) error stop "an empty channel did not say LF_WOULD_BLOCK"
  ! A message larger than max_message_size is refused with a status and a message.
  status = lf_channel_send(producer, c_loc(field), 1000000_c_size_t, 0_c_int32_t)
  if (status /= LF_ERR_INVALID_ARGUMENT) error stop "an oversized send was not refused"
  text = lf_last_error_message()
  if (index(f_string(text), "max_message_size") == 0) error stop "the message does not name the limit"
  if (f_string(lf_status_name(status)) /= "LF_ERR_INVALID_ARGUMENT") error stop "lf_status_name"
  call check(lf_channel_destroy(producer), "lf_channel_destroy")
  call check(lf_channel_destroy(consumer), "lf_channel_destroy")
  call check(lf_context_destroy(context), "lf_context_destroy")
  print '(a)', "test_fortran_raw: PASSED"

contains

  subroutine check(status, what)
    integer(c_int32_t), intent(in) :: status
    character(len=*), intent(in) :: what
    if (status /= LF_OK) then
      print '(a, ": ", a)', what, f_string(lf_last_error_message())
      error stop 1
    end if
  end subroutine check

  ! The address of a handle variable, for the C out parameters (lavaflow_c passes pointers as
  ! type(c_ptr), value).
  function c_loc_ptr(handle) result(address)
    type(c_ptr), target, intent(inout) :: handle
    type(c_ptr) :: address
    address = c_loc(handle)
  end function c_loc_ptr

end program test_raw

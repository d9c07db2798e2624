! Text between Fortran and C, and what a friendly call does with a status: the pieces every
! other friendly module uses.
!
! Statuses follow mpi_f08's `ierror`: every friendly procedure takes `integer, optional,
! intent(out) :: status`. Passed, it receives the lf_status_t value (LF_OK, LF_WOULD_BLOCK,
! LF_TIMEOUT, ... or a negative LF_ERR_*) and the program goes on; absent, anything but LF_OK
! prints the call, the status name and lavaflow's message on error_unit and stops the program
! (`error stop 1`). So a program that passes no status never goes on after a failure unseen.
module lavaflow_text
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: error_unit
  use lavaflow_c, only: LF_OK, c_status_string => lf_status_string, c_status_name => lf_status_name, &
                        c_last_error_message => lf_last_error_message, c_version_string => lf_version_string, &
                        c_feature_name => lf_feature_name, c_log_level_name => lf_log_level_name, &
                        c_topology_object_type_name => lf_topology_object_type_name, &
                        c_scope_level_name => lf_scope_level_name, c_mechanism_name => lf_mechanism_name, &
                        c_memory_kind_name => lf_memory_kind_name, c_device_type_name => lf_device_type_name, &
                        c_transport_name => lf_transport_name, c_dtype_name => lf_dtype_name, &
                        c_semaphore_kind_name => lf_semaphore_kind_name, &
                        c_last_error_clear => lf_last_error_clear
  implicit none
  private

  ! The message of the last call the Fortran side refused before reaching C (a shape that does
  ! not fit a message, say); cleared by the next call C refuses. Per process, not per thread.
  character(len=:), allocatable, save :: refusal

  ! (generic names: a module function of the C function's name would clash with its binding)
  interface lf_status_string
    module procedure status_string_text
  end interface lf_status_string
  interface lf_status_name
    module procedure status_name_text
  end interface lf_status_name
  interface lf_last_error_message
    module procedure last_error_message_text
  end interface lf_last_error_message
  interface lf_version_string
    module procedure version_string_text
  end interface lf_version_string
  interface lf_feature_name
    module procedure feature_name_text
  end interface lf_feature_name
  interface lf_log_level_name
    module procedure log_level_name_text
  end interface lf_log_level_name
  interface lf_topology_object_type_name
    module procedure topology_object_type_name_text
  end interface lf_topology_object_type_name
  interface lf_scope_level_name
    module procedure scope_level_name_text
  end interface lf_scope_level_name
  interface lf_mechanism_name
    module procedure mechanism_name_text
  end interface lf_mechanism_name
  interface lf_memory_kind_name
    module procedure memory_kind_name_text
  end interface lf_memory_kind_name
  interface lf_device_type_name
    module procedure device_type_name_text
  end interface lf_device_type_name
  interface lf_transport_name
    module procedure transport_name_text
  end interface lf_transport_name
  interface lf_semaphore_kind_name
    module procedure semaphore_kind_name_text
  end interface lf_semaphore_kind_name
  interface lf_dtype_name
    module procedure dtype_name_text
  end interface lf_dtype_name
  public :: c_string, f_string, f_string_of, lf_finish, lf_refuse, lf_stop_with
  ! lavaflow's functions that return C text, returning Fortran strings (the same names as the C
  ! functions: module `lavaflow` re-exports these instead of lavaflow_c's c_ptr versions).
  public :: lf_status_string, lf_status_name, lf_last_error_message, lf_version_string, lf_feature_name, &
            lf_log_level_name, lf_topology_object_type_name, lf_scope_level_name, lf_mechanism_name, &
            lf_memory_kind_name, lf_device_type_name, lf_transport_name, lf_dtype_name, lf_semaphore_kind_name

contains

  !> `text` without trailing blanks as a NUL-terminated C string (pass c_loc of it, or the
  !> array to a `character(kind=c_char)` dummy).
  function c_string(text) result(chars)
    character(len=*), intent(in) :: text
    character(kind=c_char), allocatable :: chars(:)
    integer :: n
    allocate (chars(len_trim(text) + 1))
    do n = 1, len_trim(text)
      chars(n) = text(n:n)
    end do
    chars(len_trim(text) + 1) = c_null_char
  end function c_string

  !> The NUL-terminated C string at `address` (at most 1 MiB; lavaflow's texts are short) as a
  !> Fortran string; "" for a null pointer.
  function f_string(address) result(text)
    type(c_ptr), intent(in) :: address
    character(len=:), allocatable :: text
    character(kind=c_char), pointer :: chars(:)
    integer :: n
    if (.not. c_associated(address)) then
      text = ""
      return
    end if
    call c_f_pointer(address, chars, [1048576])
    n = 0
    do while (n < size(chars))
      if (chars(n + 1) == c_null_char) exit
      n = n + 1
    end do
    text = f_string_of(chars(1:n))
  end function f_string

  !> A fixed-size C char array (a struct member such as a metadata name) up to its first NUL.
  function f_string_of(chars) result(text)
    character(kind=c_char), intent(in) :: chars(:)
    character(len=:), allocatable :: text
    integer :: n, length
    length = size(chars)
    do n = 1, size(chars)
      if (chars(n) == c_null_char) then
        length = n - 1
        exit
      end if
    end do
    allocate (character(len=length) :: text)
    do n = 1, length
      text(n:n) = chars(n)
    end do
  end function f_string_of

  !> What every friendly call does with the status `code` of the C call named `what`: hand it to
  !> the caller's `status`, or, with none passed, stop on anything but LF_OK.
  subroutine lf_finish(code, what, status)
    integer(c_int32_t), intent(in) :: code
    character(len=*), intent(in) :: what
    integer, intent(out), optional :: status
    if (code < 0) refusal = ""
    if (present(status)) then
      status = int(code)
    else if (code /= LF_OK) then
      call lf_stop_with(code, what)
    end if
  end subroutine lf_finish

  !> A call refused on the Fortran side with `code` and `message` (what lf_last_error_message()
  !> then says), handled as lf_finish() handles C's statuses.
  subroutine lf_refuse(code, what, message, status)
    integer(c_int32_t), intent(in) :: code
    character(len=*), intent(in) :: what, message
    integer, intent(out), optional :: status
    call c_last_error_clear()
    refusal = message
    if (present(status)) then
      status = int(code)
    else
      call lf_stop_with(code, what)
    end if
  end subroutine lf_refuse

  subroutine lf_stop_with(code, what)
    integer(c_int32_t), intent(in) :: code
    character(len=*), intent(in) :: what
    write (error_unit, '(a)') "lavaflow: " // what // ": " // lf_status_name(int(code)) // ": " // lf_last_error_message()
    error stop 1
  end subroutine lf_stop_with

  function status_string_text(status) result(text)
    integer, intent(in) :: status
    character(len=:), allocatable :: text
    text = f_string(c_status_string(int(status, c_int32_t)))
  end function status_string_text

  function status_name_text(status) result(text)
    integer, intent(in) :: status
    character(len=:), allocatable :: text
    text = f_string(c_status_name(int(status, c_int32_t)))
  end function status_name_text

  !> The message of the last failed lavaflow call ("" if none): C's (per thread), or the Fortran
  !> side's when it refused the last failed call itself.
  function last_error_message_text() result(text)
    character(len=:), allocatable :: text
    if (allocated(refusal)) then
      if (len(refusal) > 0) then
        text = refusal
        return
      end if
    end if
    text = f_string(c_last_error_message())
  end function last_error_message_text

  function version_string_text() result(text)
    character(len=:), allocatable :: text
    text = f_string(c_version_string())
  end function version_string_text

  function feature_name_text(feature) result(text)
    integer(c_int64_t), intent(in) :: feature
    character(len=:), allocatable :: text
    text = f_string(c_feature_name(feature))
  end function feature_name_text

  function log_level_name_text(level) result(text)
    integer, intent(in) :: level
    character(len=:), allocatable :: text
    text = f_string(c_log_level_name(int(level, c_int32_t)))
  end function log_level_name_text

  function topology_object_type_name_text(object_type) result(text)
    integer, intent(in) :: object_type
    character(len=:), allocatable :: text
    text = f_string(c_topology_object_type_name(int(object_type, c_int32_t)))
  end function topology_object_type_name_text

  function scope_level_name_text(level) result(text)
    integer, intent(in) :: level
    character(len=:), allocatable :: text
    text = f_string(c_scope_level_name(int(level, c_int32_t)))
  end function scope_level_name_text

  function mechanism_name_text(mechanism) result(text)
    integer, intent(in) :: mechanism
    character(len=:), allocatable :: text
    text = f_string(c_mechanism_name(int(mechanism, c_int32_t)))
  end function mechanism_name_text

  function semaphore_kind_name_text(kind) result(text)
    integer, intent(in) :: kind
    character(len=:), allocatable :: text
    text = f_string(c_semaphore_kind_name(int(kind, c_int32_t)))
  end function semaphore_kind_name_text

  function memory_kind_name_text(kind) result(text)
    integer, intent(in) :: kind
    character(len=:), allocatable :: text
    text = f_string(c_memory_kind_name(int(kind, c_int32_t)))
  end function memory_kind_name_text

  function device_type_name_text(device_type) result(text)
    integer, intent(in) :: device_type
    character(len=:), allocatable :: text
    text = f_string(c_device_type_name(int(device_type, c_int32_t)))
  end function device_type_name_text

  function transport_name_text(transport) result(text)
    integer, intent(in) :: transport
    character(len=:), allocatable :: text
    text = f_string(c_transport_name(int(transport, c_int32_t)))
  end function transport_name_text

  function dtype_name_text(dtype) result(text)
    integer, intent(in) :: dtype
    character(len=:), allocatable :: text
    text = f_string(c_dtype_name(int(dtype, c_int32_t)))
  end function dtype_name_text

end module lavaflow_text

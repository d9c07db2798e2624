! The friendly timeline semaphore: a 64-bit value that only grows, shared between threads,
! processes and GPU APIs (sync.h). `call sem%signal(n)` raises it; `sem%wait(n, timeout_ns)` is
! .true. once it is at least n, .false. at the timeout.
module lavaflow_sync
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int64
  use lavaflow_c
  use lavaflow_text, only: c_string, f_string, lf_finish
  use lavaflow_core, only: lf_context
  implicit none
  private
  public :: lf_semaphore

  type :: lf_semaphore
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => semaphore_create
    procedure :: open => semaphore_open
    procedure :: import_fd => semaphore_import_fd
    procedure :: recv => semaphore_recv
    procedure :: export_fd => semaphore_export_fd
    procedure :: send => semaphore_send
    procedure :: signal => semaphore_signal
    procedure :: wait => semaphore_wait
    procedure :: value => semaphore_value
    procedure :: info => semaphore_info
    procedure :: reason => semaphore_reason
    procedure :: destroy => semaphore_destroy
  end type lf_semaphore

contains

  !> Handle options: `wait_mode` (an LF_WAIT_* value) and `wait_only` (this handle never signals).
  subroutine set_handle_options(settings, wait_mode, wait_only)
    type(lf_semaphore_params_t), intent(inout) :: settings
    integer, intent(in), optional :: wait_mode
    logical, intent(in), optional :: wait_only
    if (present(wait_mode)) then
      settings%wait_mode = int(wait_mode, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE)
    end if
    if (present(wait_only)) then
      if (wait_only) then
        settings%flags = LF_SEMAPHORE_FLAG_WAIT_ONLY
        settings%field_mask = ior(settings%field_mask, LF_SEMAPHORE_PARAM_FIELD_FLAGS)
      end if
    end if
  end subroutine set_handle_options

  !> A semaphore at `initial_value` (default 0) of `kind` (LF_SEMAPHORE_SHARED by default, or
  !> LF_SEMAPHORE_VULKAN; `fallback` allows a shared one where Vulkan cannot export one);
  !> `name` publishes a shared one for open().
  subroutine semaphore_create(self, context, initial_value, kind, name, wait_mode, wait_only, fallback, status)
    class(lf_semaphore), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer(int64), intent(in), optional :: initial_value
    integer, intent(in), optional :: kind, wait_mode
    character(len=*), intent(in), optional :: name
    logical, intent(in), optional :: wait_only, fallback
    integer, intent(out), optional :: status
    type(lf_semaphore_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    call set_handle_options(settings, wait_mode, wait_only)
    if (present(initial_value)) then
      settings%initial_value = initial_value
      settings%field_mask = ior(settings%field_mask, LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE)
    end if
    if (present(kind)) then
      settings%kind = int(kind, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_SEMAPHORE_PARAM_FIELD_KIND)
    end if
    if (present(fallback)) then
      if (fallback) then
        settings%fallback = LF_SEMAPHORE_FALLBACK_TO_SHARED
        settings%field_mask = ior(settings%field_mask, LF_SEMAPHORE_PARAM_FIELD_FALLBACK)
      end if
    end if
    if (present(name)) then
      name_chars = c_string(name)
      settings%name = c_loc(name_chars)
      settings%field_mask = ior(settings%field_mask, LF_SEMAPHORE_PARAM_FIELD_NAME)
    end if
    handle = c_null_ptr
    code = lf_semaphore_create(context%handle, c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_semaphore_create", status)
  end subroutine semaphore_create

  !> The shared semaphore another process of this user published under `name`.
  subroutine semaphore_open(self, context, name, wait_mode, wait_only, status)
    class(lf_semaphore), intent(inout) :: self
    type(lf_context), intent(in) :: context
    character(len=*), intent(in) :: name
    integer, intent(in), optional :: wait_mode
    logical, intent(in), optional :: wait_only
    integer, intent(out), optional :: status
    type(lf_semaphore_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    call set_handle_options(settings, wait_mode, wait_only)
    name_chars = c_string(name)
    handle = c_null_ptr
    code = lf_semaphore_open(context%handle, c_loc(name_chars), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_semaphore_open", status)
  end subroutine semaphore_open

  !> The shared semaphore behind a descriptor another process's export_fd() gave (the
  !> descriptor stays the caller's).
  subroutine semaphore_import_fd(self, context, fd, wait_mode, wait_only, status)
    class(lf_semaphore), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer, intent(in) :: fd
    integer, intent(in), optional :: wait_mode
    logical, intent(in), optional :: wait_only
    integer, intent(out), optional :: status
    type(lf_semaphore_params_t), target :: settings
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    call set_handle_options(settings, wait_mode, wait_only)
    handle = c_null_ptr
    code = lf_semaphore_import_fd(context%handle, int(fd, c_int), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_semaphore_import_fd", status)
  end subroutine semaphore_import_fd

  !> A semaphore another process sent over the AF_UNIX socket `socket_fd`; .false. if none came
  !> within `timeout_ms` (-1: as long as it takes).
  logical function semaphore_recv(self, context, socket_fd, timeout_ms, wait_mode, wait_only, status) result(got)
    class(lf_semaphore), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer, intent(in) :: socket_fd, timeout_ms
    integer, intent(in), optional :: wait_mode
    logical, intent(in), optional :: wait_only
    integer, intent(out), optional :: status
    type(lf_semaphore_params_t), target :: settings
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    call set_handle_options(settings, wait_mode, wait_only)
    handle = c_null_ptr
    code = lf_semaphore_recv(context%handle, int(socket_fd, c_int), c_loc(settings), int(timeout_ms, c_int32_t), &
                             c_loc(handle))
    if (code == LF_OK) self%handle = handle
    got = code == LF_OK
    if (code /= LF_TIMEOUT) call lf_finish(code, "lf_semaphore_recv", status)
    if (code == LF_TIMEOUT .and. present(status)) status = int(code)
  end function semaphore_recv

  !> A new file descriptor of the semaphore, for another process or GPU API (the caller closes it).
  integer function semaphore_export_fd(self, status) result(fd)
    class(lf_semaphore), intent(in) :: self
    integer, intent(out), optional :: status
    integer(c_int), target :: exported
    exported = -1
    call lf_finish(lf_semaphore_export_fd(self%handle, c_loc(exported)), "lf_semaphore_export_fd", status)
    fd = int(exported)
  end function semaphore_export_fd

  !> Sends the semaphore over a connected AF_UNIX socket.
  subroutine semaphore_send(self, socket_fd, status)
    class(lf_semaphore), intent(in) :: self
    integer, intent(in) :: socket_fd
    integer, intent(out), optional :: status
    call lf_finish(lf_semaphore_send(self%handle, int(socket_fd, c_int)), "lf_semaphore_send", status)
  end subroutine semaphore_send

  !> Raises the value to `value` (LF_ERR_INVALID_ARGUMENT unless that raises it).
  subroutine semaphore_signal(self, value, status)
    class(lf_semaphore), intent(in) :: self
    integer(int64), intent(in) :: value
    integer, intent(out), optional :: status
    call lf_finish(lf_semaphore_signal(self%handle, int(value, c_int64_t)), "lf_semaphore_signal", status)
  end subroutine semaphore_signal

  !> .true. once the value is at least `value`, .false. after `timeout_ns` nanoseconds (absent
  !> or negative: as long as it takes). A holder that could signal and died is LF_ERR_PEER_DEAD.
  logical function semaphore_wait(self, value, timeout_ns, status) result(reached)
    class(lf_semaphore), intent(in) :: self
    integer(int64), intent(in) :: value
    integer(int64), intent(in), optional :: timeout_ns
    integer, intent(out), optional :: status
    integer(c_int64_t) :: ns
    integer(c_int32_t) :: code
    ns = -1
    if (present(timeout_ns)) ns = timeout_ns
    code = lf_semaphore_wait(self%handle, int(value, c_int64_t), ns)
    reached = code == LF_OK
    if (code /= LF_TIMEOUT) call lf_finish(code, "lf_semaphore_wait", status)
    if (code == LF_TIMEOUT .and. present(status)) status = int(code)
  end function semaphore_wait

  integer(int64) function semaphore_value(self, status)
    class(lf_semaphore), intent(in) :: self
    integer, intent(out), optional :: status
    integer(c_int64_t), target :: value
    value = 0
    call lf_finish(lf_semaphore_get_value(self%handle, c_loc(value)), "lf_semaphore_get_value", status)
    semaphore_value = value
  end function semaphore_value

  !> What the semaphore is (the raw lf_semaphore_info_t: kind, value, holders, counters).
  subroutine semaphore_info(self, info, status)
    class(lf_semaphore), intent(in) :: self
    type(lf_semaphore_info_t), intent(out), target :: info
    integer, intent(out), optional :: status
    info%struct_size = int(c_sizeof(info), c_int32_t)
    call lf_finish(lf_semaphore_get_info(self%handle, c_loc(info)), "lf_semaphore_get_info", status)
  end subroutine semaphore_info

  !> Why the semaphore is the kind it is (a fallback, say), in words.
  function semaphore_reason(self, status) result(text)
    class(lf_semaphore), intent(in) :: self
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_semaphore_get_reason(self%handle, c_loc(chars)), "lf_semaphore_get_reason", status)
    text = f_string(chars)
  end function semaphore_reason

  subroutine semaphore_destroy(self, status)
    class(lf_semaphore), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_semaphore_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_semaphore_destroy", status)
  end subroutine semaphore_destroy

end module lavaflow_sync

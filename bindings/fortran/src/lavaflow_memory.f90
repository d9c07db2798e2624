! The friendly buffer: host, shared, NUMA-bound, huge-page or device memory lavaflow allocates,
! seen from Fortran as a pointer array of any kind and rank (`call buffer%array(field, [n, m])`)
! valid until the buffer is destroyed.
module lavaflow_memory
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int8, int16, int32, int64, real32, real64
  use lavaflow_c
  use lavaflow_text, only: c_string, f_string, lf_finish, lf_refuse
  use lavaflow_arrays
  use lavaflow_extents
  use lavaflow_core, only: lf_context
  implicit none
  private
  public :: lf_buffer

  type :: lf_buffer
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => buffer_create
    procedure :: open => buffer_open
    procedure :: export_fd => buffer_export_fd
    procedure :: import_fd => buffer_import_fd
    procedure :: destroy => buffer_destroy
    procedure :: nbytes => buffer_nbytes
    procedure :: info => buffer_info
    procedure :: reason => buffer_reason
    procedure :: array_at
    include "buffer_bindings.inc"
  end type lf_buffer

contains

  !> `nbytes` bytes of `kind` (an LF_MEMORY_* value; default host memory). `name` publishes a
  !> shared buffer for open(); `params` gives every other setting.
  subroutine buffer_create(self, context, nbytes, kind, name, params, status)
    class(lf_buffer), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer(int64), intent(in) :: nbytes
    integer, intent(in), optional :: kind
    character(len=*), intent(in), optional :: name
    type(lf_buffer_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_buffer_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(kind)) then
      settings%kind = int(kind, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_BUFFER_PARAM_FIELD_KIND)
    end if
    if (present(name)) then
      name_chars = c_string(name)
      settings%name = c_loc(name_chars)
      settings%field_mask = ior(settings%field_mask, LF_BUFFER_PARAM_FIELD_NAME)
    end if
    handle = c_null_ptr
    code = lf_buffer_create(context%handle, int(nbytes, c_size_t), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_buffer_create", status)
  end subroutine buffer_create

  !> The shared buffer another process created with `name`.
  subroutine buffer_open(self, context, name, status)
    class(lf_buffer), intent(inout) :: self
    type(lf_context), intent(in) :: context
    character(len=*), intent(in) :: name
    integer, intent(out), optional :: status
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    name_chars = c_string(name)
    handle = c_null_ptr
    code = lf_buffer_open(context%handle, c_loc(name_chars), c_null_ptr, c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_buffer_open", status)
  end subroutine buffer_open

  !> A new file descriptor of the buffer's memory, for another process (the caller closes it).
  integer function buffer_export_fd(self, status) result(fd)
    class(lf_buffer), intent(in) :: self
    integer, intent(out), optional :: status
    integer(c_int), target :: exported
    exported = -1
    call lf_finish(lf_buffer_export_fd(self%handle, c_loc(exported)), "lf_buffer_export_fd", status)
    fd = int(exported)
  end function buffer_export_fd

  !> The buffer behind a descriptor export_fd() gave (the descriptor stays the caller's).
  subroutine buffer_import_fd(self, context, fd, status)
    class(lf_buffer), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer, intent(in) :: fd
    integer, intent(out), optional :: status
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    handle = c_null_ptr
    code = lf_buffer_import_fd(context%handle, int(fd, c_int), c_null_ptr, c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_buffer_import_fd", status)
  end subroutine buffer_import_fd

  !> Pointer arrays over the buffer must not be used after this.
  subroutine buffer_destroy(self, status)
    class(lf_buffer), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_buffer_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_buffer_destroy", status)
  end subroutine buffer_destroy

  integer(int64) function buffer_nbytes(self, status)
    class(lf_buffer), intent(in) :: self
    integer, intent(out), optional :: status
    type(lf_buffer_info_t) :: info
    call self%info(info, status)
    buffer_nbytes = info%size
  end function buffer_nbytes

  !> What the buffer is (the raw lf_buffer_info_t: kind obtained, pages, NUMA node).
  subroutine buffer_info(self, info, status)
    class(lf_buffer), intent(in) :: self
    type(lf_buffer_info_t), intent(out), target :: info
    integer, intent(out), optional :: status
    info%struct_size = int(c_sizeof(info), c_int32_t)
    call lf_finish(lf_buffer_get_info(self%handle, c_loc(info)), "lf_buffer_get_info", status)
  end subroutine buffer_info

  !> Why the buffer is the kind it is (a fallback, say), in words.
  function buffer_reason(self, status) result(text)
    class(lf_buffer), intent(in) :: self
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_buffer_get_reason(self%handle, c_loc(chars)), "lf_buffer_get_reason", status)
    text = f_string(chars)
  end function buffer_reason

  !> array of any pointer array: the buffer's first product(extents) elements (without extents:
  !> a rank-1 array of every whole element). Device-local memory has no host address: refused.
  subroutine array_at(self, rank, element, address, extents_of, extents, status)
    class(lf_buffer), intent(inout) :: self
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    type(c_ptr), intent(out) :: address
    integer, intent(inout) :: extents_of(LF_POOL_MAX_DIMS)
    integer, intent(in), optional :: extents(:)
    integer, intent(out), optional :: status
    type(c_ptr), target :: data
    integer(c_size_t), target :: nbytes
    integer(c_int32_t) :: code
    address = c_null_ptr
    data = c_null_ptr
    nbytes = 0
    code = lf_buffer_get_data(self%handle, c_loc(data), c_loc(nbytes))
    if (code /= LF_OK) then
      call lf_finish(code, "lf_buffer_get_data", status)
    else if (.not. lf_extents_fit(rank, element, int(nbytes, c_int64_t), extents, .false., extents_of)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "array", "the buffer does not hold the pointer array: " // &
                     lf_extents_misfit(rank, element, int(nbytes, c_int64_t), extents, .false.), status)
    else
      address = data
      call lf_finish(code, "lf_buffer_get_data", status)
    end if
  end subroutine array_at

  include "buffer_kinds.inc"

end module lavaflow_memory

! The friendly context, identity and scope: handles as derived types with type-bound procedures
! (`call context%create()`, `call scope%create(context, a, b)`), statuses as in lavaflow_text.
! Each type's `handle` is the C handle, for the raw lavaflow_c functions.
module lavaflow_core
  use, intrinsic :: iso_c_binding
  use lavaflow_c
  use lavaflow_text, only: c_string, f_string, f_string_of, lf_finish
  implicit none
  private
  public :: lf_context, lf_identity, lf_scope

  !> A lavaflow context: every other object is made from one. Destroy it last (the C API keeps
  !> it alive while its children live, so the order is safe either way).
  type :: lf_context
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => context_create
    procedure :: destroy => context_destroy
    procedure :: name => context_name
    procedure :: base_dir => context_base_dir
  end type lf_context

  !> Where a process runs (host, cpuset, NUMA nodes, ...), to send to a peer and decide a scope.
  type :: lf_identity
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => identity_create
    procedure :: from_blob => identity_from_blob
    procedure :: serialize => identity_serialize
    procedure :: text => identity_text
    procedure :: destroy => identity_destroy
  end type lf_identity

  !> What two identities share (LF_SCOPE_PROCESS ... LF_SCOPE_NETWORK) and why.
  type :: lf_scope
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => scope_create
    procedure :: level => scope_level
    procedure :: reason => scope_reason
    procedure :: destroy => scope_destroy
  end type lf_scope

contains

  !> A new context. `name` names it in logs and tools; `base_dir` is where its shared-memory
  !> files go (default /dev/shm); `params` gives every other setting (name and base_dir override
  !> its fields).
  subroutine context_create(self, name, base_dir, params, status)
    class(lf_context), intent(inout) :: self
    character(len=*), intent(in), optional :: name, base_dir
    type(lf_context_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_context_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:), base_dir_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(name)) then
      name_chars = c_string(name)
      settings%name = c_loc(name_chars)
      settings%field_mask = ior(settings%field_mask, LF_CONTEXT_PARAM_FIELD_NAME)
    end if
    if (present(base_dir)) then
      base_dir_chars = c_string(base_dir)
      settings%base_dir = c_loc(base_dir_chars)
      settings%field_mask = ior(settings%field_mask, LF_CONTEXT_PARAM_FIELD_BASE_DIR)
    end if
    handle = c_null_ptr
    code = lf_context_create(c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_context_create", status)
  end subroutine context_create

  subroutine context_destroy(self, status)
    class(lf_context), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_context_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_context_destroy", status)
  end subroutine context_destroy

  function context_name(self, status) result(text)
    class(lf_context), intent(in) :: self
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_context_get_name(self%handle, c_loc(chars)), "lf_context_get_name", status)
    text = f_string(chars)
  end function context_name

  function context_base_dir(self, status) result(text)
    class(lf_context), intent(in) :: self
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_context_get_base_dir(self%handle, c_loc(chars)), "lf_context_get_base_dir", status)
    text = f_string(chars)
  end function context_base_dir

  !> This process's identity (`params`: the raw lf_identity_params_t, for a cpuset or a pid).
  subroutine identity_create(self, context, params, status)
    class(lf_identity), intent(inout) :: self
    type(lf_context), intent(in) :: context
    type(lf_identity_params_t), intent(in), target, optional :: params
    integer, intent(out), optional :: status
    type(c_ptr), target :: handle
    type(c_ptr) :: settings
    integer(c_int32_t) :: code
    settings = c_null_ptr
    if (present(params)) settings = c_loc(params)
    handle = c_null_ptr
    code = lf_identity_create(context%handle, settings, c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_identity_create", status)
  end subroutine identity_create

  !> A peer's identity from the bytes its serialize() gave (validated).
  subroutine identity_from_blob(self, context, blob, status)
    class(lf_identity), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer(c_int8_t), intent(in), target, contiguous :: blob(:)
    integer, intent(out), optional :: status
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    handle = c_null_ptr
    code = lf_identity_create_from_blob(context%handle, c_loc(blob), size(blob, kind=c_size_t), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_identity_create_from_blob", status)
  end subroutine identity_from_blob

  !> The identity as bytes to send to a peer (MPI_Send them as MPI_BYTE, say).
  subroutine identity_serialize(self, blob, status)
    class(lf_identity), intent(in) :: self
    integer(c_int8_t), allocatable, target, intent(out) :: blob(:)
    integer, intent(out), optional :: status
    integer(c_size_t), target :: needed
    integer(c_int32_t) :: code
    needed = 0
    code = lf_identity_serialize(self%handle, c_null_ptr, 0_c_size_t, c_loc(needed))
    if (code == LF_OK .or. code == LF_ERR_BUFFER_TOO_SMALL) then
      allocate (blob(needed))
      code = lf_identity_serialize(self%handle, c_loc(blob), needed, c_loc(needed))
    else
      allocate (blob(0))
    end if
    call lf_finish(code, "lf_identity_serialize", status)
  end subroutine identity_serialize

  !> One of the identity's texts: `which` is an LF_IDENTITY_TEXT_* value.
  function identity_text(self, which, status) result(text)
    class(lf_identity), intent(in) :: self
    integer, intent(in) :: which
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    character(kind=c_char), allocatable, target :: chars(:)
    integer(c_size_t), target :: length
    integer(c_int32_t) :: code
    length = 0
    code = lf_identity_get_text(self%handle, int(which, c_int32_t), c_null_ptr, 0_c_size_t, c_loc(length))
    if (code == LF_OK .or. code == LF_ERR_BUFFER_TOO_SMALL) then
      allocate (chars(length + 1))
      code = lf_identity_get_text(self%handle, int(which, c_int32_t), c_loc(chars), size(chars, kind=c_size_t), c_loc(length))
    end if
    text = ""
    if (code == LF_OK) text = f_string_of(chars)
    call lf_finish(code, "lf_identity_get_text", status)
  end function identity_text

  subroutine identity_destroy(self, status)
    class(lf_identity), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_identity_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_identity_destroy", status)
  end subroutine identity_destroy

  !> The scope between identities `a` and `b`.
  subroutine scope_create(self, context, a, b, status)
    class(lf_scope), intent(inout) :: self
    type(lf_context), intent(in) :: context
    type(lf_identity), intent(in) :: a, b
    integer, intent(out), optional :: status
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    handle = c_null_ptr
    code = lf_scope_create(context%handle, a%handle, b%handle, c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_scope_create", status)
  end subroutine scope_create

  !> The decided level, an LF_SCOPE_* value (lf_scope_level_name() prints it).
  integer function scope_level(self, status)
    class(lf_scope), intent(in) :: self
    integer, intent(out), optional :: status
    type(lf_scope_info_t), target :: info
    info%struct_size = int(c_sizeof(info), c_int32_t)
    call lf_finish(lf_scope_get_info(self%handle, c_loc(info)), "lf_scope_get_info", status)
    scope_level = int(info%level)
  end function scope_level

  !> Why lavaflow decided that level, in words.
  function scope_reason(self, status) result(text)
    class(lf_scope), intent(in) :: self
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_scope_get_reason(self%handle, c_loc(chars)), "lf_scope_get_reason", status)
    text = f_string(chars)
  end function scope_reason

  subroutine scope_destroy(self, status)
    class(lf_scope), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_scope_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_scope_destroy", status)
  end subroutine scope_destroy

end module lavaflow_core

! The friendly channel: ordered, bounded messages between threads, processes or ranks, sent and
! received as Fortran arrays of any kind and rank with the byte count computed.
!
!   call channel%send(field)                       ! a copy into the ring
!   call channel%recv(field, nbytes=got)           ! a copy out of it
!   call channel%peek(view, [8, 6, 4])             ! zero-copy: view => the message in the ring,
!   ... read view ...                              !   valid until release
!   call channel%release()
!   call channel%reserve(slot, [8, 6, 4]); slot = ...; call channel%commit()   ! zero-copy send
!
! Timeouts are in milliseconds (absent: wait forever; 0: do not wait). Statuses as lavaflow_text
! says: pass `status` to see LF_WOULD_BLOCK, LF_TIMEOUT or LF_END_OF_STREAM without stopping.
module lavaflow_channels
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int8, int16, int32, int64, real32, real64
  use lavaflow_c
  use lavaflow_text, only: c_string, f_string, lf_finish, lf_refuse
  use lavaflow_arrays
  use lavaflow_extents
  use lavaflow_core, only: lf_context
  implicit none
  private
  public :: lf_channel

  type :: lf_channel
    type(c_ptr) :: handle = c_null_ptr
    integer(c_size_t), private :: reserved_bytes = 0
    ! The message peeked and not yet released: peeking again gives it again (with another shape,
    ! say, after one that did not fit), as C's lf_channel_peek() refuses a second peek.
    type(c_ptr), private :: peeked = c_null_ptr
    integer(c_size_t), private :: peeked_bytes = 0
  contains
    procedure :: create => channel_create
    procedure :: open => channel_open
    procedure :: adopt => channel_adopt
    procedure :: close => channel_close
    procedure :: destroy => channel_destroy
    procedure :: commit => channel_commit
    procedure :: abort => channel_abort
    procedure :: release => channel_release
    procedure :: transport => channel_transport
    procedure :: info => channel_info
    procedure :: reason => channel_reason
    procedure :: send_at, recv_at, peek_at, reserve_at
    include "channel_bindings.inc"
  end type lf_channel

contains

  !> Create the channel `name` and be its consumer. `capacity` (ring bytes per producer, a power
  !> of two), `max_message_size` and `max_producers` (1: SPSC) set those fields of `params`.
  subroutine channel_create(self, context, name, capacity, max_message_size, max_producers, params, status)
    class(lf_channel), intent(inout) :: self
    type(lf_context), intent(in) :: context
    character(len=*), intent(in) :: name
    integer(int64), intent(in), optional :: capacity, max_message_size
    integer, intent(in), optional :: max_producers
    type(lf_channel_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_channel_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(capacity)) then
      settings%capacity = capacity
      settings%field_mask = ior(settings%field_mask, LF_CHANNEL_PARAM_FIELD_CAPACITY)
    end if
    if (present(max_message_size)) then
      settings%max_message_size = max_message_size
      settings%field_mask = ior(settings%field_mask, LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE)
    end if
    if (present(max_producers)) then
      settings%max_producers = int(max_producers, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS)
    end if
    name_chars = c_string(name)
    handle = c_null_ptr
    code = lf_channel_create(context%handle, c_loc(name_chars), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_channel_create", status)
  end subroutine channel_create

  !> Open the channel `name` as a producer, waiting up to `connect_timeout_ms` for its creation.
  subroutine channel_open(self, context, name, connect_timeout_ms, params, status)
    class(lf_channel), intent(inout) :: self
    type(lf_context), intent(in) :: context
    character(len=*), intent(in) :: name
    integer, intent(in), optional :: connect_timeout_ms
    type(lf_channel_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_channel_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(connect_timeout_ms)) then
      settings%connect_timeout_ms = int(connect_timeout_ms, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT)
    end if
    name_chars = c_string(name)
    handle = c_null_ptr
    code = lf_channel_open(context%handle, c_loc(name_chars), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_channel_open", status)
  end subroutine channel_open

  !> Take over a channel handle a raw call made (lf_channel_create_in_buffer, lf_mpi_channel_open).
  subroutine channel_adopt(self, handle)
    class(lf_channel), intent(inout) :: self
    type(c_ptr), intent(in) :: handle
    self%handle = handle
    self%reserved_bytes = 0
    self%peeked = c_null_ptr
  end subroutine channel_adopt

  !> A producer says it is done: the consumer reads what was sent, then LF_END_OF_STREAM.
  subroutine channel_close(self, status)
    class(lf_channel), intent(inout) :: self
    integer, intent(out), optional :: status
    call lf_finish(lf_channel_close(self%handle), "lf_channel_close", status)
  end subroutine channel_close

  subroutine channel_destroy(self, status)
    class(lf_channel), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_channel_destroy(self%handle)
    if (code == LF_OK) then
      self%handle = c_null_ptr
      self%peeked = c_null_ptr
    end if
    call lf_finish(code, "lf_channel_destroy", status)
  end subroutine channel_destroy

  !> send/recv of any array: what the per-kind procedures call with the array's address and bytes.
  subroutine send_at(self, address, nbytes, timeout_ms, status)
    class(lf_channel), intent(inout) :: self
    type(c_ptr), intent(in) :: address
    integer(c_size_t), intent(in) :: nbytes
    integer, intent(in), optional :: timeout_ms
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code, timeout
    timeout = -1
    if (present(timeout_ms)) timeout = int(timeout_ms, c_int32_t)
    code = lf_channel_send(self%handle, address, nbytes, timeout)
    if (code == LF_OK .and. present(status)) then  ! (the hot path: no call to lf_finish)
      status = LF_OK
    else if (code /= LF_OK) then
      call lf_finish(code, "lf_channel_send", status)
    end if
  end subroutine send_at

  subroutine recv_at(self, address, capacity, timeout_ms, nbytes, status)
    class(lf_channel), intent(inout) :: self
    type(c_ptr), intent(in) :: address
    integer(c_size_t), intent(in) :: capacity
    integer, intent(in), optional :: timeout_ms
    integer(c_size_t), intent(out), optional :: nbytes
    integer, intent(out), optional :: status
    integer(c_size_t), target :: got
    integer(c_int32_t) :: code, timeout
    timeout = -1
    if (present(timeout_ms)) timeout = int(timeout_ms, c_int32_t)
    got = 0
    code = lf_channel_recv(self%handle, address, capacity, c_loc(got), timeout)
    if (present(nbytes)) nbytes = got
    if (code == LF_OK .and. present(status)) then
      status = LF_OK
    else if (code /= LF_OK) then
      call lf_finish(code, "lf_channel_recv", status)
    end if
  end subroutine recv_at

  !> peek of any pointer array: the oldest message, whose bytes must be exactly the extents'
  !> (without extents: a rank-1 array of all of it). Until release() every peek gives the same
  !> message, so a shape that does not fit (refused with LF_ERR_INVALID_ARGUMENT) loses nothing:
  !> peek again with the right one, or release it.
  subroutine peek_at(self, rank, element, address, extents_of, extents, timeout_ms, status)
    class(lf_channel), intent(inout) :: self
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    type(c_ptr), intent(out) :: address
    integer, intent(inout) :: extents_of(LF_POOL_MAX_DIMS)
    integer, intent(in), optional :: extents(:)
    integer, intent(in), optional :: timeout_ms
    integer, intent(out), optional :: status
    type(c_ptr), target :: data
    integer(c_size_t), target :: nbytes
    integer(c_int32_t) :: code, timeout
    address = c_null_ptr
    data = self%peeked
    nbytes = self%peeked_bytes
    code = LF_OK
    if (.not. c_associated(data)) then
      timeout = -1
      if (present(timeout_ms)) timeout = int(timeout_ms, c_int32_t)
      code = lf_channel_peek(self%handle, timeout, c_loc(data), c_loc(nbytes))
      if (code == LF_OK) then
        self%peeked = data
        self%peeked_bytes = nbytes
      end if
    end if
    if (code /= LF_OK) then
      call lf_finish(code, "lf_channel_peek", status)
    else if (.not. lf_extents_fit(rank, element, int(nbytes, c_int64_t), extents, .true., extents_of)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "peek", "the message does not fit the pointer array: " // &
                     lf_extents_misfit(rank, element, int(nbytes, c_int64_t), extents, .true.), status)
    else
      address = data
      if (present(status)) status = LF_OK
    end if
  end subroutine peek_at

  !> reserve of any pointer array: room for `extents` elements in the ring, to fill and commit().
  subroutine reserve_at(self, rank, element, address, extents_of, extents, timeout_ms, status)
    class(lf_channel), intent(inout) :: self
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    type(c_ptr), intent(out) :: address
    integer, intent(inout) :: extents_of(LF_POOL_MAX_DIMS)
    integer, intent(in), optional :: extents(:)
    integer, intent(in), optional :: timeout_ms
    integer, intent(out), optional :: status
    type(c_ptr), target :: data
    integer(c_size_t) :: nbytes
    integer(c_int32_t) :: code, timeout
    address = c_null_ptr
    if (.not. present(extents) .and. rank > 0) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "reserve", "reserve needs the extents of the message", status)
      return
    end if
    if (.not. lf_extents_fit(rank, element, huge(0_c_int64_t), extents, .false., extents_of)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "reserve", lf_extents_misfit(rank, element, huge(0_c_int64_t), extents, .false.), &
                     status)
      return
    end if
    nbytes = int(product(int(extents_of(1:rank), c_int64_t)) * element%bytes, c_size_t)
    timeout = -1
    if (present(timeout_ms)) timeout = int(timeout_ms, c_int32_t)
    data = c_null_ptr
    code = lf_channel_reserve(self%handle, nbytes, timeout, c_loc(data))
    if (code == LF_OK) then
      address = data
      self%reserved_bytes = nbytes
      if (present(status)) status = LF_OK
    else
      call lf_finish(code, "lf_channel_reserve", status)
    end if
  end subroutine reserve_at

  !> Send what reserve() lent (all of it, or its first `nbytes` bytes).
  subroutine channel_commit(self, nbytes, status)
    class(lf_channel), intent(inout) :: self
    integer(c_size_t), intent(in), optional :: nbytes
    integer, intent(out), optional :: status
    integer(c_size_t) :: length
    integer(c_int32_t) :: code
    length = self%reserved_bytes
    if (present(nbytes)) length = nbytes
    code = lf_channel_commit(self%handle, length)
    if (code == LF_OK) then
      self%reserved_bytes = 0
      if (present(status)) status = LF_OK
    else
      call lf_finish(code, "lf_channel_commit", status)
    end if
  end subroutine channel_commit

  subroutine channel_abort(self, status)
    class(lf_channel), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_channel_abort(self%handle)
    if (code == LF_OK) self%reserved_bytes = 0
    call lf_finish(code, "lf_channel_abort", status)
  end subroutine channel_abort

  !> Done with the peeked message: pointer arrays over it must not be used after this.
  subroutine channel_release(self, status)
    class(lf_channel), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_channel_release(self%handle)
    if (code == LF_OK) then
      self%peeked = c_null_ptr
      if (present(status)) status = LF_OK
    else
      call lf_finish(code, "lf_channel_release", status)
    end if
  end subroutine channel_release

  !> The transport in use, an LF_TRANSPORT_* value (lf_transport_name() prints it).
  integer function channel_transport(self, status)
    class(lf_channel), intent(in) :: self
    integer, intent(out), optional :: status
    type(lf_channel_info_t) :: info
    call self%info(info, status)
    channel_transport = int(info%transport)
  end function channel_transport

  !> The channel's counters and settings (the raw lf_channel_info_t).
  subroutine channel_info(self, info, status)
    class(lf_channel), intent(in) :: self
    type(lf_channel_info_t), intent(out), target :: info
    integer, intent(out), optional :: status
    info%struct_size = int(c_sizeof(info), c_int32_t)
    call lf_finish(lf_channel_get_info(self%handle, c_loc(info)), "lf_channel_get_info", status)
  end subroutine channel_info

  !> Why lavaflow chose this transport, in words.
  function channel_reason(self, status) result(text)
    class(lf_channel), intent(in) :: self
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_channel_get_reason(self%handle, c_loc(chars)), "lf_channel_get_reason", status)
    text = f_string(chars)
  end function channel_reason

  include "channel_kinds.inc"

end module lavaflow_channels

! The friendly tensor pool: frames published from Fortran arrays and consumed as Fortran pointer
! arrays over the shared memory, zero-copy.
!
! Element order. A frame's header has its extents (dims) and an order field. A Fortran array is
! published as it lies: column-major (LF_ORDER_COLUMN) with dims = shape(array), so a C or numpy
! consumer reading a column-major frame sees the same shape (numpy: order="F"). A consumed frame
! gives `extents` in Fortran order: a column-major frame's dims as they are, a row-major (C)
! frame's reversed (element (k, j, i) of the pointer array is C's [i][j][k]), as for any C array
! seen from Fortran. A complex array is published as two reals per element: dtype FLOAT32 or
! FLOAT64 with a leading dimension of 2, which a complex pointer array takes back.
module lavaflow_pool
  use, intrinsic :: iso_c_binding
  use, intrinsic :: iso_fortran_env, only: int8, int16, int32, int64, real32, real64
  use lavaflow_c
  use lavaflow_text, only: c_string, f_string_of, lf_finish, lf_refuse, dtype_name_text => lf_dtype_name
  use lavaflow_arrays
  use lavaflow_extents
  use lavaflow_core, only: lf_context
  implicit none
  private
  public :: lf_pool_driver, lf_pool_producer, lf_pool_consumer, lf_frame

  !> A driver in this process (producers and consumers otherwise start an embedded one, or use
  !> the `lavaflow driver` daemon).
  type :: lf_pool_driver
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => driver_create
    procedure :: destroy => driver_destroy
  end type lf_pool_driver

  type :: lf_pool_producer
    type(c_ptr) :: handle = c_null_ptr
    type(lf_pool_tensor_t), private :: claimed
    integer(c_int32_t), private :: claimed_bytes = 0
  contains
    procedure :: attach => producer_attach
    procedure :: detach => producer_detach
    procedure :: commit => producer_commit
    procedure :: abort => producer_abort
    procedure :: set_metadata => producer_set_metadata
    procedure :: publish_at, claim_at
    include "producer_bindings.inc"
  end type lf_pool_producer

  !> A frame a consumer holds, from wait() or poll() until release().
  type :: lf_frame
    integer(int64) :: seq = 0          !< its sequence number in the epoch
    integer(int64) :: epoch = 0
    integer(int64) :: timestamp_ns = 0 !< the producer's
    integer :: dtype = LF_DTYPE_UNKNOWN !< an LF_DTYPE_* value
    integer :: ndims = 0
    integer :: extents(LF_POOL_MAX_DIMS) = 0 !< in Fortran order (see the module's comment)
    logical :: column_major = .false.  !< the frame was written column-major
    integer(int64) :: nbytes = 0       !< payload bytes
    type(lf_pool_view_t) :: view       !< the raw view (payload address, header fields)
  contains
    procedure :: array_at
    include "frame_bindings.inc"
  end type lf_frame

  type :: lf_pool_consumer
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: attach => consumer_attach
    procedure :: detach => consumer_detach
    procedure :: wait => consumer_wait
    procedure :: poll => consumer_poll
    procedure :: release => consumer_release
    procedure :: counters => consumer_counters
    procedure :: metadata => consumer_metadata
  end type lf_pool_consumer

contains

  !> A driver serving the context's base directory. `dynamic_streams` (default true, as in the
  !> Python package, unless `params` are passed): streams not configured are created on first
  !> attach; `params` gives profiles, streams and every other setting.
  subroutine driver_create(self, context, namespace_name, dynamic_streams, params, status)
    class(lf_pool_driver), intent(inout) :: self
    type(lf_context), intent(in) :: context
    character(len=*), intent(in), optional :: namespace_name
    logical, intent(in), optional :: dynamic_streams
    type(lf_pool_driver_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_pool_driver_params_t), target :: settings
    character(kind=c_char), allocatable, target :: name_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(dynamic_streams) .or. .not. present(params)) then
      settings%dynamic_streams = 1
      if (present(dynamic_streams)) settings%dynamic_streams = merge(1, 0, dynamic_streams)
      settings%field_mask = ior(settings%field_mask, LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS)
    end if
    if (present(namespace_name)) then
      name_chars = c_string(namespace_name)
      settings%namespace_name = c_loc(name_chars)
      settings%field_mask = ior(settings%field_mask, LF_POOL_DRIVER_PARAM_FIELD_NAMESPACE)
    end if
    handle = c_null_ptr
    code = lf_pool_driver_create(context%handle, c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_pool_driver_create", status)
  end subroutine driver_create

  subroutine driver_destroy(self, status)
    class(lf_pool_driver), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_pool_driver_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_pool_driver_destroy", status)
  end subroutine driver_destroy

  !> Produce stream `stream_id` (a lease from the driver). `start_driver` (default true): start
  !> an embedded driver if none serves the base directory; `profile`: the driver's stream profile
  !> to create it with; `connect_timeout_ms`: how long to try reaching the driver. `params`
  !> gives every other setting (these override its fields).
  subroutine producer_attach(self, context, stream_id, start_driver, profile, connect_timeout_ms, params, status)
    class(lf_pool_producer), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer, intent(in) :: stream_id
    logical, intent(in), optional :: start_driver
    character(len=*), intent(in), optional :: profile
    integer, intent(in), optional :: connect_timeout_ms
    type(lf_pool_producer_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_pool_producer_params_t), target :: settings
    character(kind=c_char), allocatable, target :: profile_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(start_driver)) then
      settings%start_driver = merge(1, 0, start_driver)
      settings%field_mask = ior(settings%field_mask, LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER)
    end if
    if (present(profile)) then
      profile_chars = c_string(profile)
      settings%profile = c_loc(profile_chars)
      settings%field_mask = ior(settings%field_mask, LF_POOL_PRODUCER_PARAM_FIELD_PROFILE)
    end if
    if (present(connect_timeout_ms)) then
      settings%connect_timeout_ms = int(connect_timeout_ms, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT)
    end if
    handle = c_null_ptr
    code = lf_pool_producer_attach(context%handle, int(stream_id, c_int32_t), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_pool_producer_attach", status)
  end subroutine producer_attach

  subroutine producer_detach(self, status)
    class(lf_pool_producer), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_pool_producer_detach(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_pool_producer_detach", status)
  end subroutine producer_detach

  !> The frame header of an array of `rank` and `element` with Fortran extents `extents`:
  !> column-major, a complex array with a leading dimension of 2. False (and `why`) when the
  !> pool cannot describe it.
  logical function describe(rank, element, extents, tensor, why)
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    integer, intent(in) :: extents(:)
    type(lf_pool_tensor_t), intent(out) :: tensor
    character(len=:), allocatable, intent(out) :: why
    integer :: first
    describe = .false.
    first = merge(1, 0, element%complex)
    if (rank + first > LF_POOL_MAX_DIMS) then
      why = "a frame has at most 8 dimensions (a complex array's count one more)"
      return
    end if
    tensor%dtype = int(element%dtype, c_int32_t)
    tensor%major_order = LF_ORDER_COLUMN
    tensor%ndims = int(max(rank + first, 1), c_int32_t)
    tensor%dims = 0
    tensor%dims(1) = 1  ! (a scalar: one element)
    if (element%complex) tensor%dims(1) = 2
    if (rank > 0) tensor%dims(first + 1:first + rank) = int(extents(1:rank), c_int32_t)
    describe = .true.
  end function describe

  !> publish of any array: one frame, copied into the next slot, with its shape in the header.
  subroutine publish_at(self, address, nbytes, element, rank, extents, timestamp_ns, status)
    class(lf_pool_producer), intent(inout) :: self
    type(c_ptr), intent(in) :: address
    integer(c_size_t), intent(in) :: nbytes
    type(lf_element_kind), intent(in) :: element
    integer, intent(in) :: rank
    integer, intent(in) :: extents(:)
    integer(int64), intent(in), optional :: timestamp_ns
    integer, intent(out), optional :: status
    type(lf_pool_tensor_t), target :: tensor
    character(len=:), allocatable :: why
    if (.not. describe(rank, element, extents, tensor, why)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "publish", why, status)
      return
    end if
    if (nbytes > int(huge(0_c_int32_t), c_size_t)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "publish", "a frame holds less than 2 GiB", status)
      return
    end if
    if (present(timestamp_ns)) tensor%timestamp_ns = timestamp_ns
    call lf_finish(lf_pool_producer_publish(self%handle, c_loc(tensor), address, int(nbytes, c_int32_t)), &
                   "lf_pool_producer_publish", status)
  end subroutine publish_at

  !> claim of any pointer array: the next slot's payload as an array of `extents`, to fill in
  !> place and commit() (zero-copy publishing).
  subroutine claim_at(self, rank, element, address, extents_of, extents, status)
    class(lf_pool_producer), intent(inout) :: self
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    type(c_ptr), intent(out) :: address
    integer, intent(inout) :: extents_of(LF_POOL_MAX_DIMS)
    integer, intent(in) :: extents(:)
    integer, intent(out), optional :: status
    type(c_ptr), target :: payload
    integer(c_int64_t) :: nbytes
    integer(c_int32_t) :: code
    character(len=:), allocatable :: why
    address = c_null_ptr
    if (.not. lf_extents_fit(rank, element, huge(0_c_int64_t), extents, .false., extents_of)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "claim", lf_extents_misfit(rank, element, huge(0_c_int64_t), extents, .false.), &
                     status)
      return
    end if
    nbytes = product(int(extents_of(1:rank), c_int64_t)) * element%bytes
    if (nbytes > huge(0_c_int32_t)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "claim", "a frame holds less than 2 GiB", status)
      return
    end if
    if (.not. describe(rank, element, extents, self%claimed, why)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "claim", why, status)
      return
    end if
    payload = c_null_ptr
    code = lf_pool_producer_claim(self%handle, int(nbytes, c_int32_t), c_loc(payload))
    if (code == LF_OK) then
      address = payload
      self%claimed_bytes = int(nbytes, c_int32_t)
    end if
    call lf_finish(code, "lf_pool_producer_claim", status)
  end subroutine claim_at

  !> Publish the claimed slot (its shape as claimed).
  subroutine producer_commit(self, timestamp_ns, status)
    class(lf_pool_producer), intent(inout), target :: self
    integer(int64), intent(in), optional :: timestamp_ns
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    self%claimed%timestamp_ns = 0
    if (present(timestamp_ns)) self%claimed%timestamp_ns = timestamp_ns
    code = lf_pool_producer_commit(self%handle, c_loc(self%claimed), self%claimed_bytes)
    if (code == LF_OK) self%claimed_bytes = 0
    call lf_finish(code, "lf_pool_producer_commit", status)
  end subroutine producer_commit

  subroutine producer_abort(self, status)
    class(lf_pool_producer), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_pool_producer_abort(self%handle)
    if (code == LF_OK) self%claimed_bytes = 0
    call lf_finish(code, "lf_pool_producer_abort", status)
  end subroutine producer_abort

  !> The stream's name and units (what consumers and `lavaflow pool` show); `metadata` for
  !> attributes too (the raw lf_pool_metadata_t; name and units override its own).
  subroutine producer_set_metadata(self, name, units, metadata, status)
    class(lf_pool_producer), intent(inout) :: self
    character(len=*), intent(in), optional :: name, units
    type(lf_pool_metadata_t), intent(in), optional :: metadata
    integer, intent(out), optional :: status
    type(lf_pool_metadata_t), target :: settings
    if (present(metadata)) settings = metadata
    settings%struct_size = int(c_sizeof(settings), c_int32_t)
    if (present(name)) then
      if (.not. fill(settings%name, name)) then
        call lf_refuse(LF_ERR_INVALID_ARGUMENT, "set_metadata", "a name has at most 63 bytes", status)
        return
      end if
    end if
    if (present(units)) then
      if (.not. fill(settings%units, units)) then
        call lf_refuse(LF_ERR_INVALID_ARGUMENT, "set_metadata", "units have at most 31 bytes", status)
        return
      end if
    end if
    call lf_finish(lf_pool_producer_set_metadata(self%handle, c_loc(settings)), "lf_pool_producer_set_metadata", status)
  end subroutine producer_set_metadata

  logical function fill(chars, text)
    character(kind=c_char), intent(inout) :: chars(:)
    character(len=*), intent(in) :: text
    integer :: n
    fill = len_trim(text) < size(chars)
    if (.not. fill) return
    chars = c_null_char
    do n = 1, len_trim(text)
      chars(n) = text(n:n)
    end do
  end function fill

  !> Consume stream `stream_id` in `mode` (an LF_POOL_MODE_* value; default every frame in
  !> order). `start_driver`, `profile` and `connect_timeout_ms` as for producers; `params` gives
  !> every other setting (decimation, rate, epoch notices; these override its fields).
  subroutine consumer_attach(self, context, stream_id, mode, start_driver, profile, connect_timeout_ms, params, status)
    class(lf_pool_consumer), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer, intent(in) :: stream_id
    integer, intent(in), optional :: mode
    logical, intent(in), optional :: start_driver
    character(len=*), intent(in), optional :: profile
    integer, intent(in), optional :: connect_timeout_ms
    type(lf_pool_consumer_params_t), intent(in), optional :: params
    integer, intent(out), optional :: status
    type(lf_pool_consumer_params_t), target :: settings
    character(kind=c_char), allocatable, target :: profile_chars(:)
    type(c_ptr), target :: handle
    integer(c_int32_t) :: code
    if (present(params)) settings = params
    if (present(mode)) then
      settings%mode = int(mode, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_POOL_CONSUMER_PARAM_FIELD_MODE)
    end if
    if (present(start_driver)) then
      settings%start_driver = merge(1, 0, start_driver)
      settings%field_mask = ior(settings%field_mask, LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER)
    end if
    if (present(profile)) then
      profile_chars = c_string(profile)
      settings%profile = c_loc(profile_chars)
      settings%field_mask = ior(settings%field_mask, LF_POOL_CONSUMER_PARAM_FIELD_PROFILE)
    end if
    if (present(connect_timeout_ms)) then
      settings%connect_timeout_ms = int(connect_timeout_ms, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT)
    end if
    handle = c_null_ptr
    code = lf_pool_consumer_attach(context%handle, int(stream_id, c_int32_t), c_loc(settings), c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_pool_consumer_attach", status)
  end subroutine consumer_attach

  subroutine consumer_detach(self, status)
    class(lf_pool_consumer), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_pool_consumer_detach(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_pool_consumer_detach", status)
  end subroutine consumer_detach

  !> The next frame, waiting up to `timeout_ms` (absent: forever): LF_OK, LF_TIMEOUT or
  !> LF_EPOCH_CHANGED. Hold it until release().
  subroutine consumer_wait(self, frame, timeout_ms, status)
    class(lf_pool_consumer), intent(inout) :: self
    type(lf_frame), intent(out), target :: frame
    integer, intent(in), optional :: timeout_ms
    integer, intent(out), optional :: status
    integer(c_int64_t) :: timeout_ns
    integer(c_int32_t) :: code
    timeout_ns = -1
    if (present(timeout_ms)) timeout_ns = int(timeout_ms, c_int64_t) * 1000000_c_int64_t
    frame%view%struct_size = int(c_sizeof(frame%view), c_int32_t)
    code = lf_pool_consumer_wait(self%handle, c_loc(frame%view), timeout_ns)
    if (code == LF_OK) call from_view(frame)
    call lf_finish(code, "lf_pool_consumer_wait", status)
  end subroutine consumer_wait

  !> The next frame if there is one: LF_OK or LF_WOULD_BLOCK (or LF_EPOCH_CHANGED).
  subroutine consumer_poll(self, frame, status)
    class(lf_pool_consumer), intent(inout) :: self
    type(lf_frame), intent(out), target :: frame
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    frame%view%struct_size = int(c_sizeof(frame%view), c_int32_t)
    code = lf_pool_consumer_poll(self%handle, c_loc(frame%view))
    if (code == LF_OK) call from_view(frame)
    call lf_finish(code, "lf_pool_consumer_poll", status)
  end subroutine consumer_poll

  subroutine from_view(frame)
    type(lf_frame), intent(inout) :: frame
    integer :: n
    frame%seq = frame%view%seq
    frame%epoch = frame%view%epoch
    frame%timestamp_ns = frame%view%tensor%timestamp_ns
    frame%dtype = int(frame%view%tensor%dtype)
    frame%ndims = int(min(max(frame%view%tensor%ndims, 0), LF_POOL_MAX_DIMS))
    frame%column_major = frame%view%tensor%major_order == LF_ORDER_COLUMN
    frame%nbytes = int(frame%view%bytes, int64) ! (a uint32: the bits of a signed one)
    if (frame%nbytes < 0) frame%nbytes = frame%nbytes + 4294967296_int64
    frame%extents = 0
    do n = 1, frame%ndims
      if (frame%column_major) then
        frame%extents(n) = int(frame%view%tensor%dims(n))
      else
        frame%extents(n) = int(frame%view%tensor%dims(frame%ndims + 1 - n))
      end if
    end do
  end subroutine from_view

  !> Done with the frame: LF_OK, or LF_OVERWRITTEN when the producer overwrote it while it was
  !> read (what was read is not the frame: pass `status` to go on and drop it). Pointer arrays
  !> over the frame must not be used after this.
  subroutine consumer_release(self, status)
    class(lf_pool_consumer), intent(inout) :: self
    integer, intent(out), optional :: status
    call lf_finish(lf_pool_consumer_release(self%handle), "lf_pool_consumer_release", status)
  end subroutine consumer_release

  !> Frames read, drops and epochs (the raw lf_pool_counters_t).
  subroutine consumer_counters(self, counters, status)
    class(lf_pool_consumer), intent(in) :: self
    type(lf_pool_counters_t), intent(out), target :: counters
    integer, intent(out), optional :: status
    counters%struct_size = int(c_sizeof(counters), c_int32_t)
    call lf_finish(lf_pool_consumer_get_counters(self%handle, c_loc(counters)), "lf_pool_consumer_get_counters", status)
  end subroutine consumer_counters

  !> The stream's name and units (and the raw lf_pool_metadata_t, attributes included).
  subroutine consumer_metadata(self, name, units, metadata, status)
    class(lf_pool_consumer), intent(in) :: self
    character(len=:), allocatable, intent(out), optional :: name, units
    type(lf_pool_metadata_t), intent(out), optional :: metadata
    integer, intent(out), optional :: status
    type(lf_pool_metadata_t), target :: got
    got%struct_size = int(c_sizeof(got), c_int32_t)
    call lf_finish(lf_pool_consumer_get_metadata(self%handle, c_loc(got)), "lf_pool_consumer_get_metadata", status)
    if (present(name)) name = f_string_of(got%name)
    if (present(units)) units = f_string_of(got%units)
    if (present(metadata)) metadata = got
  end subroutine consumer_metadata

  !> array of any pointer array: the frame's payload, when its dtype is the array's kind (the
  !> unsigned dtypes of the same size too), its rank the array's (or rank 1: all elements) and
  !> it is contiguous. Valid until the consumer's release().
  subroutine array_at(self, rank, element, address, extents_of, status)
    class(lf_frame), intent(inout) :: self
    integer, intent(in) :: rank
    type(lf_element_kind), intent(in) :: element
    type(c_ptr), intent(out) :: address
    integer, intent(inout) :: extents_of(LF_POOL_MAX_DIMS)
    integer, intent(out), optional :: status
    integer :: first
    integer(int64) :: expected
    address = c_null_ptr
    first = merge(2, 1, element%complex)
    if (.not. c_associated(self%view%payload)) then
      call lf_refuse(LF_ERR_INVALID_STATE, "frame array", "no frame: wait() or poll() gave none", status)
      return
    end if
    if (.not. dtype_matches(self%dtype, element)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "frame array", "the frame's dtype is " // dtype_name_text(self%dtype) // &
                     ", not the pointer array's kind", status)
      return
    end if
    if (element%complex .and. (self%ndims < 1 .or. self%extents(1) /= 2)) then
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "frame array", &
                     "a complex array needs a leading dimension of 2 (real, imaginary): the frame has " // &
                     lf_extents_text(self%extents(1:self%ndims)), status)
      return
    end if
    if (rank == 1) then
      extents_of(1) = int(product(int(self%extents(first:self%ndims), int64)))
    else if (rank == self%ndims - first + 1) then
      extents_of(1:rank) = self%extents(first:self%ndims)
    else
      call lf_refuse(LF_ERR_INVALID_ARGUMENT, "frame array", "the frame has extents " // &
                     lf_extents_text(self%extents(1:self%ndims)) // ": not a pointer array of this rank", status)
      return
    end if
    if (.not. contiguous(self%view%tensor, element%bytes / merge(2, 1, element%complex))) then
      call lf_refuse(LF_ERR_UNSUPPORTED, "frame array", &
                     "the frame has strides that are not contiguous: read frame%view (payload, strides)", status)
      return
    end if
    expected = element%bytes * product(int(extents_of(1:rank), int64))
    if (expected > self%nbytes) then
      call lf_refuse(LF_ERR_CORRUPT, "frame array", "the frame's extents need more bytes than its payload has", status)
      return
    end if
    address = self%view%payload
    call lf_finish(LF_OK, "frame array", status)
  end subroutine array_at

  logical function dtype_matches(dtype, element)
    integer, intent(in) :: dtype
    type(lf_element_kind), intent(in) :: element
    select case (element%dtype)
    case (LF_DTYPE_INT8)
      dtype_matches = any(dtype == [LF_DTYPE_INT8, LF_DTYPE_UINT8, LF_DTYPE_BOOLEAN, LF_DTYPE_BYTES])
    case (LF_DTYPE_INT16)
      dtype_matches = any(dtype == [LF_DTYPE_INT16, LF_DTYPE_UINT16])
    case (LF_DTYPE_INT32)
      dtype_matches = any(dtype == [LF_DTYPE_INT32, LF_DTYPE_UINT32])
    case (LF_DTYPE_INT64)
      dtype_matches = any(dtype == [LF_DTYPE_INT64, LF_DTYPE_UINT64])
    case default
      dtype_matches = dtype == element%dtype
    end select
  end function dtype_matches

  !> Strides all zero, or exactly the contiguous ones of the frame's order.
  logical function contiguous(tensor, element_bytes)
    type(lf_pool_tensor_t), intent(in) :: tensor
    integer, intent(in) :: element_bytes
    integer(int64) :: stride
    integer :: n, d, ndims
    contiguous = .true.
    ndims = int(min(max(tensor%ndims, 0), LF_POOL_MAX_DIMS))
    if (all(tensor%strides(1:ndims) == 0)) return
    stride = element_bytes
    do n = 1, ndims
      d = merge(n, ndims + 1 - n, tensor%major_order == LF_ORDER_COLUMN)
      if (tensor%strides(d) /= stride) then
        contiguous = .false.
        return
      end if
      stride = stride * tensor%dims(d)
    end do
  end function contiguous

  include "producer_kinds.inc"

  include "frame_kinds.inc"

end module lavaflow_pool

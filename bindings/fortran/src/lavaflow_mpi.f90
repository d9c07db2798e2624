! Module `lavaflow_mpi`: lavaflow channels between MPI ranks from Fortran, with the communicator
! as `use mpi` gives it (integer) or as `use mpi_f08` does (type(MPI_Comm)).
!
!   call mpi%attach(context, MPI_COMM_WORLD)
!   call mpi%channel_open(channel, peer_rank, 7, LF_CHANNEL_PRODUCER)
!   call channel%send(field)              ! shared memory on one host, MPI between hosts
!
! Everything of lavaflow_mpi_c is re-exported (constants, derived types, bind(C) interfaces),
! its text functions as Fortran strings. Built against the MPI it was compiled with: use the
! same MPI's mpifort.
module lavaflow_mpi
  use, intrinsic :: iso_c_binding
  use mpi_f08, only: MPI_Comm
  use lavaflow_mpi_c, c_mpi_library_version => lf_mpi_library_version, &
                      c_mpi_compression_name => lf_mpi_compression_name, c_mpi_cipher_name => lf_mpi_cipher_name
  use lavaflow_c, only: LF_OK, LF_TRANSPORT_MPI, lf_scope_info_t, lf_channel_params_t, lf_pool_consumer_params_t, &
                        lf_pool_producer_params_t
  use lavaflow_text, only: f_string, lf_finish
  use lavaflow_core, only: lf_context
  use lavaflow_channels, only: lf_channel
  implicit none
  private :: c_mpi_library_version, c_mpi_compression_name, c_mpi_cipher_name
  private :: MPI_Comm, f_string, lf_finish, lf_context, lf_channel
  private :: attach_integer, attach_f08, mpi_detach, mpi_info, mpi_progress, mpi_peer_level, mpi_peer_reason, &
             mpi_channel_open, mpi_channel_stats, bridge_create, bridge_forward, bridge_stats, bridge_destroy
  private :: library_version_text, compression_name_text, cipher_name_text

  !> The attachment of a context to a communicator (lf_mpi_t).
  type :: lf_mpi
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure, private :: attach_integer, attach_f08
    generic :: attach => attach_integer, attach_f08
    procedure :: detach => mpi_detach
    procedure :: info => mpi_info
    procedure :: progress => mpi_progress
    procedure :: peer_level => mpi_peer_level
    procedure :: peer_reason => mpi_peer_reason
    procedure :: channel_open => mpi_channel_open
    procedure :: channel_stats => mpi_channel_stats
  end type lf_mpi

  !> A tensor-pool stream forwarded to another rank's host (lf_mpi_pool_bridge_t).
  type :: lf_mpi_pool_bridge
    type(c_ptr) :: handle = c_null_ptr
  contains
    procedure :: create => bridge_create
    procedure :: forward => bridge_forward
    procedure :: stats => bridge_stats
    procedure :: destroy => bridge_destroy
  end type lf_mpi_pool_bridge

  interface lf_mpi_library_version
    module procedure library_version_text
  end interface lf_mpi_library_version
  interface lf_mpi_compression_name
    module procedure compression_name_text
  end interface lf_mpi_compression_name
  interface lf_mpi_cipher_name
    module procedure cipher_name_text
  end interface lf_mpi_cipher_name

contains

  !> Attach to `comm` (collective over it). `params`: progress mode, peer timeout, workers.
  subroutine attach_integer(self, context, comm, params, status)
    class(lf_mpi), intent(inout) :: self
    type(lf_context), intent(in) :: context
    integer, intent(in) :: comm
    type(lf_mpi_params_t), intent(in), target, optional :: params
    integer, intent(out), optional :: status
    type(c_ptr), target :: handle
    type(c_ptr) :: settings
    integer(c_int32_t) :: code
    settings = c_null_ptr
    if (present(params)) settings = c_loc(params)
    handle = c_null_ptr
    code = lf_mpi_attach_f(context%handle, int(comm, c_int), settings, c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_mpi_attach_f", status)
  end subroutine attach_integer

  subroutine attach_f08(self, context, comm, params, status)
    class(lf_mpi), intent(inout) :: self
    type(lf_context), intent(in) :: context
    type(MPI_Comm), intent(in) :: comm
    type(lf_mpi_params_t), intent(in), target, optional :: params
    integer, intent(out), optional :: status
    call attach_integer(self, context, comm%MPI_VAL, params, status)
  end subroutine attach_f08

  !> Collective: every rank detaches (its channels over MPI first destroyed).
  subroutine mpi_detach(self, status)
    class(lf_mpi), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_mpi_detach(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_mpi_detach", status)
  end subroutine mpi_detach

  !> Rank, size, thread level, progress mode, ranks sharing memory (the raw lf_mpi_info_t).
  subroutine mpi_info(self, info, status)
    class(lf_mpi), intent(in) :: self
    type(lf_mpi_info_t), intent(out), target :: info
    integer, intent(out), optional :: status
    info%struct_size = int(c_sizeof(info), c_int32_t)
    call lf_finish(lf_mpi_get_info(self%handle, c_loc(info)), "lf_mpi_get_info", status)
  end subroutine mpi_info

  !> Move data of channels over MPI now (caller progress, in a rank that computes a while).
  subroutine mpi_progress(self, status)
    class(lf_mpi), intent(inout) :: self
    integer, intent(out), optional :: status
    call lf_finish(lf_mpi_progress(self%handle), "lf_mpi_progress", status)
  end subroutine mpi_progress

  !> The scope between this rank and `rank`, an LF_SCOPE_* value.
  integer function mpi_peer_level(self, rank, status)
    class(lf_mpi), intent(in) :: self
    integer, intent(in) :: rank
    integer, intent(out), optional :: status
    type(lf_scope_info_t), target :: info
    info%struct_size = int(c_sizeof(info), c_int32_t)
    call lf_finish(lf_mpi_get_peer_scope(self%handle, int(rank, c_int32_t), c_loc(info)), "lf_mpi_get_peer_scope", status)
    mpi_peer_level = int(info%level)
  end function mpi_peer_level

  function mpi_peer_reason(self, rank, status) result(text)
    class(lf_mpi), intent(in) :: self
    integer, intent(in) :: rank
    integer, intent(out), optional :: status
    character(len=:), allocatable :: text
    type(c_ptr), target :: chars
    chars = c_null_ptr
    call lf_finish(lf_mpi_get_peer_reason(self%handle, int(rank, c_int32_t), c_loc(chars)), "lf_mpi_get_peer_reason", &
                   status)
    text = f_string(chars)
  end function mpi_peer_reason

  !> Open this rank's end (`role`: LF_CHANNEL_PRODUCER or LF_CHANNEL_CONSUMER) of channel
  !> `channel_id` with `peer_rank` (both ranks call it): shared memory when the two share a
  !> host, MPI otherwise. `transport` (LF_TRANSPORT_MPI forces MPI) and `compression` (an
  !> LF_MPI_COMPRESSION_* value) set those fields of `mpi_params`; `params` sizes the ring.
  subroutine mpi_channel_open(self, channel, peer_rank, channel_id, role, transport, compression, params, mpi_params, &
                              status)
    class(lf_mpi), intent(inout) :: self
    type(lf_channel), intent(inout) :: channel
    integer, intent(in) :: peer_rank, channel_id, role
    integer, intent(in), optional :: transport, compression
    type(lf_channel_params_t), intent(in), target, optional :: params
    type(lf_mpi_channel_params_t), intent(in), optional :: mpi_params
    integer, intent(out), optional :: status
    type(lf_mpi_channel_params_t), target :: settings
    type(c_ptr), target :: handle
    type(c_ptr) :: ring
    integer(c_int32_t) :: code
    if (present(mpi_params)) settings = mpi_params
    if (present(transport)) then
      settings%transport = int(transport, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT)
    end if
    if (present(compression)) then
      settings%compression = int(compression, c_int32_t)
      settings%field_mask = ior(settings%field_mask, LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION)
    end if
    ring = c_null_ptr
    if (present(params)) ring = c_loc(params)
    handle = c_null_ptr
    code = lf_mpi_channel_open(self%handle, int(peer_rank, c_int32_t), int(channel_id, c_int32_t), int(role, c_int32_t), &
                               ring, c_loc(settings), c_loc(handle))
    if (code == LF_OK) call channel%adopt(handle)
    call lf_finish(code, "lf_mpi_channel_open", status)
  end subroutine mpi_channel_open

  !> Messages, payload and wire bytes, compression, credits of a channel over MPI.
  subroutine mpi_channel_stats(self, channel, stats, status)
    class(lf_mpi), intent(in) :: self
    type(lf_channel), intent(in) :: channel
    type(lf_mpi_channel_stats_t), intent(out), target :: stats
    integer, intent(out), optional :: status
    stats%struct_size = int(c_sizeof(stats), c_int32_t)
    call lf_finish(lf_mpi_channel_get_stats(self%handle, channel%handle, c_loc(stats)), "lf_mpi_channel_get_stats", status)
  end subroutine mpi_channel_stats

  !> Bridge stream `stream_id` to `peer_rank`: `side` LF_MPI_POOL_BRIDGE_SOURCE reads it here,
  !> LF_MPI_POOL_BRIDGE_SINK publishes it on the peer's host. `params`: the raw settings.
  subroutine bridge_create(self, mpi, peer_rank, channel_id, side, stream_id, params, status)
    class(lf_mpi_pool_bridge), intent(inout) :: self
    type(lf_mpi), intent(in) :: mpi
    integer, intent(in) :: peer_rank, channel_id, side, stream_id
    type(lf_mpi_pool_bridge_params_t), intent(in), target, optional :: params
    integer, intent(out), optional :: status
    type(c_ptr), target :: handle
    type(c_ptr) :: settings
    integer(c_int32_t) :: code
    settings = c_null_ptr
    if (present(params)) settings = c_loc(params)
    handle = c_null_ptr
    code = lf_mpi_pool_bridge_create(mpi%handle, int(peer_rank, c_int32_t), int(channel_id, c_int32_t), &
                                     int(side, c_int32_t), int(stream_id, c_int32_t), settings, c_loc(handle))
    if (code == LF_OK) self%handle = handle
    call lf_finish(code, "lf_mpi_pool_bridge_create", status)
  end subroutine bridge_create

  !> Forward up to `max_frames` frames, waiting up to `timeout_ms`; `frames` says how many.
  subroutine bridge_forward(self, max_frames, timeout_ms, frames, status)
    class(lf_mpi_pool_bridge), intent(inout) :: self
    integer, intent(in) :: max_frames, timeout_ms
    integer, intent(out), optional :: frames
    integer, intent(out), optional :: status
    integer(c_int32_t), target :: moved
    moved = 0
    call lf_finish(lf_mpi_pool_bridge_forward(self%handle, int(max_frames, c_int32_t), int(timeout_ms, c_int32_t), &
                                              c_loc(moved)), "lf_mpi_pool_bridge_forward", status)
    if (present(frames)) frames = int(moved)
  end subroutine bridge_forward

  subroutine bridge_stats(self, stats, status)
    class(lf_mpi_pool_bridge), intent(in) :: self
    type(lf_mpi_pool_bridge_stats_t), intent(out), target :: stats
    integer, intent(out), optional :: status
    stats%struct_size = int(c_sizeof(stats), c_int32_t)
    call lf_finish(lf_mpi_pool_bridge_get_stats(self%handle, c_loc(stats)), "lf_mpi_pool_bridge_get_stats", status)
  end subroutine bridge_stats

  subroutine bridge_destroy(self, status)
    class(lf_mpi_pool_bridge), intent(inout) :: self
    integer, intent(out), optional :: status
    integer(c_int32_t) :: code
    code = lf_mpi_pool_bridge_destroy(self%handle)
    if (code == LF_OK) self%handle = c_null_ptr
    call lf_finish(code, "lf_mpi_pool_bridge_destroy", status)
  end subroutine bridge_destroy

  function library_version_text() result(text)
    character(len=:), allocatable :: text
    text = f_string(c_mpi_library_version())
  end function library_version_text

  function compression_name_text(compression) result(text)
    integer, intent(in) :: compression
    character(len=:), allocatable :: text
    text = f_string(c_mpi_compression_name(int(compression, c_int32_t)))
  end function compression_name_text

  function cipher_name_text(cipher) result(text)
    integer, intent(in) :: cipher
    character(len=:), allocatable :: text
    text = f_string(c_mpi_cipher_name(int(cipher, c_int32_t)))
  end function cipher_name_text

end module lavaflow_mpi

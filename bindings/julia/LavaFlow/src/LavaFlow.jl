"""
    LavaFlow

lavaflow for Julia: scope-aware channels and the tensor pool, arrays in and arrays out.

Handles are mutable structs closed by `close` (finalizers are the backstop; lavaflow keeps a
context alive while its children live, so they may run in any order). Zero-copy access is a
`do` block: the `Array` it gives wraps lavaflow's memory (a message in a ring, a pool slot) and
is valid only inside the block.

```julia
using LavaFlow
Context() do ctx
    consumer = Consumer(ctx, "fields")
    producer = Producer(ctx, "fields")
    send(producer, rand(Float64, 64, 32))
    peek(consumer, Float64, (64, 32)) do A      # A wraps the message in the ring
        println(sum(A))
    end
end
```

Checked, not executed: Julia cannot be installed on lavaflow's build machines. Every `ccall`
and struct layout is checked against the C headers and compiler there (bindings/julia/
check_julia.py); test/runtests.jl is written for the day it runs (docs/julia.md).
"""
module LavaFlow

include("LibLavaFlow.jl")
import .LibLavaFlow
const L = LibLavaFlow

export LibLavaFlow, LavaFlowError, FrameOverwritten, Context, Identity, Scope, Buffer, Producer, Consumer,
       PoolDriver, PoolProducer, PoolConsumer, Frame, MPIAttachment,
       send, recv!, recv, reserve, close_end, transport, reason, publish, claim, set_metadata, counters,
       metadata, poll, level, base_dir, array, lavaflow_version,
       Semaphore, open_semaphore, import_semaphore, recv_semaphore, signal, current_value, semaphore_info, export_fd,
       vulkan_info

# ---- errors ----------------------------------------------------------------------------------

"""
    LavaFlowError(status, name, message)

A lavaflow call failed: `status` is the `LF_ERR_*` value, `name` its name ("LF_ERR_CLOSED"),
`message` lavaflow's message of the failing call.
"""
struct LavaFlowError <: Exception
    status::Int32
    name::String
    message::String
end
Base.showerror(io::IO, e::LavaFlowError) = print(io, "LavaFlowError: ", e.name, ": ", e.message)

"""A frame was overwritten by its producer while it was read: what was read is not the frame."""
struct FrameOverwritten <: Exception
    seq::UInt64
end
Base.showerror(io::IO, e::FrameOverwritten) = print(io, "FrameOverwritten: frame ", e.seq, " was rewritten while read")

# Statuses >= 0 are outcomes (LF_WOULD_BLOCK, LF_TIMEOUT, ...); negative ones throw. The message
# is read at once, in the same task, before anything can yield to another.
function check(status::Integer)
    status >= 0 && return Int32(status)
    name = unsafe_string(L.lf_status_name(status))
    throw(LavaFlowError(Int32(status), name, unsafe_string(L.lf_last_error_message())))
end

"""The version of the lavaflow library loaded, e.g. "0.1.0"."""
lavaflow_version() = unsafe_string(L.lf_version_string())

# Seconds (as Julia's own APIs take them) to the C calls' milliseconds: `nothing` waits forever,
# <= 0 does not wait, anything positive at least 1 ms (rounded up, never down to "never").
timeout_ms(::Nothing) = Int32(-1)
timeout_ms(seconds::Real) = seconds <= 0 ? Int32(0) : Int32(clamp(ceil(Int64, seconds * 1000), 1, typemax(Int32)))
timeout_ns(::Nothing) = Int64(-1)
timeout_ns(seconds::Real) = seconds <= 0 ? Int64(0) : Int64(clamp(ceil(Int64, seconds * 1e9), 1, typemax(Int64)))

# A handle closed, or never opened, is refused here with a message (lavaflow would refuse NULL).
function live(handle::Ptr{Cvoid}, what::String)
    handle == C_NULL && throw(LavaFlowError(Int32(L.LF_ERR_INVALID_HANDLE), "LF_ERR_INVALID_HANDLE", "the $what is closed"))
    return handle
end

take_handle(out::Ref{Ptr{Cvoid}}) = out[]

# What every object's `close` does: destroy (or detach) the handle once, then forget it.
function release!(object, destroy)
    object.handle == C_NULL && return nothing
    destroy(object.handle)
    object.handle = C_NULL
    return nothing
end

# ---- context, identity, scope ----------------------------------------------------------------

"""
    Context(; name=nothing, base_dir=nothing, ignore_environment=false)
    Context(f; kwargs...)    # do-block: closed afterwards

A lavaflow context: every other object is made from one.
"""
mutable struct Context
    handle::Ptr{Cvoid}
    function Context(; name::Union{Nothing,AbstractString}=nothing, base_dir::Union{Nothing,AbstractString}=nothing,
                     ignore_environment::Bool=false)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        name_text = name === nothing ? nothing : String(name)
        base_text = base_dir === nothing ? nothing : String(base_dir)
        GC.@preserve name_text base_text begin
            mask = UInt64(0)
            name === nothing || (mask |= L.LF_CONTEXT_PARAM_FIELD_NAME)
            base_dir === nothing || (mask |= L.LF_CONTEXT_PARAM_FIELD_BASE_DIR)
            ignore_environment && (mask |= L.LF_CONTEXT_PARAM_FIELD_FLAGS)
            params = Ref(L.lf_context_params_t(field_mask = mask,
                                               flags = ignore_environment ? L.LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT : 0,
                                               name = name_text === nothing ? C_NULL : pointer(name_text),
                                               base_dir = base_text === nothing ? C_NULL : pointer(base_text)))
            check(L.lf_context_create(params, out))
        end
        return finalizer(close, new(take_handle(out)))
    end
end

function Context(f::Function; kwargs...)
    ctx = Context(; kwargs...)
    try
        return f(ctx)
    finally
        close(ctx)
    end
end

Base.close(ctx::Context) = release!(ctx, handle -> L.lf_context_destroy(handle))
Base.isopen(ctx::Context) = ctx.handle != C_NULL

"""The context's base directory (where its shared-memory files go)."""
function base_dir(ctx::Context)
    text = Ref{Ptr{UInt8}}(C_NULL)
    check(L.lf_context_get_base_dir(live(ctx.handle, "context"), text))
    return unsafe_string(text[])
end

"""
    Identity(ctx)            # this process
    Identity(ctx, blob)      # a peer's, from the bytes its `Vector{UInt8}(identity)` gave

Where a process runs (host, cpuset, NUMA nodes, ...), to send to a peer and decide a scope.
"""
mutable struct Identity
    handle::Ptr{Cvoid}
    context::Context
    function Identity(ctx::Context)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(L.lf_identity_create(live(ctx.handle, "context"), C_NULL, out))
        return finalizer(close, new(take_handle(out), ctx))
    end
    function Identity(ctx::Context, blob::Vector{UInt8})
        out = Ref{Ptr{Cvoid}}(C_NULL)
        GC.@preserve blob check(L.lf_identity_create_from_blob(live(ctx.handle, "context"), pointer(blob), length(blob), out))
        return finalizer(close, new(take_handle(out), ctx))
    end
end

Base.close(identity::Identity) = release!(identity, handle -> L.lf_identity_destroy(handle))

"""The identity as bytes for a peer."""
function Base.Vector{UInt8}(identity::Identity)
    needed = Ref{Csize_t}(0)
    status = L.lf_identity_serialize(live(identity.handle, "identity"), C_NULL, 0, needed)
    status == L.LF_ERR_BUFFER_TOO_SMALL || check(status)
    blob = Vector{UInt8}(undef, needed[])
    GC.@preserve blob check(L.lf_identity_serialize(identity.handle, pointer(blob), length(blob), needed))
    return resize!(blob, needed[])
end

"""
    Scope(ctx, a::Identity, b::Identity)

What two identities share: `level(scope)` (an `LF_SCOPE_*` value) and `reason(scope)`.
"""
mutable struct Scope
    handle::Ptr{Cvoid}
    context::Context
    function Scope(ctx::Context, a::Identity, b::Identity)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(L.lf_scope_create(live(ctx.handle, "context"), live(a.handle, "identity"), live(b.handle, "identity"), out))
        return finalizer(close, new(take_handle(out), ctx))
    end
end

Base.close(scope::Scope) = release!(scope, handle -> L.lf_scope_destroy(handle))

function level(scope::Scope)
    info = Ref(L.lf_scope_info_t(struct_size = sizeof(L.lf_scope_info_t)))
    check(L.lf_scope_get_info(live(scope.handle, "scope"), info))
    return info[].level
end

function reason(scope::Scope)
    text = Ref{Ptr{UInt8}}(C_NULL)
    check(L.lf_scope_get_reason(live(scope.handle, "scope"), text))
    return unsafe_string(text[])
end

# ---- memory ----------------------------------------------------------------------------------

const MEMORY_KINDS = Dict(:host => L.LF_MEMORY_HOST, :shared => L.LF_MEMORY_SHARED, :device => L.LF_MEMORY_DEVICE)

"""
    Buffer(ctx, nbytes; kind=:host)          # :host, :shared or :device
    Buffer(f, ctx, nbytes; kind=:host)       # do-block: closed afterwards

Memory lavaflow allocates; `array(buffer, T, dims)` wraps it as an `Array` (valid while the
buffer is open).
"""
mutable struct Buffer
    handle::Ptr{Cvoid}
    context::Context
    function Buffer(ctx::Context, nbytes::Integer; kind::Symbol=:host)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        params = Ref(L.lf_buffer_params_t(field_mask = L.LF_BUFFER_PARAM_FIELD_KIND, kind = MEMORY_KINDS[kind]))
        check(L.lf_buffer_create(live(ctx.handle, "context"), nbytes, params, out))
        return finalizer(close, new(take_handle(out), ctx))
    end
end

function Buffer(f::Function, ctx::Context, nbytes::Integer; kwargs...)
    buffer = Buffer(ctx, nbytes; kwargs...)
    try
        return f(buffer)
    finally
        close(buffer)
    end
end

Base.close(buffer::Buffer) = release!(buffer, handle -> L.lf_buffer_destroy(handle))

"""`dims` elements of `T` over the buffer's memory (an `Array` that does not own it)."""
function array(buffer::Buffer, ::Type{T}, dims::Dims) where {T}
    isbitstype(T) || throw(ArgumentError("$T is not a plain-data type"))
    data, nbytes = Ref{Ptr{Cvoid}}(C_NULL), Ref{Csize_t}(0)
    check(L.lf_buffer_get_data(live(buffer.handle, "buffer"), data, nbytes))
    prod(dims) * sizeof(T) <= nbytes[] || throw(ArgumentError("$(prod(dims)) elements of $T do not fit $(nbytes[]) bytes"))
    return unsafe_wrap(Array, Ptr{T}(data[]), dims; own=false)
end

# ---- channels --------------------------------------------------------------------------------

"""
    Consumer(ctx, name; capacity=nothing, max_message_size=nothing, max_producers=nothing)

Creates channel `name` and is its consumer (capacity: ring bytes per producer, a power of two).
"""
mutable struct Consumer
    handle::Ptr{Cvoid}
    context::Any  # (the Context, or the MPIAttachment of a channel between ranks)
    peeked::Ptr{Cvoid}   # the message peeked and not released: peeking again gives it again
    peeked_bytes::Csize_t
end

"""
    Producer(ctx, name; connect_timeout=nothing)

Opens channel `name` to send into it, waiting up to `connect_timeout` seconds for its creation.
"""
mutable struct Producer
    handle::Ptr{Cvoid}
    context::Any
end

function Consumer(ctx::Context, name::AbstractString; capacity=nothing, max_message_size=nothing, max_producers=nothing)
    mask = UInt64(0)
    capacity === nothing || (mask |= L.LF_CHANNEL_PARAM_FIELD_CAPACITY)
    max_message_size === nothing || (mask |= L.LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE)
    max_producers === nothing || (mask |= L.LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS)
    params = Ref(L.lf_channel_params_t(field_mask = mask, capacity = something(capacity, 0),
                                       max_message_size = something(max_message_size, 0),
                                       max_producers = something(max_producers, 0)))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(L.lf_channel_create(live(ctx.handle, "context"), String(name), params, out))
    return finalizer(close, Consumer(take_handle(out), ctx, C_NULL, 0))
end

function Producer(ctx::Context, name::AbstractString; connect_timeout=nothing)
    mask = connect_timeout === nothing ? UInt64(0) : UInt64(L.LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT)
    params = Ref(L.lf_channel_params_t(field_mask = mask, connect_timeout_ms = timeout_ms(connect_timeout)))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(L.lf_channel_open(live(ctx.handle, "context"), String(name), params, out))
    return finalizer(close, Producer(take_handle(out), ctx))
end

const ChannelEnd = Union{Producer,Consumer}

Base.close(channel::ChannelEnd) = release!(channel, handle -> L.lf_channel_destroy(handle))
Base.isopen(channel::ChannelEnd) = channel.handle != C_NULL

"""A producer says it is done: the consumer reads what was sent, then `recv` throws EOFError."""
close_end(producer::Producer) = (check(L.lf_channel_close(live(producer.handle, "channel"))); nothing)

function channel_info(channel::ChannelEnd)
    info = Ref(L.lf_channel_info_t(struct_size = sizeof(L.lf_channel_info_t)))
    check(L.lf_channel_get_info(live(channel.handle, "channel"), info))
    return info[]
end

"""The transport in use: "in_process", "shared_memory" or "mpi"."""
transport(channel::ChannelEnd) = unsafe_string(L.lf_transport_name(channel_info(channel).transport))

"""Why lavaflow chose that transport, in words."""
function reason(channel::ChannelEnd)
    text = Ref{Ptr{UInt8}}(C_NULL)
    check(L.lf_channel_get_reason(live(channel.handle, "channel"), text))
    return unsafe_string(text[])
end

plain(data) = isbitstype(eltype(data)) || throw(ArgumentError("$(eltype(data)) is not a plain-data element type"))

"""
    send(producer, data; timeout=nothing) -> Bool

Sends a copy of `data` (a dense array of plain-data elements, or a String): `true`, or `false`
when the ring stayed full for `timeout` seconds (`nothing`: as long as it takes).
"""
function send(producer::Producer, data::Union{DenseArray,String}; timeout=nothing)
    data isa String || plain(data)
    status = GC.@preserve data check(L.lf_channel_send(live(producer.handle, "channel"), pointer(data), sizeof(data),
                                                       timeout_ms(timeout)))
    return status == L.LF_OK
end

"""
    recv!(consumer, A; timeout=nothing) -> Union{Int,Nothing}

Copies the next message into dense array `A`: its byte count, or `nothing` if none came within
`timeout` seconds. A message larger than `A` throws (LF_ERR_BUFFER_TOO_SMALL) and stays.
After the producer's `close_end`, EOFError.
"""
function recv!(consumer::Consumer, A::DenseArray; timeout=nothing)
    plain(A)
    got = Ref{Csize_t}(0)
    status = GC.@preserve A L.lf_channel_recv(live(consumer.handle, "channel"), pointer(A), sizeof(A), got,
                                              timeout_ms(timeout))
    status == L.LF_END_OF_STREAM && throw(EOFError())
    check(status) == L.LF_OK || return nothing
    return Int(got[])
end

"""
    recv(consumer; timeout=nothing) -> Union{Vector{UInt8},Nothing}

The next message as a new byte vector (a copy), or `nothing` if none came within `timeout`.
"""
function recv(consumer::Consumer; timeout=nothing)
    return peek(consumer, UInt8; timeout=timeout) do bytes
        copy(bytes)
    end
end

"""
    peek(f, consumer, T=UInt8, dims=nothing; timeout=nothing)

Zero-copy receive: calls `f(A)` with `A` an `Array{T}` over the oldest message in the ring
(`dims`: its shape, which must be exactly the message's bytes; `nothing`: a vector of all of it),
then releases the message. `A` must not be used after `f` returns. Returns `f`'s value, or
`nothing` without calling `f` if no message came within `timeout` seconds. A shape that does
not fit throws ArgumentError and keeps the message: peek again with the right one.
"""
function Base.peek(f::Function, consumer::Consumer, ::Type{T}=UInt8, dims::Union{Nothing,Dims}=nothing;
                   timeout=nothing) where {T}
    isbitstype(T) || throw(ArgumentError("$T is not a plain-data type"))
    handle = live(consumer.handle, "channel")
    if consumer.peeked == C_NULL
        data, nbytes = Ref{Ptr{Cvoid}}(C_NULL), Ref{Csize_t}(0)
        status = L.lf_channel_peek(handle, timeout_ms(timeout), data, nbytes)
        status == L.LF_END_OF_STREAM && throw(EOFError())
        check(status) == L.LF_OK || return nothing
        consumer.peeked, consumer.peeked_bytes = data[], nbytes[]
    end
    bytes = Int(consumer.peeked_bytes)
    shape = dims === nothing ? (bytes ÷ sizeof(T),) : dims
    if prod(shape) * sizeof(T) != bytes
        throw(ArgumentError("the message has $bytes bytes: $shape elements of $T make $(prod(shape) * sizeof(T))"))
    end
    A = unsafe_wrap(Array, Ptr{T}(consumer.peeked), shape; own=false)
    try
        return f(A)
    finally
        consumer.peeked = C_NULL
        check(L.lf_channel_release(handle))
    end
end

"""
    reserve(f, producer, T, dims; timeout=nothing) -> Bool

Zero-copy send: calls `f(A)` with `A` an `Array{T}` of shape `dims` in the ring, to fill, then
sends it; if `f` throws, the reservation is aborted (nothing is sent) and the exception goes on.
`false` without calling `f` if the ring stayed full for `timeout` seconds.
"""
function reserve(f::Function, producer::Producer, ::Type{T}, dims::Dims; timeout=nothing) where {T}
    isbitstype(T) || throw(ArgumentError("$T is not a plain-data type"))
    handle = live(producer.handle, "channel")
    nbytes = prod(dims) * sizeof(T)
    data = Ref{Ptr{Cvoid}}(C_NULL)
    check(L.lf_channel_reserve(handle, nbytes, timeout_ms(timeout), data)) == L.LF_OK || return false
    committed = false
    try
        f(unsafe_wrap(Array, Ptr{T}(data[]), dims; own=false))
        check(L.lf_channel_commit(handle, nbytes))
        committed = true
    finally
        committed || L.lf_channel_abort(handle)
    end
    return true
end

# ---- the tensor pool ------------------------------------------------------------------------

const DTYPES = Dict{DataType,Int32}(UInt8 => L.LF_DTYPE_UINT8, Int8 => L.LF_DTYPE_INT8, UInt16 => L.LF_DTYPE_UINT16,
                                    Int16 => L.LF_DTYPE_INT16, UInt32 => L.LF_DTYPE_UINT32, Int32 => L.LF_DTYPE_INT32,
                                    UInt64 => L.LF_DTYPE_UINT64, Int64 => L.LF_DTYPE_INT64, Float32 => L.LF_DTYPE_FLOAT32,
                                    Float64 => L.LF_DTYPE_FLOAT64, Bool => L.LF_DTYPE_BOOLEAN)
const ELEMENT_TYPES = Dict{Int32,DataType}(code => T for (T, code) in DTYPES)

dtype_of(::Type{T}) where {T} = get(DTYPES, T) do
    throw(ArgumentError("the tensor pool has no dtype for $T (it takes $(join(keys(DTYPES), ", ")))"))
end

"""
    PoolDriver(ctx; dynamic_streams=true)

A tensor-pool driver for the context's base directory on a thread of this process, until closed
(producers and consumers otherwise start an embedded one, or use `lavaflow driver`).
"""
mutable struct PoolDriver
    handle::Ptr{Cvoid}
    context::Context
    function PoolDriver(ctx::Context; dynamic_streams::Bool=true)
        params = Ref(L.lf_pool_driver_params_t(field_mask = L.LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS,
                                               dynamic_streams = dynamic_streams ? 1 : 0))
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(L.lf_pool_driver_create(live(ctx.handle, "context"), params, out))
        return finalizer(close, new(take_handle(out), ctx))
    end
end

Base.close(driver::PoolDriver) = release!(driver, handle -> L.lf_pool_driver_destroy(handle))

"""
    PoolProducer(ctx, stream; start_driver=true, profile=nothing, connect_timeout=nothing)

Publishes frames to tensor-pool stream `stream`.
"""
mutable struct PoolProducer
    handle::Ptr{Cvoid}
    context::Context
    function PoolProducer(ctx::Context, stream::Integer; start_driver::Bool=true,
                          profile::Union{Nothing,AbstractString}=nothing, connect_timeout=nothing)
        profile_text = profile === nothing ? nothing : String(profile)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        GC.@preserve profile_text begin
            mask = UInt64(L.LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER)
            profile === nothing || (mask |= L.LF_POOL_PRODUCER_PARAM_FIELD_PROFILE)
            connect_timeout === nothing || (mask |= L.LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT)
            params = Ref(L.lf_pool_producer_params_t(field_mask = mask, start_driver = start_driver ? 1 : 0,
                                                     profile = profile_text === nothing ? C_NULL : pointer(profile_text),
                                                     connect_timeout_ms = timeout_ms(connect_timeout)))
            check(L.lf_pool_producer_attach(live(ctx.handle, "context"), stream, params, out))
        end
        return finalizer(close, new(take_handle(out), ctx))
    end
end

Base.close(producer::PoolProducer) = release!(producer, handle -> L.lf_pool_producer_detach(handle))

# A Julia array's frame header: column-major (Julia's own order), dims = size(A).
function tensor_of(::Type{T}, dims::Dims, timestamp_ns::Integer) where {T}
    1 <= length(dims) <= L.LF_POOL_MAX_DIMS || throw(ArgumentError("a frame has 1 to 8 dimensions, not $(length(dims))"))
    padded = ntuple(i -> i <= length(dims) ? Int32(dims[i]) : Int32(0), L.LF_POOL_MAX_DIMS)
    return L.lf_pool_tensor_t(dtype = dtype_of(T), major_order = L.LF_ORDER_COLUMN, ndims = length(dims), dims = padded,
                              timestamp_ns = timestamp_ns)
end

"""
    publish(producer, A::DenseArray; timestamp_ns=0)

One frame: a copy of `A` with its element type, shape and (column-major) order in the header,
so C, Python (numpy, order="F") and Fortran consumers see the same array.
"""
function publish(producer::PoolProducer, A::DenseArray{T}; timestamp_ns::Integer=0) where {T}
    tensor = Ref(tensor_of(T, size(A), timestamp_ns))
    GC.@preserve A check(L.lf_pool_producer_publish(live(producer.handle, "producer"), tensor, pointer(A), sizeof(A)))
    return nothing
end

"""
    claim(f, producer, T, dims; timestamp_ns=0)

Zero-copy publishing: `f(A)` fills `A`, an `Array{T}` of shape `dims` in the next slot, which is
then committed as a frame; if `f` throws, the slot is given back unpublished.
"""
function claim(f::Function, producer::PoolProducer, ::Type{T}, dims::Dims; timestamp_ns::Integer=0) where {T}
    handle = live(producer.handle, "producer")
    tensor = Ref(tensor_of(T, dims, timestamp_ns))
    nbytes = prod(dims) * sizeof(T)
    payload = Ref{Ptr{Cvoid}}(C_NULL)
    check(L.lf_pool_producer_claim(handle, nbytes, payload))
    committed = false
    try
        f(unsafe_wrap(Array, Ptr{T}(payload[]), dims; own=false))
        check(L.lf_pool_producer_commit(handle, tensor, nbytes))
        committed = true
    finally
        committed || L.lf_pool_producer_abort(handle)
    end
    return nothing
end

"""The stream's name and units, for consumers and `lavaflow pool`."""
function set_metadata(producer::PoolProducer, name::AbstractString; units::AbstractString="")
    sizeof(name) < 64 || throw(ArgumentError("a stream name has at most 63 bytes"))
    sizeof(units) < 32 || throw(ArgumentError("units have at most 31 bytes"))
    padded(text, n) = ntuple(i -> i <= sizeof(text) ? codeunit(text, i) : 0x00, n)
    metadata = Ref(L.lf_pool_metadata_t(struct_size = sizeof(L.lf_pool_metadata_t), name = padded(name, 64),
                                        units = padded(units, 32)))
    check(L.lf_pool_producer_set_metadata(live(producer.handle, "producer"), metadata))
    return nothing
end

const MODES = Dict(:stream => L.LF_POOL_MODE_STREAM, :latest => L.LF_POOL_MODE_LATEST,
                   :decimated => L.LF_POOL_MODE_DECIMATED, :rate_limited => L.LF_POOL_MODE_RATE_LIMITED)

"""
    PoolConsumer(ctx, stream; mode=:stream, start_driver=true, connect_timeout=nothing)

Reads tensor-pool stream `stream`. `mode`: `:stream` (every frame in order), `:latest`,
`(:decimated, n)` or `(:rate_limited, hz)`.
"""
mutable struct PoolConsumer
    handle::Ptr{Cvoid}
    context::Context
    function PoolConsumer(ctx::Context, stream::Integer; mode=:stream, start_driver::Bool=true, connect_timeout=nothing)
        kind, argument = mode isa Symbol ? (mode, nothing) : mode
        mask = UInt64(L.LF_POOL_CONSUMER_PARAM_FIELD_MODE | L.LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER)
        kind == :decimated && (mask |= L.LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION)
        kind == :rate_limited && (mask |= L.LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE)
        connect_timeout === nothing || (mask |= L.LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT)
        params = Ref(L.lf_pool_consumer_params_t(field_mask = mask, mode = MODES[kind], start_driver = start_driver ? 1 : 0,
                                                 decimation = kind == :decimated ? argument : 0,
                                                 max_rate_hz = kind == :rate_limited ? argument : 0.0,
                                                 connect_timeout_ms = timeout_ms(connect_timeout)))
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(L.lf_pool_consumer_attach(live(ctx.handle, "context"), stream, params, out))
        return finalizer(close, new(take_handle(out), ctx))
    end
end

Base.close(consumer::PoolConsumer) = release!(consumer, handle -> L.lf_pool_consumer_detach(handle))

"""
A frame held inside `wait`/`poll`'s block: `seq`, `epoch`, `timestamp_ns`, `dims` (the logical
shape, as C and numpy index it), `column_major`, `view` (the raw `lf_pool_view_t`) and `array`:
the payload as an array of its element type and shape, zero-copy, valid inside the block. A
column-major frame is an `Array` of size `dims`; a row-major one the same memory seen as a
`PermutedDimsArray`, so that `array[i, j, k]` is C's `[i-1][j-1][k-1]` either way.
"""
struct Frame{A<:AbstractArray}
    seq::UInt64
    epoch::UInt64
    timestamp_ns::UInt64
    dims::Vector{Int}
    column_major::Bool
    view::L.lf_pool_view_t
    array::A
end

function frame_of(view::L.lf_pool_view_t)
    t = view.tensor
    T = get(ELEMENT_TYPES, t.dtype, UInt8)
    n = Int(clamp(t.ndims, 1, L.LF_POOL_MAX_DIMS))
    dims = [Int(t.dims[i]) for i in 1:n]
    all(==(0), t.strides) || throw(LavaFlowError(Int32(L.LF_ERR_UNSUPPORTED), "LF_ERR_UNSUPPORTED",
                                                "a strided frame: read frame.view (payload, strides) yourself"))
    haskey(ELEMENT_TYPES, t.dtype) || (dims = [Int(view.bytes)])  # (unknown dtypes: the bytes)
    prod(dims) * sizeof(T) <= view.bytes || throw(LavaFlowError(Int32(L.LF_ERR_CORRUPT), "LF_ERR_CORRUPT",
                                                               "the frame's dims need more bytes than its payload has"))
    column_major = t.major_order == L.LF_ORDER_COLUMN
    array = if column_major || length(dims) == 1
        unsafe_wrap(Array, Ptr{T}(view.payload), Tuple(dims); own=false)
    else
        PermutedDimsArray(unsafe_wrap(Array, Ptr{T}(view.payload), Tuple(reverse(dims)); own=false),
                          Tuple(length(dims):-1:1))
    end
    return Frame(view.seq, view.epoch, t.timestamp_ns, dims, column_major, view, array)
end

"""
    wait(f, consumer; timeout=nothing)

Calls `f(frame)` with the next frame by the consumer's mode (see `Frame`), waiting up to
`timeout` seconds (`nothing`: as long as it takes), then releases it; returns `f`'s value, or
`nothing` without calling `f` if no frame came. Throws `FrameOverwritten` after `f` if the
producer rewrote the frame while it was read (what `f` computed from it is not to be trusted).
"""
function Base.wait(f::Function, consumer::PoolConsumer; timeout=nothing)
    handle = live(consumer.handle, "consumer")
    view = Ref(L.lf_pool_view_t(struct_size = sizeof(L.lf_pool_view_t)))
    status = check(L.lf_pool_consumer_wait(handle, view, timeout_ns(timeout)))
    status == L.LF_OK || return nothing
    result = nothing
    released = false
    try
        result = f(frame_of(view[]))
    finally
        status = L.lf_pool_consumer_release(handle)
        released = true
    end
    released && status == L.LF_OVERWRITTEN && throw(FrameOverwritten(view[].seq))
    check(status)
    return result
end

"""`wait` without waiting: `f(frame)` if a frame is due now."""
poll(f::Function, consumer::PoolConsumer) = wait(f, consumer; timeout=0)

"""frames_read, drops_gap, drops_late, invalid, skipped, epoch, epoch_changes, reattachments."""
function counters(consumer::PoolConsumer)
    c = Ref(L.lf_pool_counters_t(struct_size = sizeof(L.lf_pool_counters_t)))
    check(L.lf_pool_consumer_get_counters(live(consumer.handle, "consumer"), c))
    v = c[]
    return (frames_read = v.frames_read, drops_gap = v.drops_gap, drops_late = v.drops_late, invalid = v.invalid,
            skipped = v.skipped, epoch = v.epoch, epoch_changes = v.epoch_changes, reattachments = v.reattachments)
end

text_of(bytes::NTuple) = String(UInt8[b for b in Iterators.takewhile(!=(0x00), bytes)])

"""The stream's metadata: version (0: none set), name, units."""
function metadata(consumer::PoolConsumer)
    m = Ref(L.lf_pool_metadata_t(struct_size = sizeof(L.lf_pool_metadata_t)))
    check(L.lf_pool_consumer_get_metadata(live(consumer.handle, "consumer"), m))
    return (version = m[].version, name = text_of(m[].name), units = text_of(m[].units))
end

# ---- semaphores ------------------------------------------------------------------------------

const SEMAPHORE_KINDS = Dict(:shared => L.LF_SEMAPHORE_SHARED, :vulkan => L.LF_SEMAPHORE_VULKAN)
const WAIT_MODES = Dict(:adaptive => L.LF_WAIT_ADAPTIVE, :spin => L.LF_WAIT_SPIN, :sleep => L.LF_WAIT_SLEEP)

# The params of a semaphore: how its waits wait and whether it may signal (every handle), and
# for a new one its kind, initial value, fallback and name (`name`: a pointer kept alive by the caller).
function semaphore_params(; wait_mode::Union{Nothing,Symbol}=nothing, wait_only::Bool=false, kind::Union{Nothing,Symbol}=nothing,
                          initial_value::Integer=0, fallback::Bool=false, name::Ptr{UInt8}=Ptr{UInt8}(C_NULL))
    mask = UInt64(0)
    wait_mode === nothing || (mask |= L.LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE)
    wait_only && (mask |= L.LF_SEMAPHORE_PARAM_FIELD_FLAGS)
    kind === nothing || (mask |= L.LF_SEMAPHORE_PARAM_FIELD_KIND | L.LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE)
    fallback && (mask |= L.LF_SEMAPHORE_PARAM_FIELD_FALLBACK)
    name == C_NULL || (mask |= L.LF_SEMAPHORE_PARAM_FIELD_NAME)
    return L.lf_semaphore_params_t(field_mask = mask, kind = kind === nothing ? 0 : SEMAPHORE_KINDS[kind],
                                   wait_mode = wait_mode === nothing ? 0 : WAIT_MODES[wait_mode],
                                   initial_value = initial_value, flags = wait_only ? L.LF_SEMAPHORE_FLAG_WAIT_ONLY : 0,
                                   fallback = fallback ? L.LF_SEMAPHORE_FALLBACK_TO_SHARED : 0, name = name)
end

"""
    Semaphore(ctx; kind=:shared, initial_value=0, wait_mode=nothing, name=nothing, wait_only=false, fallback=false)
    Semaphore(f, ctx; kwargs...)    # do-block: closed afterwards

A timeline semaphore: `signal(s, n)` raises its value, `wait(s, n; timeout)` is `true` once it is
at least `n` (`false` at the timeout; a `LavaFlowError` LF_ERR_PEER_DEAD when a process holding it
that could signal died first). `kind=:vulkan` makes an exportable Vulkan timeline semaphore
(`fallback=true`: a shared one where none can be exported). Other processes take it with
`send`/`recv_semaphore`, `export_fd`/`import_semaphore` or by `name` (`open_semaphore`). A wait
blocks the calling thread (run it on a thread of its own to keep tasks moving).
"""
mutable struct Semaphore
    handle::Ptr{Cvoid}
    context::Context
    function Semaphore(ctx::Context; kind::Symbol=:shared, initial_value::Integer=0,
                       wait_mode::Union{Nothing,Symbol}=nothing, name::Union{Nothing,AbstractString}=nothing,
                       wait_only::Bool=false, fallback::Bool=false)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        name_text = name === nothing ? nothing : String(name)
        GC.@preserve name_text begin
            params = Ref(semaphore_params(; wait_mode=wait_mode, wait_only=wait_only, kind=kind, initial_value=initial_value,
                                          fallback=fallback,
                                          name = name_text === nothing ? Ptr{UInt8}(C_NULL) : pointer(name_text)))
            check(L.lf_semaphore_create(live(ctx.handle, "context"), params, out))
        end
        return finalizer(close, new(take_handle(out), ctx))
    end
    # (a semaphore taken from elsewhere: open_semaphore, import_semaphore, recv_semaphore)
    Semaphore(ctx::Context, handle::Ptr{Cvoid}) = finalizer(close, new(handle, ctx))
end

function Semaphore(f::Function, ctx::Context; kwargs...)
    semaphore = Semaphore(ctx; kwargs...)
    try
        return f(semaphore)
    finally
        close(semaphore)
    end
end

Base.close(semaphore::Semaphore) = release!(semaphore, handle -> L.lf_semaphore_destroy(handle))

"""The shared semaphore another process of this user published under `name`."""
function open_semaphore(ctx::Context, name::AbstractString; kwargs...)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    params = Ref(semaphore_params(; kwargs...))
    check(L.lf_semaphore_open(live(ctx.handle, "context"), String(name), params, out))
    return Semaphore(ctx, take_handle(out))
end

"""The shared semaphore behind an fd another process exported (the fd stays the caller's)."""
function import_semaphore(ctx::Context, fd::Integer; kwargs...)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    params = Ref(semaphore_params(; kwargs...))
    check(L.lf_semaphore_import_fd(live(ctx.handle, "context"), fd, params, out))
    return Semaphore(ctx, take_handle(out))
end

"""A semaphore another process sent over the AF_UNIX socket `socket_fd`, or `nothing` if none
came within `timeout` seconds."""
function recv_semaphore(ctx::Context, socket_fd::Integer; timeout=nothing, kwargs...)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    params = Ref(semaphore_params(; kwargs...))
    status = check(L.lf_semaphore_recv(live(ctx.handle, "context"), socket_fd, params, timeout_ms(timeout), out))
    status == L.LF_OK || return nothing
    return Semaphore(ctx, take_handle(out))
end

"""Raises the value to `value` (a `LavaFlowError` unless that raises it: values only grow)."""
signal(semaphore::Semaphore, value::Integer) = (check(L.lf_semaphore_signal(live(semaphore.handle, "semaphore"), value)); nothing)

"""`true` once the value is at least `value`, `false` after `timeout` seconds (`nothing`: as long as it takes)."""
Base.wait(semaphore::Semaphore, value::Integer; timeout=nothing) =
    check(L.lf_semaphore_wait(live(semaphore.handle, "semaphore"), value, timeout_ns(timeout))) == L.LF_OK

"""The semaphore's current value."""
function current_value(semaphore::Semaphore)
    value = Ref{UInt64}(0)
    check(L.lf_semaphore_get_value(live(semaphore.handle, "semaphore"), value))
    return value[]
end

"""kind, requested_kind, flags, value, holders, dead_holders, sleeps, wakes."""
function semaphore_info(semaphore::Semaphore)
    info = Ref(L.lf_semaphore_info_t(struct_size = sizeof(L.lf_semaphore_info_t)))
    check(L.lf_semaphore_get_info(live(semaphore.handle, "semaphore"), info))
    v = info[]
    return (kind = unsafe_string(L.lf_semaphore_kind_name(v.kind)), requested_kind = v.requested_kind, flags = v.flags,
            value = v.value, holders = v.holders, dead_holders = v.dead_holders, sleeps = v.sleeps, wakes = v.wakes)
end

function reason(semaphore::Semaphore)
    text = Ref{Ptr{Cchar}}(C_NULL)
    check(L.lf_semaphore_get_reason(live(semaphore.handle, "semaphore"), text))
    return unsafe_string(text[])
end

"""A new fd of the semaphore, for another process or GPU API (the caller closes it)."""
function export_fd(semaphore::Semaphore)
    fd = Ref{Cint}(-1)
    check(L.lf_semaphore_export_fd(live(semaphore.handle, "semaphore"), fd))
    return Int(fd[])
end

"""Sends the semaphore over a connected AF_UNIX socket."""
send(semaphore::Semaphore, socket_fd::Integer) = (check(L.lf_semaphore_send(live(semaphore.handle, "semaphore"), socket_fd)); nothing)

"""The Vulkan objects of a Vulkan semaphore (`lf_vulkan_semaphore_info_t`)."""
function vulkan_info(semaphore::Semaphore)
    info = Ref(L.lf_vulkan_semaphore_info_t(struct_size = sizeof(L.lf_vulkan_semaphore_info_t)))
    check(L.lf_semaphore_get_vulkan_info(live(semaphore.handle, "semaphore"), info))
    return info[]
end

# ---- channels between MPI ranks (liblavaflow_mpi) --------------------------------------------

"""
    MPIAttachment(ctx, comm_f::Integer)

Attaches the context to an MPI communicator, given by its Fortran handle (collective over it).
With MPI.jl: `MPIAttachment(ctx, MPI.API.MPI_Comm_c2f(MPI.COMM_WORLD))` — lavaflow's C
`lf_mpi_attach` takes the C `MPI_Comm`, whose type is the MPI library's own, so Julia (as
Fortran) goes through `lf_mpi_attach_f`. Then `Producer(mpi, peer, id)` / `Consumer(mpi, peer, id)`.
"""
mutable struct MPIAttachment
    handle::Ptr{Cvoid}
    context::Context
    function MPIAttachment(ctx::Context, comm_f::Integer)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(L.lf_mpi_attach_f(live(ctx.handle, "context"), comm_f, C_NULL, out))
        return finalizer(close, new(take_handle(out), ctx))
    end
end

# (collective: close it on every rank, in the same order)
Base.close(mpi::MPIAttachment) = release!(mpi, handle -> L.lf_mpi_detach(handle))

function mpi_channel(mpi::MPIAttachment, peer::Integer, id::Integer, role, force_mpi::Bool)
    params = Ref(L.lf_mpi_channel_params_t(field_mask = force_mpi ? L.LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT : 0,
                                           transport = force_mpi ? L.LF_TRANSPORT_MPI : 0))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(L.lf_mpi_channel_open(live(mpi.handle, "MPI attachment"), peer, id, role, C_NULL, params, out))
    return take_handle(out)
end

"""`Producer(mpi, peer_rank, channel_id; force_mpi=false)`: this rank's end of a channel to `peer_rank`."""
Producer(mpi::MPIAttachment, peer::Integer, id::Integer; force_mpi::Bool=false) =
    finalizer(close, Producer(mpi_channel(mpi, peer, id, L.LF_CHANNEL_PRODUCER, force_mpi), mpi))

"""`Consumer(mpi, peer_rank, channel_id; force_mpi=false)`: this rank's end of a channel from `peer_rank`."""
Consumer(mpi::MPIAttachment, peer::Integer, id::Integer; force_mpi::Bool=false) =
    finalizer(close, Consumer(mpi_channel(mpi, peer, id, L.LF_CHANNEL_CONSUMER, force_mpi), mpi, C_NULL, 0))

end # module LavaFlow

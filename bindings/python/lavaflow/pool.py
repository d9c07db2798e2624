"""The tensor pool (pool.h): frames of typed, shaped arrays in shared memory.

A producer publishes numpy arrays (dtype, shape and element order go into the frame header, so
C, Rust or Julia consumers see the same array) or writes a frame in place; consumers get frames
as numpy arrays over the shared memory, zero-copy, inside a `with` block:

    with consumer.wait(timeout=1) as frame:      # None inside the block if nothing came
        total = frame.array.sum()                # read-only, the frame's dtype/shape/strides
    # leaving the block releases the slot; FrameOverwritten if the producer reused it while it
    # was read (what was read is not trustworthy): never returned silently.

numpy is needed for arrays; without it, frames are memoryviews (`frame.view`).
"""
import ctypes as C

from . import _c
from ._handle import Handle
from ._library import lib
from ._timeouts import timeout_ms
from ._views import escaped, memory_at, watched_array
from .errors import LavaflowError, check

try:
    import numpy as np
except ImportError:  # (numpy is optional: memoryviews then)
    np = None

_DTYPES = {_c.LF_DTYPE_UINT8: "u1", _c.LF_DTYPE_INT8: "i1", _c.LF_DTYPE_UINT16: "<u2", _c.LF_DTYPE_INT16: "<i2",
           _c.LF_DTYPE_UINT32: "<u4", _c.LF_DTYPE_INT32: "<i4", _c.LF_DTYPE_UINT64: "<u8", _c.LF_DTYPE_INT64: "<i8",
           _c.LF_DTYPE_FLOAT32: "<f4", _c.LF_DTYPE_FLOAT64: "<f8", _c.LF_DTYPE_BOOLEAN: "?", _c.LF_DTYPE_BYTES: "u1"}
_MODES = {"stream": _c.LF_POOL_MODE_STREAM, "latest": _c.LF_POOL_MODE_LATEST,
          "decimated": _c.LF_POOL_MODE_DECIMATED, "rate_limited": _c.LF_POOL_MODE_RATE_LIMITED}


class FrameOverwritten(LavaflowError):
    """The producer reused the frame's slot while it was read: discard what was read."""


def lavaflow_dtype(dtype):
    """The LF_DTYPE_* value of a numpy dtype (ValueError for one the pool has no code for)."""
    dtype = np.dtype(dtype)
    for code, name in _DTYPES.items():
        if np.dtype(name) == dtype.newbyteorder("<") and code != _c.LF_DTYPE_BYTES:
            return code
    raise ValueError("no tensor-pool dtype for %s" % dtype)


def _tensor(dtype_code, shape, order, timestamp_ns=0):
    if not 1 <= len(shape) <= _c.LF_POOL_MAX_DIMS:
        raise ValueError("a frame has 1 to %d dimensions, not %d" % (_c.LF_POOL_MAX_DIMS, len(shape)))
    t = _c.lf_pool_tensor_t(dtype=dtype_code, major_order=order, ndims=len(shape), timestamp_ns=timestamp_ns)
    for i, extent in enumerate(shape):
        t.dims[i] = extent
    return t


class PoolDriver(Handle):
    """A driver for the context's base directory on a thread of this process, until closed."""

    def __init__(self, context, dynamic_streams=True, header_slots=None):
        p = _c.lf_pool_driver_params_t(field_mask=_c.LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS,
                                       dynamic_streams=int(dynamic_streams))
        if header_slots is not None:
            p.field_mask |= _c.LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS
            p.header_slots = header_slots
        raw = C.c_void_p()
        check(lib.lf_pool_driver_create(context.handle, C.byref(p), C.byref(raw)))
        super().__init__(raw, lib.lf_pool_driver_destroy)


class PoolProducer(Handle):
    """The producer of one stream (the driver grants one per stream)."""

    def __init__(self, context, stream_id, start_driver=True, connect_timeout=None, profile=None):
        p = _c.lf_pool_producer_params_t(field_mask=_c.LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER,
                                         start_driver=int(start_driver))
        if connect_timeout is not None:
            p.field_mask |= _c.LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT
            p.connect_timeout_ms = timeout_ms(connect_timeout)
        name = profile.encode() if profile else None
        if name:
            p.field_mask |= _c.LF_POOL_PRODUCER_PARAM_FIELD_PROFILE
            p.profile = name
        raw = C.c_void_p()
        check(lib.lf_pool_producer_attach(context.handle, stream_id, C.byref(p), C.byref(raw)))
        super().__init__(raw, lib.lf_pool_producer_detach)

    def publish(self, array, timestamp_ns=0):
        """Publish a copy of a numpy array: its dtype and shape go into the header, in row-major
        (C) order, or column-major for a Fortran-ordered array (then copied as it lies)."""
        array = np.asanyarray(array)
        order = _c.LF_ORDER_COLUMN if array.flags.f_contiguous and not array.flags.c_contiguous else _c.LF_ORDER_ROW
        data = np.ascontiguousarray(array) if order == _c.LF_ORDER_ROW else array
        t = _tensor(lavaflow_dtype(array.dtype), array.shape, order, timestamp_ns)
        raw = data.ctypes.data_as(C.c_void_p)
        check(lib.lf_pool_producer_publish(self.handle, C.byref(t), raw, data.nbytes))

    def frame(self, dtype, shape):
        """A frame to write in place, as a context manager whose `array` is a writable numpy array
        of `dtype` and `shape` (row-major) over the slot: published when the block ends normally,
        dropped on an exception. The array is only valid inside the block.

            with producer.frame(np.float32, (480, 640)) as slot:
                camera.read_into(slot.array)
        """
        code = lavaflow_dtype(dtype)
        nbytes = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize
        payload = C.c_void_p()
        check(lib.lf_pool_producer_claim(self.handle, nbytes, C.byref(payload)))
        return _Claim(self, payload.value, nbytes, np.dtype(dtype), tuple(shape), code)

    def set_metadata(self, name="", units="", attributes=None):
        """The stream's metadata record: a name, units, up to 16 string attributes."""
        m = _c.lf_pool_metadata_t(struct_size=C.sizeof(_c.lf_pool_metadata_t))
        m.name, m.units = name.encode(), units.encode()
        items = list((attributes or {}).items())
        if len(items) > 16:
            raise ValueError("at most 16 metadata attributes")
        m.attribute_count = len(items)
        for i, (key, value) in enumerate(items):
            m.attributes[i].key, m.attributes[i].value = str(key).encode(), str(value).encode()
        check(lib.lf_pool_producer_set_metadata(self.handle, C.byref(m)))


class _Claim:
    def __init__(self, producer, address, nbytes, dtype, shape, code):
        self._producer, self._nbytes, self._code = producer, nbytes, code
        self._view = memory_at(address, nbytes)
        self._watch = []
        self.array = watched_array(np, self._view, dtype, self._watch).reshape(shape)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        shape = self.array.shape
        self.array = None
        try:
            self._view.release()
            if escaped(self._watch):
                raise BufferError("an array of the claimed frame outlives its block")
        except BufferError:
            lib.lf_pool_producer_abort(self._producer.handle)
            raise LavaflowError(_c.LF_ERR_INVALID_STATE, "an array of the claimed frame outlives its block") from None
        if kind is not None:
            check(lib.lf_pool_producer_abort(self._producer.handle))
            return False
        t = _tensor(self._code, shape, _c.LF_ORDER_ROW)
        check(lib.lf_pool_producer_commit(self._producer.handle, C.byref(t), self._nbytes))
        return False


class Frame:
    """One frame read in place: `array` (numpy, read-only) or `view` (memoryview), `seq`,
    `epoch`, `dtype`, `shape`, `timestamp_ns`; valid inside its `with` block only."""

    def __init__(self, consumer, view):
        self._consumer = consumer
        self.seq, self.epoch = view.seq, view.epoch
        t = view.tensor
        self.dtype_code = t.dtype
        self.shape = tuple(t.dims[i] for i in range(min(t.ndims, _c.LF_POOL_MAX_DIMS)))
        self.strides = tuple(t.strides[i] for i in range(len(self.shape)))
        self.column_major = t.major_order == _c.LF_ORDER_COLUMN
        self.timestamp_ns = t.timestamp_ns
        size = view.bytes
        self.view = memory_at(view.payload, size, readonly=True)
        self._watch = []
        self.array = self._array() if np is not None and self.dtype_code in _DTYPES else None
        self.intact = None

    def _array(self):
        dtype = np.dtype(_DTYPES[self.dtype_code])
        flat = watched_array(np, self.view, dtype, self._watch)
        if any(self.strides):  # the header's byte strides, as numpy takes them
            return np.lib.stride_tricks.as_strided(flat, shape=self.shape, strides=self.strides, writeable=False)
        return flat[:int(np.prod(self.shape, dtype=np.int64))].reshape(self.shape, order="F" if self.column_major else "C")

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        self.array = None
        try:
            self.view.release()
            problem = "an array of the frame outlives its block" if escaped(self._watch) else None
        except BufferError as error:
            problem = str(error)
        status = check(lib.lf_pool_consumer_release(self._consumer.handle))
        self.intact = status == _c.LF_OK
        if problem is not None:
            raise LavaflowError(_c.LF_ERR_INVALID_STATE, "%s: it must not be used (copy it inside the block)" % problem)
        if not self.intact and kind is None:
            raise FrameOverwritten(_c.LF_OVERWRITTEN, "frame %d was overwritten while it was read" % self.seq)
        return False


class _NoFrame:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


class PoolConsumer(Handle):
    """A consumer of one stream. mode: "stream" (every frame, in order), "latest",
    ("decimated", n) or ("rate_limited", hz)."""

    def __init__(self, context, stream_id, mode="stream", start_driver=True, connect_timeout=None):
        p = _c.lf_pool_consumer_params_t(field_mask=_c.LF_POOL_CONSUMER_PARAM_FIELD_MODE |
                                         _c.LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER, start_driver=int(start_driver))
        kind, argument = (mode, None) if isinstance(mode, str) else mode
        p.mode = _MODES[kind]
        if kind == "decimated":
            p.field_mask |= _c.LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION
            p.decimation = int(argument)
        elif kind == "rate_limited":
            p.field_mask |= _c.LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE
            p.max_rate_hz = float(argument)
        if connect_timeout is not None:
            p.field_mask |= _c.LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT
            p.connect_timeout_ms = timeout_ms(connect_timeout)
        raw = C.c_void_p()
        check(lib.lf_pool_consumer_attach(context.handle, stream_id, C.byref(p), C.byref(raw)))
        super().__init__(raw, lib.lf_pool_consumer_detach)

    def poll(self):
        """The next frame by the mode if one is due now (a context manager; None inside if not)."""
        return self.wait(0)

    def wait(self, timeout=None):
        """The next frame by the mode, waiting up to `timeout` seconds (None: as long as it takes)."""
        view = _c.lf_pool_view_t(struct_size=C.sizeof(_c.lf_pool_view_t))
        ns = -1 if timeout is None else max(0, int(timeout * 1e9))
        status = check(lib.lf_pool_consumer_wait(self.handle, C.byref(view), ns))
        if status != _c.LF_OK:
            return _NoFrame()
        return Frame(self, view)

    def read(self, timeout=None):
        """A copy of the next intact frame as a numpy array (frames overwritten while copied are
        skipped, and counted); None if none came within the timeout."""
        while True:
            try:
                with self.wait(timeout) as frame:
                    if frame is None:
                        return None
                    copy = np.array(frame.array)
                    frame.array = None  # (the copy holds no reference to the shared memory)
                return copy
            except FrameOverwritten:
                continue

    def counters(self):
        """frames_read, drops_gap, drops_late, invalid, skipped, epoch, epoch_changes, reattachments."""
        c = _c.lf_pool_counters_t(struct_size=C.sizeof(_c.lf_pool_counters_t))
        check(lib.lf_pool_consumer_get_counters(self.handle, C.byref(c)))
        return {name: getattr(c, name) for name, _ in c._fields_ if name not in ("struct_size", "reserved")}

    def metadata(self):
        """The stream's metadata: version (0: none set), name, units, attributes."""
        m = _c.lf_pool_metadata_t(struct_size=C.sizeof(_c.lf_pool_metadata_t))
        check(lib.lf_pool_consumer_get_metadata(self.handle, C.byref(m)))
        attributes = {m.attributes[i].key.decode(): m.attributes[i].value.decode() for i in range(min(m.attribute_count, 16))}
        return {"version": m.version, "name": m.name.decode(), "units": m.units.decode(), "attributes": attributes}

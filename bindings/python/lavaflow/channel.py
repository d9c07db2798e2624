"""Channels (channel.h): ordered, bounded messages between threads and processes.

Copies: `send(bytes_like)`, `recv()`. Zero-copy: `with producer.reserve(n) as view:` gives a
writable memoryview of the ring (committed on a normal exit, aborted on an exception), and
`with consumer.peek() as view:` a read-only one (released on exit). Each view is released when
its block ends: using it afterwards raises ValueError instead of reading freed memory.
Timeouts are seconds (None: wait as long as it takes; 0: never wait).
"""
import ctypes as C

from . import _c
from ._handle import Handle
from ._library import lib
from ._timeouts import timeout_ms
from ._views import memory_at
from .errors import LavaflowError, check


def _params(role, capacity=None, max_message_size=None, max_producers=None, connect_timeout=None):
    p = _c.lf_channel_params_t(field_mask=_c.LF_CHANNEL_PARAM_FIELD_ROLE, role=role)
    if capacity is not None:
        p.field_mask |= _c.LF_CHANNEL_PARAM_FIELD_CAPACITY
        p.capacity = capacity
    if max_message_size is not None:
        p.field_mask |= _c.LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE
        p.max_message_size = max_message_size
    if max_producers is not None:
        p.field_mask |= _c.LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS
        p.max_producers = max_producers
    if connect_timeout is not None:
        p.field_mask |= _c.LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT
        p.connect_timeout_ms = timeout_ms(connect_timeout)
    return p


class _End(Handle):
    def __init__(self, context, name, role, create, **options):
        params = _params(role, **options)
        raw = C.c_void_p()
        make = lib.lf_channel_create if create else lib.lf_channel_open
        check(make(context.handle, name.encode(), C.byref(params), C.byref(raw)))
        super().__init__(raw, lib.lf_channel_destroy)
        # The out parameters of reserve and peek, made once (one thread at a time per channel
        # end, as channel.h requires), not per message.
        self._data, self._size = C.c_void_p(), C.c_size_t()
        self._data_out, self._size_out = C.byref(self._data), C.byref(self._size)

    @property
    def transport(self):
        """"in_process", "shared_memory", "mpi", or "none" before a peer connected."""
        info = _c.lf_channel_info_t(struct_size=C.sizeof(_c.lf_channel_info_t))
        check(lib.lf_channel_get_info(self.handle, C.byref(info)))
        return lib.lf_transport_name(info.transport).decode()

    @property
    def reason(self):
        """Why this transport, in one line."""
        text = C.c_char_p()
        check(lib.lf_channel_get_reason(self.handle, C.byref(text)))
        return text.value.decode()

    def close_end(self):
        """Close this end: the peer sees the end of the stream (or ClosedError)."""
        check(lib.lf_channel_close(self.handle))


class _Guard:
    """A memoryview over ring memory, valid inside its `with` block only."""

    def __init__(self, address, size, readonly, finish):
        self._finish = finish
        self.view = memory_at(address, size, readonly)

    def __enter__(self):
        return self.view

    def __exit__(self, kind, value, traceback):
        try:
            self.view.release()
        except BufferError as error:  # (an export of the view, e.g. a numpy array, still lives)
            self._finish(kind is None)
            raise LavaflowError(_c.LF_ERR_INVALID_STATE, "an object made from the zero-copy view outlives its "
                                "block: %s" % error) from None
        self._finish(kind is None)


class Producer(_End):
    """The sending end. `Producer.open(ctx, name)` a channel a consumer created."""

    @classmethod
    def open(cls, context, name, **options):
        """Open the channel `name` as a producer (options: connect_timeout in seconds)."""
        return cls(context, name, _c.LF_CHANNEL_PRODUCER, False, **options)

    @classmethod
    def create(cls, context, name, **options):
        """Create the channel `name` as its producer (its consumer opens it)."""
        return cls(context, name, _c.LF_CHANNEL_PRODUCER, True, **options)

    def send(self, data, timeout=None):
        """Copy a bytes-like object in as one message; False if the ring stayed full."""
        if type(data) is bytes:  # (the common case: ctypes passes the bytes' own buffer)
            return check(lib.lf_channel_send(self.handle, data, len(data), timeout_ms(timeout))) == _c.LF_OK
        view = memoryview(data).cast("B")
        buffer = (C.c_char * len(view)).from_buffer_copy(view) if view.readonly or not view.c_contiguous \
            else (C.c_char * len(view)).from_buffer(view)
        return check(lib.lf_channel_send(self.handle, buffer, len(view), timeout_ms(timeout))) == _c.LF_OK

    def reserve(self, size, timeout=None):
        """A writable memoryview of `size` bytes in the ring, as a context manager: committed
        when the block ends normally, aborted on an exception. LavaflowError(LF_TIMEOUT) if the
        ring stayed full."""
        status = check(lib.lf_channel_reserve(self.handle, size, timeout_ms(timeout), self._data_out))
        if status != _c.LF_OK:
            raise LavaflowError(status, "the ring stayed full")

        def finish(ok):
            check(lib.lf_channel_commit(self.handle, size) if ok else lib.lf_channel_abort(self.handle))

        return _Guard(self._data.value, size, False, finish)


class Consumer(_End):
    """The receiving end. `Consumer.create(ctx, name)` makes the channel producers open."""

    @classmethod
    def create(cls, context, name, **options):
        """Create the channel `name` (options: capacity, max_message_size, max_producers)."""
        return cls(context, name, _c.LF_CHANNEL_CONSUMER, True, **options)

    @classmethod
    def open(cls, context, name, **options):
        """Open the channel `name` a producer created."""
        return cls(context, name, _c.LF_CHANNEL_CONSUMER, False, **options)

    def recv(self, timeout=None):
        """The next message as bytes; None if none came within the timeout; EOFError at the end
        of the stream."""
        if not self._peek(timeout):
            return None
        try:
            return C.string_at(self._data.value, self._size.value)  # (the one copy, straight out of the ring)
        finally:
            check(lib.lf_channel_release(self.handle))

    def peek(self, timeout=None):
        """The next message as a read-only memoryview in the ring, as a context manager (None
        inside the block if none came within the timeout); EOFError at the end of the stream."""
        if not self._peek(timeout):
            return _Nothing()
        return _Guard(self._data.value, self._size.value, True, self._release)

    def _peek(self, timeout):
        status = check(lib.lf_channel_peek(self.handle, timeout_ms(timeout), self._data_out, self._size_out))
        if status == _c.LF_END_OF_STREAM:
            raise EOFError("the producers closed and everything they sent was received")
        return status == _c.LF_OK

    def _release(self, _ok):
        check(lib.lf_channel_release(self.handle))


class _Nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False

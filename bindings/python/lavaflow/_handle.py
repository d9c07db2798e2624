"""The base of every object that owns a C handle: close() (also on `with` exit and, as a
backstop, when garbage-collected) destroys it exactly once."""
import weakref


class Handle:
    """Owns one C handle; `_destroy(handle)` releases it."""

    def __init__(self, handle, destroy):
        if not handle:
            raise ValueError("no handle")
        self._handle = handle
        self._finalizer = weakref.finalize(self, destroy, handle)

    @property
    def handle(self):
        """The C handle (a ctypes c_void_p); ValueError once closed."""
        if self._handle is None:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._handle

    @property
    def closed(self):
        """Whether close() was called."""
        return self._handle is None

    def close(self):
        """Release the C handle now (a second close does nothing)."""
        self._handle = None
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

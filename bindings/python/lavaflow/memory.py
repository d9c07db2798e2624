"""Buffers (memory.h): host, NUMA-bound, huge-page, shared and device memory.

`buffer.view` is a writable memoryview of the bytes and `buffer.array(dtype, shape)` a numpy
array over them, both valid until the buffer is closed: closing releases the views (a later use
raises ValueError) and refuses, with LavaflowError, while an array made from it is still alive.
Shared memory travels to another process as an fd (`export_fd`, `Buffer.import_fd`).
"""
import ctypes as C

from . import _c
from ._handle import Handle
from ._library import lib
from ._views import escaped, memory_at, watched_array
from .errors import LavaflowError, check

try:
    import numpy as np
except ImportError:
    np = None

_KINDS = {"host": _c.LF_MEMORY_HOST, "shared": _c.LF_MEMORY_SHARED, "device": _c.LF_MEMORY_DEVICE}
_PLACEMENTS = {"default": _c.LF_PLACEMENT_DEFAULT, "local": _c.LF_PLACEMENT_LOCAL,
               "interleave": _c.LF_PLACEMENT_INTERLEAVE, "near_device": _c.LF_PLACEMENT_NEAR_DEVICE}
_HUGE = {"none": _c.LF_HUGE_PAGES_NONE, "prefer": _c.LF_HUGE_PAGES_PREFER, "require": _c.LF_HUGE_PAGES_REQUIRE}


class Buffer(Handle):
    """Memory lavaflow allocated or imported.

    kind: "host" (default), "shared" (exportable to other processes) or "device" (Vulkan);
    numa_node: bind to that node, or placement "local"/"interleave"/"near_device";
    huge_pages: "none", "prefer" or "require"; zeroed; alignment (a power of two);
    device_mapped: host or shared memory the Vulkan device also maps (no staging copy for the GPU).
    """

    def __init__(self, context, size, kind="host", numa_node=None, placement=None, huge_pages=None, zeroed=False,
                 alignment=None, device_mapped=False, _raw=None):
        raw = _raw
        if raw is None:
            p = _c.lf_buffer_params_t(field_mask=_c.LF_BUFFER_PARAM_FIELD_KIND, kind=_KINDS[kind])
            if numa_node is not None:
                p.field_mask |= _c.LF_BUFFER_PARAM_FIELD_PLACEMENT
                p.placement, p.numa_node = _c.LF_PLACEMENT_NUMA_NODE, numa_node
            elif placement is not None:
                p.field_mask |= _c.LF_BUFFER_PARAM_FIELD_PLACEMENT
                p.placement = _PLACEMENTS[placement]
            if huge_pages is not None:
                p.field_mask |= _c.LF_BUFFER_PARAM_FIELD_HUGE_PAGES
                p.huge_pages = _HUGE[huge_pages]
            if zeroed or device_mapped:
                p.field_mask |= _c.LF_BUFFER_PARAM_FIELD_FLAGS
                p.flags = (_c.LF_BUFFER_FLAG_ZERO if zeroed else 0) | (_c.LF_BUFFER_FLAG_DEVICE_MAPPED if device_mapped else 0)
            if alignment is not None:
                p.field_mask |= _c.LF_BUFFER_PARAM_FIELD_ALIGNMENT
                p.alignment = alignment
            raw = C.c_void_p()
            check(lib.lf_buffer_create(context.handle, size, C.byref(p), C.byref(raw)))
        super().__init__(raw, lib.lf_buffer_destroy)
        self._views, self._arrays = [], []

    @classmethod
    def import_fd(cls, context, fd, size=None, read_only=False):
        """Map shared memory another process exported (`fd` stays the caller's to close)."""
        p = _c.lf_buffer_import_params_t()
        if size is not None:
            p.field_mask |= _c.LF_BUFFER_IMPORT_PARAM_FIELD_SIZE
            p.size = size
        if read_only:
            p.field_mask |= _c.LF_BUFFER_IMPORT_PARAM_FIELD_FLAGS
            p.flags = _c.LF_BUFFER_IMPORT_READ_ONLY
        raw = C.c_void_p()
        check(lib.lf_buffer_import_fd(context.handle, fd, C.byref(p), C.byref(raw)))
        return cls(context, 0, _raw=raw)

    def _info(self):
        info = _c.lf_buffer_info_t(struct_size=C.sizeof(_c.lf_buffer_info_t))
        check(lib.lf_buffer_get_info(self.handle, C.byref(info)))
        return info

    @property
    def size(self):
        """Usable bytes."""
        return self._info().size

    @property
    def kind(self):
        """"host", "shared" or "device" (the kind obtained: see `reason` for a fallback)."""
        return lib.lf_memory_kind_name(self._info().kind).decode()

    @property
    def reason(self):
        """How the buffer was allocated and why."""
        text = C.c_char_p()
        check(lib.lf_buffer_get_reason(self.handle, C.byref(text)))
        return text.value.decode()

    @property
    def view(self):
        """A writable memoryview of the bytes (LavaflowError for device-local memory)."""
        pointer, size = C.c_void_p(), C.c_size_t()
        check(lib.lf_buffer_get_data(self.handle, C.byref(pointer), C.byref(size)))
        info = self._info()
        view = memory_at(pointer.value, size.value, readonly=bool(info.flags & _c.LF_BUFFER_READ_ONLY))
        self._views.append(view)
        return view

    def array(self, dtype, shape=None):
        """A numpy array of `dtype` over the bytes (all of them, or `shape`)."""
        flat = watched_array(np, self.view, dtype, self._arrays)
        return flat if shape is None else flat[:int(np.prod(shape, dtype=np.int64))].reshape(shape)

    def export_fd(self):
        """A new fd of the memory for another process (yours to close; shared memory only)."""
        fd = C.c_int(-1)
        check(lib.lf_buffer_export_fd(self.handle, C.byref(fd)))
        return fd.value

    def close(self):
        """Free the buffer: its views die (ValueError on use); refused while an array of it lives."""
        if self.closed:
            return
        if escaped(self._arrays):
            raise LavaflowError(_c.LF_ERR_BUSY, "a numpy array of this buffer is still alive: delete it first")
        for view in self._views:
            view.release()
        super().close()

"""Context, Identity and Scope (context.h, identity.h, scope.h)."""
import ctypes as C

from . import _c
from ._handle import Handle
from ._library import lib
from .errors import check


class Context(Handle):
    """lavaflow's root object: the topology, the shared-memory base directory, logging.

    >>> with Context(base_dir="/dev/shm") as ctx:
    ...     ctx.base_dir
    '/dev/shm'
    """

    def __init__(self, base_dir=None, topology=None, name=None, ignore_environment=False):
        params = _c.lf_context_params_t()
        keep = []  # (the C strings live until the call returns)
        for field, bit, value in (("base_dir", _c.LF_CONTEXT_PARAM_FIELD_BASE_DIR, base_dir),
                                  ("topology", _c.LF_CONTEXT_PARAM_FIELD_TOPOLOGY, topology),
                                  ("name", _c.LF_CONTEXT_PARAM_FIELD_NAME, name)):
            if value is not None:
                keep.append(str(value).encode())
                setattr(params, field, keep[-1])
                params.field_mask |= bit
        if ignore_environment:
            params.field_mask |= _c.LF_CONTEXT_PARAM_FIELD_FLAGS
            params.flags = _c.LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT
        raw = C.c_void_p()
        check(lib.lf_context_create(C.byref(params), C.byref(raw)))
        super().__init__(raw, lib.lf_context_destroy)

    @property
    def base_dir(self):
        """The canonical shared-memory base directory."""
        text = C.c_char_p()
        check(lib.lf_context_get_base_dir(self.handle, C.byref(text)))
        return text.value.decode()


class Identity(Handle):
    """Where an endpoint runs: this process, or one described by a blob another process sent."""

    def __init__(self, context, blob=None):
        raw = C.c_void_p()
        if blob is None:
            check(lib.lf_identity_create(context.handle, None, C.byref(raw)))
        else:
            data = bytes(blob)
            check(lib.lf_identity_create_from_blob(context.handle, data, len(data), C.byref(raw)))
        super().__init__(raw, lib.lf_identity_destroy)

    def to_bytes(self):
        """The serialized identity, to send to a peer."""
        size = C.c_size_t()
        status = lib.lf_identity_serialize(self.handle, None, 0, C.byref(size))
        if status != _c.LF_ERR_BUFFER_TOO_SMALL:
            check(status)
        out = C.create_string_buffer(size.value)
        check(lib.lf_identity_serialize(self.handle, out, size.value, C.byref(size)))
        return out.raw[:size.value]


class Scope(Handle):
    """What two endpoints share (process, NUMA node, package, host, network), with the reason."""

    def __init__(self, context, a, b):
        raw = C.c_void_p()
        check(lib.lf_scope_create(context.handle, a.handle, b.handle, C.byref(raw)))
        super().__init__(raw, lib.lf_scope_destroy)

    @property
    def level(self):
        """The level's name: "process", "numa", "package", "host", "remote"."""
        info = _c.lf_scope_info_t(struct_size=C.sizeof(_c.lf_scope_info_t))
        check(lib.lf_scope_get_info(self.handle, C.byref(info)))
        return lib.lf_scope_level_name(info.level).decode()

    @property
    def reason(self):
        """Why this level, in words."""
        text = C.c_char_p()
        check(lib.lf_scope_get_reason(self.handle, C.byref(text)))
        return text.value.decode()

"""Timeline semaphores (sync.h): a 64-bit value that only grows, shared between threads,
processes and GPU APIs.

`Semaphore(ctx)` makes a shared one at 0; `signal(n)` raises it, `wait(n, timeout)` returns
True once it is at least n (False at the timeout; PeerDeadError when a process holding it that
could signal died first). Another process gets the same semaphore with `send` / `Semaphore.recv`
over an AF_UNIX socket, `export_fd` / `Semaphore.import_fd`, or by name (`Semaphore.open`).
ctypes releases the GIL during the C calls: other Python threads run while one waits.
"""
import ctypes as C

from . import _c
from ._handle import Handle
from ._library import lib
from ._timeouts import timeout_ms
from .errors import check

_KINDS = {"shared": _c.LF_SEMAPHORE_SHARED, "vulkan": _c.LF_SEMAPHORE_VULKAN}
_WAIT_MODES = {"adaptive": _c.LF_WAIT_ADAPTIVE, "spin": _c.LF_WAIT_SPIN, "sleep": _c.LF_WAIT_SLEEP}


def _params(wait_mode=None, spin_us=None, wait_only=False):
    p = _c.lf_semaphore_params_t()
    if wait_mode is not None:
        p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE
        p.wait_mode = _WAIT_MODES[wait_mode]
    if spin_us is not None:
        p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_SPIN_US
        p.spin_us = spin_us
    if wait_only:
        p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_FLAGS
        p.flags = _c.LF_SEMAPHORE_FLAG_WAIT_ONLY
    return p


def _timeout_ns(timeout):
    """Seconds as the C call's nanoseconds: None forever (-1), <= 0 does not wait."""
    if timeout is None:
        return -1
    return 0 if timeout <= 0 else min(int(timeout * 1e9) or 1, 2**63 - 1)


class Semaphore(Handle):
    """A timeline semaphore.

    kind: "shared" (default) or "vulkan" (fallback=True: a shared one where Vulkan cannot
    export one); initial_value; wait_mode "adaptive" (spin `spin_us`, then sleep), "spin" or
    "sleep"; name: publish a shared one for `Semaphore.open`; wait_only: this handle never
    signals (its process's death then does not wake waiters).
    """

    def __init__(self, context, kind="shared", initial_value=0, wait_mode=None, spin_us=None, name=None,
                 wait_only=False, fallback=False, device=None, _raw=None):
        raw = _raw
        if raw is None:
            p = _params(wait_mode, spin_us, wait_only)
            p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_KIND | _c.LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE
            p.kind, p.initial_value = _KINDS[kind], initial_value
            if fallback:
                p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_FALLBACK
                p.fallback = _c.LF_SEMAPHORE_FALLBACK_TO_SHARED
            if device is not None:
                p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_DEVICE
                p.device_index = device
            encoded = None
            if name is not None:
                encoded = name.encode()
                p.field_mask |= _c.LF_SEMAPHORE_PARAM_FIELD_NAME
                p.name = encoded
            raw = C.c_void_p()
            check(lib.lf_semaphore_create(context.handle, C.byref(p), C.byref(raw)))
        super().__init__(raw, lib.lf_semaphore_destroy)

    @classmethod
    def import_fd(cls, context, fd, wait_mode=None, spin_us=None, wait_only=False):
        """Take a shared semaphore another process exported (`fd` stays the caller's to close)."""
        p = _params(wait_mode, spin_us, wait_only)
        raw = C.c_void_p()
        check(lib.lf_semaphore_import_fd(context.handle, fd, C.byref(p), C.byref(raw)))
        return cls(context, _raw=raw)

    @classmethod
    def open(cls, context, name, wait_mode=None, spin_us=None, wait_only=False):
        """Open a shared semaphore another process of this user published under `name`."""
        p = _params(wait_mode, spin_us, wait_only)
        raw = C.c_void_p()
        check(lib.lf_semaphore_open(context.handle, name.encode(), C.byref(p), C.byref(raw)))
        return cls(context, _raw=raw)

    @classmethod
    def recv(cls, context, socket_fd, timeout=None, wait_mode=None, spin_us=None, wait_only=False):
        """A semaphore another process sent with `send` over the AF_UNIX socket `socket_fd` (an
        int or a socket object), or None if none came within `timeout` seconds."""
        p = _params(wait_mode, spin_us, wait_only)
        raw = C.c_void_p()
        fd = socket_fd if isinstance(socket_fd, int) else socket_fd.fileno()
        status = check(lib.lf_semaphore_recv(context.handle, fd, C.byref(p), timeout_ms(timeout), C.byref(raw)))
        return None if status != _c.LF_OK else cls(context, _raw=raw)

    def signal(self, value):
        """Raise the value to `value` (LavaflowError LF_ERR_INVALID_ARGUMENT if that does not raise it)."""
        check(lib.lf_semaphore_signal(self.handle, value))

    def wait(self, value, timeout=None):
        """Wait until the value is at least `value`: True, or False after `timeout` seconds (None:
        as long as it takes). PeerDeadError: a holder that could signal died first."""
        return check(lib.lf_semaphore_wait(self.handle, value, _timeout_ns(timeout))) == _c.LF_OK

    @property
    def value(self):
        """The current value."""
        out = C.c_uint64()
        check(lib.lf_semaphore_get_value(self.handle, C.byref(out)))
        return out.value

    def info(self):
        """What the semaphore is: the C struct lf_semaphore_info_t (kind, flags, value, holders,
        dead_holders, wait_mode, spin_us, device_index, sleeps, wakes)."""
        info = _c.lf_semaphore_info_t(struct_size=C.sizeof(_c.lf_semaphore_info_t))
        check(lib.lf_semaphore_get_info(self.handle, C.byref(info)))
        return info

    @property
    def kind(self):
        """"shared" or "vulkan" (the kind obtained: see `reason` for a fallback)."""
        return lib.lf_semaphore_kind_name(self.info().kind).decode()

    @property
    def reason(self):
        """What the semaphore is and why."""
        text = C.c_char_p()
        check(lib.lf_semaphore_get_reason(self.handle, C.byref(text)))
        return text.value.decode()

    def export_fd(self):
        """A new fd of the semaphore for another process or GPU API (yours to close)."""
        fd = C.c_int(-1)
        check(lib.lf_semaphore_export_fd(self.handle, C.byref(fd)))
        return fd.value

    def send(self, socket_fd):
        """Send the semaphore over a connected AF_UNIX socket (an int or a socket object)."""
        fd = socket_fd if isinstance(socket_fd, int) else socket_fd.fileno()
        check(lib.lf_semaphore_send(self.handle, fd))

    def vulkan_info(self):
        """The Vulkan objects of a Vulkan semaphore (lf_vulkan_semaphore_info_t; LavaflowError
        LF_ERR_INVALID_STATE for a shared one)."""
        info = _c.lf_vulkan_semaphore_info_t(struct_size=C.sizeof(_c.lf_vulkan_semaphore_info_t))
        check(lib.lf_semaphore_get_vulkan_info(self.handle, C.byref(info)))
        return info

"""Views of memory lavaflow lends (ring messages, pool slots, buffers): memoryviews over an
address, and numpy arrays over them that are watched so that one kept too long is noticed."""
import ctypes as C
import weakref


def memory_at(address, size, readonly=False):
    """A memoryview of `size` bytes at `address` (release it when the memory is given back)."""
    view = memoryview((C.c_char * size).from_address(address) if size else (C.c_char * 0)()).cast("B")
    return view.toreadonly() if readonly else view


def watched_array(np, view, dtype, watch):
    """A flat numpy array over `view`, a weak reference to it appended to `watch`: numpy keeps
    the memoryview object, not an export of it, so releasing the view does not notice an array
    that outlives it — the weak reference does (see `escaped`)."""
    flat = np.frombuffer(view, dtype=dtype)
    watch.append(weakref.ref(flat))
    return flat


def escaped(watch):
    """Whether an array made by watched_array (or one derived from it) is still alive."""
    return any(ref() is not None for ref in watch)

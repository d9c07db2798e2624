"""Finding and loading liblavaflow (and liblavaflow_mpi), and binding the C functions.

Where the library is looked for, in order: LAVAFLOW_LIBRARY (the library file itself),
LAVAFLOW_LIB_DIR (its directory: a build tree's build/release/src), the libdir pkg-config
reports for `lavaflow`, then the system loader (ldconfig's cache, LD_LIBRARY_PATH).
"""
import ctypes
import ctypes.util
import os
import subprocess

from . import _c

_SONAME = {"lavaflow": "liblavaflow.so.0", "lavaflow_mpi": "liblavaflow_mpi.so.0"}


class LibraryNotFound(ImportError):
    """liblavaflow could not be found: the message says where it was looked for."""


def _candidates(name):
    soname = _SONAME[name]
    if name == "lavaflow" and os.environ.get("LAVAFLOW_LIBRARY"):
        yield os.environ["LAVAFLOW_LIBRARY"]
    if os.environ.get("LAVAFLOW_LIB_DIR"):
        yield os.path.join(os.environ["LAVAFLOW_LIB_DIR"], soname)
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", name], capture_output=True, text=True,
                                check=False, timeout=10).stdout.strip()
        if libdir:
            yield os.path.join(libdir, soname)
    except (OSError, subprocess.SubprocessError):
        pass
    yield ctypes.util.find_library(name) or soname


def load(name):
    """The loaded library `name` ("lavaflow" or "lavaflow_mpi"), its functions declared."""
    tried = []
    for path in _candidates(name):
        try:
            library = ctypes.CDLL(path)
            break
        except OSError as error:
            tried.append("%s (%s)" % (path, error))
    else:
        raise LibraryNotFound(
            "lib%s not found; tried: %s. Install lavaflow, or set LAVAFLOW_LIB_DIR to the directory that holds it "
            "(a build tree: build/release/src) or LAVAFLOW_LIBRARY to the file." % (name, "; ".join(tried)))
    for function, (restype, argtypes) in _c.FUNCTIONS.items():
        entry = getattr(library, function, None)  # (liblavaflow_mpi's are bound with it)
        if entry is not None:
            entry.restype = restype
            entry.argtypes = argtypes
    return library


lib = load("lavaflow")

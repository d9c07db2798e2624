"""lavaflow for Python: scope-aware channels and the tensor pool over ctypes (docs/python.md).

Pure Python, no compiled extension; numpy is optional. liblavaflow is found through
LAVAFLOW_LIBRARY, LAVAFLOW_LIB_DIR, pkg-config or the system loader.
"""
from ._library import LibraryNotFound, lib
from .channel import Consumer, Producer
from .context import Context, Identity, Scope
from .errors import ClosedError, LavaflowError, PeerDeadError
from .memory import Buffer
from .pool import Frame, FrameOverwritten, PoolConsumer, PoolDriver, PoolProducer
from .sync import Semaphore

__all__ = ["Buffer", "ClosedError", "Consumer", "Context", "Frame", "FrameOverwritten", "Identity", "LavaflowError",
           "LibraryNotFound", "PeerDeadError", "PoolConsumer", "PoolDriver", "PoolProducer", "Producer", "Scope",
           "Semaphore", "version"]


def version():
    """The version of the lavaflow library loaded, e.g. "0.1.0"."""
    return lib.lf_version_string().decode()

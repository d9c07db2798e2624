"""lavaflow's errors as Python exceptions: the C status and lavaflow's own message."""
from . import _c
from ._library import lib


class LavaflowError(Exception):
    """A failed lavaflow call: `status` (an LF_ERR_* value), `name` ("LF_ERR_CLOSED") and the
    message of the failing call (lf_last_error_message)."""

    def __init__(self, status, message=None):
        self.status = status
        self.name = lib.lf_status_name(status).decode()
        self.message = message if message is not None else lib.lf_last_error_message().decode("utf-8", "replace")
        super().__init__("%s (%s)" % (self.message or lib.lf_status_string(status).decode(), self.name))


class ClosedError(LavaflowError):
    """The peer or the object was closed (LF_ERR_CLOSED)."""


class PeerDeadError(LavaflowError):
    """The peer process died (LF_ERR_PEER_DEAD)."""


_BY_STATUS = {_c.LF_ERR_CLOSED: ClosedError, _c.LF_ERR_PEER_DEAD: PeerDeadError}


def check(status):
    """`status` when it is not an error (LF_OK or a positive outcome); raises otherwise."""
    if status < 0:
        raise _BY_STATUS.get(status, LavaflowError)(status)
    return status

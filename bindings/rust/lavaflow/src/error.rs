//! Errors: the C status and the message lavaflow gave for it.
use std::ffi::CStr;
use std::fmt;

use lavaflow_sys as sys;

/// What went wrong, by the C API's status groups (docs/c-api.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument or params field is invalid (`LF_ERR_INVALID_ARGUMENT`).
    InvalidArgument,
    /// An output buffer is too small (`LF_ERR_BUFFER_TOO_SMALL`).
    BufferTooSmall,
    /// The object is not in a state that allows the call (`LF_ERR_INVALID_STATE`).
    InvalidState,
    /// The named object does not exist (`LF_ERR_NOT_FOUND`).
    NotFound,
    /// It already exists (`LF_ERR_EXISTS`).
    AlreadyExists,
    /// The system or a policy refused (`LF_ERR_PERMISSION`).
    PermissionDenied,
    /// The peer process died (`LF_ERR_PEER_DEAD`).
    PeerDead,
    /// The peer or this end was closed (`LF_ERR_CLOSED`).
    Closed,
    /// Every producer closed and everything they sent was received (`LF_END_OF_STREAM`).
    EndOfStream,
    /// Data failed validation (`LF_ERR_CORRUPT`, `LF_ERR_VERSION_MISMATCH`, `LF_ERR_AUTH`,
    /// `LF_ERR_PROTOCOL`).
    Corrupt,
    /// Not supported by this build, machine or driver (`LF_ERR_UNSUPPORTED`).
    Unsupported,
    /// Any other status: see [`Error::status`].
    Other,
}

/// A failed lavaflow call: its status and the message `lf_last_error_message()` gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: i32,
    message: String,
}

impl Error {
    /// The error of the call that just returned `status` on this thread. (Cold and out of
    /// line: the hot calls that may fail stay small enough to be inlined into the caller.)
    #[cold]
    #[inline(never)]
    pub(crate) fn last(status: i32) -> Error {
        // SAFETY: lf_last_error_message never returns NULL and the text stays valid until the
        // next failing call on this thread; it is copied at once.
        let message = unsafe { CStr::from_ptr(sys::lf_last_error_message()) }.to_string_lossy().into_owned();
        Error { status, message }
    }

    /// An invalid argument found on the Rust side, before any C call.
    pub(crate) fn invalid_argument(message: String) -> Error {
        Error { status: sys::LF_ERR_INVALID_ARGUMENT, message }
    }

    /// The C status (`LF_ERR_*`, or `LF_END_OF_STREAM`).
    pub fn status(&self) -> i32 {
        self.status
    }

    /// What lavaflow said, prefixed with the C function (may be empty for a status that is
    /// not an error, such as the end of a stream).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The kind of error.
    pub fn kind(&self) -> ErrorKind {
        match self.status {
            sys::LF_ERR_INVALID_ARGUMENT => ErrorKind::InvalidArgument,
            sys::LF_ERR_BUFFER_TOO_SMALL => ErrorKind::BufferTooSmall,
            sys::LF_ERR_INVALID_STATE => ErrorKind::InvalidState,
            sys::LF_ERR_NOT_FOUND => ErrorKind::NotFound,
            sys::LF_ERR_EXISTS => ErrorKind::AlreadyExists,
            sys::LF_ERR_PERMISSION => ErrorKind::PermissionDenied,
            sys::LF_ERR_PEER_DEAD => ErrorKind::PeerDead,
            sys::LF_ERR_CLOSED => ErrorKind::Closed,
            sys::LF_END_OF_STREAM => ErrorKind::EndOfStream,
            sys::LF_ERR_CORRUPT | sys::LF_ERR_VERSION_MISMATCH | sys::LF_ERR_AUTH | sys::LF_ERR_PROTOCOL => {
                ErrorKind::Corrupt
            }
            sys::LF_ERR_UNSUPPORTED => ErrorKind::Unsupported,
            _ => ErrorKind::Other,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: lf_status_name returns static text for any value.
        let name = unsafe { CStr::from_ptr(sys::lf_status_name(self.status)) }.to_string_lossy();
        if self.message.is_empty() {
            write!(f, "{name}")
        } else {
            write!(f, "{} ({name})", self.message)
        }
    }
}

impl std::error::Error for Error {}

/// A lavaflow result.
pub type Result<T> = std::result::Result<T, Error>;

/// `LF_OK` as `Ok`, a failure as the error with its message.
#[inline]
pub(crate) fn check(status: i32) -> Result<()> {
    if status == sys::LF_OK {
        Ok(())
    } else {
        Err(Error::last(status))
    }
}

/// For calls that may time out: `Ok(true)` done, `Ok(false)` nothing within the timeout
/// (`LF_WOULD_BLOCK`, `LF_TIMEOUT`), otherwise the error (the end of a stream included).
#[inline]
pub(crate) fn check_timed(status: i32) -> Result<bool> {
    match status {
        sys::LF_OK => Ok(true),
        sys::LF_WOULD_BLOCK | sys::LF_TIMEOUT => Ok(false),
        _ => Err(not_timed(status)),
    }
}

/// The end of a stream (no message of its own) or the call's error.
#[cold]
#[inline(never)]
fn not_timed(status: i32) -> Error {
    if status == sys::LF_END_OF_STREAM {
        Error { status, message: String::new() }
    } else {
        Error::last(status)
    }
}

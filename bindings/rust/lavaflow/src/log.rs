//! lavaflow's log (log.h): the threshold and a callback for its messages.
use std::ffi::{c_void, CStr};
use std::os::raw::c_char;

use lavaflow_sys as sys;

use crate::error::{check, Result};

/// Log levels, from silent to most verbose (`lf_log_level_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Nothing.
    Off,
    /// Something failed that the caller may not see as a status.
    Error,
    /// A fallback was taken, a resource leaked, a peer misbehaved.
    Warn,
    /// Decisions: topology source, scope, transport, memory kind.
    Info,
    /// Every failing call with its message, setup details.
    Debug,
    /// Very verbose.
    Trace,
}

impl LogLevel {
    fn raw(self) -> i32 {
        match self {
            LogLevel::Off => sys::LF_LOG_OFF,
            LogLevel::Error => sys::LF_LOG_ERROR,
            LogLevel::Warn => sys::LF_LOG_WARN,
            LogLevel::Info => sys::LF_LOG_INFO,
            LogLevel::Debug => sys::LF_LOG_DEBUG,
            LogLevel::Trace => sys::LF_LOG_TRACE,
        }
    }
    fn from_raw(level: i32) -> LogLevel {
        match level {
            sys::LF_LOG_ERROR => LogLevel::Error,
            sys::LF_LOG_WARN => LogLevel::Warn,
            sys::LF_LOG_INFO => LogLevel::Info,
            sys::LF_LOG_DEBUG => LogLevel::Debug,
            sys::LF_LOG_TRACE => LogLevel::Trace,
            _ => LogLevel::Off,
        }
    }
}

/// Set the global threshold (overrides `LAVAFLOW_LOG`).
pub fn set_log_level(level: LogLevel) -> Result<()> {
    // SAFETY: a plain value.
    check(unsafe { sys::lf_log_set_level(level.raw()) })
}

/// A log handler: called from any thread, lavaflow's own included, with one line of text.
pub type LogHandler = fn(LogLevel, &str);

extern "C" fn trampoline(level: i32, message: *const c_char, user_data: *mut c_void) {
    // SAFETY: user_data is the LogHandler set_log_handler installed (a fn pointer, 'static);
    // message is a NUL-terminated line valid during the call.
    let handler: LogHandler = unsafe { std::mem::transmute::<*mut c_void, LogHandler>(user_data) };
    let text = unsafe { CStr::from_ptr(message) }.to_string_lossy();
    // A panic must not unwind into C.
    let _ = std::panic::catch_unwind(|| handler(LogLevel::from_raw(level), &text));
}

/// Send lavaflow's log to `handler` (a plain function: it lives for the whole program), or
/// back to stderr with `None`. It must not set a handler itself.
pub fn set_log_handler(handler: Option<LogHandler>) -> Result<()> {
    // SAFETY: the trampoline and a 'static fn pointer as user data, or NULL to remove.
    check(unsafe {
        match handler {
            Some(f) => sys::lf_log_set_callback(Some(trampoline as unsafe extern "C" fn(i32, *const c_char, *mut c_void)), f as *mut c_void),
            None => sys::lf_log_set_callback(None, std::ptr::null_mut()),
        }
    })
}

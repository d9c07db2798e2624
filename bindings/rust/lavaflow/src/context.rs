//! The context: the root object every other one is made from (context.h).
use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr;

use lavaflow_sys as sys;

use crate::error::{check, Error, Result};

/// lavaflow's root object: the topology, the shared-memory base directory, logging.
///
/// Immutable once made, so it is `Send` and `Sync` (context.h: any thread, concurrently).
/// Objects made from it keep it alive in C, so they may outlive this value.
#[derive(Debug)]
pub struct Context {
    raw: *mut sys::lf_context_t,
}

// SAFETY: the C API declares every context call thread-safe; the handle is a table entry.
unsafe impl Send for Context {}
// SAFETY: as above.
unsafe impl Sync for Context {}

impl Context {
    /// A context with the defaults (this machine's topology, base directory `/dev/shm` or
    /// `LAVAFLOW_BASE_DIR`).
    pub fn new() -> Result<Context> {
        Context::make(None, None)
    }

    /// A context whose shared memory lives under `base_dir` (an existing directory).
    pub fn with_base_dir(base_dir: &Path) -> Result<Context> {
        Context::make(Some(base_dir), None)
    }

    /// A context with its topology from `topology` ("system", "synthetic:...", "xml:PATH").
    pub fn with_topology(topology: &str) -> Result<Context> {
        Context::make(None, Some(topology))
    }

    fn make(base_dir: Option<&Path>, topology: Option<&str>) -> Result<Context> {
        // SAFETY: an all-zero params struct means every default (docs/c-api.md).
        let mut params: sys::lf_context_params_t = unsafe { std::mem::zeroed() };
        let base_dir = base_dir.map(|p| c_string(&p.to_string_lossy())).transpose()?;
        let topology = topology.map(c_string).transpose()?;
        if let Some(dir) = &base_dir {
            params.field_mask |= sys::LF_CONTEXT_PARAM_FIELD_BASE_DIR;
            params.base_dir = dir.as_ptr();
        }
        if let Some(text) = &topology {
            params.field_mask |= sys::LF_CONTEXT_PARAM_FIELD_TOPOLOGY;
            params.topology = text.as_ptr();
        }
        let mut raw = ptr::null_mut();
        // SAFETY: params and the strings it points to live across the call; raw is an out pointer.
        check(unsafe { sys::lf_context_create(&params, &mut raw) })?;
        Ok(Context { raw })
    }

    /// The shared-memory base directory in effect.
    pub fn base_dir(&self) -> Result<String> {
        let mut text = ptr::null();
        // SAFETY: a live context; the text is valid while it lives and copied at once.
        check(unsafe { sys::lf_context_get_base_dir(self.raw, &mut text) })?;
        Ok(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }

    /// The C handle, for calls this crate does not wrap (borrowed: valid while `self` lives).
    pub fn as_raw(&self) -> *mut sys::lf_context_t {
        self.raw
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: the handle is ours; children keep the C object alive as long as they need it.
        unsafe { sys::lf_context_destroy(self.raw) };
    }
}

/// A Rust string as a C string; an interior NUL is an invalid argument, as C would say.
/// The text in a fixed-size C char array (up to its NUL, never past its end).
pub(crate) fn read_text(from: &[std::os::raw::c_char]) -> String {
    let bytes: Vec<u8> = from.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

pub(crate) fn c_string(text: &str) -> Result<CString> {
    CString::new(text).map_err(|_| Error::invalid_argument(format!("'{}' contains a NUL byte", text.escape_debug())))
}

//! Identities and scope (identity.h, scope.h): where is my peer, and what can we share?
use std::ffi::CStr;
use std::ptr;

use lavaflow_sys as sys;

use crate::context::Context;
use crate::error::{check, Error, Result};

/// How close two endpoints are (`lf_scope_level_t`), closest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScopeLevel {
    /// The same process.
    Process,
    /// One host, both cpusets in one NUMA node.
    Numa,
    /// One host, one package.
    Package,
    /// One host that can share memory.
    Host,
    /// One machine, but no shared memory (containers, another base directory).
    Isolated,
    /// Another host.
    Remote,
    /// Not decidable.
    Unknown,
}

impl ScopeLevel {
    fn from_raw(level: i32) -> ScopeLevel {
        match level {
            sys::LF_SCOPE_PROCESS => ScopeLevel::Process,
            sys::LF_SCOPE_NUMA => ScopeLevel::Numa,
            sys::LF_SCOPE_PACKAGE => ScopeLevel::Package,
            sys::LF_SCOPE_HOST => ScopeLevel::Host,
            sys::LF_SCOPE_ISOLATED => ScopeLevel::Isolated,
            sys::LF_SCOPE_REMOTE => ScopeLevel::Remote,
            _ => ScopeLevel::Unknown,
        }
    }
}

/// An endpoint's identity: where this process (or a peer) runs. Immutable: `Send + Sync`.
#[derive(Debug)]
pub struct Identity {
    raw: *mut sys::lf_identity_t,
}

// SAFETY: identities are immutable; every identity call is thread-safe (identity.h).
unsafe impl Send for Identity {}
// SAFETY: as above.
unsafe impl Sync for Identity {}

impl Identity {
    /// This process's identity (its binding, host and base directory).
    pub fn new(context: &Context) -> Result<Identity> {
        let mut raw = ptr::null_mut();
        // SAFETY: a live context; NULL params are the defaults; raw is an out pointer.
        check(unsafe { sys::lf_identity_create(context.as_raw(), ptr::null(), &mut raw) })?;
        Ok(Identity { raw })
    }

    /// A peer's identity from the blob it serialized ([`Identity::to_blob`]), validated.
    pub fn from_blob(context: &Context, blob: &[u8]) -> Result<Identity> {
        let mut raw = ptr::null_mut();
        // SAFETY: the blob is valid for its length; lavaflow copies what it keeps.
        check(unsafe { sys::lf_identity_create_from_blob(context.as_raw(), blob.as_ptr().cast(), blob.len(), &mut raw) })?;
        Ok(Identity { raw })
    }

    /// The identity as a versioned, checksummed blob to send to a peer, any way.
    pub fn to_blob(&self) -> Result<Vec<u8>> {
        let mut size = 0usize;
        // SAFETY: asking for the size with an empty buffer is the documented first step.
        let status = unsafe { sys::lf_identity_serialize(self.raw, ptr::null_mut(), 0, &mut size) };
        if status != sys::LF_ERR_BUFFER_TOO_SMALL && status != sys::LF_OK {
            return Err(Error::last(status));
        }
        let mut blob = vec![0u8; size];
        // SAFETY: the buffer has `size` bytes.
        check(unsafe { sys::lf_identity_serialize(self.raw, blob.as_mut_ptr().cast(), blob.len(), &mut size) })?;
        blob.truncate(size);
        Ok(blob)
    }

    /// The host name (never proof of the same host).
    pub fn hostname(&self) -> Result<String> {
        self.text(sys::LF_IDENTITY_TEXT_HOSTNAME)
    }

    /// The PUs it may run on, as OS indices ("0-3,8").
    pub fn cpuset(&self) -> Result<String> {
        self.text(sys::LF_IDENTITY_TEXT_CPUSET)
    }

    fn text(&self, which: i32) -> Result<String> {
        let mut length = 0usize;
        // SAFETY: size first with an empty buffer, then the text into one that fits.
        let status = unsafe { sys::lf_identity_get_text(self.raw, which, ptr::null_mut(), 0, &mut length) };
        if status != sys::LF_ERR_BUFFER_TOO_SMALL && status != sys::LF_OK {
            return Err(Error::last(status));
        }
        let mut buffer = vec![0u8; length + 1];
        // SAFETY: the buffer holds the text and its NUL.
        check(unsafe { sys::lf_identity_get_text(self.raw, which, buffer.as_mut_ptr().cast(), buffer.len(), &mut length) })?;
        buffer.truncate(length);
        Ok(String::from_utf8_lossy(&buffer).into_owned())
    }
}

impl Drop for Identity {
    fn drop(&mut self) {
        // SAFETY: ours; a scope made from it keeps what it needs.
        unsafe { sys::lf_identity_destroy(self.raw) };
    }
}

/// The scope between two identities, with the reason for it. Immutable: `Send + Sync`.
#[derive(Debug)]
pub struct Scope {
    raw: *mut sys::lf_scope_t,
    level: ScopeLevel,
}

// SAFETY: scopes are immutable; every scope call is thread-safe (scope.h).
unsafe impl Send for Scope {}
// SAFETY: as above.
unsafe impl Sync for Scope {}

impl Scope {
    /// Decide the scope between `a` and `b`.
    pub fn new(context: &Context, a: &Identity, b: &Identity) -> Result<Scope> {
        let mut raw = ptr::null_mut();
        // SAFETY: live handles; raw is an out pointer.
        check(unsafe { sys::lf_scope_create(context.as_raw(), a.raw, b.raw, &mut raw) })?;
        // SAFETY: zeroed with struct_size set, as the C API wants.
        let mut info: sys::lf_scope_info_t = unsafe { std::mem::zeroed() };
        info.struct_size = std::mem::size_of::<sys::lf_scope_info_t>() as u32;
        let mut scope = Scope { raw, level: ScopeLevel::Unknown }; // (destroyed if the next call fails)
        // SAFETY: a live scope and a valid out struct.
        check(unsafe { sys::lf_scope_get_info(scope.raw, &mut info) })?;
        scope.level = ScopeLevel::from_raw(info.level);
        Ok(scope)
    }

    /// The level decided.
    pub fn level(&self) -> ScopeLevel {
        self.level
    }

    /// Why, in one line ("host: same boot id, same base directory ...").
    pub fn reason(&self) -> Result<String> {
        let mut text = ptr::null();
        // SAFETY: a live scope; the text lives as long as it and is copied at once.
        check(unsafe { sys::lf_scope_get_reason(self.raw, &mut text) })?;
        Ok(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        // SAFETY: ours.
        unsafe { sys::lf_scope_destroy(self.raw) };
    }
}

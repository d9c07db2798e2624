//! Timeline semaphores (sync.h): a 64-bit value that only grows, shared between threads,
//! processes and GPU APIs.
use std::ffi::CStr;
use std::os::unix::io::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr;
use std::time::Duration;

use lavaflow_sys as sys;

use crate::channel::{timeout_ms, WaitMode};
use crate::context::{c_string, Context};
use crate::error::{check, check_timed, Result};

/// The kind of a semaphore (`lf_semaphore_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemaphoreKind {
    /// The value in shared memory: threads and processes of one host; a dead holder wakes waiters.
    Shared,
    /// A Vulkan timeline semaphore exportable as an opaque fd (CUDA, OpenCL, Vulkan importers).
    Vulkan,
}

/// How to make (or take) a semaphore; the defaults are a shared one at 0, adaptive waits.
#[derive(Clone, Debug, Default)]
pub struct SemaphoreOptions {
    kind: Option<SemaphoreKind>,
    initial_value: u64,
    wait_mode: Option<WaitMode>,
    spin_us: Option<u32>,
    wait_only: bool,
    fallback_to_shared: bool,
    device: Option<i32>,
    name: Option<String>,
}

impl SemaphoreOptions {
    /// The defaults.
    pub fn new() -> SemaphoreOptions {
        SemaphoreOptions::default()
    }
    /// The kind (creating only).
    pub fn kind(mut self, kind: SemaphoreKind) -> Self {
        self.kind = Some(kind);
        self
    }
    /// The value at creation.
    pub fn initial_value(mut self, value: u64) -> Self {
        self.initial_value = value;
        self
    }
    /// How this handle's CPU waits wait.
    pub fn wait_mode(mut self, mode: WaitMode) -> Self {
        self.wait_mode = Some(mode);
        self
    }
    /// Adaptive waits: how long to spin before sleeping.
    pub fn spin_us(mut self, microseconds: u32) -> Self {
        self.spin_us = Some(microseconds);
        self
    }
    /// This handle never signals (its process's death then does not wake waiters).
    pub fn wait_only(mut self) -> Self {
        self.wait_only = true;
        self
    }
    /// A Vulkan semaphore that cannot be made may be a shared one instead (the reason says so).
    pub fn fall_back_to_shared(mut self) -> Self {
        self.fallback_to_shared = true;
        self
    }
    /// A Vulkan semaphore on the device of this index.
    pub fn device(mut self, index: i32) -> Self {
        self.device = Some(index);
        self
    }
    /// A shared semaphore published under a name for [`Semaphore::open`].
    pub fn name(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }

    /// The C params (for creation: `creating`), with the name's C string kept in `name`.
    fn raw(&self, creating: bool, name: &mut Option<std::ffi::CString>) -> Result<sys::lf_semaphore_params_t> {
        // SAFETY: zero is every field's default.
        let mut p: sys::lf_semaphore_params_t = unsafe { std::mem::zeroed() };
        if let Some(mode) = self.wait_mode {
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE;
            p.wait_mode = mode.raw();
        }
        if let Some(spin_us) = self.spin_us {
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_SPIN_US;
            p.spin_us = spin_us;
        }
        if self.wait_only {
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_FLAGS;
            p.flags = sys::LF_SEMAPHORE_FLAG_WAIT_ONLY;
        }
        if !creating {
            return Ok(p); // (the rest is refused by the calls that take a semaphore from elsewhere)
        }
        if let Some(kind) = self.kind {
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_KIND;
            p.kind = match kind {
                SemaphoreKind::Shared => sys::LF_SEMAPHORE_SHARED,
                SemaphoreKind::Vulkan => sys::LF_SEMAPHORE_VULKAN,
            };
        }
        p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE;
        p.initial_value = self.initial_value;
        if self.fallback_to_shared {
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_FALLBACK;
            p.fallback = sys::LF_SEMAPHORE_FALLBACK_TO_SHARED;
        }
        if let Some(index) = self.device {
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_DEVICE;
            p.device_index = index;
        }
        if let Some(text) = &self.name {
            let c = c_string(text)?;
            p.field_mask |= sys::LF_SEMAPHORE_PARAM_FIELD_NAME;
            p.name = c.as_ptr();
            *name = Some(c);
        }
        Ok(p)
    }
}

/// A timeline semaphore: [`Semaphore::signal`] raises the value, [`Semaphore::wait`] returns
/// once it is at least the value waited for. `Send + Sync`: share it between threads with an
/// `Arc`; it is destroyed when dropped (no call can still be running then).
#[derive(Debug)]
pub struct Semaphore {
    raw: *mut sys::lf_semaphore_t,
}

// SAFETY: every semaphore call is thread-safe (sync.h); destruction needs ownership (Drop).
unsafe impl Send for Semaphore {}
// SAFETY: as above.
unsafe impl Sync for Semaphore {}

impl Semaphore {
    /// Raise the value to `value` (`InvalidArgument` unless that raises it: values only grow).
    #[inline]
    pub fn signal(&self, value: u64) -> Result<()> {
        // SAFETY: a live semaphore.
        check(unsafe { sys::lf_semaphore_signal(self.raw, value) })
    }

    /// Wait until the value is at least `value`: `Ok(true)`, or `Ok(false)` after `timeout`
    /// (`None`: as long as it takes). `PeerDead` when a holder that could signal died first.
    #[inline]
    pub fn wait(&self, value: u64, timeout: Option<Duration>) -> Result<bool> {
        let ns = match timeout {
            None => -1,
            Some(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        };
        // SAFETY: a live semaphore.
        check_timed(unsafe { sys::lf_semaphore_wait(self.raw, value, ns) })
    }

    /// The current value.
    pub fn value(&self) -> Result<u64> {
        let mut value = 0;
        // SAFETY: a live semaphore and an out pointer.
        check(unsafe { sys::lf_semaphore_get_value(self.raw, &mut value) })?;
        Ok(value)
    }

    /// What the semaphore is: kind, flags, value, holders, counters (`lf_semaphore_info_t`).
    pub fn info(&self) -> Result<sys::lf_semaphore_info_t> {
        // SAFETY: zeroed with struct_size set.
        let mut info: sys::lf_semaphore_info_t = unsafe { std::mem::zeroed() };
        info.struct_size = std::mem::size_of::<sys::lf_semaphore_info_t>() as u32;
        // SAFETY: a live semaphore and a valid out struct.
        check(unsafe { sys::lf_semaphore_get_info(self.raw, &mut info) })?;
        Ok(info)
    }

    /// The kind obtained (a fallback may give another than asked for: see [`Semaphore::reason`]).
    pub fn kind(&self) -> Result<SemaphoreKind> {
        Ok(if self.info()?.kind == sys::LF_SEMAPHORE_VULKAN { SemaphoreKind::Vulkan } else { SemaphoreKind::Shared })
    }

    /// Why the semaphore is what it is, in one line.
    pub fn reason(&self) -> Result<String> {
        let mut text = ptr::null();
        // SAFETY: a live semaphore; the text lives as long as it and is copied at once.
        check(unsafe { sys::lf_semaphore_get_reason(self.raw, &mut text) })?;
        Ok(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }

    /// A new fd of the semaphore, for another process or (Vulkan kind) a GPU API.
    pub fn export_fd(&self) -> Result<OwnedFd> {
        let mut fd = -1;
        // SAFETY: a live semaphore; the fd returned is ours.
        check(unsafe { sys::lf_semaphore_export_fd(self.raw, &mut fd) })?;
        // SAFETY: a new descriptor the call handed over.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Send the semaphore (its description and fd) over a connected AF_UNIX socket.
    pub fn send(&self, socket: BorrowedFd<'_>) -> Result<()> {
        // SAFETY: a live semaphore; the socket is borrowed for the call.
        check(unsafe { sys::lf_semaphore_send(self.raw, socket.as_raw_fd()) })
    }

    /// The Vulkan objects of a Vulkan semaphore (`InvalidState` for a shared one).
    pub fn vulkan_info(&self) -> Result<sys::lf_vulkan_semaphore_info_t> {
        // SAFETY: zeroed with struct_size set.
        let mut info: sys::lf_vulkan_semaphore_info_t = unsafe { std::mem::zeroed() };
        info.struct_size = std::mem::size_of::<sys::lf_vulkan_semaphore_info_t>() as u32;
        // SAFETY: a live semaphore and a valid out struct.
        check(unsafe { sys::lf_semaphore_get_vulkan_info(self.raw, &mut info) })?;
        Ok(info)
    }

    /// The C handle (still owned by `self`).
    pub fn as_raw(&self) -> *mut sys::lf_semaphore_t {
        self.raw
    }

    /// Take a shared semaphore another process exported (`fd` is duplicated; only the wait
    /// options and `wait_only` apply).
    pub fn import_fd(context: &Context, fd: BorrowedFd<'_>, options: &SemaphoreOptions) -> Result<Semaphore> {
        let params = options.raw(false, &mut None)?;
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, params valid across the call, raw an out pointer.
        check(unsafe { sys::lf_semaphore_import_fd(context.as_raw(), fd.as_raw_fd(), &params, &mut raw) })?;
        Ok(Semaphore { raw })
    }

    /// Open a shared semaphore another process of this user published under `name`.
    pub fn open(context: &Context, name: &str, options: &SemaphoreOptions) -> Result<Semaphore> {
        let params = options.raw(false, &mut None)?;
        let name = c_string(name)?;
        let mut raw = ptr::null_mut();
        // SAFETY: as above; the name lives across the call.
        check(unsafe { sys::lf_semaphore_open(context.as_raw(), name.as_ptr(), &params, &mut raw) })?;
        Ok(Semaphore { raw })
    }

    /// A semaphore another process sent with [`Semaphore::send`], or `Ok(None)` if none came
    /// within `timeout`.
    pub fn recv(context: &Context, socket: BorrowedFd<'_>, timeout: Option<Duration>, options: &SemaphoreOptions)
        -> Result<Option<Semaphore>> {
        let params = options.raw(false, &mut None)?;
        let mut raw = ptr::null_mut();
        // SAFETY: as above; the socket is borrowed for the call.
        let status =
            unsafe { sys::lf_semaphore_recv(context.as_raw(), socket.as_raw_fd(), &params, timeout_ms(timeout), &mut raw) };
        Ok(if check_timed(status)? { Some(Semaphore { raw }) } else { None })
    }
}

/// A semaphore owned by someone else (a consumer's channel end, for the semaphores a buffer
/// message names): every call of [`Semaphore`] through `Deref`, no destruction.
#[derive(Debug)]
pub struct SemaphoreRef<'a> {
    semaphore: std::mem::ManuallyDrop<Semaphore>,
    _owner: std::marker::PhantomData<&'a ()>,
}

impl SemaphoreRef<'_> {
    pub(crate) fn new(raw: *mut sys::lf_semaphore_t) -> Self {
        SemaphoreRef { semaphore: std::mem::ManuallyDrop::new(Semaphore { raw }), _owner: std::marker::PhantomData }
    }
}

impl std::ops::Deref for SemaphoreRef<'_> {
    type Target = Semaphore;
    fn deref(&self) -> &Semaphore {
        &self.semaphore
    }
}

impl Drop for Semaphore {
    fn drop(&mut self) {
        // SAFETY: ours, and no call can be running on it (drop has the only reference).
        unsafe { sys::lf_semaphore_destroy(self.raw) };
    }
}

impl Context {
    /// Make a semaphore (a shared one at 0 by default).
    pub fn semaphore(&self, options: &SemaphoreOptions) -> Result<Semaphore> {
        let mut name = None;
        let params = options.raw(true, &mut name)?;
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, params (and the name they point to) valid across the call.
        check(unsafe { sys::lf_semaphore_create(self.as_raw(), &params, &mut raw) })?;
        Ok(Semaphore { raw })
    }
}

//! Buffers (memory.h): host, NUMA-bound, huge-page, shared and device memory.
use std::ffi::CStr;
use std::os::unix::io::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr;

use lavaflow_sys as sys;

use crate::context::Context;
use crate::error::{check, Error, Result};

/// The kind of memory (`lf_memory_kind_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// Private memory of this process.
    Host,
    /// A sealed memfd: exportable to other processes as an fd.
    Shared,
    /// Vulkan device memory, exportable as an opaque fd.
    Device,
}

/// Where a buffer's pages go (`lf_placement_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The operating system's default (first touch).
    Default,
    /// Bound to this NUMA node (its OS index).
    NumaNode(u32),
    /// Bound to the NUMA node(s) of the calling thread's binding.
    Local,
    /// Interleaved page by page across all NUMA nodes.
    Interleave,
    /// Bound to the NUMA node of the selected Vulkan device.
    NearDevice,
}

/// Huge pages (`lf_huge_pages_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HugePages {
    /// Normal pages.
    None,
    /// Reserved huge pages if any, else transparent huge pages, else normal (see the reason).
    Prefer,
    /// Reserved huge pages or an error.
    Require,
}

/// How to allocate a buffer; the defaults are host memory, default placement.
#[derive(Clone, Debug, Default)]
pub struct BufferOptions {
    kind: Option<MemoryKind>,
    alignment: Option<u64>,
    zeroed: bool,
    prefault: bool,
    device_mapped: bool,
    placement: Option<Placement>,
    huge_pages: Option<HugePages>,
    device_to_host_fallback: bool,
}

impl BufferOptions {
    /// The defaults.
    pub fn new() -> BufferOptions {
        BufferOptions::default()
    }
    /// The kind of memory.
    pub fn kind(mut self, kind: MemoryKind) -> Self {
        self.kind = Some(kind);
        self
    }
    /// A power of two up to 1 GiB.
    pub fn alignment(mut self, bytes: u64) -> Self {
        self.alignment = Some(bytes);
        self
    }
    /// Zero the memory (`LF_BUFFER_FLAG_ZERO`).
    pub fn zeroed(mut self) -> Self {
        self.zeroed = true;
        self
    }
    /// Touch every page now, so that placement happens at allocation (`LF_BUFFER_FLAG_PREFAULT`).
    pub fn prefault(mut self) -> Self {
        self.prefault = true;
        self
    }
    /// Host or shared memory the Vulkan device also maps, so that the GPU reads and writes it with
    /// no staging copy (`LF_BUFFER_FLAG_DEVICE_MAPPED`; [`Buffer::vulkan_info`] gives its memory).
    pub fn device_mapped(mut self) -> Self {
        self.device_mapped = true;
        self
    }
    /// Where the pages go (NUMA binding).
    pub fn placement(mut self, placement: Placement) -> Self {
        self.placement = Some(placement);
        self
    }
    /// Huge pages.
    pub fn huge_pages(mut self, huge_pages: HugePages) -> Self {
        self.huge_pages = Some(huge_pages);
        self
    }
    /// Device memory that cannot be had falls back to shared host memory (the reason says so).
    pub fn fall_back_to_host(mut self) -> Self {
        self.device_to_host_fallback = true;
        self
    }
}

/// A buffer of memory lavaflow allocated or imported; freed (or returned to its pool) on drop.
///
/// The buffer's calls are thread-safe (memory.h), so it is `Send + Sync`; its bytes are
/// reached through `&self`/`&mut self` slices, so this process's accesses are ordered by the
/// borrow checker. Memory another process also maps (after [`Buffer::export_fd`], or an
/// import) may change under a slice: that is why those two calls are `unsafe`.
#[derive(Debug)]
pub struct Buffer {
    raw: *mut sys::lf_buffer_t,
    data: *mut u8,
    len: usize,
}

// SAFETY: every buffer call is thread-safe; the bytes are reached only through borrows of self.
unsafe impl Send for Buffer {}
// SAFETY: as above; &self gives only shared slices.
unsafe impl Sync for Buffer {}

impl Buffer {
    pub(crate) fn from_raw(raw: *mut sys::lf_buffer_t) -> Result<Buffer> {
        Buffer::wrap(raw)
    }

    fn wrap(raw: *mut sys::lf_buffer_t) -> Result<Buffer> {
        let mut buffer = Buffer { raw, data: ptr::null_mut(), len: 0 }; // (destroyed if the next call fails)
        let info = buffer.raw_info()?;
        if !info.host_pointer.is_null() {
            buffer.data = info.host_pointer.cast();
            buffer.len = info.size as usize;
        }
        Ok(buffer)
    }

    /// The Vulkan objects of device memory (instance, physical device, device, memory, memory
    /// type), to use it from your own Vulkan code (`InvalidState` for other kinds).
    pub fn vulkan_info(&self) -> Result<sys::lf_vulkan_memory_info_t> {
        // SAFETY: zeroed with struct_size set.
        let mut info: sys::lf_vulkan_memory_info_t = unsafe { std::mem::zeroed() };
        info.struct_size = std::mem::size_of::<sys::lf_vulkan_memory_info_t>() as u32;
        // SAFETY: a live buffer and a valid out struct.
        check(unsafe { sys::lf_buffer_get_vulkan_info(self.raw, &mut info) })?;
        Ok(info)
    }

    /// The C handle (still owned by `self`).
    pub fn as_raw(&self) -> *mut sys::lf_buffer_t {
        self.raw
    }

    fn raw_info(&self) -> Result<sys::lf_buffer_info_t> {
        // SAFETY: zeroed with struct_size set, as the C API wants.
        let mut info: sys::lf_buffer_info_t = unsafe { std::mem::zeroed() };
        info.struct_size = std::mem::size_of::<sys::lf_buffer_info_t>() as u32;
        // SAFETY: a live buffer and a valid out struct.
        check(unsafe { sys::lf_buffer_get_info(self.raw, &mut info) })?;
        Ok(info)
    }

    /// The kind obtained (a fallback may give another than asked for: see [`Buffer::reason`]).
    pub fn kind(&self) -> Result<MemoryKind> {
        Ok(match self.raw_info()?.kind {
            sys::LF_MEMORY_SHARED => MemoryKind::Shared,
            sys::LF_MEMORY_DEVICE => MemoryKind::Device,
            _ => MemoryKind::Host,
        })
    }

    /// Usable bytes, as requested (0 for device-local memory without a host address).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it has no host-visible bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes (empty for device-local memory).
    pub fn as_slice(&self) -> &[u8] {
        if self.data.is_null() {
            return &[];
        }
        // SAFETY: `len` mapped bytes at `data` for as long as the buffer lives.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }

    /// The bytes, to write (empty for device-local memory).
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        if self.data.is_null() {
            return &mut [];
        }
        // SAFETY: as above, and &mut self makes this the only access in this process.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }

    /// Why the buffer is what it is, in one line.
    pub fn reason(&self) -> Result<String> {
        let mut text = ptr::null();
        // SAFETY: a live buffer; the text lives as long as it and is copied at once.
        check(unsafe { sys::lf_buffer_get_reason(self.raw, &mut text) })?;
        Ok(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }

    /// A new fd of the memory, for another process (shared or device memory).
    ///
    /// # Safety
    /// Whoever maps the fd can write the memory while this process holds slices of it:
    /// agree with them who writes when (for example, hand it over with a channel message).
    pub unsafe fn export_fd(&self) -> Result<OwnedFd> {
        let mut fd = -1;
        check(sys::lf_buffer_export_fd(self.raw, &mut fd))?;
        Ok(OwnedFd::from_raw_fd(fd))
    }

    /// Map (or import) memory another process exported as `fd`, after validating it (a sealed
    /// memfd of the expected size, or a device fd lavaflow described). The fd is duplicated:
    /// the caller keeps its own.
    ///
    /// # Safety
    /// The exporter and everyone else who maps it may write the memory while this buffer's
    /// slices are alive: agree on who writes when.
    pub unsafe fn import_fd(context: &Context, fd: BorrowedFd<'_>, size: Option<usize>) -> Result<Buffer> {
        let mut params: sys::lf_buffer_import_params_t = std::mem::zeroed();
        if let Some(size) = size {
            params.field_mask |= sys::LF_BUFFER_IMPORT_PARAM_FIELD_SIZE;
            params.size = size as u64;
        }
        let mut raw = ptr::null_mut();
        check(sys::lf_buffer_import_fd(context.as_raw(), fd.as_raw_fd(), &params, &mut raw))?;
        Buffer::wrap(raw)
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        // SAFETY: ours; other mappings of shared memory stay valid until released.
        unsafe { sys::lf_buffer_destroy(self.raw) };
    }
}

impl BufferOptions {
    /// The C params these options make.
    pub(crate) fn raw(&self) -> Result<sys::lf_buffer_params_t> {
        // SAFETY: zero is every field's default.
        let mut params: sys::lf_buffer_params_t = unsafe { std::mem::zeroed() };
        if let Some(kind) = self.kind {
            params.field_mask |= sys::LF_BUFFER_PARAM_FIELD_KIND;
            params.kind = match kind {
                MemoryKind::Host => sys::LF_MEMORY_HOST,
                MemoryKind::Shared => sys::LF_MEMORY_SHARED,
                MemoryKind::Device => sys::LF_MEMORY_DEVICE,
            };
        }
        if let Some(alignment) = self.alignment {
            params.field_mask |= sys::LF_BUFFER_PARAM_FIELD_ALIGNMENT;
            params.alignment = alignment;
        }
        if self.zeroed || self.prefault || self.device_mapped {
            params.field_mask |= sys::LF_BUFFER_PARAM_FIELD_FLAGS;
            params.flags |= if self.zeroed { sys::LF_BUFFER_FLAG_ZERO } else { 0 };
            params.flags |= if self.prefault { sys::LF_BUFFER_FLAG_PREFAULT } else { 0 };
            params.flags |= if self.device_mapped { sys::LF_BUFFER_FLAG_DEVICE_MAPPED } else { 0 };
        }
        if let Some(placement) = self.placement {
            params.field_mask |= sys::LF_BUFFER_PARAM_FIELD_PLACEMENT;
            params.placement = match placement {
                Placement::Default => sys::LF_PLACEMENT_DEFAULT,
                Placement::NumaNode(node) => {
                    params.numa_node = node;
                    sys::LF_PLACEMENT_NUMA_NODE
                }
                Placement::Local => sys::LF_PLACEMENT_LOCAL,
                Placement::Interleave => sys::LF_PLACEMENT_INTERLEAVE,
                Placement::NearDevice => sys::LF_PLACEMENT_NEAR_DEVICE,
            };
        }
        if let Some(huge_pages) = self.huge_pages {
            params.field_mask |= sys::LF_BUFFER_PARAM_FIELD_HUGE_PAGES;
            params.huge_pages = match huge_pages {
                HugePages::None => sys::LF_HUGE_PAGES_NONE,
                HugePages::Prefer => sys::LF_HUGE_PAGES_PREFER,
                HugePages::Require => sys::LF_HUGE_PAGES_REQUIRE,
            };
        }
        if self.device_to_host_fallback {
            params.field_mask |= sys::LF_BUFFER_PARAM_FIELD_FALLBACK;
            params.fallback = sys::LF_FALLBACK_DEVICE_TO_HOST;
        }
        Ok(params)
    }
}

impl Context {
    /// Allocate a buffer of `size` bytes.
    pub fn buffer(&self, size: usize, options: &BufferOptions) -> Result<Buffer> {
        if size == 0 {
            return Err(Error::invalid_argument("a buffer of 0 bytes".into()));
        }
        let params = options.raw()?;
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, params valid across the call, raw an out pointer.
        check(unsafe { sys::lf_buffer_create(self.as_raw(), size, &params, &mut raw) })?;
        Buffer::wrap(raw)
    }
}

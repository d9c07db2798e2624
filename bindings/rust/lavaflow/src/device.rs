//! Vulkan devices lavaflow can allocate device memory on (device.h), and buffer pools (memory.h).
use std::ffi::CStr;
use std::ptr;

use lavaflow_sys as sys;

use crate::buffer::{Buffer, BufferOptions};
use crate::context::{read_text, Context};
use crate::error::{check, Result};

/// One device, as `lf_device_get_info` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Its index (`BufferOptions` selects devices by it).
    pub index: u32,
    /// The device's name.
    pub name: String,
    /// "discrete", "integrated", "virtual", "cpu" (e.g. Mesa's lavapipe), "other".
    pub kind: String,
    /// PCI vendor id (0x10de NVIDIA, 0x1002 AMD, 0x8086 Intel, 0x10005 Mesa).
    pub vendor_id: u32,
    /// The device's UUID (the same in every process and API).
    pub uuid: [u8; 16],
    /// OS index of its NUMA node, or `u32::MAX`.
    pub numa_node: u32,
    /// Size of its largest device-local heap.
    pub device_local_bytes: u64,
}

/// What a context's buffers use now (`lf_memory_stats_t`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MemoryStats {
    /// Live bytes of host, shared and device memory.
    pub live_bytes: [u64; 3],
    /// Live buffers of host, shared and device memory.
    pub live_count: [u64; 3],
    /// The most bytes live at once.
    pub high_water_bytes: u64,
    /// Buffers created (imports and pool misses included).
    pub allocations: u64,
    /// Allocations that fell back to another kind.
    pub fallbacks: u64,
    /// Pool acquisitions served from a cache.
    pub pool_hits: u64,
    /// Pool acquisitions that allocated.
    pub pool_misses: u64,
}

impl Context {
    /// What this context's buffers use now.
    pub fn memory_stats(&self) -> Result<MemoryStats> {
        // SAFETY: zeroed with struct_size set.
        let mut m: sys::lf_memory_stats_t = unsafe { std::mem::zeroed() };
        m.struct_size = std::mem::size_of::<sys::lf_memory_stats_t>() as u32;
        // SAFETY: a live context and a valid out struct.
        check(unsafe { sys::lf_context_get_memory_stats(self.as_raw(), &mut m) })?;
        Ok(MemoryStats {
            live_bytes: [m.live_bytes[1], m.live_bytes[2], m.live_bytes[3]],
            live_count: [m.live_count[1], m.live_count[2], m.live_count[3]],
            high_water_bytes: m.high_water_bytes,
            allocations: m.allocations,
            fallbacks: m.fallbacks,
            pool_hits: m.pool_hits,
            pool_misses: m.pool_misses,
        })
    }

    /// The Vulkan devices lavaflow can allocate on (empty without Vulkan).
    pub fn devices(&self) -> Result<Vec<DeviceInfo>> {
        let mut count = 0u32;
        // SAFETY: a live context and an out pointer.
        check(unsafe { sys::lf_device_count(self.as_raw(), &mut count) })?;
        (0..count)
            .map(|index| {
                // SAFETY: zeroed with struct_size set, as the C API wants.
                let mut d: sys::lf_device_info_t = unsafe { std::mem::zeroed() };
                d.struct_size = std::mem::size_of::<sys::lf_device_info_t>() as u32;
                // SAFETY: a live context and a valid out struct.
                check(unsafe { sys::lf_device_get_info(self.as_raw(), index, &mut d) })?;
                Ok(DeviceInfo {
                    index: d.index,
                    name: read_text(&d.name),
                    // SAFETY: static text for any value.
                    kind: unsafe { CStr::from_ptr(sys::lf_device_type_name(d.type_)) }.to_string_lossy().into_owned(),
                    vendor_id: d.vendor_id,
                    uuid: d.device_uuid,
                    numa_node: d.numa_node,
                    device_local_bytes: d.device_local_bytes,
                })
            })
            .collect()
    }

    /// A cache of buffers of `size` bytes: [`BufferPool::acquire`] reuses a dropped one before
    /// allocating. Keeps up to `max_cached` (0: the default) and makes `preallocate` now.
    pub fn buffer_pool(&self, size: usize, options: &BufferOptions, max_cached: u32, preallocate: u32) -> Result<BufferPool> {
        let params = options.raw()?;
        // SAFETY: zero is every field's default.
        let mut pool_params: sys::lf_buffer_pool_params_t = unsafe { std::mem::zeroed() };
        if max_cached != 0 {
            pool_params.field_mask |= sys::LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED;
            pool_params.max_cached = max_cached;
        }
        if preallocate != 0 {
            pool_params.field_mask |= sys::LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE;
            pool_params.preallocate = preallocate;
        }
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, params valid across the call, an out pointer.
        check(unsafe { sys::lf_buffer_pool_create(self.as_raw(), size, &params, &pool_params, &mut raw) })?;
        Ok(BufferPool { raw })
    }
}

/// Same-size buffers kept for reuse. The pool calls are thread-safe (memory.h): `Send + Sync`.
#[derive(Debug)]
pub struct BufferPool {
    raw: *mut sys::lf_buffer_pool_t,
}

// SAFETY: every buffer-pool call is thread-safe.
unsafe impl Send for BufferPool {}
// SAFETY: as above.
unsafe impl Sync for BufferPool {}

impl BufferPool {
    /// A buffer from the cache, or a new one; dropping it gives it back.
    pub fn acquire(&self) -> Result<Buffer> {
        let mut raw = ptr::null_mut();
        // SAFETY: a live pool and an out pointer.
        check(unsafe { sys::lf_buffer_pool_acquire(self.raw, &mut raw) })?;
        Buffer::from_raw(raw)
    }
}

impl Drop for BufferPool {
    fn drop(&mut self) {
        // SAFETY: ours; buffers acquired from it stay valid (memory.h).
        unsafe { sys::lf_buffer_pool_destroy(self.raw) };
    }
}

//! Identities, scope and buffers through the safe API.
use std::os::unix::io::AsFd;

use lavaflow::{BufferOptions, Context, ErrorKind, Identity, MemoryKind, Scope, ScopeLevel};

#[test]
fn an_identity_round_trips_and_its_scope_with_itself_is_the_process() {
    let ctx = Context::new().unwrap();
    let me = Identity::new(&ctx).unwrap();
    let blob = me.to_blob().unwrap();
    assert!(blob.len() > 16);
    let again = Identity::from_blob(&ctx, &blob).unwrap();
    assert_eq!(again.hostname().unwrap(), me.hostname().unwrap());
    assert!(!me.cpuset().unwrap().is_empty());
    let scope = Scope::new(&ctx, &me, &again).unwrap();
    assert_eq!(scope.level(), ScopeLevel::Process);
    assert!(scope.reason().unwrap().starts_with("process"), "{}", scope.reason().unwrap());
    // A damaged blob is refused with lavaflow's reason, never trusted.
    let mut bad = blob.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    let error = Identity::from_blob(&ctx, &bad).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Corrupt, "{error}");
    assert!(Identity::from_blob(&ctx, &blob[..8]).is_err());
}

#[test]
fn synthetic_topologies_give_numa_and_package_scopes_elsewhere() {
    let ctx = Context::with_topology("synthetic:pack:2 numa:2 core:2 pu:1").unwrap();
    let me = Identity::new(&ctx).unwrap();
    assert!(Scope::new(&ctx, &me, &me).unwrap().level() <= ScopeLevel::Host);
}

#[test]
fn buffers_hold_bytes_and_shared_ones_cross_an_fd() {
    let ctx = Context::new().unwrap();
    let mut host = ctx.buffer(4096, &BufferOptions::new().zeroed()).unwrap();
    assert_eq!(host.kind().unwrap(), MemoryKind::Host);
    assert_eq!(host.len(), 4096);
    assert!(host.as_slice().iter().all(|&b| b == 0));
    host.as_mut_slice()[..5].copy_from_slice(b"hello");
    assert_eq!(&host.as_slice()[..5], b"hello");
    assert!(!host.reason().unwrap().is_empty());
    assert_eq!(ctx.buffer(0, &BufferOptions::new()).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(
        ctx.buffer(4096, &BufferOptions::new().alignment(3)).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );

    let mut shared = ctx.buffer(1 << 16, &BufferOptions::new().kind(MemoryKind::Shared)).unwrap();
    shared.as_mut_slice()[100..104].copy_from_slice(&[1, 2, 3, 4]);
    // SAFETY: this test is the only writer, and writes only through `shared`.
    let fd = unsafe { shared.export_fd() }.unwrap();
    // SAFETY: as above.
    let imported = unsafe { lavaflow::Buffer::import_fd(&ctx, fd.as_fd(), Some(1 << 16)) }.unwrap();
    assert_eq!(&imported.as_slice()[100..104], &[1, 2, 3, 4]);
    shared.as_mut_slice()[100] = 9;
    assert_eq!(imported.as_slice()[100], 9); // the same memory
    // SAFETY: as above; the wrong size is refused before anything is mapped.
    let wrong = unsafe { lavaflow::Buffer::import_fd(&ctx, fd.as_fd(), Some(4096)) }.unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::InvalidArgument, "{wrong}");
    // Private host memory cannot leave the process.
    // SAFETY: nothing is exported.
    assert!(unsafe { host.export_fd() }.is_err());
}

#[test]
fn placement_and_huge_pages_are_applied_or_refused_with_a_reason() {
    use lavaflow::{HugePages, Placement};
    let ctx = Context::new().unwrap();
    // NUMA node 0 exists on every Linux machine; the reason names the binding.
    let bound = ctx.buffer(1 << 20, &BufferOptions::new().placement(Placement::NumaNode(0)).prefault()).unwrap();
    assert!(bound.reason().unwrap().contains("node 0"), "{}", bound.reason().unwrap());
    let interleaved = ctx.buffer(1 << 20, &BufferOptions::new().placement(Placement::Interleave)).unwrap();
    assert_eq!(interleaved.len(), 1 << 20);
    let error = ctx.buffer(4096, &BufferOptions::new().placement(Placement::NumaNode(4000))).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    // Preferred huge pages always give a buffer; the reason says which pages it got.
    let huge = ctx.buffer(4 << 20, &BufferOptions::new().huge_pages(HugePages::Prefer)).unwrap();
    assert!(!huge.reason().unwrap().is_empty());
}

#[test]
fn a_buffer_pool_reuses_what_was_dropped_and_devices_are_listed() {
    let ctx = Context::new().unwrap();
    let pool = ctx.buffer_pool(65536, &BufferOptions::new().kind(MemoryKind::Shared), 4, 1).unwrap();
    let first = pool.acquire().unwrap();
    let address = first.as_slice().as_ptr();
    assert_eq!(first.len(), 65536);
    drop(first); // back to the pool
    let again = pool.acquire().unwrap();
    assert_eq!(again.as_slice().as_ptr(), address, "the dropped buffer is reused");
    assert!(ctx.buffer_pool(0, &BufferOptions::new(), 0, 0).is_err());
    // Devices: whatever Vulkan finds here (lavapipe, a GPU, or none), each with a name.
    for device in ctx.devices().unwrap() {
        assert!(!device.name.is_empty() && !device.kind.is_empty());
    }
}

#[test]
fn memory_statistics_and_the_log_handler() {
    use lavaflow::{set_log_handler, set_log_level, LogLevel};
    use std::sync::atomic::{AtomicUsize, Ordering};
    static LINES: AtomicUsize = AtomicUsize::new(0);
    fn count(_level: LogLevel, line: &str) {
        assert!(!line.is_empty());
        LINES.fetch_add(1, Ordering::Relaxed);
    }
    set_log_handler(Some(count)).unwrap();
    set_log_level(LogLevel::Debug).unwrap();
    let ctx = Context::new().unwrap();
    let _ = ctx.buffer(4096, &BufferOptions::new().alignment(3)); // a failing call is logged at debug
    set_log_handler(None).unwrap();
    set_log_level(LogLevel::Warn).unwrap();
    assert!(LINES.load(Ordering::Relaxed) > 0);
    let before = ctx.memory_stats().unwrap();
    let shared = ctx.buffer(1 << 16, &BufferOptions::new().kind(MemoryKind::Shared)).unwrap();
    let during = ctx.memory_stats().unwrap();
    assert_eq!(during.live_count[1], before.live_count[1] + 1);
    assert!(during.live_bytes[1] >= before.live_bytes[1] + (1 << 16));
    drop(shared);
    assert_eq!(ctx.memory_stats().unwrap().live_count[1], before.live_count[1]);
}

#[test]
fn host_memory_a_device_maps_or_the_reason_why_not() {
    let ctx = Context::new().unwrap();
    match ctx.buffer(10_000, &BufferOptions::new().device_mapped()) {
        Ok(mut buffer) => {
            assert_eq!(buffer.len(), 10_000);
            assert!(buffer.reason().unwrap().contains("VK_EXT_external_memory_host"));
            buffer.as_mut_slice()[9_999] = 7;
            assert_eq!(buffer.as_slice()[9_999], 7);
            let vk = buffer.vulkan_info().unwrap();
            assert!(vk.memory != 0 && vk.allocation_size % 4096 == 0);
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::Unsupported), // (no Vulkan device maps host memory here)
    }
}

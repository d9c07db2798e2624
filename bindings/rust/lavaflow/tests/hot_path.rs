//! The safe API's hot path allocates nothing, as the C calls it wraps: send/recv, Loan and
//! Message, buffer references; a tensor-pool frame claimed, committed, polled and finished.
//! Allocations are counted per thread by a global allocator wrapping the system's.
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use lavaflow::{BufferOptions, ChannelOptions, ConsumerMode, Context, DType, DriverOptions, FrameDesc, MemoryKind, PoolConsumer, PoolDriver, PoolOptions, PoolProducer};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

const NO_WAIT: Option<Duration> = Some(Duration::ZERO);

#[test]
fn channel_calls_allocate_nothing() {
    let ctx = Context::new().unwrap();
    let name = format!("rust-hot-{}", std::process::id());
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new()).unwrap();
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new()).unwrap();
    let shared = ctx.buffer(4096, &BufferOptions::new().kind(MemoryKind::Shared)).unwrap();
    let mut exchange = |rounds: u32| -> u64 {
        let mut sum = 0u64;
        let (message, mut received) = ([7u8; 256], [0u8; 256]);
        for r in 0..rounds {
            assert!(producer.send(&message[..64 + (r % 128) as usize], NO_WAIT).unwrap());
            sum += consumer.recv(&mut received, NO_WAIT).unwrap().unwrap() as u64;
            let mut loan = producer.reserve(200, NO_WAIT).unwrap().unwrap();
            loan[..4].copy_from_slice(&r.to_le_bytes());
            loan.commit_len(100).unwrap();
            let m = consumer.peek(NO_WAIT).unwrap().unwrap();
            sum += u32::from_le_bytes(m[..4].try_into().unwrap()) as u64 + m.len() as u64;
            drop(m);
            assert!(producer.send_buffer(&shared, (r % 100) as u64, 64, &r.to_le_bytes(), NO_WAIT).unwrap());
            let mut tag = [0u8; 4];
            let (size, reference) = consumer.recv_buffer(&mut tag, NO_WAIT).unwrap().unwrap();
            assert_eq!((size, u32::from_le_bytes(tag)), (4, r));
            sum += reference.unwrap().offset();
        }
        sum
    };
    assert!(exchange(100) > 0); // warm up: this also announces the buffer
    let before = allocations();
    let sum = exchange(10_000);
    let after = allocations();
    assert!(sum > 0);
    assert_eq!(after - before, 0, "the channel calls allocated");
}

#[test]
fn pool_frames_allocate_nothing() {
    let base = std::env::temp_dir().join(format!("lavaflow-rust-hot-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    {
        let ctx = Context::with_base_dir(&base).unwrap();
        let _driver = PoolDriver::start_with(&ctx, &DriverOptions::new().dynamic_streams(true)).unwrap();
        let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(5));
        let mut producer = PoolProducer::attach(&ctx, 1, &options).unwrap();
        let mut consumer = PoolConsumer::attach(&ctx, 1, ConsumerMode::Stream, &options).unwrap();
        let desc = FrameDesc::new(DType::F32, &[8, 8]);
        let mut frames = |count: u32| -> u64 {
            let mut sum = 0u64;
            for k in 0..count {
                let mut slot = producer.claim(256).unwrap();
                slot[..4].copy_from_slice(&(k as f32).to_le_bytes());
                slot.commit(&desc).unwrap();
                let frame = consumer.poll().unwrap().unwrap();
                sum += f32::from_le_bytes(frame.payload()[..4].try_into().unwrap()) as u64 + 1;
                assert!(frame.finish().unwrap());
            }
            sum
        };
        assert!(frames(10) > 0);
        let before = allocations();
        let sum = frames(5_000);
        let after = allocations();
        assert_eq!(sum, 5_000 * 4_999 / 2 + 5_000);
        assert_eq!(after - before, 0, "the pool calls allocated");
    }
    let _ = std::fs::remove_dir_all(&base);
}

//! A tensor-pool consumer: attaches to a stream (by default stream 1, where the C
//! `tensor_producer` example publishes 1024x1024 float32 frames), prints each frame's shape
//! and dtype, checks the C producer's values (element (r, c) of frame n is
//! n + r * 0.001 + c * 0.000001) in frames that stayed intact, and prints the drop counters.
//!
//! ```text
//! build/release/examples/tensor_producer --frames 200 &      # starts the driver embedded
//! cargo run --release --example pool_consumer -- [--stream N] [--latest] [--frames N]
//! ```
use std::time::Duration;

use lavaflow::{ConsumerMode, Context, PoolConsumer, PoolOptions};

fn main() -> lavaflow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str, default: u64| {
        args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    let stream = value("--stream", 1) as u32;
    let wanted = value("--frames", 100);
    let mode = if args.iter().any(|a| a == "--latest") { ConsumerMode::Latest } else { ConsumerMode::Stream };
    let ctx = Context::new()?;
    // Never start a driver here: the producer's (or the standalone `lavaflow driver`) serves us.
    let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(10));
    let mut consumer = PoolConsumer::attach(&ctx, stream, mode, &options)?;
    let (mut read, mut intact) = (0u64, 0u64);
    while read < wanted {
        let frame = match consumer.wait(Some(Duration::from_secs(5)))? {
            Some(frame) => frame,
            None => break, // the producer stopped
        };
        let desc = frame.desc();
        let payload = frame.payload();
        let n = frame.seq() as f32;
        let cols = desc.dims.get(1).copied().unwrap_or(1) as usize;
        let element = |r: usize, c: usize| {
            let at = (r * cols + c) * 4;
            payload.get(at..at + 4).map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        };
        let looks_right = element(1, 2) == Some(n + 0.001 + 0.000002);
        if read % 25 == 0 {
            println!("frame {}: {:?} {:?}, {} bytes", frame.seq(), desc.dtype, desc.dims, payload.len());
        }
        read += 1;
        // Only a frame that stayed intact while it was read counts (seqlock slots).
        if frame.finish()? {
            intact += 1;
            if !looks_right {
                eprintln!("pool_consumer: frame {n} has values other than the C producer's");
            }
        }
    }
    let c = consumer.counters()?;
    println!(
        "pool_consumer: {read} read, {intact} intact; counters: read {}, gap drops {}, late drops {}, skipped {}, epoch {}",
        c.frames_read, c.drops_gap, c.drops_late, c.skipped, c.epoch
    );
    Ok(())
}

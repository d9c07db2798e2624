//! A Rust consumer of the C `tensor_producer` example's frames (examples/tensor_producer.c:
//! 1024x1024 float32, element (r, c) of frame n is n + r * 0.001 + c * 0.000001), on a base
//! directory of its own. The ctest sets LAVAFLOW_EXAMPLES_DIR to the built examples.
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use lavaflow::{ConsumerMode, Context, DType, PoolConsumer, PoolOptions};

const ROWS: usize = 1024;
const COLS: usize = 1024;

fn element(frame: &[u8], r: usize, c: usize) -> f32 {
    let at = (r * COLS + c) * 4;
    f32::from_le_bytes(frame[at..at + 4].try_into().unwrap())
}

#[test]
fn rust_reads_the_c_producers_frames_with_their_shape() {
    let examples = match std::env::var("LAVAFLOW_EXAMPLES_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) => {
            eprintln!("not run: LAVAFLOW_EXAMPLES_DIR does not name the built C examples (ctest rust_bindings sets it)");
            return;
        }
    };
    let base = std::env::temp_dir().join(format!("lavaflow-rust-cproducer-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let mut producer = Command::new(examples.join("tensor_producer"))
        .args(["--stream", "4", "--frames", "150", "--rate", "100"])
        .env("LAVAFLOW_BASE_DIR", &base)
        .spawn()
        .expect("the tensor_producer example runs");
    let ctx = Context::with_base_dir(&base).unwrap();
    let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(10));
    let mut consumer = PoolConsumer::attach(&ctx, 4, ConsumerMode::Stream, &options).unwrap();
    let (mut read, mut intact) = (0u64, 0u64);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        match consumer.wait(Some(Duration::from_millis(500))).unwrap() {
            Some(frame) => {
                let desc = frame.desc();
                assert_eq!(desc.dtype, DType::F32);
                assert_eq!(desc.dims, vec![ROWS as i32, COLS as i32]);
                let payload = frame.payload();
                assert_eq!(payload.len(), ROWS * COLS * 4);
                let n = frame.seq() as f32;
                let probes = [(0, 0), (ROWS / 2, COLS / 3), (ROWS - 1, COLS - 1)];
                let values_ok = probes
                    .iter()
                    .all(|&(r, c)| element(payload, r, c) == n + r as f32 * 0.001 + c as f32 * 0.000001);
                read += 1;
                // Only an intact frame's values must be right (a slot overwritten while read
                // may show another frame's bytes: finish() says which).
                if frame.finish().unwrap() {
                    assert!(values_ok, "frame {n} has wrong values");
                    intact += 1;
                }
            }
            None => {
                if producer.try_wait().unwrap().is_some() {
                    break;
                }
            }
        }
    }
    assert!(producer.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&base);
    assert!(intact > 0 && intact >= read / 2, "{intact} intact of {read} read");
    let counters = consumer.counters().unwrap();
    assert_eq!(counters.frames_read, intact);
}

//! The Rust API against the same C calls (made through `lavaflow_sys`, no wrapper between),
//! in one run, on the same channels: copies (send/recv) and zero-copy (reserve/commit,
//! peek/release) of 64-byte messages, one thread sending and receiving in turn (the calls
//! alone), streaming one way, and ping-pong (round trip / 2), between two threads and between
//! two processes (this program run again as the peer). Each case runs C and Rust alternately
//! (ABBA, `--reps` times); the table gives the medians and the median of the paired ratios
//! Rust / C. The last rows pair the C calls with themselves: their distance from 1.000 is this
//! machine's noise floor. Both sides busy-poll (spin) on CPUs 0 and 1.
//!
//! ```text
//! cargo run --release --example bench -- [--quick] [--reps N]
//! bench --single CASE c|rust COUNT   (one case, e.g. under valgrind to count instructions)
//! ```
use std::process::Command;
use std::time::{Duration, Instant};

use lavaflow::{sys, ChannelOptions, Consumer, Context, Producer, WaitMode};

const MESSAGE: usize = 64;
const NAMES: [&str; 6] = [
    "send + recv",
    "reserve/commit + peek/release",
    "stream, send/recv",
    "stream, reserve/commit + peek/release",
    "ping-pong, send/recv",
    "ping-pong, reserve/commit + peek/release",
];

#[derive(Clone, Copy, PartialEq)]
enum Work {
    SameThread = 0,
    SameThreadZeroCopy = 1,
    Stream = 2,
    StreamZeroCopy = 3,
    PingPong = 4,
    PingPongZeroCopy = 5,
}

impl Work {
    fn from(n: usize) -> Work {
        [Work::SameThread, Work::SameThreadZeroCopy, Work::Stream, Work::StreamZeroCopy, Work::PingPong, Work::PingPongZeroCopy][n]
    }
    fn zero_copy(self) -> bool {
        matches!(self, Work::SameThreadZeroCopy | Work::StreamZeroCopy | Work::PingPongZeroCopy)
    }
    fn ping_pong(self) -> bool {
        matches!(self, Work::PingPong | Work::PingPongZeroCopy)
    }
}

extern "C" {
    fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32;
    fn sysconf(name: i32) -> i64;
}
const SC_NPROCESSORS_ONLN: i32 = 84;

/// Pins the calling thread to `cpu` (modulo the CPUs online: not available_parallelism(),
/// which counts a cgroup's CPU quota and may say 1 where two CPUs can be pinned).
fn pin(cpu: usize) {
    // SAFETY: a plain libc query.
    let cpus = unsafe { sysconf(SC_NPROCESSORS_ONLN) }.max(1) as usize;
    let mut mask = [0u64; 16];
    let cpu = cpu % cpus;
    mask[cpu / 64] |= 1 << (cpu % 64);
    // SAFETY: a 1024-bit cpu set, valid for the call.
    unsafe { sched_setaffinity(0, std::mem::size_of_val(&mask), mask.as_ptr()) };
}

fn options() -> ChannelOptions {
    ChannelOptions::new().capacity(1 << 16).wait_mode(WaitMode::Spin).connect_timeout(Some(Duration::from_secs(10)))
}

fn die(what: &str) -> ! {
    // SAFETY: the thread's last message, a static or thread-local C string.
    let message = unsafe { std::ffi::CStr::from_ptr(sys::lf_last_error_message()) };
    eprintln!("bench: {what}: {}", message.to_string_lossy());
    std::process::exit(1)
}

// ---- one message each way, by layer: the C calls, or the Rust API's ---------------------

#[inline(always)]
fn put(rust: bool, zero_copy: bool, p: &mut Producer, seq: u64) {
    let message = [0u8; MESSAGE];
    if rust {
        if zero_copy {
            let mut loan = p.reserve(MESSAGE, None).unwrap_or_else(|e| die(&e.to_string())).unwrap();
            loan[..8].copy_from_slice(&seq.to_le_bytes());
            loan.commit().unwrap_or_else(|e| die(&e.to_string()));
        } else {
            let mut message = message;
            message[..8].copy_from_slice(&seq.to_le_bytes());
            if !p.send(&message, None).unwrap_or_else(|e| die(&e.to_string())) {
                die("send");
            }
        }
    } else {
        let c = p.as_raw();
        // SAFETY: a live producer used by this thread; the reservation is 64 writable bytes.
        unsafe {
            if zero_copy {
                let mut data = std::ptr::null_mut();
                if sys::lf_channel_reserve(c, MESSAGE, -1, &mut data) != sys::LF_OK {
                    die("reserve");
                }
                std::ptr::copy_nonoverlapping(seq.to_le_bytes().as_ptr(), data.cast::<u8>(), 8);
                if sys::lf_channel_commit(c, MESSAGE) != sys::LF_OK {
                    die("commit");
                }
            } else {
                let mut message = message;
                message[..8].copy_from_slice(&seq.to_le_bytes());
                if sys::lf_channel_send(c, message.as_ptr().cast(), MESSAGE, -1) != sys::LF_OK {
                    die("send");
                }
            }
        }
    }
}

#[inline(always)]
fn take(rust: bool, zero_copy: bool, c: &mut Consumer) -> u64 {
    let mut seq = [0u8; 8];
    if rust {
        if zero_copy {
            let message = c.peek(None).unwrap_or_else(|e| die(&e.to_string())).unwrap();
            seq.copy_from_slice(&message[..8]);
        } else {
            let mut message = [0u8; MESSAGE];
            if c.recv(&mut message, None).unwrap_or_else(|e| die(&e.to_string())).is_none() {
                die("recv");
            }
            seq.copy_from_slice(&message[..8]);
        }
    } else {
        let ch = c.as_raw();
        // SAFETY: a live consumer used by this thread; the peeked message has 64 bytes.
        unsafe {
            if zero_copy {
                let mut data = std::ptr::null();
                let mut size = 0usize;
                if sys::lf_channel_peek(ch, -1, &mut data, &mut size) != sys::LF_OK {
                    die("peek");
                }
                std::ptr::copy_nonoverlapping(data.cast::<u8>(), seq.as_mut_ptr(), 8);
                if sys::lf_channel_release(ch) != sys::LF_OK {
                    die("release");
                }
            } else {
                let mut message = [0u8; MESSAGE];
                let mut size = 0usize;
                if sys::lf_channel_recv(ch, message.as_mut_ptr().cast(), MESSAGE, &mut size, -1) != sys::LF_OK {
                    die("recv");
                }
                seq.copy_from_slice(&message[..8]);
            }
        }
    }
    u64::from_le_bytes(seq)
}

// The four layer/zero-copy combinations as constants, so that each loop is compiled for one.
macro_rules! by_layer {
    ($rust:expr, $zc:expr, $f:ident ( $($arg:expr),* )) => {
        match ($rust, $zc) {
            (false, false) => $f::<false, false>($($arg),*),
            (false, true) => $f::<false, true>($($arg),*),
            (true, false) => $f::<true, false>($($arg),*),
            (true, true) => $f::<true, true>($($arg),*),
        }
    };
}

fn peer_side<const RUST: bool, const ZC: bool>(ctx: &Context, ping_pong: bool, name: &str, count: u64) {
    let mut out = ctx.open_producer(&format!("{name}-a"), &options()).unwrap_or_else(|e| die(&e.to_string()));
    if ping_pong {
        let mut input = ctx.create_consumer(&format!("{name}-b"), &options()).unwrap_or_else(|e| die(&e.to_string()));
        for _ in 0..count {
            let seq = take(RUST, ZC, &mut input);
            put(RUST, ZC, &mut out, seq);
        }
    } else {
        for i in 0..count {
            put(RUST, ZC, &mut out, i);
        }
    }
}

fn measuring_side<const RUST: bool, const ZC: bool>(input: &mut Consumer, ctx: &Context, ping_pong: bool, name: &str, count: u64) -> f64 {
    if ping_pong {
        let mut out = ctx.open_producer(&format!("{name}-b"), &options()).unwrap_or_else(|e| die(&e.to_string()));
        let warm = count / 10;
        let mut start = Instant::now();
        for i in 0..count {
            if i == warm {
                start = Instant::now();
            }
            put(RUST, ZC, &mut out, i);
            if take(RUST, ZC, input) != i {
                die("ping-pong out of order");
            }
        }
        return start.elapsed().as_nanos() as f64 / (count - warm) as f64 / 2.0;
    }
    if take(RUST, ZC, input) != 0 {
        die("stream out of order");
    }
    let start = Instant::now();
    for i in 1..count {
        if take(RUST, ZC, input) != i {
            die("stream out of order");
        }
    }
    start.elapsed().as_nanos() as f64 / (count - 1) as f64
}

fn same_thread<const RUST: bool, const ZC: bool>(input: &mut Consumer, out: &mut Producer, count: u64) -> f64 {
    let warm = count / 10;
    let mut start = Instant::now();
    for i in 0..count {
        if i == warm {
            start = Instant::now();
        }
        put(RUST, ZC, out, i);
        if take(RUST, ZC, input) != i {
            die("out of order");
        }
    }
    start.elapsed().as_nanos() as f64 / (count - warm) as f64
}

fn run_case(ctx: &Context, run: &mut u32, w: Work, rust: bool, processes: bool, count: u64) -> f64 {
    *run += 1;
    let name = format!("bench-rust-{}-{}", std::process::id(), run);
    let zc = w.zero_copy();
    if matches!(w, Work::SameThread | Work::SameThreadZeroCopy) {
        let mut input = ctx.create_consumer(&name, &options()).unwrap_or_else(|e| die(&e.to_string()));
        let mut out = ctx.open_producer(&name, &options()).unwrap_or_else(|e| die(&e.to_string()));
        pin(0);
        return by_layer!(rust, zc, same_thread(&mut input, &mut out, count));
    }
    let mut input = ctx.create_consumer(&format!("{name}-a"), &options()).unwrap_or_else(|e| die(&e.to_string()));
    if processes {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--peer", &(w as usize).to_string(), if rust { "rust" } else { "c" }, &name, &count.to_string()])
            .spawn()
            .unwrap_or_else(|e| die(&e.to_string()));
        pin(0);
        let ns = by_layer!(rust, zc, measuring_side(&mut input, ctx, w.ping_pong(), &name, count));
        if !child.wait().map(|s| s.success()).unwrap_or(false) {
            die("the peer process failed");
        }
        ns
    } else {
        std::thread::scope(|s| {
            s.spawn(|| {
                pin(1);
                by_layer!(rust, zc, peer_side(ctx, w.ping_pong(), &name, count))
            });
            pin(0);
            by_layer!(rust, zc, measuring_side(&mut input, ctx, w.ping_pong(), &name, count))
        })
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let ctx = Context::new().unwrap_or_else(|e| die(&e.to_string()));
    if args.len() == 6 && args[1] == "--peer" {
        pin(1);
        let w = Work::from(args[2].parse().unwrap());
        let count: u64 = args[5].parse().unwrap();
        by_layer!(args[3] == "rust", w.zero_copy(), peer_side(&ctx, w.ping_pong(), &args[4], count));
        return;
    }
    let mut run = 0u32;
    if args.len() == 5 && args[1] == "--single" {
        let w = Work::from(args[2].parse().unwrap());
        println!("{:.1}", run_case(&ctx, &mut run, w, args[3] == "rust", false, args[4].parse().unwrap()));
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let reps: usize = match args.iter().position(|a| a == "--reps") {
        Some(i) => args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(7),
        None if quick => 2,
        None => 7,
    };
    println!("bench (Rust): the Rust API against the same C calls, 64-byte messages, spinning, {reps} paired runs (ABBA)\n");
    println!("{:<62} {:<9} {:>10} {:>10} {:>8}", "case", "between", "C ns", "Rust ns", "Rust/C");
    let rows = [
        (Work::SameThread, false, false),
        (Work::SameThreadZeroCopy, false, false),
        (Work::Stream, false, false),
        (Work::StreamZeroCopy, false, false),
        (Work::PingPong, false, false),
        (Work::PingPongZeroCopy, false, false),
        (Work::Stream, true, false),
        (Work::StreamZeroCopy, true, false),
        (Work::PingPong, true, false),
        (Work::PingPongZeroCopy, true, false),
        (Work::SameThread, false, true), // the noise floor: C against C
        (Work::StreamZeroCopy, true, true),
    ];
    for (w, processes, control) in rows {
        let count: u64 = if w.ping_pong() { 100_000 } else { 1_000_000 } / if quick { 50 } else { 1 };
        let (mut c_ns, mut rust_ns, mut ratios) = (vec![], vec![], vec![]);
        for r in 0..reps {
            let rust_first = r % 2 == 1;
            let a = run_case(&ctx, &mut run, w, rust_first && !control, processes, count);
            let b = run_case(&ctx, &mut run, w, !rust_first && !control, processes, count);
            let (c, rust) = if rust_first { (b, a) } else { (a, b) };
            c_ns.push(c);
            rust_ns.push(rust);
            ratios.push(rust / c);
        }
        let between = if matches!(w, Work::SameThread | Work::SameThreadZeroCopy) {
            "1 thread"
        } else if processes {
            "processes"
        } else {
            "threads"
        };
        let label = if control { format!("control, C again: {}", NAMES[w as usize]) } else { NAMES[w as usize].to_string() };
        println!("{:<62} {:<9} {:>10.1} {:>10.1} {:>8.3}", label, between, median(c_ns), median(rust_ns), median(ratios));
    }
}

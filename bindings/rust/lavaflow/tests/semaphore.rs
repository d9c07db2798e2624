//! Semaphores: values that only grow, waits that time out, threads, another process (this test
//! binary run again as `child_echo` / `child_hold`) over a socket, and a killed holder seen as
//! `PeerDead`.
use std::os::unix::io::{AsFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixDatagram;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lavaflow::{Context, ErrorKind, SemaphoreKind, SemaphoreOptions, WaitMode};

const ROUNDS: u64 = 500;

fn socket_from_env() -> Option<UnixDatagram> {
    let fd: RawFd = std::env::var("LAVAFLOW_RUST_SEMAPHORE_FD").ok()?.parse().ok()?;
    // SAFETY: the parent passed this socket to us and nothing else owns it here.
    Some(UnixDatagram::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}

#[test]
fn child_echo() {
    let socket = match socket_from_env() {
        Some(s) if std::env::var("LAVAFLOW_RUST_SEMAPHORE_ROLE").as_deref() == Ok("echo") => s,
        _ => return, // (run as an ordinary test: nothing to do)
    };
    let ctx = Context::new().unwrap();
    let s = lavaflow::Semaphore::recv(&ctx, socket.as_fd(), Some(Duration::from_secs(20)), &SemaphoreOptions::new())
        .unwrap()
        .unwrap();
    for k in 1..=ROUNDS {
        assert!(s.wait(2 * k - 1, Some(Duration::from_secs(20))).unwrap());
        s.signal(2 * k).unwrap();
    }
}

#[test]
fn child_hold() {
    let socket = match socket_from_env() {
        Some(s) if std::env::var("LAVAFLOW_RUST_SEMAPHORE_ROLE").as_deref() == Ok("hold") => s,
        _ => return,
    };
    let ctx = Context::new().unwrap();
    let _s = lavaflow::Semaphore::recv(&ctx, socket.as_fd(), Some(Duration::from_secs(20)), &SemaphoreOptions::new())
        .unwrap()
        .unwrap();
    socket.send(b"h").unwrap();
    std::thread::sleep(Duration::from_secs(60));
}

/// This binary again as `test`, with the socket's other end (a SOCK_DGRAM pair keeps messages whole).
fn spawn(test: &str, role: &str) -> (std::process::Child, UnixDatagram) {
    let (ours, theirs) = UnixDatagram::pair().unwrap();
    let theirs: OwnedFd = theirs.into();
    let raw = std::os::unix::io::AsRawFd::as_raw_fd(&theirs);
    // The socket must survive exec: dup() gives a copy without close-on-exec.
    // SAFETY: dup of a descriptor we own.
    let inherited = unsafe { dup(raw) };
    assert!(inherited >= 0);
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("LAVAFLOW_RUST_SEMAPHORE_FD", inherited.to_string())
        .env("LAVAFLOW_RUST_SEMAPHORE_ROLE", role)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    // SAFETY: our duplicate; the child has its own copy now.
    drop(unsafe { OwnedFd::from_raw_fd(inherited) });
    (child, ours)
}

extern "C" {
    fn dup(fd: RawFd) -> RawFd;
}

#[test]
fn values_only_grow_and_waits_time_out() {
    let ctx = Context::new().unwrap();
    let s = ctx.semaphore(&SemaphoreOptions::new().initial_value(3)).unwrap();
    assert_eq!(s.value().unwrap(), 3);
    assert_eq!(s.kind().unwrap(), SemaphoreKind::Shared);
    assert!(s.wait(3, Some(Duration::ZERO)).unwrap());
    let start = Instant::now();
    assert!(!s.wait(4, Some(Duration::from_millis(20))).unwrap());
    assert!(start.elapsed() >= Duration::from_millis(20));
    let lower = s.signal(2).unwrap_err();
    assert_eq!(lower.kind(), ErrorKind::InvalidArgument);
    assert!(lower.to_string().contains("values only grow"));
    s.signal(4).unwrap();
    assert!(s.wait(4, None).unwrap());
}

#[test]
fn threads_share_one_handle() {
    let ctx = Context::new().unwrap();
    let s = Arc::new(ctx.semaphore(&SemaphoreOptions::new().wait_mode(WaitMode::Sleep)).unwrap());
    let theirs = Arc::clone(&s);
    let pong = std::thread::spawn(move || {
        for k in 1..=ROUNDS {
            assert!(theirs.wait(2 * k - 1, Some(Duration::from_secs(20))).unwrap());
            theirs.signal(2 * k).unwrap();
        }
    });
    for k in 1..=ROUNDS {
        s.signal(2 * k - 1).unwrap();
        assert!(s.wait(2 * k, Some(Duration::from_secs(20))).unwrap());
    }
    pong.join().unwrap();
    assert!(s.info().unwrap().sleeps > 0);
}

#[test]
fn another_process_plays_ping_pong() {
    let ctx = Context::new().unwrap();
    let s = ctx.semaphore(&SemaphoreOptions::new()).unwrap();
    let (mut child, socket) = spawn("child_echo", "echo");
    s.send(socket.as_fd()).unwrap();
    for k in 1..=ROUNDS {
        s.signal(2 * k - 1).unwrap();
        assert!(s.wait(2 * k, Some(Duration::from_secs(20))).unwrap());
    }
    assert!(child.wait().unwrap().success());
    let fd = s.export_fd().unwrap();
    let waiter = lavaflow::Semaphore::import_fd(&ctx, fd.as_fd(), &SemaphoreOptions::new().wait_only()).unwrap();
    assert_eq!(waiter.value().unwrap(), 2 * ROUNDS);
    assert_eq!(waiter.signal(2 * ROUNDS + 1).unwrap_err().kind(), ErrorKind::InvalidState);
}

#[test]
fn a_killed_holder_wakes_the_waiter() {
    let ctx = Context::new().unwrap();
    let s = ctx.semaphore(&SemaphoreOptions::new()).unwrap();
    let (mut child, socket) = spawn("child_hold", "hold");
    s.send(socket.as_fd()).unwrap();
    let mut ready = [0u8; 1];
    socket.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    socket.recv(&mut ready).unwrap();
    let pid = child.id();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
    });
    let start = Instant::now();
    let error = s.wait(1, Some(Duration::from_secs(30))).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PeerDead);
    assert!(start.elapsed() < Duration::from_secs(10));
    killer.join().unwrap();
    let _ = child.wait();
    assert_eq!(s.info().unwrap().dead_holders, 1);
}

#[test]
fn vulkan_kind_refused_or_fallen_back() {
    let ctx = Context::new().unwrap();
    match ctx.semaphore(&SemaphoreOptions::new().kind(SemaphoreKind::Vulkan)) {
        Ok(s) => {
            s.signal(1).unwrap();
            assert!(s.vulkan_info().unwrap().semaphore != 0);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Unsupported);
            let s = ctx.semaphore(&SemaphoreOptions::new().kind(SemaphoreKind::Vulkan).fall_back_to_shared()).unwrap();
            assert_eq!(s.kind().unwrap(), SemaphoreKind::Shared);
            assert!(s.reason().unwrap().contains("Vulkan requested"));
        }
    }
}

#[test]
fn a_buffer_message_carries_its_semaphores() {
    let ctx = Context::new().unwrap();
    let name = format!("rust-sync-{}", std::process::id());
    let mut consumer = ctx.create_consumer(&name, &lavaflow::ChannelOptions::new()).unwrap();
    let mut producer = ctx.open_producer(&name, &lavaflow::ChannelOptions::new()).unwrap();
    let mut memory = ctx.buffer(4096, &lavaflow::BufferOptions::new().kind(lavaflow::MemoryKind::Shared)).unwrap();
    let ready = ctx.semaphore(&SemaphoreOptions::new()).unwrap();
    let done = ctx.semaphore(&SemaphoreOptions::new()).unwrap();
    assert!(producer.send_buffer_sync(&memory, 0, 4096, Some((&ready, 1)), Some((&done, 2)), b"frame", None).unwrap());
    memory.as_mut_slice()[0] = 42; // (after the message: it says "ready at 1")
    ready.signal(1).unwrap();
    {
        let message = consumer.peek(Some(Duration::from_secs(5))).unwrap().unwrap();
        assert_eq!(&message[..], b"frame");
        let sync = message.sync().unwrap();
        let (theirs_ready, ready_value) = sync.ready.unwrap();
        assert!(theirs_ready.wait(ready_value, Some(Duration::from_secs(5))).unwrap());
        assert_eq!(message.buffer().unwrap().unwrap()[0], 42);
        let (theirs_done, done_value) = sync.done.unwrap();
        theirs_done.signal(done_value).unwrap();
    }
    assert!(done.wait(2, Some(Duration::ZERO)).unwrap());
    let plain = producer.send_buffer_sync(&memory, 0, 1, None, None, b"", None).unwrap_err();
    assert_eq!(plain.kind(), ErrorKind::InvalidArgument);
}

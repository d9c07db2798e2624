//! A channel between two processes: this test binary runs itself again as the producer
//! (`child_producer`, which does nothing unless LAVAFLOW_RUST_CHILD names the channel). Every
//! message carries its number and bytes derived from it; the consumer checks all of them.
use std::process::Command;
use std::time::Duration;

use lavaflow::{ChannelOptions, Context, ErrorKind};

const COUNT: u64 = 5_000;

fn body(seq: u64) -> Vec<u8> {
    let len = 8 + (seq % 300) as usize;
    let mut message = seq.to_le_bytes().to_vec();
    message.extend((0..len).map(|i| (seq as usize * 7 + i) as u8));
    message
}

#[test]
fn child_producer() {
    let name = match std::env::var("LAVAFLOW_RUST_CHILD") {
        Ok(name) => name,
        Err(_) => return, // (run as an ordinary test: nothing to do)
    };
    let ctx = Context::new().unwrap();
    let options = ChannelOptions::new().connect_timeout(Some(Duration::from_secs(10)));
    let mut producer = ctx.open_producer(&name, &options).unwrap();
    for seq in 0..COUNT {
        assert!(producer.send(&body(seq), None).unwrap());
    }
    producer.close().unwrap();
}

#[test]
fn messages_cross_two_processes_in_order_and_intact() {
    let name = format!("rust-processes-{}", std::process::id());
    let ctx = Context::new().unwrap();
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new().capacity(1 << 16)).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_producer", "--nocapture", "--test-threads=1"])
        .env("LAVAFLOW_RUST_CHILD", &name)
        .spawn()
        .unwrap();
    let mut expected = 0u64;
    loop {
        match consumer.recv_vec(Some(Duration::from_secs(30))) {
            Ok(Some(message)) => {
                assert_eq!(message, body(expected), "message {expected}");
                expected += 1;
            }
            Ok(None) => panic!("no message for 30 s after {expected}"),
            Err(e) if e.kind() == ErrorKind::EndOfStream => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(expected, COUNT);
    assert_eq!(consumer.info().unwrap().transport, "shared_memory");
}

//! The receiving half of the channel example: creates the channel `NAME`, receives until the
//! producer closes (the end of the stream), and checks every message's number and checksum.
//!
//! ```text
//! cargo run --example consumer -- demo &        # then, in another shell or process:
//! cargo run --example producer -- demo 100000
//! ```
use std::time::Duration;

use lavaflow::{ChannelOptions, Context, ErrorKind};

fn main() -> lavaflow::Result<()> {
    let name = std::env::args().nth(1).unwrap_or_else(|| "rust-example".to_string());
    let ctx = Context::new()?;
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new().capacity(1 << 20))?;
    println!("consumer: waiting on channel {name:?}");
    let (mut count, mut bytes) = (0u64, 0u64);
    loop {
        // Read in place: the message is released when `message` goes out of scope.
        let message = match consumer.peek(Some(Duration::from_secs(30))) {
            Ok(Some(message)) => message,
            Ok(None) => {
                eprintln!("consumer: nothing for 30 s after {count} messages");
                std::process::exit(1);
            }
            Err(e) if e.kind() == ErrorKind::EndOfStream => break,
            Err(e) => return Err(e),
        };
        let seq = u64::from_le_bytes(message[..8].try_into().unwrap());
        let sum = message[16..].iter().fold(0u64, |s, &b| s.wrapping_mul(31).wrapping_add(b as u64));
        let expected = u64::from_le_bytes(message[8..16].try_into().unwrap());
        assert_eq!(seq, count, "messages arrive in order");
        assert_eq!(sum, expected, "message {seq} is intact");
        bytes += message.len() as u64;
        count += 1;
    }
    println!("consumer: {count} messages, {bytes} bytes, all in order and intact, over {}", consumer.info()?.transport);
    println!("consumer: why: {}", consumer.reason()?);
    Ok(())
}

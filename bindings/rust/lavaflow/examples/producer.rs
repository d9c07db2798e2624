//! The sending half of the channel example: opens the channel `NAME` (waiting up to 10 s for
//! the consumer to create it) and sends COUNT messages, each with its number, a checksum and
//! a body of varying length — half copied in with `send`, half written in place through a
//! `Loan` — then closes, which the consumer sees as the end of the stream.
//!
//! ```text
//! cargo run --example producer -- NAME [COUNT]
//! ```
use std::time::Duration;

use lavaflow::{ChannelOptions, Context};

/// Message `seq`: its number, the checksum of the body, then the body.
fn fill(seq: u64, out: &mut [u8]) {
    for (i, b) in out[16..].iter_mut().enumerate() {
        *b = (seq as usize * 7 + i) as u8;
    }
    let sum = out[16..].iter().fold(0u64, |s, &b| s.wrapping_mul(31).wrapping_add(b as u64));
    out[..8].copy_from_slice(&seq.to_le_bytes());
    out[8..16].copy_from_slice(&sum.to_le_bytes());
}

fn main() -> lavaflow::Result<()> {
    let mut args = std::env::args().skip(1);
    let name = args.next().unwrap_or_else(|| "rust-example".to_string());
    let count: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let ctx = Context::new()?;
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new().connect_timeout(Some(Duration::from_secs(10))))?;
    println!("producer: sending {count} messages on {name:?} over {}", producer.info()?.transport);
    let mut scratch = vec![0u8; 16 + 512];
    for seq in 0..count {
        let len = 16 + (seq % 512) as usize;
        if seq % 2 == 0 {
            fill(seq, &mut scratch[..len]);
            producer.send(&scratch[..len], None)?; // copied in
        } else {
            let mut loan = producer.reserve(len, None)?.expect("no timeout: there is room");
            fill(seq, &mut loan); // written in place in the ring
            loan.commit()?;
        }
    }
    producer.close()?;
    println!("producer: done");
    Ok(())
}

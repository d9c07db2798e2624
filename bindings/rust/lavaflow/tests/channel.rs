//! Channels through the safe API, as a Rust user writes them.
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::Duration;

use lavaflow::{ChannelOptions, Context, ErrorKind};

fn unique(name: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("rust-{}-{}-{}", name, std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

const NO_WAIT: Option<Duration> = Some(Duration::ZERO);

#[test]
fn copy_and_zero_copy_calls_round_trip() {
    let ctx = Context::new().unwrap();
    let name = unique("calls");
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new().capacity(1 << 16)).unwrap();
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new()).unwrap();
    assert_eq!(producer.info().unwrap().transport, "in_process");
    assert!(!producer.reason().unwrap().is_empty());

    assert!(producer.send(b"first", None).unwrap());
    let mut loan = producer.reserve(8, None).unwrap().unwrap();
    loan.copy_from_slice(&42u64.to_le_bytes());
    loan.commit().unwrap();
    let loan = producer.reserve(100, None).unwrap().unwrap();
    drop(loan); // aborted: nothing is sent
    let mut loan = producer.reserve(100, None).unwrap().unwrap();
    loan[..3].copy_from_slice(b"abc");
    loan.commit_len(3).unwrap();

    assert_eq!(consumer.recv_vec(None).unwrap().unwrap(), b"first");
    {
        let message = consumer.peek(None).unwrap().unwrap();
        assert_eq!(u64::from_le_bytes(message[..].try_into().unwrap()), 42);
    } // released here
    let mut buffer = [0u8; 16];
    assert_eq!(consumer.recv(&mut buffer, None).unwrap(), Some(3));
    assert_eq!(&buffer[..3], b"abc");
    assert_eq!(consumer.recv(&mut buffer, NO_WAIT).unwrap(), None); // the aborted loan sent nothing
    assert!(consumer.peek(Some(Duration::from_millis(5))).unwrap().is_none());
    assert_eq!(consumer.info().unwrap().messages, 3);
}

#[test]
fn misuse_is_an_error_not_undefined_behaviour() {
    let ctx = Context::new().unwrap();
    let name = unique("misuse");
    let options = ChannelOptions::new().capacity(4096).max_message_size(256);
    let mut consumer = ctx.create_consumer(&name, &options).unwrap();
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new()).unwrap();
    let too_large = producer.send(&[0u8; 257], None).unwrap_err();
    assert_eq!(too_large.kind(), ErrorKind::InvalidArgument);
    assert!(too_large.message().contains("lf_channel_send"), "{too_large}");
    assert_eq!(ctx.create_consumer(&name, &options).unwrap_err().kind(), ErrorKind::AlreadyExists);
    assert_eq!(ctx.create_consumer("bad/name", &options).unwrap_err().kind(), ErrorKind::InvalidArgument);
    assert_eq!(ctx.create_consumer("nul\0byte", &options).unwrap_err().kind(), ErrorKind::InvalidArgument);
    let missing = ctx.open_producer(&unique("absent"), &ChannelOptions::new().connect_timeout(NO_WAIT));
    assert!(missing.is_err());

    // A message longer than the buffer stays queued and says how long it is.
    producer.send(&[7u8; 100], None).unwrap();
    let mut small = [0u8; 10];
    assert_eq!(consumer.recv(&mut small, None).unwrap_err().kind(), ErrorKind::BufferTooSmall);
    assert_eq!(consumer.recv_vec(None).unwrap().unwrap(), vec![7u8; 100]);

    // A full ring does not block a send that must not wait.
    while producer.send(&[1u8; 200], NO_WAIT).unwrap() {}
    assert!(!producer.send(&[1u8; 200], Some(Duration::from_millis(2))).unwrap());
    assert!(producer.reserve(200, NO_WAIT).unwrap().is_none());

    // Closing: what was committed is delivered, then the end of the stream.
    producer.close().unwrap();
    let mut delivered = 0;
    loop {
        match consumer.recv_vec(None) {
            Ok(Some(m)) => {
                assert_eq!(m, vec![1u8; 200]);
                delivered += 1;
            }
            Ok(None) => panic!("a wait without a timeout returned nothing"),
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::EndOfStream, "{e}");
                break;
            }
        }
    }
    assert!(delivered > 0);
    assert!(consumer.info().unwrap().peer_closed);
}

#[test]
fn a_consumer_closing_stops_the_producer() {
    let ctx = Context::new().unwrap();
    let name = unique("closed");
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new()).unwrap();
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new()).unwrap();
    consumer.close().unwrap();
    assert_eq!(producer.send(b"x", None).unwrap_err().kind(), ErrorKind::Closed);
}

/// Two threads, every message numbered and its bytes derived from its number: all arrive, in
/// order, intact.
#[test]
fn messages_cross_threads_in_order_and_intact() {
    const COUNT: u64 = 20_000;
    let ctx = Context::new().unwrap();
    let name = unique("threads");
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new().capacity(1 << 15)).unwrap();
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new()).unwrap();
    let sender = thread::spawn(move || {
        for seq in 0..COUNT {
            let len = 8 + (seq % 200) as usize;
            let mut loan = producer.reserve(len + 8, None).unwrap().unwrap();
            loan[..8].copy_from_slice(&seq.to_le_bytes());
            for (i, byte) in loan[8..8 + len].iter_mut().enumerate() {
                *byte = (seq as usize + i) as u8;
            }
            loan.commit_len(8 + len).unwrap();
        }
        producer.close().unwrap();
    });
    let mut expected = 0u64;
    loop {
        let message = match consumer.peek(None) {
            Ok(Some(m)) => m,
            Ok(None) => unreachable!(),
            Err(e) if e.kind() == ErrorKind::EndOfStream => break,
            Err(e) => panic!("{e}"),
        };
        let seq = u64::from_le_bytes(message[..8].try_into().unwrap());
        assert_eq!(seq, expected, "out of order");
        let body = &message[8..];
        assert_eq!(body.len(), 8 + (seq % 200) as usize);
        assert!(body.iter().enumerate().all(|(i, &b)| b == (seq as usize + i) as u8), "message {seq} is torn");
        expected += 1;
    }
    sender.join().unwrap();
    assert_eq!(expected, COUNT);
}

#[test]
fn contexts_and_ends_move_between_threads() {
    fn assert_send<T: Send>() {}
    fn assert_sync<T: Sync>() {}
    assert_send::<Context>();
    assert_sync::<Context>();
    assert_send::<lavaflow::Producer>();
    assert_send::<lavaflow::Consumer>();
    let ctx = Context::new().unwrap();
    assert!(!ctx.base_dir().unwrap().is_empty());
    let shared = std::sync::Arc::new(ctx);
    let other = std::sync::Arc::clone(&shared);
    thread::spawn(move || other.base_dir().unwrap()).join().unwrap();
}

#[test]
fn buffer_references_are_read_in_place_and_host_memory_is_refused() {
    use lavaflow::{BufferOptions, MemoryKind};
    let ctx = Context::new().unwrap();
    let name = unique("refs");
    let mut consumer = ctx.create_consumer(&name, &ChannelOptions::new()).unwrap();
    let mut producer = ctx.open_producer(&name, &ChannelOptions::new()).unwrap();
    let mut shared = ctx.buffer(8192, &BufferOptions::new().kind(MemoryKind::Shared)).unwrap();
    for (i, b) in shared.as_mut_slice().iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    assert!(producer.send_buffer(&shared, 4096, 100, b"hdr", None).unwrap());
    assert!(producer.send(b"plain", None).unwrap());
    let mut inline = [0u8; 16];
    {
        let (size, reference) = consumer.recv_buffer(&mut inline, Some(Duration::from_secs(1))).unwrap().unwrap();
        assert_eq!(&inline[..size], b"hdr");
        let reference = reference.expect("a buffer message");
        assert_eq!(reference.offset(), 4096);
        assert_eq!(reference.len(), 100);
        assert_eq!(reference[0], (4096 % 251) as u8);
        assert_eq!(reference[99], ((4096 + 99) % 251) as u8);
    }
    let message = consumer.peek(NO_WAIT).unwrap().unwrap();
    assert_eq!(&message[..], b"plain");
    assert!(message.buffer().unwrap().is_none());
    drop(message);
    assert!(producer.forget_buffer(&shared, None).unwrap());
    let host = ctx.buffer(64, &BufferOptions::new()).unwrap();
    assert_eq!(producer.send_buffer(&host, 0, 64, &[], None).unwrap_err().kind(), ErrorKind::Unsupported);
    assert_eq!(producer.forget_buffer(&shared, None).unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn a_channel_in_memory_the_caller_provides() {
    use lavaflow::{channel_buffer_size, BufferOptions, MemoryKind};
    let ctx = Context::new().unwrap();
    let size = channel_buffer_size(1 << 14, 1).unwrap();
    let memory = ctx.buffer(size as usize, &BufferOptions::new().kind(MemoryKind::Shared)).unwrap();
    let mut consumer = ctx.create_consumer_in(&memory, &ChannelOptions::new().capacity(1 << 14)).unwrap();
    let mut producer = ctx.open_producer_in(&memory, &ChannelOptions::new()).unwrap();
    assert!(producer.send(b"in caller memory", None).unwrap());
    assert_eq!(consumer.recv_vec(NO_WAIT).unwrap().unwrap(), b"in caller memory");
    assert!(channel_buffer_size(1000, 1).is_err()); // not a power of two
    assert!(!lavaflow::version().is_empty());
}

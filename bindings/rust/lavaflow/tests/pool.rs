//! The tensor pool through the safe API: a driver, a producer and consumers on a base
//! directory of the test's own.
use std::path::PathBuf;
use std::time::Duration;

use lavaflow::{ConsumerMode, Context, DType, DriverOptions, FrameDesc, PoolConsumer, PoolDriver, PoolOptions, PoolProducer};

struct TempDir(PathBuf);
impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("lavaflow-rust-{}-{}", name, std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn floats(seq: u32) -> Vec<u8> {
    (0..32).flat_map(|i| (seq as f32 * 100.0 + i as f32).to_le_bytes()).collect()
}

#[test]
fn frames_travel_with_their_shape_and_every_one_is_counted() {
    let dir = TempDir::new("frames");
    let ctx = Context::with_base_dir(&dir.0).unwrap();
    let driver = PoolDriver::start_with(&ctx, &DriverOptions::new().dynamic_streams(true)).unwrap();
    let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(5));
    let mut stream = PoolConsumer::attach(&ctx, 7, ConsumerMode::Stream, &options).unwrap();
    let mut producer = PoolProducer::attach(&ctx, 7, &options).unwrap();
    let desc = FrameDesc::new(DType::F32, &[4, 8]);

    for seq in 0..10u32 {
        if seq % 2 == 0 {
            producer.publish(&desc, &floats(seq)).unwrap();
        } else {
            let mut loan = producer.claim(128).unwrap();
            loan.copy_from_slice(&floats(seq));
            loan.commit(&desc).unwrap();
        }
    }
    let mut read = 0u32;
    while let Some(frame) = stream.wait(Some(Duration::from_millis(200))).unwrap() {
        let got = frame.desc();
        assert_eq!((got.dtype, &got.dims, &got.strides), (desc.dtype, &desc.dims, &desc.strides));
        assert!(got.timestamp_ns > 0, "lavaflow stamps a frame committed without a timestamp");
        assert_eq!(frame.seq(), read as u64);
        assert_eq!(frame.payload(), &floats(read)[..], "frame {read}");
        assert!(frame.finish().unwrap(), "nothing overwrote it");
        read += 1;
    }
    assert_eq!(read, 10);
    let counters = stream.counters().unwrap();
    assert_eq!(counters.frames_read, 10);
    assert_eq!(counters.drops_gap + counters.drops_late + counters.invalid, 0);
    drop(driver);
}

#[test]
fn bad_frames_are_refused_and_an_aborted_claim_publishes_nothing() {
    let dir = TempDir::new("refused");
    let ctx = Context::with_base_dir(&dir.0).unwrap();
    let _driver = PoolDriver::start_with(&ctx, &DriverOptions::new().dynamic_streams(true)).unwrap();
    let options = PoolOptions::new().start_driver(false);
    let mut consumer = PoolConsumer::attach(&ctx, 3, ConsumerMode::Latest, &options).unwrap();
    let mut producer = PoolProducer::attach(&ctx, 3, &options).unwrap();
    // A second producer for the stream: the lease is taken.
    assert!(PoolProducer::attach(&ctx, 3, &options).is_err());
    // Dims that do not fit the bytes: refused, with lavaflow's reason.
    let too_big = FrameDesc::new(DType::F64, &[i32::MAX, i32::MAX]);
    let error = producer.publish(&too_big, &[0u8; 16]).unwrap_err();
    assert!(error.message().contains("lf_pool_producer"), "{error}");
    assert!(producer.publish(&FrameDesc::new(DType::U8, &[]), &[0u8; 16]).is_err());
    // Larger than every pool: refused, never truncated.
    assert!(producer.claim(1 << 30).is_err());
    {
        let mut loan = producer.claim(16).unwrap();
        loan.fill(1);
        assert!(loan.commit(&too_big).is_err());
    } // the open claim is aborted here
    assert!(consumer.poll().unwrap().is_none());
    producer.publish(&FrameDesc::new(DType::U8, &[16]), &[9u8; 16]).unwrap();
    let frame = consumer.wait(Some(Duration::from_secs(2))).unwrap().unwrap();
    assert_eq!(frame.payload(), &[9u8; 16]);
    assert_eq!(frame.desc().dtype, DType::U8);
    assert!(frame.finish().unwrap());
    // Without a driver and told not to start one, attaching fails clearly.
    let lonely = TempDir::new("lonely");
    let other = Context::with_base_dir(&lonely.0).unwrap();
    let quick = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_millis(100));
    let missing = PoolProducer::attach(&other, 1, &quick).unwrap_err();
    assert_eq!(missing.kind(), lavaflow::ErrorKind::NotFound, "{missing}");
}

#[test]
fn metadata_round_trips_and_what_does_not_fit_is_refused() {
    use lavaflow::Metadata;
    let dir = TempDir::new("metadata");
    let ctx = Context::with_base_dir(&dir.0).unwrap();
    let _driver = PoolDriver::start_with(&ctx, &DriverOptions::new().dynamic_streams(true)).unwrap();
    let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(5));
    let mut producer = PoolProducer::attach(&ctx, 3, &options).unwrap();
    let mut consumer = PoolConsumer::attach(&ctx, 3, ConsumerMode::Latest, &options).unwrap();
    assert_eq!(consumer.metadata().unwrap().version, 0);
    let mut metadata = Metadata {
        name: "camera".into(),
        units: "counts".into(),
        attributes: vec![("exposure_us".into(), "250".into()), ("gain".into(), "1.5".into())],
        ..Metadata::default()
    };
    producer.set_metadata(&metadata).unwrap();
    let read = consumer.metadata().unwrap();
    assert!(read.version > 0);
    assert_eq!((read.name.as_str(), read.units.as_str()), ("camera", "counts"));
    assert_eq!(read.attributes, metadata.attributes);
    metadata.name = "x".repeat(64);
    assert_eq!(producer.set_metadata(&metadata).unwrap_err().kind(), lavaflow::ErrorKind::InvalidArgument);
    let counters = consumer.counters().unwrap();
    assert_eq!(counters.reattachments, 0);
}

#[test]
fn stream_info_and_the_drivers_list_agree() {
    let dir = TempDir::new("info");
    let ctx = Context::with_base_dir(&dir.0).unwrap();
    assert_eq!(lavaflow::list_streams(&ctx).unwrap_err().kind(), lavaflow::ErrorKind::NotFound); // no driver yet
    let _driver = PoolDriver::start_with(&ctx, &DriverOptions::new().dynamic_streams(true)).unwrap();
    let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(5));
    let mut producer = PoolProducer::attach(&ctx, 21, &options).unwrap();
    let mut consumer = PoolConsumer::attach(&ctx, 21, ConsumerMode::Stream, &options).unwrap();
    producer.publish(&FrameDesc::new(DType::U8, &[3]), b"abc").unwrap();
    let info = producer.info().unwrap();
    assert_eq!((info.stream_id, info.published), (21, 1));
    assert!(!info.pool_strides.is_empty() && info.slots > 0);
    assert_eq!(consumer.info().unwrap().epoch, info.epoch);
    let streams = lavaflow::list_streams(&ctx).unwrap();
    assert_eq!(streams.len(), 1);
    assert_eq!(streams[0].stream_id, 21);
    assert_eq!(streams[0].producer_pid, Some(std::process::id()));
    assert_eq!(streams[0].consumers, 1);
    assert_eq!(streams[0].epoch_dir, info.epoch_dir);
}

#[test]
fn region_files_and_the_control_region_read_back() {
    let dir = TempDir::new("regions");
    let ctx = Context::with_base_dir(&dir.0).unwrap();
    let _driver = PoolDriver::start_with(&ctx, &DriverOptions::new().dynamic_streams(true)).unwrap();
    let options = PoolOptions::new().start_driver(false).connect_timeout(Duration::from_secs(5));
    let mut producer = PoolProducer::attach(&ctx, 5, &options).unwrap();
    let _consumer = PoolConsumer::attach(&ctx, 5, ConsumerMode::Latest, &options).unwrap();
    producer.publish(&FrameDesc::new(DType::U8, &[2]), b"ok").unwrap();
    let epoch_dir = PathBuf::from(producer.info().unwrap().epoch_dir);
    let (region, frames) = lavaflow::inspect_region(&ctx, &epoch_dir.join("header.ring"), 64).unwrap();
    assert_eq!(region.region_type, lavaflow::sys::LF_POOL_REGION_HEADER_RING);
    assert!(!frames.is_empty());
    let (qos, consumers) = lavaflow::read_control(&ctx, &epoch_dir.join("control"), 16).unwrap();
    assert_eq!(qos.published, 1);
    assert_eq!(consumers.len(), 1);
    assert_eq!(consumers[0].mode, lavaflow::sys::LF_POOL_MODE_LATEST);
    // Paths outside the base directory are refused before anything is mapped.
    match lavaflow::inspect_region(&ctx, std::path::Path::new("/etc/passwd"), 1) {
        Err(e) => assert_eq!(e.kind(), lavaflow::ErrorKind::PermissionDenied, "{e}"),
        Ok(_) => panic!("a file outside the base directory was read"),
    }
    let shared = ctx.buffer(4096, &lavaflow::BufferOptions::new()).unwrap();
    assert!(shared.vulkan_info().is_err()); // host memory has no Vulkan objects
}

//! The tensor pool (pool.h): shared-memory frame streams with a lease-granting driver.
//!
//! A [`PoolProducer`] claims a slot ([`PoolProducer::claim`] gives a [`FrameLoan`] to write in
//! place, committed with the frame's [`FrameDesc`], aborted when dropped) or publishes a copy;
//! a [`PoolConsumer`] in one of four [`ConsumerMode`]s polls or waits for [`Frame`]s, read in
//! place. A frame's slot may be reused by the producer while it is read (seqlock slots):
//! [`Frame::finish`] says whether what was read is intact, and a frame dropped without it is
//! released all the same. The driver is started on a thread of the first process that needs
//! one, unless told not to; [`PoolDriver`] starts one explicitly.
use std::path::Path;
use std::ptr;
use std::time::Duration;

use lavaflow_sys as sys;

use crate::context::{read_text, Context};
use crate::error::{check, Error, Result};

/// Element types (`lf_dtype_t`, the wire spec's values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DType {
    U8,
    I8,
    U16,
    I16,
    U32,
    I32,
    U64,
    I64,
    F32,
    F64,
    Bool,
    Bytes,
    Bit,
    Unknown,
}

impl DType {
    fn raw(self) -> i32 {
        match self {
            DType::U8 => sys::LF_DTYPE_UINT8,
            DType::I8 => sys::LF_DTYPE_INT8,
            DType::U16 => sys::LF_DTYPE_UINT16,
            DType::I16 => sys::LF_DTYPE_INT16,
            DType::U32 => sys::LF_DTYPE_UINT32,
            DType::I32 => sys::LF_DTYPE_INT32,
            DType::U64 => sys::LF_DTYPE_UINT64,
            DType::I64 => sys::LF_DTYPE_INT64,
            DType::F32 => sys::LF_DTYPE_FLOAT32,
            DType::F64 => sys::LF_DTYPE_FLOAT64,
            DType::Bool => sys::LF_DTYPE_BOOLEAN,
            DType::Bytes => sys::LF_DTYPE_BYTES,
            DType::Bit => sys::LF_DTYPE_BIT,
            DType::Unknown => sys::LF_DTYPE_UNKNOWN,
        }
    }

    fn from_raw(raw: i32) -> DType {
        [DType::U8, DType::I8, DType::U16, DType::I16, DType::U32, DType::I32, DType::U64, DType::I64, DType::F32,
         DType::F64, DType::Bool, DType::Bytes, DType::Bit]
            .into_iter()
            .find(|d| d.raw() == raw)
            .unwrap_or(DType::Unknown)
    }
}

/// A frame's description: element type and shape (row-major and contiguous unless strides
/// are given), and the producer's timestamp (0: lavaflow stamps CLOCK_MONOTONIC).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameDesc {
    /// The element type.
    pub dtype: DType,
    /// Extents, 1 to 8 of them.
    pub dims: Vec<i32>,
    /// Byte strides, one per dimension; empty: contiguous.
    pub strides: Vec<i32>,
    /// Nanoseconds on CLOCK_MONOTONIC; 0: stamped at commit.
    pub timestamp_ns: u64,
}

impl FrameDesc {
    /// A contiguous row-major frame of `dtype` elements with extents `dims`.
    pub fn new(dtype: DType, dims: &[i32]) -> FrameDesc {
        FrameDesc { dtype, dims: dims.to_vec(), strides: Vec::new(), timestamp_ns: 0 }
    }

    fn raw(&self) -> Result<sys::lf_pool_tensor_t> {
        if self.dims.is_empty() || self.dims.len() > sys::LF_POOL_MAX_DIMS {
            return Err(Error::invalid_argument(format!("{} dimensions: 1..8 are allowed", self.dims.len())));
        }
        if !self.strides.is_empty() && self.strides.len() != self.dims.len() {
            return Err(Error::invalid_argument(format!("{} strides for {} dimensions", self.strides.len(), self.dims.len())));
        }
        // SAFETY: zero is every field's default.
        let mut t: sys::lf_pool_tensor_t = unsafe { std::mem::zeroed() };
        t.dtype = self.dtype.raw();
        t.major_order = sys::LF_ORDER_ROW;
        t.ndims = self.dims.len() as u32;
        t.dims[..self.dims.len()].copy_from_slice(&self.dims);
        t.strides[..self.strides.len()].copy_from_slice(&self.strides);
        t.timestamp_ns = self.timestamp_ns;
        Ok(t)
    }

    fn from_raw(t: &sys::lf_pool_tensor_t) -> FrameDesc {
        let n = (t.ndims as usize).min(sys::LF_POOL_MAX_DIMS);
        let strides = if t.strides[..n].iter().all(|&s| s == 0) { Vec::new() } else { t.strides[..n].to_vec() };
        FrameDesc { dtype: DType::from_raw(t.dtype), dims: t.dims[..n].to_vec(), strides, timestamp_ns: t.timestamp_ns }
    }
}

/// Which frames a consumer reads (`lf_pool_mode_t`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConsumerMode {
    /// Every frame, in order; those overwritten before they were read are counted as drops.
    Stream,
    /// Always the newest frame.
    Latest,
    /// Frames whose sequence is a multiple of the number.
    Decimated(u32),
    /// At most this many frames a second.
    RateLimited(f64),
}

/// The producer of a stream: one per stream (the driver's lease).
#[derive(Debug)]
pub struct PoolProducer {
    raw: *mut sys::lf_pool_producer_t,
}

/// A consumer of a stream.
#[derive(Debug)]
pub struct PoolConsumer {
    raw: *mut sys::lf_pool_consumer_t,
}

// SAFETY: attach and detach are thread-safe; the data calls are one thread at a time per
// handle, which `&mut self` and the absence of Sync guarantee (pool.h).
unsafe impl Send for PoolProducer {}
// SAFETY: as above.
unsafe impl Send for PoolConsumer {}

/// Options shared by producers and consumers.
#[derive(Clone, Debug, Default)]
pub struct PoolOptions {
    start_driver: Option<bool>,
    connect_timeout: Option<Duration>,
}

impl PoolOptions {
    /// The defaults: start an embedded driver if none listens; wait 5 s for one.
    pub fn new() -> PoolOptions {
        PoolOptions::default()
    }
    /// Whether to start an embedded driver when none listens (`false`: `NotFound` instead).
    pub fn start_driver(mut self, start: bool) -> Self {
        self.start_driver = Some(start);
        self
    }
    /// How long to try to reach a driver.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
}

fn ms(d: Duration) -> i32 {
    d.as_millis().min(i32::MAX as u128) as i32
}

impl PoolProducer {
    /// Attach as the producer of `stream_id`.
    pub fn attach(context: &Context, stream_id: u32, options: &PoolOptions) -> Result<PoolProducer> {
        // SAFETY: zero is every field's default.
        let mut p: sys::lf_pool_producer_params_t = unsafe { std::mem::zeroed() };
        if let Some(start) = options.start_driver {
            p.field_mask |= sys::LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER;
            p.start_driver = start as i32;
        }
        if let Some(timeout) = options.connect_timeout {
            p.field_mask |= sys::LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT;
            p.connect_timeout_ms = ms(timeout);
        }
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, params valid across the call, raw an out pointer.
        check(unsafe { sys::lf_pool_producer_attach(context.as_raw(), stream_id, &p, &mut raw) })?;
        Ok(PoolProducer { raw })
    }

    /// A payload slot of `bytes` to write in place: commit the [`FrameLoan`] with the
    /// frame's description, or drop it to publish nothing. A size larger than every pool is
    /// refused, never truncated.
    #[inline]
    pub fn claim(&mut self, bytes: usize) -> Result<FrameLoan<'_>> {
        let size = u32::try_from(bytes).map_err(|_| Error::invalid_argument(format!("{bytes} bytes: at most 4 GiB")))?;
        let mut payload = ptr::null_mut();
        // SAFETY: a live producer used by this thread; payload is an out pointer.
        check(unsafe { sys::lf_pool_producer_claim(self.raw, size, &mut payload) })?;
        Ok(FrameLoan { producer: self, data: payload.cast(), size: bytes, done: false })
    }

    /// The stream as this producer sees it (epoch, slots, pools, frames published).
    pub fn info(&mut self) -> Result<StreamInfo> {
        // SAFETY: a live producer and a valid out struct.
        stream_info(|i| unsafe { sys::lf_pool_producer_get_info(self.raw, i) })
    }

    /// Set the stream's metadata record (a new version; consumers read it with
    /// [`PoolConsumer::metadata`]). Fields that do not fit are refused, never truncated.
    pub fn set_metadata(&mut self, metadata: &Metadata) -> Result<()> {
        let m = metadata.raw()?;
        // SAFETY: a live producer used by this thread; m valid across the call.
        check(unsafe { sys::lf_pool_producer_set_metadata(self.raw, &m) })
    }

    /// Publish a copy of `data` as one frame.
    #[inline]
    pub fn publish(&mut self, desc: &FrameDesc, data: &[u8]) -> Result<()> {
        let t = desc.raw()?;
        let bytes = u32::try_from(data.len()).map_err(|_| Error::invalid_argument("more than 4 GiB".into()))?;
        // SAFETY: a live producer used by this thread; data valid for its length.
        check(unsafe { sys::lf_pool_producer_publish(self.raw, &t, data.as_ptr().cast(), bytes) })
    }
}

impl Drop for PoolProducer {
    fn drop(&mut self) {
        // SAFETY: ours; the driver moves the stream to a new epoch.
        unsafe { sys::lf_pool_producer_detach(self.raw) };
    }
}

/// A claimed payload slot. [`commit`](FrameLoan::commit) publishes it; dropping it aborts.
#[derive(Debug)]
pub struct FrameLoan<'a> {
    producer: &'a mut PoolProducer,
    data: *mut u8,
    size: usize,
    done: bool,
}

impl FrameLoan<'_> {
    /// Publish the frame: `desc` must agree with the bytes (dims, strides and dtype), or the
    /// error says why and the claim stays open (drop the loan to abort).
    #[inline]
    pub fn commit(mut self, desc: &FrameDesc) -> Result<()> {
        let t = desc.raw()?;
        // SAFETY: a claim is pending on this producer (the loan exists).
        check(unsafe { sys::lf_pool_producer_commit(self.producer.raw, &t, self.size as u32) })?;
        self.done = true;
        Ok(())
    }
}

impl std::ops::Deref for FrameLoan<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        if self.size == 0 {
            return &[];
        }
        // SAFETY: the claimed slot is `size` writable bytes until commit or abort.
        unsafe { std::slice::from_raw_parts(self.data, self.size) }
    }
}

impl std::ops::DerefMut for FrameLoan<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        if self.size == 0 {
            return &mut [];
        }
        // SAFETY: as above; the loan is the only access.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.size) }
    }
}

impl Drop for FrameLoan<'_> {
    fn drop(&mut self) {
        if !self.done {
            // SAFETY: the claim is still pending.
            unsafe { sys::lf_pool_producer_abort(self.producer.raw) };
        }
    }
}

/// A consumer's counters: every frame published since it attached is counted once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolCounters {
    /// Read intact.
    pub frames_read: u64,
    /// Wanted but overwritten before they were read.
    pub drops_gap: u64,
    /// Overwritten while they were read.
    pub drops_late: u64,
    /// Their header failed validation.
    pub invalid: u64,
    /// Passed over by choice (latest, decimated, rate-limited modes).
    pub skipped: u64,
    /// The current epoch.
    pub epoch: u64,
    /// Epochs followed since attaching.
    pub epoch_changes: u64,
    /// Times the driver went away and the lease was taken again.
    pub reattachments: u64,
}

/// A stream as its producer or a consumer sees it (`lf_pool_stream_info_t`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// The stream.
    pub stream_id: u32,
    /// The current epoch.
    pub epoch: u64,
    /// Header slots.
    pub slots: u32,
    /// The payload pools' strides: the largest is the largest frame.
    pub pool_strides: Vec<u32>,
    /// Frames published in this epoch.
    pub published: u64,
    /// Where the epoch's region files are.
    pub epoch_dir: String,
}

impl StreamInfo {
    fn from_raw(i: &sys::lf_pool_stream_info_t) -> StreamInfo {
        let pools = (i.pool_count as usize).min(i.pool_strides.len());
        StreamInfo {
            stream_id: i.stream_id,
            epoch: i.epoch,
            slots: i.nslots,
            pool_strides: i.pool_strides[..pools].to_vec(),
            published: i.published,
            epoch_dir: read_text(&i.epoch_dir),
        }
    }
}

fn stream_info(get: impl FnOnce(*mut sys::lf_pool_stream_info_t) -> i32) -> Result<StreamInfo> {
    // SAFETY: zeroed with struct_size set.
    let mut i: sys::lf_pool_stream_info_t = unsafe { std::mem::zeroed() };
    i.struct_size = std::mem::size_of::<sys::lf_pool_stream_info_t>() as u32;
    check(get(&mut i))?;
    Ok(StreamInfo::from_raw(&i))
}

/// A stream the context's driver serves (`lf_pool_list_streams`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamStatus {
    /// The stream.
    pub stream_id: u32,
    /// Its current epoch.
    pub epoch: u64,
    /// The producer's process, if one is attached.
    pub producer_pid: Option<u32>,
    /// Attached consumers.
    pub consumers: u32,
    /// Bytes of the epoch's region files.
    pub bytes: u64,
    /// The epoch's directory.
    pub epoch_dir: String,
}

/// The streams the driver of the context's base directory serves (`NotFound`: no driver).
pub fn list_streams(context: &Context) -> Result<Vec<StreamStatus>> {
    let mut count = 0u32;
    // SAFETY: a live context; NULL with 0 asks for the count.
    check(unsafe { sys::lf_pool_list_streams(context.as_raw(), ptr::null_mut(), 0, &mut count) })?;
    loop {
        // SAFETY: zero is valid for every field; struct_size set below.
        let mut streams: Vec<sys::lf_pool_stream_status_t> = vec![unsafe { std::mem::zeroed() }; count as usize];
        for s in &mut streams {
            s.struct_size = std::mem::size_of::<sys::lf_pool_stream_status_t>() as u32;
        }
        let mut now = 0u32;
        // SAFETY: an array of `count` entries with struct_size set.
        check(unsafe { sys::lf_pool_list_streams(context.as_raw(), streams.as_mut_ptr(), count, &mut now) })?;
        if now <= count {
            return Ok(streams[..now as usize]
                .iter()
                .map(|s| StreamStatus {
                    stream_id: s.stream_id,
                    epoch: s.epoch,
                    producer_pid: if s.producer_pid == 0 { None } else { Some(s.producer_pid) },
                    consumers: s.consumers,
                    bytes: s.bytes,
                    epoch_dir: read_text(&s.epoch_dir),
                })
                .collect());
        }
        count = now; // more streams appeared meanwhile
    }
}

/// A region file's superblock and its header slots, read and validated before use
/// (`lf_pool_inspect`; the C structs, as the `lavaflow pool inspect` command shows them).
/// `path` must lie under the context's base directory.
pub fn inspect_region(context: &Context, path: &Path, max_frames: u32) -> Result<(sys::lf_pool_region_info_t, Vec<sys::lf_pool_frame_info_t>)> {
    let path = c_path(path)?;
    // SAFETY: zero is valid for every field; struct_size set below.
    let mut region: sys::lf_pool_region_info_t = unsafe { std::mem::zeroed() };
    region.struct_size = std::mem::size_of::<sys::lf_pool_region_info_t>() as u32;
    // SAFETY: as above.
    let mut frames: Vec<sys::lf_pool_frame_info_t> = vec![unsafe { std::mem::zeroed() }; max_frames as usize];
    for f in &mut frames {
        f.struct_size = std::mem::size_of::<sys::lf_pool_frame_info_t>() as u32;
    }
    let mut count = 0u32;
    // SAFETY: a live context, a C path, out structs with struct_size set.
    check(unsafe { sys::lf_pool_inspect(context.as_raw(), path.as_ptr(), &mut region, frames.as_mut_ptr(), max_frames, &mut count) })?;
    frames.truncate(count.min(max_frames) as usize);
    Ok((region, frames))
}

/// A stream's control region: the producer's QoS and the consumers' table
/// (`lf_pool_read_control`; `path` is `<epoch_dir>/control`, validated before use).
pub fn read_control(context: &Context, path: &Path, max_consumers: u32) -> Result<(sys::lf_pool_producer_qos_t, Vec<sys::lf_pool_consumer_entry_t>)> {
    let path = c_path(path)?;
    // SAFETY: zero is valid for every field; struct_size set below.
    let mut qos: sys::lf_pool_producer_qos_t = unsafe { std::mem::zeroed() };
    qos.struct_size = std::mem::size_of::<sys::lf_pool_producer_qos_t>() as u32;
    // SAFETY: as above.
    let mut entries: Vec<sys::lf_pool_consumer_entry_t> = vec![unsafe { std::mem::zeroed() }; max_consumers as usize];
    for e in &mut entries {
        e.struct_size = std::mem::size_of::<sys::lf_pool_consumer_entry_t>() as u32;
    }
    let mut count = 0u32;
    // SAFETY: a live context, a C path, out structs with struct_size set.
    check(unsafe { sys::lf_pool_read_control(context.as_raw(), path.as_ptr(), &mut qos, entries.as_mut_ptr(), max_consumers, &mut count) })?;
    entries.truncate(count.min(max_consumers) as usize);
    Ok((qos, entries))
}

fn c_path(path: &Path) -> Result<std::ffi::CString> {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::invalid_argument(format!("{path:?} contains a NUL byte")))
}

/// A stream's metadata record: a name, units and up to 16 key/value attributes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// 0 when none was set; frames carry the version they were made with.
    pub version: u32,
    /// At most 63 bytes.
    pub name: String,
    /// At most 31 bytes.
    pub units: String,
    /// Keys of 1..31 bytes, values of at most 127.
    pub attributes: Vec<(String, String)>,
}

fn copy_text(to: &mut [std::os::raw::c_char], from: &str, what: &str) -> Result<()> {
    if from.len() >= to.len() || from.as_bytes().contains(&0) {
        return Err(Error::invalid_argument(format!("metadata {what} {from:?}: at most {} bytes, no NUL", to.len() - 1)));
    }
    for (t, &b) in to.iter_mut().zip(from.as_bytes()) {
        *t = b as std::os::raw::c_char;
    }
    to[from.len()] = 0;
    Ok(())
}

impl Metadata {
    fn raw(&self) -> Result<sys::lf_pool_metadata_t> {
        // SAFETY: zero is every field's default.
        let mut m: sys::lf_pool_metadata_t = unsafe { std::mem::zeroed() };
        m.struct_size = std::mem::size_of::<sys::lf_pool_metadata_t>() as u32;
        copy_text(&mut m.name, &self.name, "name")?;
        copy_text(&mut m.units, &self.units, "units")?;
        if self.attributes.len() > m.attributes.len() {
            return Err(Error::invalid_argument(format!("{} metadata attributes: at most 16", self.attributes.len())));
        }
        m.attribute_count = self.attributes.len() as u32;
        for (slot, (key, value)) in m.attributes.iter_mut().zip(&self.attributes) {
            copy_text(&mut slot.key, key, "key")?;
            copy_text(&mut slot.value, value, "value")?;
        }
        Ok(m)
    }
}

impl PoolConsumer {
    /// Attach as a consumer of `stream_id` in `mode`.
    pub fn attach(context: &Context, stream_id: u32, mode: ConsumerMode, options: &PoolOptions) -> Result<PoolConsumer> {
        // SAFETY: zero is every field's default.
        let mut p: sys::lf_pool_consumer_params_t = unsafe { std::mem::zeroed() };
        p.field_mask = sys::LF_POOL_CONSUMER_PARAM_FIELD_MODE;
        p.mode = match mode {
            ConsumerMode::Stream => sys::LF_POOL_MODE_STREAM,
            ConsumerMode::Latest => sys::LF_POOL_MODE_LATEST,
            ConsumerMode::Decimated(n) => {
                p.field_mask |= sys::LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION;
                p.decimation = n;
                sys::LF_POOL_MODE_DECIMATED
            }
            ConsumerMode::RateLimited(hz) => {
                p.field_mask |= sys::LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE;
                p.max_rate_hz = hz;
                sys::LF_POOL_MODE_RATE_LIMITED
            }
        };
        if let Some(start) = options.start_driver {
            p.field_mask |= sys::LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER;
            p.start_driver = start as i32;
        }
        if let Some(timeout) = options.connect_timeout {
            p.field_mask |= sys::LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT;
            p.connect_timeout_ms = ms(timeout);
        }
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, params valid across the call, raw an out pointer.
        check(unsafe { sys::lf_pool_consumer_attach(context.as_raw(), stream_id, &p, &mut raw) })?;
        Ok(PoolConsumer { raw })
    }

    /// The next frame by the mode, if one is due now.
    #[inline]
    pub fn poll(&mut self) -> Result<Option<Frame<'_>>> {
        self.wait(Some(Duration::ZERO))
    }

    /// The next frame by the mode, waiting up to `timeout` (`None`: as long as it takes).
    #[inline]
    pub fn wait(&mut self, timeout: Option<Duration>) -> Result<Option<Frame<'_>>> {
        // SAFETY: zeroed with struct_size set.
        let mut view: sys::lf_pool_view_t = unsafe { std::mem::zeroed() };
        view.struct_size = std::mem::size_of::<sys::lf_pool_view_t>() as u32;
        let ns = match timeout {
            None => -1,
            Some(d) => d.as_nanos().min(i64::MAX as u128) as i64,
        };
        // SAFETY: a live consumer used by this thread; view is a valid out struct.
        let status = unsafe { sys::lf_pool_consumer_wait(self.raw, &mut view, ns) };
        match status {
            sys::LF_OK => Ok(Some(Frame { consumer: self, view, finished: false })),
            sys::LF_WOULD_BLOCK | sys::LF_TIMEOUT | sys::LF_EPOCH_CHANGED => Ok(None),
            _ => Err(Error::last(status)),
        }
    }

    /// The stream as this consumer sees it.
    pub fn info(&mut self) -> Result<StreamInfo> {
        // SAFETY: a live consumer and a valid out struct.
        stream_info(|i| unsafe { sys::lf_pool_consumer_get_info(self.raw, i) })
    }

    /// The stream's metadata record (version 0: none was set).
    pub fn metadata(&mut self) -> Result<Metadata> {
        // SAFETY: zeroed with struct_size set.
        let mut m: sys::lf_pool_metadata_t = unsafe { std::mem::zeroed() };
        m.struct_size = std::mem::size_of::<sys::lf_pool_metadata_t>() as u32;
        // SAFETY: a live consumer and a valid out struct.
        check(unsafe { sys::lf_pool_consumer_get_metadata(self.raw, &mut m) })?;
        let count = (m.attribute_count as usize).min(m.attributes.len());
        Ok(Metadata {
            version: m.version,
            name: read_text(&m.name),
            units: read_text(&m.units),
            attributes: m.attributes[..count].iter().map(|a| (read_text(&a.key), read_text(&a.value))).collect(),
        })
    }

    /// The counters.
    pub fn counters(&mut self) -> Result<PoolCounters> {
        // SAFETY: zeroed with struct_size set.
        let mut c: sys::lf_pool_counters_t = unsafe { std::mem::zeroed() };
        c.struct_size = std::mem::size_of::<sys::lf_pool_counters_t>() as u32;
        // SAFETY: a live consumer and a valid out struct.
        check(unsafe { sys::lf_pool_consumer_get_counters(self.raw, &mut c) })?;
        Ok(PoolCounters {
            frames_read: c.frames_read,
            drops_gap: c.drops_gap,
            drops_late: c.drops_late,
            invalid: c.invalid,
            skipped: c.skipped,
            epoch: c.epoch,
            epoch_changes: c.epoch_changes,
            reattachments: c.reattachments,
        })
    }
}

impl Drop for PoolConsumer {
    fn drop(&mut self) {
        // SAFETY: ours.
        unsafe { sys::lf_pool_consumer_detach(self.raw) };
    }
}

/// A frame read in place in shared memory. The producer may reuse its slot while it is read:
/// call [`finish`](Frame::finish) to learn whether the bytes read were intact.
pub struct Frame<'a> {
    consumer: &'a mut PoolConsumer,
    view: sys::lf_pool_view_t,
    finished: bool,
}

impl std::fmt::Debug for Frame<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Frame").field("seq", &self.seq()).field("epoch", &self.epoch()).field("desc", &self.desc())
            .field("bytes", &self.view.bytes).finish()
    }
}

impl Frame<'_> {
    /// The payload (read-only shared memory).
    #[inline]
    pub fn payload(&self) -> &[u8] {
        if self.view.bytes == 0 {
            return &[];
        }
        // SAFETY: the view's payload is `bytes` readable bytes until the frame is released.
        unsafe { std::slice::from_raw_parts(self.view.payload.cast(), self.view.bytes as usize) }
    }

    /// The frame's description.
    pub fn desc(&self) -> FrameDesc {
        FrameDesc::from_raw(&self.view.tensor)
    }

    /// The frame's sequence number in its epoch.
    pub fn seq(&self) -> u64 {
        self.view.seq
    }

    /// The epoch.
    pub fn epoch(&self) -> u64 {
        self.view.epoch
    }

    /// Release the frame: `Ok(true)` if what was read is intact, `Ok(false)` if the producer
    /// overwrote it meanwhile (discard what was read; counted as a late drop).
    #[inline]
    pub fn finish(mut self) -> Result<bool> {
        self.finished = true;
        // SAFETY: this frame's view is the one held by its consumer.
        match unsafe { sys::lf_pool_consumer_release(self.consumer.raw) } {
            sys::LF_OK => Ok(true),
            sys::LF_OVERWRITTEN => Ok(false),
            status => Err(Error::last(status)),
        }
    }
}

impl Drop for Frame<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // SAFETY: as in finish.
            unsafe { sys::lf_pool_consumer_release(self.consumer.raw) };
        }
    }
}

/// A driver for the context's base directory, on a thread of this process, until dropped
/// (then clients get a shutdown notice and re-attach to the next driver).
#[derive(Debug)]
pub struct PoolDriver {
    raw: *mut sys::lf_pool_driver_t,
}

// SAFETY: the driver calls are thread-safe (pool.h).
unsafe impl Send for PoolDriver {}
// SAFETY: as above.
unsafe impl Sync for PoolDriver {}

/// A driver's configuration; the defaults are docs/tensor-pool.md's (LAVAFLOW_DRIVER_*
/// variables override them).
#[derive(Clone, Debug, Default)]
pub struct DriverOptions {
    dynamic_streams: Option<bool>,
    header_slots: Option<u32>,
}

impl DriverOptions {
    /// The defaults.
    pub fn new() -> DriverOptions {
        DriverOptions::default()
    }
    /// Create a stream when a client attaches to one not configured (default: refuse).
    pub fn dynamic_streams(mut self, on: bool) -> Self {
        self.dynamic_streams = Some(on);
        self
    }
    /// Header slots per stream: a power of two (default 1024).
    pub fn header_slots(mut self, slots: u32) -> Self {
        self.header_slots = Some(slots);
        self
    }
}

impl PoolDriver {
    /// Start a driver with the defaults of docs/tensor-pool.md.
    pub fn start(context: &Context) -> Result<PoolDriver> {
        PoolDriver::start_with(context, &DriverOptions::new())
    }

    /// Start a driver with these options.
    pub fn start_with(context: &Context, options: &DriverOptions) -> Result<PoolDriver> {
        // SAFETY: zero is every field's default.
        let mut p: sys::lf_pool_driver_params_t = unsafe { std::mem::zeroed() };
        if let Some(on) = options.dynamic_streams {
            p.field_mask |= sys::LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS;
            p.dynamic_streams = on as i32;
        }
        if let Some(slots) = options.header_slots {
            p.field_mask |= sys::LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS;
            p.header_slots = slots;
        }
        let mut raw = ptr::null_mut();
        // SAFETY: a live context; params valid across the call.
        check(unsafe { sys::lf_pool_driver_create(context.as_raw(), &p, &mut raw) })?;
        Ok(PoolDriver { raw })
    }
}

impl Drop for PoolDriver {
    fn drop(&mut self) {
        // SAFETY: ours.
        unsafe { sys::lf_pool_driver_destroy(self.raw) };
    }
}

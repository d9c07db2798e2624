//! Channels (channel.h): ordered, bounded message channels between threads and processes.
//!
//! A channel is made by name by one side (`create_*`) and opened by the other (`open_*`);
//! the scope between them picks the transport (an in-process ring, a shared-memory ring). A
//! channel end is used by one thread at a time (channel.h), so [`Producer`] and [`Consumer`]
//! are `Send` but not `Sync`, and every data call takes `&mut self`: the borrow checker is
//! the external synchronisation. The zero-copy calls return guards: a [`Loan`] is committed
//! by [`Loan::commit`] or aborted when dropped; a [`Message`] is released when dropped. Both
//! borrow their end mutably, so a loan or message cannot outlive the end, and a second one
//! cannot be taken while the first lives.
use std::ffi::CStr;
use std::ops::{Deref, DerefMut};
use std::ptr;
use std::time::Duration;

use lavaflow_sys as sys;

use crate::buffer::Buffer;
use crate::context::{c_string, Context};
use crate::sync::{Semaphore, SemaphoreRef};
use crate::error::{check, check_timed, Error, Result};

/// How a blocked call waits (channel.h `lf_wait_mode_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitMode {
    /// Spin for `spin_us`, then sleep on a futex (the default).
    Adaptive,
    /// Never sleep: lowest latency, a busy core.
    Spin,
    /// Sleep at once.
    Sleep,
}

impl WaitMode {
    /// The `lf_wait_mode_t` value.
    pub(crate) fn raw(self) -> i32 {
        match self {
            WaitMode::Adaptive => sys::LF_WAIT_ADAPTIVE,
            WaitMode::Spin => sys::LF_WAIT_SPIN,
            WaitMode::Sleep => sys::LF_WAIT_SLEEP,
        }
    }
}

/// How to make or open a channel; the defaults are lavaflow's (channel.h).
#[derive(Clone, Debug, Default)]
pub struct ChannelOptions {
    capacity: Option<u64>,
    max_message_size: Option<u64>,
    max_producers: Option<u32>,
    wait_mode: Option<WaitMode>,
    spin_us: Option<u32>,
    connect_timeout: Option<Option<Duration>>,
}

impl ChannelOptions {
    /// The defaults.
    pub fn new() -> ChannelOptions {
        ChannelOptions::default()
    }
    /// Bytes per producer ring: a power of two from 4 KiB to 1 GiB (creating only).
    pub fn capacity(mut self, bytes: u64) -> Self {
        self.capacity = Some(bytes);
        self
    }
    /// The largest message, at most capacity / 2 - 16 (creating only).
    pub fn max_message_size(mut self, bytes: u64) -> Self {
        self.max_message_size = Some(bytes);
        self
    }
    /// 1 for a single producer, up to 64 (creating only).
    pub fn max_producers(mut self, count: u32) -> Self {
        self.max_producers = Some(count);
        self
    }
    /// How this end waits.
    pub fn wait_mode(mut self, mode: WaitMode) -> Self {
        self.wait_mode = Some(mode);
        self
    }
    /// How long adaptive waiting spins before it sleeps.
    pub fn spin(mut self, time: Duration) -> Self {
        self.spin_us = Some(time.as_micros().min(u32::MAX as u128) as u32);
        self
    }
    /// Opening: how long to wait for the channel to be created (`None`: forever).
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    fn raw(&self, role: i32) -> sys::lf_channel_params_t {
        // SAFETY: zero is every field's default.
        let mut p: sys::lf_channel_params_t = unsafe { std::mem::zeroed() };
        p.field_mask = sys::LF_CHANNEL_PARAM_FIELD_ROLE;
        p.role = role;
        if let Some(v) = self.capacity {
            p.field_mask |= sys::LF_CHANNEL_PARAM_FIELD_CAPACITY;
            p.capacity = v;
        }
        if let Some(v) = self.max_message_size {
            p.field_mask |= sys::LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE;
            p.max_message_size = v;
        }
        if let Some(v) = self.max_producers {
            p.field_mask |= sys::LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS;
            p.max_producers = v;
        }
        if let Some(mode) = self.wait_mode {
            p.field_mask |= sys::LF_CHANNEL_PARAM_FIELD_WAIT_MODE;
            p.wait_mode = mode.raw();
        }
        if let Some(v) = self.spin_us {
            p.field_mask |= sys::LF_CHANNEL_PARAM_FIELD_SPIN_US;
            p.spin_us = v;
        }
        if let Some(timeout) = self.connect_timeout {
            p.field_mask |= sys::LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT;
            p.connect_timeout_ms = timeout_ms(timeout);
        }
        p
    }
}

/// A timeout as the C API takes it: -1 forever, 0 never wait, else milliseconds (a partial
/// millisecond counts as one, so that a short timeout still waits).
#[inline]
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> i32 {
    match timeout {
        None => -1,
        Some(d) if d.is_zero() => 0,
        Some(d) => ((d.as_nanos() + 999_999) / 1_000_000).min(i32::MAX as u128) as i32,
    }
}

/// The state of a channel end.
#[derive(Clone, Debug)]
pub struct ChannelInfo {
    /// "in_process", "shared_memory", "mpi", or "none" before a peer connected.
    pub transport: String,
    /// Producers attached now.
    pub producers: u32,
    /// Ring bytes per producer.
    pub capacity: u64,
    /// The largest message.
    pub max_message_size: u64,
    /// Messages this end sent or received.
    pub messages: u64,
    /// Payload bytes this end sent or received.
    pub bytes: u64,
    /// The peer (for a consumer: every producer) closed.
    pub peer_closed: bool,
    /// A peer process died.
    pub peer_dead: bool,
}

/// What both ends share: the handle and the info calls.
#[derive(Debug)]
struct End {
    raw: *mut sys::lf_channel_t,
}

impl End {
    fn make(context: &Context, name: &str, options: &ChannelOptions, role: i32, create: bool) -> Result<End> {
        let name = c_string(name)?;
        let params = options.raw(role);
        let mut raw = ptr::null_mut();
        // SAFETY: a live context, a C string and params that live across the call.
        check(unsafe {
            if create {
                sys::lf_channel_create(context.as_raw(), name.as_ptr(), &params, &mut raw)
            } else {
                sys::lf_channel_open(context.as_raw(), name.as_ptr(), &params, &mut raw)
            }
        })?;
        Ok(End { raw })
    }

    fn make_in(context: &Context, memory: &Buffer, options: &ChannelOptions, role: i32, create: bool) -> Result<End> {
        let params = options.raw(role);
        let mut raw = ptr::null_mut();
        // SAFETY: a live context and buffer, params that live across the call.
        check(unsafe {
            if create {
                sys::lf_channel_create_in_buffer(context.as_raw(), memory.as_raw(), &params, &mut raw)
            } else {
                sys::lf_channel_open_buffer(context.as_raw(), memory.as_raw(), &params, &mut raw)
            }
        })?;
        Ok(End { raw })
    }

    fn info(&self) -> Result<ChannelInfo> {
        // SAFETY: zeroed, then struct_size set, as the C API wants.
        let mut i: sys::lf_channel_info_t = unsafe { std::mem::zeroed() };
        i.struct_size = std::mem::size_of::<sys::lf_channel_info_t>() as u32;
        // SAFETY: a live end and a valid out struct.
        check(unsafe { sys::lf_channel_get_info(self.raw, &mut i) })?;
        // SAFETY: static text for any value.
        let transport = unsafe { CStr::from_ptr(sys::lf_transport_name(i.transport)) }.to_string_lossy().into_owned();
        Ok(ChannelInfo {
            transport,
            producers: i.producers,
            capacity: i.capacity,
            max_message_size: i.max_message_size,
            messages: i.messages,
            bytes: i.bytes,
            peer_closed: i.flags & sys::LF_CHANNEL_PEER_CLOSED != 0,
            peer_dead: i.flags & sys::LF_CHANNEL_PEER_DEAD != 0,
        })
    }

    fn reason(&self) -> Result<String> {
        let mut text = ptr::null();
        // SAFETY: a live end; the text is valid while it lives and copied at once.
        check(unsafe { sys::lf_channel_get_reason(self.raw, &mut text) })?;
        Ok(unsafe { CStr::from_ptr(text) }.to_string_lossy().into_owned())
    }

    fn close(&mut self) -> Result<()> {
        // SAFETY: a live end, used by this thread only (&mut).
        check(unsafe { sys::lf_channel_close(self.raw) })
    }
}

impl Drop for End {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: the end is ours and no call is inside it (we hold it by value).
        unsafe { sys::lf_channel_destroy(self.raw) };
    }
}

/// The sending end of a channel.
#[derive(Debug)]
pub struct Producer {
    end: End,
}

/// The receiving end of a channel.
#[derive(Debug)]
pub struct Consumer {
    end: End,
}

// SAFETY: a channel end may move between threads; it is used by one thread at a time, which
// `&mut self` on every data call and the absence of `Sync` guarantee.
unsafe impl Send for Producer {}
// SAFETY: as for Producer.
unsafe impl Send for Consumer {}

impl Context {
    /// Create the channel `name` and be its consumer (producers open it).
    pub fn create_consumer(&self, name: &str, options: &ChannelOptions) -> Result<Consumer> {
        Ok(Consumer { end: End::make(self, name, options, sys::LF_CHANNEL_CONSUMER, true)? })
    }
    /// Open the channel `name` another thread or process created, as a producer.
    pub fn open_producer(&self, name: &str, options: &ChannelOptions) -> Result<Producer> {
        Ok(Producer { end: End::make(self, name, options, sys::LF_CHANNEL_PRODUCER, false)? })
    }
    /// Create the channel `name` and be a producer (its consumer opens it).
    pub fn create_producer(&self, name: &str, options: &ChannelOptions) -> Result<Producer> {
        Ok(Producer { end: End::make(self, name, options, sys::LF_CHANNEL_PRODUCER, true)? })
    }
    /// Open the channel `name` another thread or process created, as its consumer.
    pub fn open_consumer(&self, name: &str, options: &ChannelOptions) -> Result<Consumer> {
        Ok(Consumer { end: End::make(self, name, options, sys::LF_CHANNEL_CONSUMER, false)? })
    }
    /// Create a channel in shared memory you provide ([`channel_buffer_size`] bytes, e.g. a
    /// buffer you pass to another process yourself) and be its consumer.
    pub fn create_consumer_in(&self, memory: &Buffer, options: &ChannelOptions) -> Result<Consumer> {
        Ok(Consumer { end: End::make_in(self, memory, options, sys::LF_CHANNEL_CONSUMER, true)? })
    }
    /// Open, as a producer, a channel another end created in `memory`.
    pub fn open_producer_in(&self, memory: &Buffer, options: &ChannelOptions) -> Result<Producer> {
        Ok(Producer { end: End::make_in(self, memory, options, sys::LF_CHANNEL_PRODUCER, false)? })
    }
}

/// Bytes of shared memory a channel of `capacity` bytes per ring and `max_producers` needs
/// (for [`Context::create_consumer_in`]).
pub fn channel_buffer_size(capacity: u64, max_producers: u32) -> Result<u64> {
    let mut size = 0u64;
    // SAFETY: plain values and an out pointer.
    check(unsafe { sys::lf_channel_buffer_size(capacity, max_producers, &mut size) })?;
    Ok(size)
}

impl Producer {
    /// Copy `data` into the channel as one message. `Ok(false)`: the ring stayed full for the
    /// whole timeout (`Some(Duration::ZERO)`: do not wait; `None`: wait for room).
    #[inline]
    pub fn send(&mut self, data: &[u8], timeout: Option<Duration>) -> Result<bool> {
        // SAFETY: a live end used by this thread; data is valid for its length.
        check_timed(unsafe { sys::lf_channel_send(self.end.raw, data.as_ptr().cast(), data.len(), timeout_ms(timeout)) })
    }

    /// Room for a message of up to `size` bytes, to write in place: commit the [`Loan`], or
    /// drop it to send nothing. `Ok(None)`: the ring stayed full for the timeout.
    #[inline]
    pub fn reserve(&mut self, size: usize, timeout: Option<Duration>) -> Result<Option<Loan<'_>>> {
        let mut data = ptr::null_mut();
        // SAFETY: a live end used by this thread; data is an out pointer.
        let ready = check_timed(unsafe { sys::lf_channel_reserve(self.end.raw, size, timeout_ms(timeout), &mut data) })?;
        Ok(if ready { Some(Loan { producer: self, data: data.cast(), size, committed: false }) } else { None })
    }

    /// Send a reference to `len` bytes at `offset` of shared (or device) memory, with `inline`
    /// bytes of your own (a header): the consumer reads the memory in place, mapped once per
    /// buffer. The channel keeps the buffer alive until [`Producer::forget_buffer`]. `Ok(false)`:
    /// the ring stayed full for the timeout. Private host memory is refused (`Unsupported`).
    pub fn send_buffer(&mut self, memory: &Buffer, offset: u64, len: u64, inline: &[u8], timeout: Option<Duration>) -> Result<bool> {
        // SAFETY: a live end and buffer; inline valid for its length.
        check_timed(unsafe {
            sys::lf_channel_send_buffer(self.end.raw, memory.as_raw(), offset, len, inline.as_ptr().cast(), inline.len(), timeout_ms(timeout))
        })
    }

    /// [`Producer::send_buffer`] with semaphores: the bytes are ready when `ready.0` reaches
    /// `ready.1`, and the consumer signals `done.0` at `done.1` when finished with them (either
    /// may be `None`, not both). Each semaphore goes to the consumer once; the channel keeps it
    /// alive. A GPU producer sends right after submitting its write: no wait for its GPU.
    pub fn send_buffer_sync(&mut self, memory: &Buffer, offset: u64, len: u64, ready: Option<(&Semaphore, u64)>,
                            done: Option<(&Semaphore, u64)>, inline: &[u8], timeout: Option<Duration>) -> Result<bool> {
        let sync = sys::lf_buffer_sync_t {
            ready: ready.map_or(ptr::null_mut(), |(s, _)| s.as_raw()),
            ready_value: ready.map_or(0, |(_, v)| v),
            done: done.map_or(ptr::null_mut(), |(s, _)| s.as_raw()),
            done_value: done.map_or(0, |(_, v)| v),
        };
        // SAFETY: a live end, buffer and semaphores; inline valid for its length.
        check_timed(unsafe {
            sys::lf_channel_send_buffer_sync(self.end.raw, memory.as_raw(), offset, len, &sync, inline.as_ptr().cast(),
                                             inline.len(), timeout_ms(timeout))
        })
    }

    /// Stop referring to `memory`: the consumer drops its mapping once it has received past
    /// this point. `Ok(false)`: the ring stayed full for the timeout.
    pub fn forget_buffer(&mut self, memory: &Buffer, timeout: Option<Duration>) -> Result<bool> {
        // SAFETY: a live end and buffer.
        check_timed(unsafe { sys::lf_channel_forget_buffer(self.end.raw, memory.as_raw(), timeout_ms(timeout)) })
    }

    /// Close this end: what was committed is still delivered, then the consumer sees the end
    /// of the stream.
    pub fn close(&mut self) -> Result<()> {
        self.end.close()
    }

    /// The state of this end.
    pub fn info(&self) -> Result<ChannelInfo> {
        self.end.info()
    }

    /// Why this transport, in one line.
    pub fn reason(&self) -> Result<String> {
        self.end.reason()
    }

    /// The C handle, for calls of [`lavaflow_sys`] not wrapped here (still owned by `self`;
    /// the C API's one-thread-at-a-time rule applies to it).
    pub fn as_raw(&self) -> *mut sys::lf_channel_t {
        self.end.raw
    }
}

impl Consumer {
    /// The next message, in the ring, until the returned [`Message`] is dropped. `Ok(None)`:
    /// none came within the timeout. The end of the stream (every producer closed and all they
    /// sent was received) is the error [`crate::ErrorKind::EndOfStream`].
    #[inline]
    pub fn peek(&mut self, timeout: Option<Duration>) -> Result<Option<Message<'_>>> {
        let mut data = ptr::null();
        let mut size = 0usize;
        // SAFETY: a live end used by this thread; data and size are out pointers.
        let ready =
            check_timed(unsafe { sys::lf_channel_peek(self.end.raw, timeout_ms(timeout), &mut data, &mut size) })?;
        Ok(if ready { Some(Message { consumer: self, data: data.cast(), size }) } else { None })
    }

    /// Copy the next message into `buffer` and return its length; `Ok(None)` when none came
    /// within the timeout. A message longer than `buffer` stays queued: the error's kind is
    /// [`crate::ErrorKind::BufferTooSmall`].
    #[inline]
    pub fn recv(&mut self, buffer: &mut [u8], timeout: Option<Duration>) -> Result<Option<usize>> {
        let mut size = 0usize;
        // SAFETY: a live end used by this thread; buffer is valid for its length.
        let ready = check_timed(unsafe {
            sys::lf_channel_recv(self.end.raw, buffer.as_mut_ptr().cast(), buffer.len(), &mut size, timeout_ms(timeout))
        })?;
        Ok(if ready { Some(size) } else { None })
    }

    /// The next message, plain or a buffer reference: its inline bytes are copied to `inline`
    /// and the referred memory, if any, is readable in place through the [`BufferRef`]
    /// (borrowing this consumer: the channel owns the mapping). `Ok(None)`: nothing within
    /// the timeout.
    pub fn recv_buffer(&mut self, inline: &mut [u8], timeout: Option<Duration>) -> Result<Option<(usize, Option<BufferRef<'_>>)>> {
        let (mut raw, mut offset, mut len, mut size) = (ptr::null_mut(), 0u64, 0u64, 0usize);
        // SAFETY: a live end used by this thread; out pointers and a buffer valid for its length.
        let ready = check_timed(unsafe {
            sys::lf_channel_recv_buffer(self.end.raw, &mut raw, &mut offset, &mut len, inline.as_mut_ptr().cast(), inline.len(), &mut size, timeout_ms(timeout))
        })?;
        if !ready {
            return Ok(None);
        }
        let reference = if raw.is_null() { None } else { Some(BufferRef::new(raw, offset, len)?) };
        Ok(Some((size, reference)))
    }

    /// The next message as a new vector; `Ok(None)` when none came within the timeout.
    pub fn recv_vec(&mut self, timeout: Option<Duration>) -> Result<Option<Vec<u8>>> {
        Ok(self.peek(timeout)?.map(|message| message.to_vec()))
    }

    /// Close this end: producers' sends then fail with [`crate::ErrorKind::Closed`].
    pub fn close(&mut self) -> Result<()> {
        self.end.close()
    }

    /// The state of this end.
    pub fn info(&self) -> Result<ChannelInfo> {
        self.end.info()
    }

    /// Why this transport, in one line.
    pub fn reason(&self) -> Result<String> {
        self.end.reason()
    }

    /// The C handle, for calls of [`lavaflow_sys`] not wrapped here (still owned by `self`).
    pub fn as_raw(&self) -> *mut sys::lf_channel_t {
        self.end.raw
    }
}

/// Room reserved in the ring for one message: write it, then [`commit`](Loan::commit).
/// Dropping a loan without committing aborts it (nothing is sent).
#[derive(Debug)]
pub struct Loan<'a> {
    producer: &'a mut Producer,
    data: *mut u8,
    size: usize,
    committed: bool,
}

impl Loan<'_> {
    /// Publish the whole reserved length.
    #[inline]
    pub fn commit(self) -> Result<()> {
        let size = self.size;
        self.commit_len(size)
    }

    /// Publish the first `len` bytes (at most the reserved length).
    #[inline]
    pub fn commit_len(mut self, len: usize) -> Result<()> {
        if len > self.size {
            return Err(commit_too_long(len, self.size));
        }
        // SAFETY: a reservation is pending on this end (the loan exists), used by this thread.
        check(unsafe { sys::lf_channel_commit(self.producer.end.raw, len) })?;
        self.committed = true; // (a refused commit stays pending: dropping the loan aborts it)
        Ok(())
    }
}

#[cold]
fn commit_too_long(len: usize, size: usize) -> Error {
    Error::invalid_argument(format!("commit of {len} bytes, {size} were reserved"))
}

impl Deref for Loan<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        if self.size == 0 {
            return &[];
        }
        // SAFETY: the reservation is `size` writable bytes until commit or abort.
        unsafe { std::slice::from_raw_parts(self.data, self.size) }
    }
}

impl DerefMut for Loan<'_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        if self.size == 0 {
            return &mut [];
        }
        // SAFETY: as above; the loan is the only access to them.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.size) }
    }
}

impl Drop for Loan<'_> {
    #[inline]
    fn drop(&mut self) {
        if !self.committed {
            // SAFETY: the reservation is still pending; aborting cannot fail on a live end.
            unsafe { sys::lf_channel_abort(self.producer.end.raw) };
        }
    }
}

/// A received message, read in place in the ring; released (its room given back) on drop.
///
/// It borrows its consumer, so it cannot outlive it, and no second message can be peeked
/// while it lives:
///
/// ```compile_fail
/// # fn f(consumer: &mut lavaflow::Consumer) -> lavaflow::Result<()> {
/// let first = consumer.peek(None)?;
/// let second = consumer.peek(None)?; // error: `*consumer` is already borrowed
/// drop(first);
/// # Ok(()) }
/// ```
///
/// ```compile_fail
/// # fn f(ctx: &lavaflow::Context) -> lavaflow::Result<()> {
/// let message = {
///     let mut consumer = ctx.create_consumer("x", &lavaflow::ChannelOptions::new())?;
///     consumer.peek(None)?.unwrap()
/// }; // error: `consumer` does not live long enough
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Message<'a> {
    consumer: &'a mut Consumer,
    data: *const u8,
    size: usize,
}

impl Deref for Message<'_> {
    type Target = [u8];
    #[inline]
    fn deref(&self) -> &[u8] {
        if self.size == 0 {
            return &[];
        }
        // SAFETY: the peeked message is `size` readable bytes until it is released.
        unsafe { std::slice::from_raw_parts(self.data, self.size) }
    }
}

impl Message<'_> {
    /// The memory this message refers to, for a buffer-reference message (its bytes are the
    /// inline data); `Ok(None)` for a plain message.
    pub fn buffer(&self) -> Result<Option<BufferRef<'_>>> {
        let (mut raw, mut offset, mut len) = (ptr::null_mut(), 0u64, 0u64);
        // SAFETY: this end holds the peeked message; out pointers.
        let status = unsafe { sys::lf_channel_peeked_buffer(self.consumer.end.raw, &mut raw, &mut offset, &mut len) };
        if status == sys::LF_ERR_NOT_FOUND {
            return Ok(None);
        }
        check(status)?;
        Ok(Some(BufferRef::new(raw, offset, len)?))
    }

    /// The semaphores a buffer message names (`ready` and `done`, each with its value; `None`s
    /// for a message sent without them). They belong to the consumer's end.
    pub fn sync(&self) -> Result<ReceivedSync<'_>> {
        // SAFETY: zero is "none" for every field.
        let mut raw: sys::lf_buffer_sync_t = unsafe { std::mem::zeroed() };
        // SAFETY: this end holds the peeked message; an out struct.
        check(unsafe { sys::lf_channel_peeked_sync(self.consumer.end.raw, &mut raw) })?;
        let view = |handle: *mut sys::lf_semaphore_t, value: u64| {
            (!handle.is_null()).then(|| (SemaphoreRef::new(handle), value))
        };
        Ok(ReceivedSync { ready: view(raw.ready, raw.ready_value), done: view(raw.done, raw.done_value) })
    }
}

/// The semaphores of a received buffer message, borrowed from the consumer's end.
#[derive(Debug)]
pub struct ReceivedSync<'a> {
    /// The bytes are ready when this reaches the value.
    pub ready: Option<(SemaphoreRef<'a>, u64)>,
    /// Signal this to the value when done with the bytes.
    pub done: Option<(SemaphoreRef<'a>, u64)>,
}

/// The bytes a buffer-reference message points at, mapped by the consumer's channel end (which
/// owns the mapping): readable while this borrow of the consumer lives. The next receive,
/// which may drop the mapping, cannot happen before it is gone:
///
/// ```compile_fail
/// # fn f(consumer: &mut lavaflow::Consumer) -> lavaflow::Result<()> {
/// let (mut a, mut b) = ([0u8; 8], [0u8; 8]);
/// let (_, reference) = consumer.recv_buffer(&mut a, None)?.unwrap();
/// consumer.recv_buffer(&mut b, None)?; // error: `*consumer` is already borrowed
/// drop(reference);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct BufferRef<'a> {
    data: *const u8,
    offset: u64,
    len: usize,
    _consumer: std::marker::PhantomData<&'a Consumer>,
}

impl BufferRef<'_> {
    fn new(raw: *mut sys::lf_buffer_t, offset: u64, len: u64) -> Result<Self> {
        let (mut data, mut size) = (ptr::null_mut(), 0usize);
        // SAFETY: the channel's live buffer; out pointers. (Device-local memory: InvalidState.)
        check(unsafe { sys::lf_buffer_get_data(raw, &mut data, &mut size) })?;
        if offset.checked_add(len).map_or(true, |end| end > size as u64) {
            return Err(Error::invalid_argument(format!("reference {offset}+{len} outside a buffer of {size} bytes")));
        }
        // SAFETY: offset is within the mapping (checked above).
        Ok(BufferRef { data: unsafe { data.cast::<u8>().add(offset as usize) }, offset, len: len as usize, _consumer: std::marker::PhantomData })
    }
    /// Where the referred bytes start in the buffer.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl Deref for BufferRef<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `len` bytes of the channel's mapping, valid while the consumer is borrowed.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

impl Drop for Message<'_> {
    #[inline]
    fn drop(&mut self) {
        // SAFETY: this message is the one peeked on this end; releasing it cannot fail then.
        unsafe { sys::lf_channel_release(self.consumer.end.raw) };
    }
}

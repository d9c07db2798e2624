//! lavaflow for Rust: scope-aware data movement between threads and processes.
//!
//! The safe API over [`lavaflow_sys`]: RAII handles, [`Result`] with lavaflow's message,
//! slices instead of pointers, and lifetimes that make misuse a compile error (a [`Message`]
//! cannot outlive its [`Consumer`], a [`Loan`] is committed once or aborted).
//!
//! ```no_run
//! use lavaflow::{ChannelOptions, Context};
//! use std::time::Duration;
//!
//! # fn main() -> lavaflow::Result<()> {
//! let ctx = Context::new()?;
//! let mut consumer = ctx.create_consumer("telemetry", &ChannelOptions::new())?;
//! let mut producer = ctx.open_producer("telemetry", &ChannelOptions::new())?;
//!
//! producer.send(b"hello", None)?;                     // copy in
//! let mut loan = producer.reserve(4, None)?.unwrap(); // or write in place
//! loan.copy_from_slice(&7u32.to_le_bytes());
//! loan.commit()?;
//!
//! assert_eq!(consumer.recv_vec(None)?.unwrap(), b"hello");
//! let message = consumer.peek(Some(Duration::from_secs(1)))?.unwrap(); // read in place
//! assert_eq!(&message[..], &7u32.to_le_bytes());
//! # Ok(()) }
//! ```
//!
//! Timeouts are `Option<Duration>`: `None` waits as long as it takes, `Some(Duration::ZERO)`
//! never waits. Nothing within the timeout is `Ok(None)` (or `Ok(false)` for a send), not an
//! error.
//!
//! Also here: [`Identity`] and [`Scope`] (where is my peer?) and [`Buffer`] (host, shared and
//! device memory; fds exported and imported as `OwnedFd`/`BorrowedFd`), and the tensor pool
//! ([`PoolProducer`], [`PoolConsumer`] in every [`ConsumerMode`], [`PoolDriver`]), and timeline
//! [`Semaphore`]s shared between threads, processes and GPU APIs.
#![deny(missing_docs)]

mod buffer;
mod channel;
mod context;
mod device;
mod error;
mod log;
mod pool;
mod scope;
mod sync;

pub use buffer::{Buffer, BufferOptions, HugePages, MemoryKind, Placement};
pub use channel::{channel_buffer_size, BufferRef, ChannelInfo, ChannelOptions, Consumer, Loan, Message, Producer, ReceivedSync, WaitMode};
pub use context::Context;
pub use device::{BufferPool, DeviceInfo, MemoryStats};
pub use log::{set_log_handler, set_log_level, LogHandler, LogLevel};
pub use error::{Error, ErrorKind, Result};
pub use pool::{ConsumerMode, DType, DriverOptions, Frame, FrameDesc, FrameLoan, inspect_region, list_streams, read_control, Metadata, PoolConsumer, PoolCounters, StreamInfo, StreamStatus, PoolDriver, PoolOptions, PoolProducer};
pub use scope::{Identity, Scope, ScopeLevel};
pub use sync::{Semaphore, SemaphoreKind, SemaphoreOptions, SemaphoreRef};
pub use lavaflow_sys as sys;

/// The version of the lavaflow library loaded, e.g. "0.1.0".
pub fn version() -> String {
    // SAFETY: static text.
    unsafe { std::ffi::CStr::from_ptr(sys::lf_version_string()) }.to_string_lossy().into_owned()
}

// One end of a channel: the producer side of one ring, or the consumer of all rings of a
// region. Methods on the hot path return statuses and never throw, allocate, or make a
// system call unless they must wait or wake a sleeper.
#pragma once

#include "channel/buffer_refs.hpp"
#include "channel/channel_region.hpp"
#include "core/counter.hpp"
#include "core/heavy_fence.hpp"
#include "core/unique_fd.hpp"
#include "transport/ring.hpp"

#include <lavaflow/channel.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lavaflow::channel {

// How an end is connected; shared with whoever learns it later (a creator learns its
// peer's scope when the peer connects, on another thread).
struct Link {
  std::atomic<int32_t> transport{LF_TRANSPORT_NONE};
  std::atomic<int32_t> scope{0};

  // The connection to each producer (on a consumer's end, by slot) or to the consumer (on a
  // producer's end, at its own slot): buffer announcements travel there. Slow path only.
  void set_peer_socket(uint32_t slot, std::shared_ptr<core::UniqueFd> socket);
  std::shared_ptr<core::UniqueFd> peer_socket(uint32_t slot) const;

  // Why the creator's end uses its transport, once its first peer connected: written once, so
  // that the text handed out by lf_channel_get_reason() stays valid. nullptr before.
  void set_first_peer_reason(std::string reason);
  const char *first_peer_reason() const;

 private:
  mutable std::mutex mutex_;
  std::string first_peer_reason_;
  std::array<std::shared_ptr<core::UniqueFd>, transport::kMaxProducers> sockets_;
};

// The state two bridged ends share (extension.h): the add-on's verdict on the channel,
// reported by the user's end once what was delivered has been read.
struct BridgeState {
  // The first failure stands: true if this one was recorded.
  bool fail(lf_status_t status, std::string message);
  // LF_OK, or the failure; `message` is valid while the state lives.
  lf_status_t fault(const char **message) const noexcept {
    const lf_status_t status = fault_.load(std::memory_order_acquire);
    if (status != LF_OK) *message = message_.c_str();
    return status;
  }

 private:
  std::mutex mutex_;
  std::string message_;  // written once, before fault_
  std::atomic<lf_status_t> fault_{LF_OK};
};

struct WaitPolicy {
  int32_t mode = LF_WAIT_ADAPTIVE;
  int64_t spin_ns = 50000;
};

class Channel {
 public:
  // Claims the consumer role or a free producer slot in the region (for `pid`); throws
  // Error(LF_ERR_BUSY) when taken. The creator claims on behalf of a connecting peer.
  static void claim_consumer(ChannelRegion &region);
  static uint32_t claim_producer(ChannelRegion &region, uint32_t pid);
  // Marks a peer that vanished without closing as dead and wakes whoever waits for it.
  static void declare_dead(ChannelRegion &region, int32_t role, uint32_t slot) noexcept;

  // An end on a role or slot already claimed.
  static std::unique_ptr<Channel> consumer(std::shared_ptr<ChannelRegion> region, WaitPolicy wait);
  static std::unique_ptr<Channel> producer(std::shared_ptr<ChannelRegion> region, WaitPolicy wait, uint32_t slot);
  ~Channel();
  Channel(const Channel &) = delete;
  Channel &operator=(const Channel &) = delete;

  // Producer.
  lf_status_t reserve(size_t size, int32_t timeout_ms, void **out_data) noexcept;
  lf_status_t commit(size_t size) noexcept;
  lf_status_t abort() noexcept;
  lf_status_t send(const void *data, size_t size, int32_t timeout_ms) noexcept;
  // A message referring to `length` bytes at `offset` of `memory` (pinned by `owner` until
  // forgotten), with `size` bytes of inline data. The first time a buffer is sent it is
  // announced to the consumer (a system call); later sends are as cheap as send(). Throws
  // Error for what cannot work (LF_ERR_LIMIT, LF_ERR_UNSUPPORTED, LF_ERR_CLOSED).
  // `sync` (may be null): the message also says when the bytes are ready and what to signal
  // when done, naming semaphores announced with announce().
  lf_status_t send_buffer(const mem::Memory &memory, std::shared_ptr<void> owner, uint64_t offset, uint64_t length,
                          const SyncRef *sync, const void *data, size_t size, int32_t timeout_ms);
  // Producer: the id of what `key` names if the consumer was told about it, else 0; and telling
  // it (waiting up to `timeout_ms` for a consumer to connect), for what the layers above send
  // besides buffers (semaphores). The id goes into a SyncRef.
  uint32_t announced(const void *key) const noexcept { return announced_.find(key); }
  lf_status_t announce(Announcement announcement, int32_t timeout_ms, uint32_t &out_id);
  // Unpins a sent buffer; the consumer drops its import when it reaches this point.
  lf_status_t forget_buffer(const mem::Memory &memory, int32_t timeout_ms);
  // Consumer.
  lf_status_t peek(int32_t timeout_ms, const void **out_data, size_t *out_size) noexcept;
  lf_status_t release() noexcept;
  lf_status_t recv(void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms) noexcept;
  // The buffer the peeked message refers to: LF_OK, or LF_ERR_NOT_FOUND when it refers to
  // none. Imports the buffer the first time (`import` makes the user's handle). Throws Error
  // when the producer's announcement is missing or bad.
  lf_status_t peeked_buffer(const BufferImporter &import, const ImportedBuffer **out_buffer, BufferRef *out_ref);
  // recv() for any message: a buffer message's reference lands in the out-parameters
  // (nullptr and zeros for a plain one).
  lf_status_t recv_buffer(const BufferImporter &import, const ImportedBuffer **out_buffer, BufferRef *out_ref,
                          void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms);
  // The semaphores the peeked buffer message names (nullptr for none) and their values.
  // LF_ERR_INVALID_STATE when nothing is peeked; a plain or unsynchronized message gives
  // nullptrs. Throws Error when an announcement is missing or names something else.
  lf_status_t peeked_sync(const BufferImporter &import, const ImportedBuffer **out_ready, const ImportedBuffer **out_done,
                          SyncRef *out_sync);

  // A bridge's add-on end (extension.h): several messages open at once, in order, without
  // waiting (LF_WOULD_BLOCK). Not mixed with reserve()/peek() on the same end.
  lf_status_t reserve_ahead(size_t size, void **out_data) noexcept;
  lf_status_t commit_oldest() noexcept;
  lf_status_t peek_ahead(const void **out_data, size_t *out_size) noexcept;
  lf_status_t release_oldest() noexcept;
  // Its producer end: bytes committed and not yet released by the user's end.
  lf_status_t queued(uint64_t *out_bytes) noexcept;

  void close() noexcept;
  void info(lf_channel_info_t &out) const noexcept;
  // The detail of the last error status a method returned (static text or a stored line).
  const char *problem() const noexcept { return problem_; }

  int32_t role() const noexcept { return role_; }
  uint32_t slot() const noexcept { return slot_; }
  const std::shared_ptr<ChannelRegion> &region() const noexcept { return region_; }

  // Set by whoever connected the ends.
  std::shared_ptr<Link> link = std::make_shared<Link>();
  std::string reason;
  // Kept alive with the end: a listener, monitor registrations, a peer's socket.
  std::vector<std::shared_ptr<void>> keepalive;
  // Bridged ends only (extension.h): the shared verdict, and on the user's end the add-on's
  // progress function (called after commit and release, and while waiting: in a loop when
  // the add-on has no thread of its own, else only while spinning — `progress_helps`).
  std::shared_ptr<BridgeState> bridge;
  bool addon_end = false;  // the add-on's end of a bridge, not the user's
  void (*progress)(void *) = nullptr;
  void *progress_arg = nullptr;
  bool progress_helps = false;
  // The add-on's shortcuts past the ring (lf_bridge_send_fn, lf_bridge_recv_fn), given this
  // end's own handle (`user_handle`, set when it is published).
  lf_status_t (*direct_send)(void *, lf_channel_t *, const void *, size_t) = nullptr;
  lf_status_t (*direct_recv)(void *, lf_channel_t *, void *, size_t, size_t *) = nullptr;
  // Those a call without a timeout takes instead, which may wait (lf_bridge_waiting_send_fn).
  lf_status_t (*waiting_send)(void *, lf_channel_t *, const void *, size_t) = nullptr;
  lf_status_t (*waiting_recv)(void *, lf_channel_t *, void *, size_t, size_t *) = nullptr;
  // The shortcut a call with `timeout_ms` takes (null: none): the waiting one for a call that
  // may wait forever, where there is one, else the direct one.
  auto send_shortcut(int32_t timeout_ms) const noexcept {
    return timeout_ms < 0 && waiting_send != nullptr ? waiting_send : direct_send;
  }
  auto recv_shortcut(int32_t timeout_ms) const noexcept {
    return timeout_ms < 0 && waiting_recv != nullptr ? waiting_recv : direct_recv;
  }
  void *direct_arg = nullptr;
  lf_channel_t *user_handle = nullptr;

 private:
  Channel(std::shared_ptr<ChannelRegion> region, WaitPolicy wait, int32_t role, uint32_t slot);
  // For a ring whose shared indices failed validation when this end took it over: marks the
  // end dead and throws Error(LF_ERR_CORRUPT).
  [[noreturn]] void refuse_corrupt_ring(uint32_t ring);

  // One attempt, for the wait loops: LF_WOULD_BLOCK means "wait and try again".
  lf_status_t try_reserve(size_t size, void **out_data, bool ahead = false) noexcept;
  lf_status_t try_peek(const void **out_data, size_t *out_size) noexcept;
  // Waits with the policy until `attempt` gives anything but LF_WOULD_BLOCK, the deadline
  // passes, or forever. While spinning it polls `ready`, a cheap hint that the attempt may
  // now succeed. The sleeper advertises itself in `waiting` and sleeps on `seq`.
  // `promise` is this end's SleepPromise in the region (transport/ring_layout.hpp).
  template <typename Attempt, typename Ready>
  lf_status_t wait(Attempt attempt, Ready ready, std::atomic<uint32_t> &waiting, std::atomic<uint32_t> &seq,
                   std::atomic<uint64_t> &promise, int32_t timeout_ms) noexcept;
  // Whether a publish must carry its own full barrier: yes unless the peer never sleeps, or
  // runs a heavy fence before it sleeps and lives in this process (core/heavy_fence.hpp).
  static bool publish_seq_cst(const std::atomic<uint64_t> &peer_promise) noexcept {
    const uint64_t promise = peer_promise.load(std::memory_order_relaxed);
    return promise != transport::kNeverSleeps && (promise == transport::kMaySleep || promise != core::fence_token());
  }
  // This end's promise, from its wait mode (registers for heavy fences when it may sleep).
  uint64_t sleep_promise() const noexcept;
  // Whether any producer's ring has a record at its head (the consumer's spin hint).
  bool any_record() const noexcept {
    for (const auto &ring : rings_)
      if (ring.has_record()) return true;
    return false;
  }
  // Whether every producer that came has closed or died (`dead`: one died). A producer
  // publishes its last message before it says so: look at the rings again after this.
  // Slots of dead producers whose messages were all received are freed on the way.
  bool producers_gone(bool &dead) noexcept;
  void take_back_slot(uint32_t ring) noexcept;
  void wake_consumer(bool seq_cst) noexcept;
  // Whether a message may be peeked now (LF_OK), or why not.
  lf_status_t check_peek() noexcept;
  // send() and recv() through the add-on's shortcuts (bridged user ends).
  bool try_send_direct(lf_status_t (*shortcut)(void *, lf_channel_t *, const void *, size_t), const void *data,
                       size_t size) noexcept;
  lf_status_t recv_direct(void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms) noexcept;
  // recv()'s one attempt at the ring: the next message copied out and released.
  lf_status_t recv_from_ring(void *buffer, size_t capacity, size_t *out_size) noexcept;
  // recv()'s end: the peeked message copied out and released (or left queued, and why).
  lf_status_t recv_peeked(void *buffer, size_t capacity, size_t *out_size, const void *data, size_t size) noexcept;
  // Puts the peeked message back: it stays first in line.
  void unpeek() noexcept;
  // commit() for a record of any type.
  void publish(size_t size, transport::RecordType type) noexcept;
  // Waits until the consumer is connected (its socket is known), as reserve() waits for room.
  lf_status_t wait_for_consumer_socket(int32_t timeout_ms, std::shared_ptr<core::UniqueFd> &out);
  void wake_producer(transport::RingControl *control) noexcept;
  lf_status_t fail(lf_status_t status, const char *problem) noexcept {
    problem_ = problem;
    return status;
  }
  // The region broke its rules (the peer's fault): this end is dead, and every later call
  // that touches the rings reports the same.
  lf_status_t corrupted(const char *problem) noexcept {
    if (corrupt_ == nullptr) declare_dead(*region_, role_, slot_);  // (its peers stop waiting for it)
    corrupt_ = problem;
    return fail(LF_ERR_CORRUPT, problem);
  }
  // The peer's end is gone (closed or dead): a bridged end reports the add-on's verdict
  // instead, if it gave one.
  lf_status_t peer_gone(lf_status_t status, const char *problem) noexcept {
    const char *message = nullptr;
    if (bridge) {
      const lf_status_t fault = bridge->fault(&message);
      if (fault != LF_OK) return fail(fault, message);
    }
    return fail(status, problem);
  }
  // wait() for an end whose add-on moves data only when called (progress != nullptr): poll,
  // never sleep, since nothing else would wake us. Between attempts it calls `poll`, which
  // moves the add-on's data and may complete the call itself (LF_OK: return LF_OK; the
  // receiving shortcut does) — else LF_WOULD_BLOCK.
  template <typename Attempt, typename Poll>
  lf_status_t wait_progressing(Attempt attempt, Poll poll, int32_t timeout_ms) noexcept;
  void kick_progress() noexcept {
    if (progress != nullptr) progress(progress_arg);
  }

  std::shared_ptr<ChannelRegion> region_;
  transport::RegionHeader *header_;
  const WaitPolicy wait_;
  const int32_t role_;
  const uint32_t slot_;
  const bool shared_;  // futexes on shared memory work across processes and between threads
  const uint64_t max_message_;    // from the validated header, not re-read from shared memory
  bool closed_ = false;
  // Producer.
  transport::ProducerRing producer_;
  // Consumer.
  std::vector<transport::ConsumerRing> rings_;
  uint32_t next_ring_ = 0;     // round-robin start for MPSC fairness
  int32_t peeked_ring_ = -1;   // ring of the peeked message, -1 if none
  size_t peeked_size_ = 0;
  BufferRef peeked_ref_;       // the peeked message's buffer reference (id 0: none)
  ImportedBuffers imports_;
  // Producer.
  AnnouncedBuffers announced_;
  // Statistics: written by the thread using this end, read by lf_channel_get_info from any.
  core::SingleWriterCounter messages_, bytes_, sleeps_, wakes_;
  // One message of `bytes` moved through this end (committed, released, or taken by a shortcut).
  void count_message(uint64_t bytes) noexcept {
    messages_.add(1);
    bytes_.add(bytes);
  }
  const char *problem_ = "";
  const char *corrupt_ = nullptr;
  // Consumer: slots of dead producers freed for new ones (their deaths still count: info,
  // and the end of the stream reports LF_ERR_PEER_DEAD). Read by lf_channel_get_info.
  std::atomic<uint32_t> producers_taken_back_{0};  // static text: why the region was found corrupt, if it was
};

const char *transport_name(int32_t transport) noexcept;

}  // namespace lavaflow::channel

// One channel over MPI, as seen from one rank: a Sender (the user produces; the add-on end
// of the bridge is a consumer whose messages become frames) or a Receiver (frames become
// messages in the bridge's ring). progress() does what can be done without waiting; it is
// only ever called by one thread at a time (the engine's lock).
#pragma once

#include "core/counter.hpp"
#include "mpi/codec.hpp"
#include "mpi/crypto.hpp"
#include "mpi/frame.hpp"
#include "mpi/hello.hpp"
#include "mpi/worker_pool.hpp"

#include <lavaflow/experimental.h>  // the wire hook (LF_EXPERIMENTAL is set for the library)
#include <lavaflow/lavaflow_mpi.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace lavaflow::mpi {

struct LinkConfig {
  MPI_Comm comm = MPI_COMM_NULL;
  int32_t peer = 0;
  uint32_t channel_id = 0;
  uint64_t chunk_size = 0;   // the receiver's
  uint32_t depth = 0;        // the receiver's posted frames = the sender's credits
  uint64_t max_message = 0;  // the receiver's ring
  int32_t compression = 0;   // the sender's
  int32_t compression_level = 1;
  uint32_t min_gain_percent = 10;
  int32_t cipher = 0;
  bool short_frames = false;     // no protection, no compression, both ends announced them
  bool zero_copy_sends = true;   // a send with no timeout may send a large message from the caller's buffer
  bool send_heartbeats = false;  // this end has a progress thread
  bool expect_heartbeats = false;  // the peer has one
  WorkerPool *workers = nullptr;   // the attachment's (outlives the link)
};

// Chunks at least this large are compressed, sealed, opened and decompressed on the
// attachment's workers (smaller ones, and every inline message, on the thread that drives
// MPI: handing them over would cost more than the work).
constexpr size_t kWorkerMinBytes = 64 << 10;

// MPI tags of one channel: id * kTagsPerChannel + one of these.
enum TagKind : int { kTagHello = 0, kTagData = 1, kTagPayload = 2, kTagToReceiver = 3, kTagToSender = 4 };
constexpr int kTagsPerChannel = 8;
inline int tag_of(uint32_t channel_id, TagKind kind) { return static_cast<int>(channel_id) * kTagsPerChannel + kind; }

// The largest message sent inline in its frame (smaller ones are copied; larger ones travel
// as a separate MPI message straight from and into the rings).
constexpr size_t kInlineLimitMax = 16 << 10;
inline size_t inline_limit(uint64_t chunk_size) { return static_cast<size_t>(std::min<uint64_t>(chunk_size, kInlineLimitMax)); }

// How long the engine's count of completed passes has stood still: how a thread that does
// not take the engine's lock (it may be held for good by a pass stuck inside MPI) tells a
// stuck engine from a busy one.
struct StillnessClock {
  uint64_t passes = 0;
  int64_t since_ms = 0;  // 0: not started
  // The count is `passes_now` at `now_ms`; 0 when it moved (or on the first call).
  int64_t still_for(uint64_t passes_now, int64_t now_ms) noexcept {
    if (since_ms == 0 || passes_now != passes) {
      passes = passes_now;
      since_ms = now_ms;
    }
    return now_ms - since_ms;
  }
};

struct WireHook {
  lf_mpi_wire_hook_fn fn = nullptr;
  void *user_data = nullptr;
};

// Written under the engine's lock (one thread at a time: plain adds, no locked instruction on
// the path of every frame), read by lf_mpi_channel_get_stats on any thread. The chunk counts
// are also written by the workers that compress, so they stay atomic adds.
struct LinkStats {
  core::SingleWriterCounter messages, payload_bytes, wire_bytes, frames, auth_failures, credit_stalls, worker_chunks,
      zero_copy_messages;
  std::atomic<uint64_t> compressed_chunks{0}, raw_chunks{0};
};

class Link {
 public:
  Link(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer);
  virtual ~Link();
  Link(const Link &) = delete;
  Link &operator=(const Link &) = delete;

  // Does what it can without waiting; true if anything moved.
  virtual bool progress(const WireHook &hook) = 0;
  // Nothing is in flight any more and nothing will come: the link can go. (Also read by the
  // watcher thread, without the engine's lock.)
  bool finished() const noexcept { return finished_.load(std::memory_order_acquire); }
  // Abandons what is in flight (detach, or the peer died): cancels receives; sends that do
  // not complete are left to MPI (their buffers are kept until the link is destroyed).
  void abandon(lf_status_t status, const std::string &why);
  // Cancels the receives still posted (they complete at once).
  void cancel_receives();

  virtual bool is_sender() const noexcept = 0;
  // The shortcuts past the user's ring (extension.h: lf_bridge_send_fn, lf_bridge_recv_fn).
  // A sender may frame a small message straight from the user's buffer when nothing of its
  // own is queued (LF_OK), else LF_WOULD_BLOCK. A receiver armed with the user's buffer for
  // one pass may deliver the next message into it instead of the ring: disarm_direct() then
  // says so, with its size.
  virtual lf_status_t send_direct(const WireHook &, const void *, size_t) { return LF_WOULD_BLOCK; }
  virtual void arm_direct(void *, size_t) {}
  virtual bool disarm_direct(size_t *) { return false; }
  // The shortcuts of a user's call that waits as long as it takes (extension.h: the waiting
  // ones). A sender sends a message that is a zero_copy_candidate() — large, on a channel
  // without codec or cipher — straight from the user's buffer once its earlier messages left
  // (sends_queued() false): LF_OK, then `caller_buffer_busy()` until its sends completed. A
  // receiver armed with `waiting` may begin writing a large message of a channel without
  // codec into the user's buffer (`caller_buffer_busy()` until it is delivered, or until
  // nothing writes there any more after a failure, a sealed message's bytes then wiped).
  virtual bool zero_copy_candidate(size_t, const WireHook &) { return false; }
  virtual bool sends_queued() { return false; }  // messages of this link not yet sent (a failed link: none)
  virtual lf_status_t send_from_caller(const WireHook &, const void *, size_t) { return LF_WOULD_BLOCK; }
  virtual void arm_waiting(void *buffer, size_t capacity) { arm_direct(buffer, capacity); }
  virtual bool caller_buffer_busy() { return false; }
  bool failed() const noexcept { return failed_; }
  // Whether MPI may still read this link's buffers (sends not completed).
  virtual bool sends_in_flight() { return !control_idle(); }

  const LinkConfig &config() const noexcept { return config_; }
  const LinkStats &stats() const noexcept { return stats_; }
  const lf_channel_t *user_end = nullptr;  // for lookups only (lf_mpi_channel_get_stats)

  // Set by the engine's watcher thread.
  std::atomic<bool> heartbeat_due{false};
  std::atomic<bool> peer_dead{false};
  std::string peer_dead_reason;  // written before peer_dead
  core::SingleWriterCounter heard;  // bumped (under the engine's lock) on every message from the peer
  // The watcher thread's own: the last `heard` it saw, and since when (ms); after it marked
  // the peer dead, how long the engine has made no pass, and whether it raised the verdict
  // itself (raise_peer_dead).
  uint64_t watcher_seen = 0;
  int64_t watcher_since_ms = 0;
  StillnessClock watcher_engine_still;
  bool watcher_raised = false;
  // The watcher's way to the user when the engine is stuck (a pass that never returns from
  // MPI, holding the engine's lock): reports peer_dead_reason to the user's end at once,
  // without touching what the engine's thread owns (lf_bridge_raise). The engine still
  // abandons the link when it gets to it.
  void raise_peer_dead();

 protected:
  // The bridge's verdict (first one stands) and the stop.
  void fail(lf_status_t status, const std::string &why);
  // Control messages: one in flight at a time; returns false when busy.
  bool send_control(ControlKind kind, uint64_t value, int tag);
  bool control_idle();
  // Receives one control message at a time on `tag`; true with kind/value when one arrived.
  bool poll_control(int tag, ControlKind &kind, uint64_t &value);
  void maybe_heartbeat(int tag);
  // Runs a chunk's job (compress and seal, or open and decode): on a worker when it is worth
  // one (counted in worker_chunks), else — or when no worker can take it — here.
  void run_chunk_job(Job &job, bool worth_a_worker, CodecContexts &here);
  // True on every kControlPollPasses-th call: when a link that needs no control message now
  // still looks for one.
  bool control_poll_due() noexcept { return ++passes_ % kControlPollPasses == 0; }
  static constexpr uint32_t kControlPollPasses = 32;
  bool check_peer();  // true when the peer died (and the link was abandoned)

  LinkConfig config_;
  lf_channel_t *bridge_;
  std::unique_ptr<Sealer> sealer_;  // null: no protection
  LinkStats stats_;
  std::atomic<bool> finished_{false};  // (written under the engine's lock only)
  bool failed_ = false;
  std::vector<MPI_Request *> posted_receives_;  // cancelled by abandon()

 private:
  uint32_t passes_ = 0;
  uint8_t control_out_[kControlBytes]{};
  uint8_t control_in_[kControlBytes]{};
  MPI_Request control_send_ = MPI_REQUEST_NULL;
  MPI_Request control_recv_ = MPI_REQUEST_NULL;
};

std::unique_ptr<Link> make_sender(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer);
std::unique_ptr<Link> make_receiver(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer);

}  // namespace lavaflow::mpi

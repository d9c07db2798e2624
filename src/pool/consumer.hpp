// A stream's consumer: picks the next frame by its mode (cursor.hpp), reads the slot header
// under the seqlock, lends the payload in place until release(), and then checks the seqlock
// again (overwritten meanwhile: counted late, and the caller is told). Keeps its counters in
// its control-region entry for tools. Follows epoch changes: what was not read of the old
// epoch is counted, then it continues in the new one from sequence 0. Waiting spins briefly,
// then sleeps on the control region's futex. Not thread-safe: one thread consumes.
#pragma once

#include "pool/cursor.hpp"
#include "pool/driver_session.hpp"
#include "pool/metadata.hpp"

#include <lavaflow/status.h>

#include <memory>
#include <optional>

namespace lavaflow::pool {

struct ConsumerOptions {
  SessionOptions session;
  Mode mode = Mode::stream;
  uint32_t every = 1;
  uint64_t min_interval_ns = 0;
  bool notify_epoch = false;  // poll/wait report LF_EPOCH_CHANGED once after each remap
  uint32_t spin_us = 20;      // before sleeping in wait()
};

struct FrameView {
  uint64_t seq = 0;
  uint64_t epoch = 0;
  const uint8_t *payload = nullptr;
  SlotHeader header;
};

class Consumer {
 public:
  Consumer(std::shared_ptr<const context::Context> context, ConsumerOptions options);

  // LF_OK with a view; LF_WOULD_BLOCK when nothing is due; LF_EPOCH_CHANGED (when asked for);
  // LF_ERR_INVALID_STATE while a view is held. No allocation, no system call.
  lf_status_t poll(FrameView &out) noexcept;
  // Like poll(), sleeping up to timeout_ns (negative: forever) for a frame: LF_TIMEOUT.
  lf_status_t wait(FrameView &out, int64_t timeout_ns) noexcept;
  // Ends the view: LF_OK if the frame stayed intact, LF_OVERWRITTEN if the producer reused its
  // slot while it was read (counted late). LF_ERR_INVALID_STATE if no view is held.
  lf_status_t release() noexcept;

  CursorCounters counters() const noexcept;
  uint64_t epoch() const noexcept { return mapping_ ? mapping_->epoch() : 0; }
  uint64_t epoch_changes() const noexcept { return epoch_changes_; }
  StreamMetadata metadata() const;
  const EpochMapping *mapping() const noexcept { return mapping_.get(); }
  const DriverSession &session() const noexcept { return *session_; }

 private:
  bool follow_epoch() noexcept;  // true when it moved to a new epoch
  void publish_counters() noexcept;
  lf_status_t lend(uint64_t seq, const SlotHeader &header, FrameView &out) noexcept;  // a committed frame, until release()
  CursorConfig cursor_config() const noexcept;

  ConsumerOptions options_;
  std::unique_ptr<DriverSession> session_;
  std::shared_ptr<EpochMapping> mapping_;
  uint64_t generation_ = 0;
  std::optional<Cursor> cursor_;
  CursorCounters finished_;  // of the epochs left behind
  uint64_t epoch_changes_ = 0;
  bool epoch_news_ = false;
  std::optional<uint64_t> held_;
  bool stalled_ = false;
  uint64_t published_position_ = UINT64_MAX;  // the position the control-region entry shows  // the next frame is published but was never committed (its producer died writing it)
};

}  // namespace lavaflow::pool

// A stream's producer: claims the slot of the next sequence in the current epoch, lets the
// caller write the payload in place, and commits the header with the seqlock; then publishes
// the sequence in the control region and wakes consumers only if one sleeps. Follows epoch
// changes (sequences restart at 0 in a new epoch). Not thread-safe: one thread produces.
#pragma once

#include "pool/driver_session.hpp"
#include "pool/metadata.hpp"

#include <lavaflow/status.h>

#include <memory>
#include <optional>

namespace lavaflow::pool {

class Producer {
 public:
  Producer(std::shared_ptr<const context::Context> context, SessionOptions options);

  // Claims room for a frame of `bytes` in the smallest pool that takes it. LF_ERR_LIMIT when
  // no pool does (never truncated), LF_ERR_INVALID_STATE if a frame is claimed already,
  // LF_ERR_CLOSED while the driver has revoked the lease (re-attaching). No allocation, no
  // system call.
  lf_status_t claim(uint32_t bytes, uint8_t **out_payload) noexcept;
  // Commits the claimed frame with this header (length <= the claimed bytes); the pool,
  // slot and offset are filled in here. A system call only to wake a sleeping consumer.
  // LF_ERR_INVALID_ARGUMENT (problem() says why) leaves the claim open.
  lf_status_t commit(SlotHeader header) noexcept;
  const char *problem() const noexcept { return problem_; }
  // Drops a claimed frame (the slot reads as not committed; the sequence is reused).
  void abandon() noexcept;

  // Publishes metadata (its version is bumped here) and remembers it for later epochs.
  void set_metadata(StreamMetadata meta);

  const DriverSession &session() const noexcept { return *session_; }

 private:
  void follow_epoch() noexcept;

  std::unique_ptr<DriverSession> session_;
  std::shared_ptr<EpochMapping> mapping_;
  uint64_t generation_ = 0;
  std::optional<FrameWriter> writer_;
  uint64_t seq_ = 0;
  std::optional<StreamMetadata> meta_;
  const char *problem_ = "";
};

}  // namespace lavaflow::pool

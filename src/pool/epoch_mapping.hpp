// A client's view of one stream epoch: the region files the driver announced, received as
// descriptors and mapped only after each was checked (a regular file of ours, private, of the
// size the announcement implies) and each superblock was found to describe exactly what was
// announced (magic, version, epoch, stream, type, pool, slots, stride). Fails closed.
#pragma once

#include "core/unique_fd.hpp"
#include "pool/control.hpp"
#include "pool/frame_ring.hpp"
#include "pool/protocol.hpp"

#include <memory>
#include <sys/types.h>
#include <vector>

namespace lavaflow::pool {

class EpochMapping {
 public:
  // `fds` in announcement order (header ring, control, pools). The producer maps the ring and
  // pools writable, consumers read-only; the control region is writable for both (consumers
  // write their entry and the waiter count). Throws Error (LF_ERR_PROTOCOL, LF_ERR_CORRUPT,
  // LF_ERR_PERMISSION, LF_ERR_VERSION_MISMATCH, LF_ERR_SYSTEM).
  // `owner`: the driver's uid, who must own every file.
  static std::shared_ptr<EpochMapping> map(const protocol::Announcement &announcement, std::vector<core::UniqueFd> fds,
                                           bool producer, uid_t owner);
  ~EpochMapping();
  EpochMapping(const EpochMapping &) = delete;
  EpochMapping &operator=(const EpochMapping &) = delete;

  const StreamMapping &stream() const noexcept { return stream_; }
  const SlotLimits &limits() const noexcept { return limits_; }
  const ControlView &control() const noexcept { return control_; }
  const protocol::Announcement &announcement() const noexcept { return announcement_; }
  uint64_t epoch() const noexcept { return announcement_.epoch; }

 private:
  EpochMapping() = default;
  struct Region {
    void *base = nullptr;
    size_t bytes = 0;
  };
  std::vector<Region> regions_;
  protocol::Announcement announcement_;
  StreamMapping stream_;
  SlotLimits limits_;
  ControlView control_;
};

}  // namespace lavaflow::pool

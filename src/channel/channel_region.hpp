// The memory of one channel: a region (ring_layout.hpp) in a sealed memfd (its ends may live
// in two processes), in private memory (a bridge: both ends in this process), or in a
// caller's buffer; shared by the ends that use it.
#pragma once

#include "mem/memory.hpp"
#include "transport/ring.hpp"

#include <memory>

namespace lavaflow::channel {

class ChannelRegion {
 public:
  // A fresh region in a sealed memfd: threads of this process and other processes can both
  // use it, so a channel need not know where its peers live when it is created.
  static std::shared_ptr<ChannelRegion> create(uint64_t capacity, uint64_t max_message, uint32_t producers);
  // A fresh region in this process's private memory, for ends that never leave it (a
  // bridge), on transparent huge pages where whole ones fit (never hugetlbfs pages, which
  // the application reserved for itself): an add-on moves whole messages in and out of it,
  // and Open MPI copies a message past its eager limit between processes page by page —
  // 1 MiB and 16 MiB streams over MPI ran 1.2x faster on huge pages. Not exportable.
  static std::shared_ptr<ChannelRegion> create_private(uint64_t capacity, uint64_t max_message);
  // Maps a region another process exported (fd borrowed), validating it before use.
  static std::shared_ptr<ChannelRegion> map(int fd);
  // A fresh region laid out at `base` (`bytes` of a caller's buffer, kept alive by `owner`):
  // zeroes the region's bytes first. Throws Error(LF_ERR_INVALID_ARGUMENT) when it does not fit.
  static std::shared_ptr<ChannelRegion> create_in(void *base, uint64_t bytes, std::shared_ptr<void> owner,
                                                  uint64_t capacity, uint64_t max_message, uint32_t producers);
  // The region another end laid out in a buffer this process mapped, validated before use.
  static std::shared_ptr<ChannelRegion> attach_to(void *base, uint64_t bytes, std::shared_ptr<void> owner,
                                                  uint64_t page_size);

  transport::RegionHeader *header() const noexcept { return transport::header_of(base_); }
  transport::RingView ring(uint32_t index) const noexcept;
  // The shape as validated when the region was made or mapped: never re-read from the shared
  // header, which the other process could change under us.
  uint64_t capacity() const noexcept { return shape_.capacity; }
  uint32_t max_producers() const noexcept { return shape_.producers; }
  uint64_t max_message() const noexcept { return shape_.max_message; }
  // The region's memfd, for a peer: only a region of its own (create(), not create_in()).
  int export_fd() const;
  // Whether the region lies in a caller's buffer (no connection socket between the ends).
  bool in_caller_buffer() const noexcept { return owner_ != nullptr; }

 private:
  mem::MemoryPtr memory_;       // a region of its own
  std::shared_ptr<void> owner_;  // or the caller's buffer it lies in

  void *base_ = nullptr;
  transport::RegionGeometry shape_;  // what it was created with, or what validation accepted

  // Lays a fresh region out at `base` (its bytes zero): header, rings, a new instance id.
  void lay_out(void *base, uint64_t capacity, uint64_t max_message, uint32_t producers);
};

}  // namespace lavaflow::channel

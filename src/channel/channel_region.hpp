// The memory of one channel: a region (ring_layout.hpp) in private memory (both ends in one
// process) or in a sealed memfd (ends in two processes), shared by the ends that use it.
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
  // Maps a region another process exported (fd borrowed), validating it before use.
  static std::shared_ptr<ChannelRegion> map(int fd);

  transport::RegionHeader *header() const noexcept { return transport::header_of(base_); }
  transport::RingView ring(uint32_t index) const noexcept;
  uint64_t capacity() const noexcept { return header()->capacity; }
  uint32_t max_producers() const noexcept { return header()->max_producers; }
  int export_fd() const { return memory_->export_fd(); }

 private:
  mem::MemoryPtr memory_;
  void *base_ = nullptr;
};

}  // namespace lavaflow::channel

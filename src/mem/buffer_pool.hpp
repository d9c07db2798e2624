// A cache of same-size memory: acquiring reuses a cached piece when there is one.
#pragma once

#include "mem/memory.hpp"

#include <functional>
#include <mutex>
#include <vector>

namespace lavaflow::mem {

class BufferPool {
 public:
  using Allocate = std::function<MemoryPtr()>;
  BufferPool(Allocate allocate, uint32_t max_cached, bool zero_on_reuse)
      : allocate_(std::move(allocate)), max_cached_(max_cached), zero_on_reuse_(zero_on_reuse) {
    cached_.reserve(max_cached);
  }

  // A cached piece (hit = true) or a new one. Throws like the allocator.
  MemoryPtr take(bool &hit);
  // Caches the piece if there is room (returns true), else frees it.
  bool give_back(MemoryPtr memory);
  // Allocates pieces into the cache now.
  void preallocate(uint32_t count);
  uint32_t max_cached() const noexcept { return max_cached_; }
  uint64_t cached_bytes();

 private:
  Allocate allocate_;
  const uint32_t max_cached_;
  const bool zero_on_reuse_;
  std::mutex mutex_;
  std::vector<MemoryPtr> cached_;  // guarded by mutex_; capacity reserved up front
};

}  // namespace lavaflow::mem

#include "mem/buffer_pool.hpp"

#include <cstring>

namespace lavaflow::mem {

MemoryPtr BufferPool::take(bool &hit) {
  MemoryPtr memory;
  {
    std::lock_guard lock(mutex_);
    if (!cached_.empty()) {
      memory = std::move(cached_.back());
      cached_.pop_back();
    }
  }
  hit = memory != nullptr;
  if (!hit) return allocate_();
  if (zero_on_reuse_ && memory->host != nullptr) std::memset(memory->host, 0, memory->size);
  return memory;
}

bool BufferPool::give_back(MemoryPtr memory) {
  {
    std::lock_guard lock(mutex_);
    if (cached_.size() < max_cached_) {
      cached_.push_back(std::move(memory));  // no allocation: capacity was reserved
      return true;
    }
  }
  return false;  // `memory` is freed here, outside the lock
}

uint64_t BufferPool::cached_bytes() {
  std::lock_guard lock(mutex_);
  uint64_t total = 0;
  for (const auto &memory : cached_) total += memory->size;
  return total;
}

void BufferPool::preallocate(uint32_t count) {
  for (uint32_t i = 0; i < count && i < max_cached_; ++i) give_back(allocate_());
}

}  // namespace lavaflow::mem

// Per-context memory statistics, updated lock-free by every buffer's creation and release.
#pragma once

#include <lavaflow/memory.h>

#include <atomic>
#include <cstdint>

namespace lavaflow::mem {

class MemoryStats {
 public:
  static constexpr uint32_t kNodes = 64;

  void on_create(int32_t kind, uint32_t node, uint64_t bytes, bool fell_back) noexcept;
  void on_release(int32_t kind, uint32_t node, uint64_t bytes) noexcept;
  void on_pool_acquire(bool hit) noexcept;
  void on_pooled_change(int64_t bytes) noexcept;
  void snapshot(lf_memory_stats_t &out) const noexcept;
  uint64_t live_count() const noexcept;
  uint64_t live_bytes() const noexcept;

 private:
  static size_t kind_slot(int32_t kind) noexcept { return (kind >= 1 && kind <= 3) ? static_cast<size_t>(kind) : 0; }
  std::atomic<uint64_t> live_bytes_[4] = {};
  std::atomic<uint64_t> live_count_[4] = {};
  std::atomic<uint64_t> by_node_[kNodes] = {};
  std::atomic<uint64_t> total_live_{0};
  std::atomic<uint64_t> high_water_{0};
  std::atomic<uint64_t> allocations_{0};
  std::atomic<uint64_t> fallbacks_{0};
  std::atomic<uint64_t> pool_hits_{0};
  std::atomic<uint64_t> pool_misses_{0};
  std::atomic<int64_t> pooled_bytes_{0};
};

}  // namespace lavaflow::mem

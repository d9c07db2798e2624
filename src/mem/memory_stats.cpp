#include "mem/memory_stats.hpp"

namespace lavaflow::mem {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}

void MemoryStats::on_create(int32_t kind, uint32_t node, uint64_t bytes, bool fell_back) noexcept {
  live_bytes_[kind_slot(kind)].fetch_add(bytes, kRelaxed);
  live_count_[kind_slot(kind)].fetch_add(1, kRelaxed);
  if (node < kNodes) by_node_[node].fetch_add(bytes, kRelaxed);
  allocations_.fetch_add(1, kRelaxed);
  if (fell_back) fallbacks_.fetch_add(1, kRelaxed);
  uint64_t live = total_live_.fetch_add(bytes, kRelaxed) + bytes;
  uint64_t high = high_water_.load(kRelaxed);
  while (live > high && !high_water_.compare_exchange_weak(high, live, kRelaxed)) {
  }
}

void MemoryStats::on_release(int32_t kind, uint32_t node, uint64_t bytes) noexcept {
  live_bytes_[kind_slot(kind)].fetch_sub(bytes, kRelaxed);
  live_count_[kind_slot(kind)].fetch_sub(1, kRelaxed);
  if (node < kNodes) by_node_[node].fetch_sub(bytes, kRelaxed);
  total_live_.fetch_sub(bytes, kRelaxed);
}

void MemoryStats::on_pool_acquire(bool hit) noexcept { (hit ? pool_hits_ : pool_misses_).fetch_add(1, kRelaxed); }

void MemoryStats::on_pooled_change(int64_t bytes) noexcept { pooled_bytes_.fetch_add(bytes, kRelaxed); }

uint64_t MemoryStats::live_count() const noexcept {
  uint64_t total = 0;
  for (const auto &c : live_count_) total += c.load(kRelaxed);
  return total;
}

uint64_t MemoryStats::live_bytes() const noexcept { return total_live_.load(kRelaxed); }

void MemoryStats::snapshot(lf_memory_stats_t &out) const noexcept {
  for (size_t i = 0; i < 4; ++i) {
    out.live_bytes[i] = live_bytes_[i].load(kRelaxed);
    out.live_count[i] = live_count_[i].load(kRelaxed);
  }
  for (size_t i = 0; i < kNodes; ++i) out.live_bytes_by_node[i] = by_node_[i].load(kRelaxed);
  out.high_water_bytes = high_water_.load(kRelaxed);
  out.allocations = allocations_.load(kRelaxed);
  out.fallbacks = fallbacks_.load(kRelaxed);
  out.pool_hits = pool_hits_.load(kRelaxed);
  out.pool_misses = pool_misses_.load(kRelaxed);
  int64_t pooled = pooled_bytes_.load(kRelaxed);
  out.pooled_bytes = pooled > 0 ? static_cast<uint64_t>(pooled) : 0;
}

}  // namespace lavaflow::mem

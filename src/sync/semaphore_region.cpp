#include "sync/semaphore_region.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cstring>

namespace lavaflow::sync {

using core::fail;

void initialize_region(Region &region, uint64_t initial_value) noexcept {
  region.version = kRegionVersion;
  region.holder_bytes = sizeof(Holder);
  region.region_bytes = kRegionBytes;
  region.max_holders = kMaxHolders;
  region.value.store(initial_value, std::memory_order_relaxed);
  region.magic.store(kRegionMagic, std::memory_order_release);
}

bool region_still_zero(std::span<const uint8_t> bytes) noexcept {
  const size_t header = std::min<size_t>(bytes.size(), offsetof(Region, value) + sizeof(uint64_t));
  return std::all_of(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(header), [](uint8_t b) { return b == 0; });
}

void validate_region(std::span<const uint8_t> bytes) {
  if (bytes.size() != kRegionBytes)
    fail(LF_ERR_CORRUPT, "a semaphore region is %u bytes, this one %zu: not a lavaflow semaphore", kRegionBytes, bytes.size());
  uint32_t magic = 0, region_bytes = 0, max_holders = 0;
  uint16_t version = 0, holder_bytes = 0;
  std::memcpy(&magic, bytes.data() + offsetof(Region, magic), sizeof magic);
  std::memcpy(&version, bytes.data() + offsetof(Region, version), sizeof version);
  std::memcpy(&holder_bytes, bytes.data() + offsetof(Region, holder_bytes), sizeof holder_bytes);
  std::memcpy(&region_bytes, bytes.data() + offsetof(Region, region_bytes), sizeof region_bytes);
  std::memcpy(&max_holders, bytes.data() + offsetof(Region, max_holders), sizeof max_holders);
  if (magic != kRegionMagic) fail(LF_ERR_CORRUPT, "magic 0x%08x is not a lavaflow semaphore's", magic);
  if (version != kRegionVersion)
    fail(LF_ERR_VERSION_MISMATCH, "semaphore region version %u; this lavaflow reads version %u", version, kRegionVersion);
  if (holder_bytes != sizeof(Holder) || region_bytes != kRegionBytes || max_holders != kMaxHolders)
    fail(LF_ERR_CORRUPT, "semaphore region layout %u/%u/%u, expected %zu/%u/%u (holder bytes, region bytes, holders)",
         holder_bytes, region_bytes, max_holders, sizeof(Holder), kRegionBytes, kMaxHolders);
}

HolderView read_holder(const Region &region, uint32_t index) {
  const Holder &h = region.holders[index];
  HolderView v;
  v.word = h.state.load(std::memory_order_acquire);
  if (v.state() != kHolderLive && v.state() != kHolderDead) return v;
  v.flags = h.flags.load(std::memory_order_relaxed);
  v.pid = h.pid.load(std::memory_order_relaxed);
  v.pid_namespace = h.pid_namespace.load(std::memory_order_relaxed);
  v.start_time_ticks = h.start_time_ticks.load(std::memory_order_relaxed);
  if (v.pid == 0 || v.pid > 0x3fffffff) fail(LF_ERR_CORRUPT, "semaphore holder %u has an impossible pid %u", index, v.pid);
  if (v.flags & ~uint32_t{kHolderWaitOnly})
    fail(LF_ERR_CORRUPT, "semaphore holder %u has unknown flags 0x%x", index, v.flags);
  return v;
}

}  // namespace lavaflow::sync

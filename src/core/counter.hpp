// A statistics counter with one writer and any number of readers.
//
// The writer adds with a relaxed load and store instead of fetch_add: a locked read-modify-write
// costs ~20 cycles and drains the store buffer, which on a channel's hot path sits between a
// message arriving and the reply leaving. Readers on other threads see a recent value, never a
// torn one.
#pragma once

#include <atomic>
#include <cstdint>

namespace lavaflow::core {

class SingleWriterCounter {
 public:
  void add(uint64_t n) noexcept { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace lavaflow::core

// The fences of a seqlock. Reader: between copying the protected data and loading the sequence
// word again, so that the copy cannot be reordered after that load (a reader would then accept
// data written after it checked). Writer: between marking the slot "being written" and writing
// the data, so that no reader sees new data under the old word. ThreadSanitizer does not
// support std::atomic_thread_fence and refuses to compile it; its builds get compiler-only
// fences instead (x86 orders loads with loads and stores with stores, so they still run
// correctly there; the protected data is copied with relaxed atomics, so TSan sees no race).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace lavaflow::core {

inline void seqlock_read_fence() noexcept {
#if defined(__SANITIZE_THREAD__)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
}

inline void seqlock_write_fence() noexcept {
#if defined(__SANITIZE_THREAD__)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_release);
#endif
}

// Copies 8-byte words between shared memory and private memory with relaxed atomic accesses:
// the seqlock decides afterwards whether the copy is to be trusted. Both sides 8-byte aligned.
inline void load_words(uint64_t *to, const uint64_t *from, size_t words) noexcept {
  for (size_t i = 0; i < words; ++i)
    to[i] = std::atomic_ref<uint64_t>(const_cast<uint64_t &>(from[i])).load(std::memory_order_relaxed);
}
inline void store_words(uint64_t *to, const uint64_t *from, size_t words) noexcept {
  for (size_t i = 0; i < words; ++i) std::atomic_ref<uint64_t>(to[i]).store(from[i], std::memory_order_relaxed);
}

}  // namespace lavaflow::core

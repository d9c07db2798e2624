// The reader's fence of a seqlock: between copying the protected data and loading the sequence
// word again, so that the copy cannot be reordered after that load (a reader would then accept
// data written after it checked). ThreadSanitizer does not support std::atomic_thread_fence
// and refuses to compile it; its builds get a compiler-only fence instead (x86 does not reorder
// loads with loads, so they still run correctly there; TSan cannot model seqlocks anyway).
#pragma once

#include <atomic>

namespace lavaflow::core {

inline void seqlock_read_fence() noexcept {
#if defined(__SANITIZE_THREAD__)
  std::atomic_signal_fence(std::memory_order_seq_cst);
#else
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
}

}  // namespace lavaflow::core

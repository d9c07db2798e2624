// Futex waits and wakes on 32-bit words, private to a process or shared between processes.
#pragma once

#include "core/clock.hpp"  // (monotonic_ns: waits take timeouts)

#include <atomic>
#include <cstdint>

namespace lavaflow::core {

// Sleeps while *word == expected, at most timeout_ns (negative: forever). Returns false on
// timeout; spurious returns are possible (callers re-check their condition).
bool futex_wait(std::atomic<uint32_t> *word, uint32_t expected, int64_t timeout_ns, bool shared) noexcept;

// Wakes up to `count` sleepers on `word`.
void futex_wake(std::atomic<uint32_t> *word, int count, bool shared) noexcept;


// A CPU hint inside spin loops.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace lavaflow::core

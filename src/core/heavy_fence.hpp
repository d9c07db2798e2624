// Asymmetric fences for Dekker handshakes where one side is hot and the other rare.
//
// A channel publishes a message and then checks whether the peer sleeps; a peer about to sleep
// advertises it and then checks for a message. Each side needs a full barrier between its
// store and its load, or both can miss each other (the classic lost wake-up). The publisher
// runs millions of times a second, the sleeper rarely, so the sleeper may pay for both: it
// calls membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED), which runs a full barrier on every CPU
// that is running a thread of this process, and the publisher gets away with a release store,
// a compiler barrier and a plain load (no locked instruction on the hot path).
//
// Only within one process: the private command asks the scheduler which CPU runs a thread of
// this address space right now, which is reliable. The global command, which would reach other
// processes, decides from per-CPU state that registration updates only on CPUs running the
// process at that moment; a CPU idling on the process's page tables keeps a stale state and is
// skipped (we saw a lost wake-up that way). Across processes, publishers use seq_cst instead.
//
// A sleeper promises the fence by writing this process's fence token into the channel region;
// a publisher takes the cheap path only when that token is its own (core::fence_token()).
// LAVAFLOW_HEAVY_FENCES=0 turns the cheap path off.
#pragma once

#include <atomic>
#include <cstdint>

namespace lavaflow::core {

namespace detail {
extern std::atomic<uint64_t> g_fence_token;
}

// This process's fence token once it registered for heavy fences, 0 before or when it cannot.
// Random, at least 2, new in a forked child: equal tokens mean the same address space.
inline uint64_t fence_token() noexcept { return detail::g_fence_token.load(std::memory_order_relaxed); }

// Registers this process for heavy fences on the first call (one system call; asked again in
// a forked child) and returns its token; 0 when the kernel lacks the commands, a seccomp
// filter refuses them, or LAVAFLOW_HEAVY_FENCES=0.
uint64_t register_for_heavy_fences() noexcept;

// Runs a full memory barrier on every CPU running a thread of this process. False if the
// kernel refused: the caller must then not rely on it.
bool heavy_fence() noexcept;

}  // namespace lavaflow::core

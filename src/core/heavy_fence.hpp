// Asymmetric fences for Dekker handshakes where one side is hot and the other rare.
//
// A channel publishes a message and then checks whether the peer sleeps; a peer about to sleep
// advertises it and then checks for a message. Each side needs a full barrier between its
// store and its load, or both can miss each other (the classic lost wake-up). The publisher
// runs millions of times a second, the sleeper rarely, so the sleeper pays for both: it calls
// membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), which runs a full barrier on every CPU that is
// running a thread of a registered process, and the publisher gets away with a release store
// and a plain load (no locked instruction on the hot path).
//
// The publisher may take the cheap path only when its own process is registered (else the
// sleeper's barrier skips it) and the sleeper said it can issue the heavy fence; otherwise
// both use seq_cst operations. LAVAFLOW_HEAVY_FENCES=0 turns the cheap path off.
#pragma once

namespace lavaflow::core {

// Whether this process receives heavy fences: registers it on the first call (one system
// call; cached, and asked again in a forked child). False when the kernel lacks the command,
// a seccomp filter refuses it, or LAVAFLOW_HEAVY_FENCES=0.
bool heavy_fences_registered() noexcept;

// Whether this process can issue heavy fences (same conditions, without registering).
bool heavy_fences_available() noexcept;

// Runs a full memory barrier on every CPU running a thread of a registered process (and
// here). False if the kernel refused: the caller must then not rely on it.
bool heavy_fence() noexcept;

}  // namespace lavaflow::core

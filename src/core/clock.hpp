// The clocks lavaflow reads: monotonic time for timeouts and intervals, CLOCK_REALTIME for
// timestamps other processes compare (superblocks, QoS counters, frame stamps). Both go through
// the vDSO where there is one (elsewhere, e.g. this CI's sandbox, each read is a system call).
#pragma once

#include <cstdint>

namespace lavaflow::core {

int64_t monotonic_ns() noexcept;
inline int64_t monotonic_ms() noexcept { return monotonic_ns() / 1000000; }
uint64_t realtime_ns() noexcept;

}  // namespace lavaflow::core

// Fault injection for tests: LAVAFLOW_FAULT_INJECT is a comma-separated list of fault names
// (documented in docs/memory.md); each named fault makes its code path fail as the real
// fault would. Read at each check, so tests can set and clear it between calls.
#pragma once

namespace lavaflow::core {

bool fault_injected(const char *name) noexcept;

}  // namespace lavaflow::core

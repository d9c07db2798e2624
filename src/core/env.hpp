// Reading LAVAFLOW_* environment variables.
#pragma once

namespace lavaflow::core {

// The variable's value, or nullptr when it is unset or empty (empty means "not set", so
// that `LAVAFLOW_X= prog` can switch an override off).
const char *env_value(const char *name) noexcept;

}  // namespace lavaflow::core

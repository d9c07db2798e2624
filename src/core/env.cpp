#include "core/env.hpp"

#include <cstdlib>

namespace lavaflow::core {

const char *env_value(const char *name) noexcept {
  const char *value = std::getenv(name);
  return (value == nullptr || *value == '\0') ? nullptr : value;
}

}  // namespace lavaflow::core

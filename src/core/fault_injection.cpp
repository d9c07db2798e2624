#include "core/fault_injection.hpp"

#include "core/env.hpp"

#include <cstring>
#include <string_view>

namespace lavaflow::core {

bool fault_injected(const char *name) noexcept {
  const char *list = env_value("LAVAFLOW_FAULT_INJECT");
  if (list == nullptr) return false;
  std::string_view rest(list), wanted(name);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    if (rest.substr(0, comma) == wanted) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace lavaflow::core

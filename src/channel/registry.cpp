#include "channel/registry.hpp"

#include "core/error.hpp"

#include <map>
#include <mutex>

namespace lavaflow::channel {

namespace {
std::mutex g_mutex;
std::map<std::string, RegistryEntry> *g_entries = new std::map<std::string, RegistryEntry>;  // never destroyed
}  // namespace

Registry &Registry::instance() {
  static Registry registry;
  return registry;
}

void Registry::add(const std::string &key, RegistryEntry entry) {
  std::lock_guard lock(g_mutex);
  auto it = g_entries->find(key);
  if (it != g_entries->end() && !it->second.region.expired())
    core::fail(LF_ERR_EXISTS, "a channel named '%s' already exists in this process", key.c_str());
  (*g_entries)[key] = std::move(entry);
}

std::optional<RegistryEntry> Registry::find(const std::string &key) {
  std::lock_guard lock(g_mutex);
  auto it = g_entries->find(key);
  if (it == g_entries->end() || it->second.region.expired()) return std::nullopt;
  return it->second;
}

void Registry::remove(const std::string &key, const ChannelRegion *region) noexcept {
  std::lock_guard lock(g_mutex);
  auto it = g_entries->find(key);
  if (it == g_entries->end()) return;
  auto live = it->second.region.lock();
  if (live == nullptr || live.get() == region) g_entries->erase(it);
}

}  // namespace lavaflow::channel

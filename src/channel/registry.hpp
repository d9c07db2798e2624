// The channels created in this process, by base directory and name: an opener in the same
// process finds its creator here and, when the scope is "process", shares the region directly.
#pragma once

#include "channel/channel_region.hpp"
#include "topo/identity.hpp"

#include <memory>
#include <optional>
#include <string>

namespace lavaflow::channel {

struct Link;

struct RegistryEntry {
  std::weak_ptr<ChannelRegion> region;
  std::shared_ptr<Link> link;  // the creator's
  topo::Identity creator;
  int32_t creator_role = 0;
};

class Registry {
 public:
  static Registry &instance();
  // Throws Error(LF_ERR_EXISTS) when a live channel has the key.
  void add(const std::string &key, RegistryEntry entry);
  std::optional<RegistryEntry> find(const std::string &key);
  void remove(const std::string &key, const ChannelRegion *region) noexcept;
};

}  // namespace lavaflow::channel

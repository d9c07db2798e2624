// The context: the root object that owns the configuration and the topology. Immutable
// after construction, hence thread-safe.
#pragma once

#include "context/context_config.hpp"
#include "mem/allocator.hpp"
#include "mem/memory_stats.hpp"
#include "topo/topology.hpp"

#include "core/error.hpp"

#include <memory>
#include <mutex>
#include <optional>

namespace lavaflow::context {

class Context {
 public:
  explicit Context(const ContextOptions &options);

  const ContextConfig &config() const noexcept { return config_; }
  const topo::Topology &topology() const noexcept { return *topology_; }
  const core::LogSink *log() const noexcept { return &config_.log; }
  mem::MemoryStats &memory_stats() const noexcept { return memory_stats_; }
  mem::AllocatorEnvironment allocator() const {
    return {*topology_, config_.base_dir, [this]() -> mem::DeviceRegistry & { return devices(); }};
  }
  // The Vulkan devices, loaded on first use; a failure is kept and reported again (with its
  // reason) rather than retried on every call.
  mem::DeviceRegistry &devices() const;

 private:
  ContextConfig config_;
  std::unique_ptr<topo::Topology> topology_;
  mutable mem::MemoryStats memory_stats_;  // counters: updated through a const context
  mutable std::mutex devices_mutex_;
  mutable std::shared_ptr<mem::DeviceRegistry> devices_;  // guarded by devices_mutex_
  mutable std::optional<core::Error> devices_error_;      // guarded by devices_mutex_
};

}  // namespace lavaflow::context

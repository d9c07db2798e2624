// The context: the root object that owns the configuration and the topology. Immutable
// after construction, hence thread-safe.
#pragma once

#include "context/context_config.hpp"
#include "mem/allocator.hpp"
#include "mem/memory_stats.hpp"
#include "topo/topology.hpp"

#include <memory>

namespace lavaflow::context {

class Context {
 public:
  explicit Context(const ContextOptions &options);

  const ContextConfig &config() const noexcept { return config_; }
  const topo::Topology &topology() const noexcept { return *topology_; }
  const core::LogSink *log() const noexcept { return &config_.log; }
  mem::MemoryStats &memory_stats() const noexcept { return memory_stats_; }
  mem::AllocatorEnvironment allocator() const noexcept { return {*topology_, config_.base_dir, nullptr}; }

 private:
  ContextConfig config_;
  std::unique_ptr<topo::Topology> topology_;
  mutable mem::MemoryStats memory_stats_;  // counters: updated through a const context
};

}  // namespace lavaflow::context

#include "context/context.hpp"

#include "topo/scope.hpp"

namespace lavaflow::context {

Context::Context(const ContextOptions &options)
    : config_(resolve_context_config(options)), topology_(std::make_unique<topo::Topology>(config_.topology)) {
  lf_topology_info_t info{};
  topology_->info(info);
  core::log_message(log(), LF_LOG_INFO,
                    "context '%s': topology %s: %u package(s), %u NUMA node(s), %u PU(s); base directory %s (from %s)%s%s",
                    config_.name.c_str(), config_.topology.describe().c_str(), info.packages, info.numa_nodes,
                    info.pus, config_.base_dir.c_str(), config_.base_dir_origin.c_str(),
                    config_.scope_override ? "; scope forced to " : "",
                    config_.scope_override ? topo::scope_level_name(config_.scope_override) : "");
}

mem::DeviceRegistry &Context::devices() const {
  std::lock_guard lock(devices_mutex_);
  if (devices_) return *devices_;
  if (devices_error_) throw *devices_error_;
  try {
    devices_ = mem::create_device_registry(*topology_);
  } catch (const core::Error &e) {
    devices_error_ = e;
    core::log_message(log(), LF_LOG_INFO, "Vulkan devices unavailable: %s", e.what());
    throw;
  }
  uint32_t n = mem::device_count(*devices_);
  for (uint32_t i = 0; i < n; ++i) {
    lf_device_info_t info = mem::device_info(*devices_, i);
    core::log_message(log(), LF_LOG_INFO, "Vulkan device %u: %s (export 0x%x)", i, info.name, info.flags);
  }
  return *devices_;
}

}  // namespace lavaflow::context

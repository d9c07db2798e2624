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

}  // namespace lavaflow::context

// A context's configuration: its params merged with LAVAFLOW_* environment overrides,
// validated, with the origin of every choice kept for diagnostics.
#pragma once

#include "core/log.hpp"
#include "topo/topology_source.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace lavaflow::context {

// What the caller asked for (the C params, already checked for unknown field bits).
struct ContextOptions {
  uint64_t flags = 0;
  std::optional<std::string> topology;
  std::optional<std::string> base_dir;
  std::optional<std::string> name;
  lf_log_fn log_callback = nullptr;
  void *log_user_data = nullptr;
  std::optional<int32_t> log_level;
  std::optional<int32_t> scope_override;
};

struct ContextConfig {
  std::string name;
  core::LogSink log;
  topo::TopologySource topology;
  std::string topology_description;  // topology.describe(), kept for borrowed C strings
  std::string base_dir;  // canonical
  std::string base_dir_origin;
  int32_t scope_override = 0;  // 0: none
  std::string scope_override_origin;
};

// Throws Error(LF_ERR_INVALID_ARGUMENT / LF_ERR_NOT_FOUND) naming the field or variable.
ContextConfig resolve_context_config(const ContextOptions &options);

constexpr size_t kMaxContextNameBytes = 63;

}  // namespace lavaflow::context

#include "context/context_config.hpp"

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "topo/scope.hpp"

#include <lavaflow/context.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <sys/stat.h>

namespace lavaflow::context {

using core::fail;

namespace {

struct Choice {
  std::string value;
  std::string origin;
};

// The environment variable wins over the params field (so a test harness can force a
// behaviour), unless the context ignores the environment.
std::optional<Choice> choose(const ContextOptions &options, const char *variable,
                             const std::optional<std::string> &field) {
  bool use_env = (options.flags & LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT) == 0;
  if (const char *env = use_env ? core::env_value(variable) : nullptr) return Choice{env, variable};
  if (field) return Choice{*field, "params"};
  return std::nullopt;
}

std::string canonical_base_dir(const Choice &choice) {
  if (choice.value.empty() || choice.value[0] != '/')
    fail(LF_ERR_INVALID_ARGUMENT, "base directory '%s' (%s) must be an absolute path", choice.value.c_str(),
         choice.origin.c_str());
  char resolved[PATH_MAX];
  if (realpath(choice.value.c_str(), resolved) == nullptr)
    core::fail_errno(errno, "base directory '%s' (%s)", choice.value.c_str(), choice.origin.c_str());
  struct stat st {};
  if (stat(resolved, &st) != 0) core::fail_errno(errno, "stat('%s')", resolved);
  if (!S_ISDIR(st.st_mode))
    fail(LF_ERR_INVALID_ARGUMENT, "base directory '%s' (%s) is not a directory", resolved, choice.origin.c_str());
  return resolved;
}

int32_t parse_scope_level(const Choice &choice) {
  for (int32_t level = LF_SCOPE_PROCESS; level <= LF_SCOPE_REMOTE; ++level)
    if (core::equals_ignore_case(core::trim(choice.value), topo::scope_level_name(level))) return level;
  fail(LF_ERR_INVALID_ARGUMENT,
       "%s='%s' is not a scope level (process, numa, package, host, isolated, remote)", choice.origin.c_str(),
       choice.value.c_str());
}

}  // namespace

ContextConfig resolve_context_config(const ContextOptions &options) {
  ContextConfig config;

  config.name = options.name.value_or("lavaflow");
  if (config.name.empty() || config.name.size() > kMaxContextNameBytes)
    fail(LF_ERR_INVALID_ARGUMENT, "context name must be 1..%zu bytes, got %zu", kMaxContextNameBytes,
         config.name.size());

  config.log.callback = options.log_callback;
  config.log.user_data = options.log_user_data;
  config.log.name = config.name;
  if (options.log_level) {
    if (*options.log_level < LF_LOG_OFF || *options.log_level > LF_LOG_TRACE)
      fail(LF_ERR_INVALID_ARGUMENT, "params log_level %d is not LF_LOG_OFF..LF_LOG_TRACE", *options.log_level);
    config.log.level = *options.log_level;
  }

  if (auto topology = choose(options, "LAVAFLOW_TOPOLOGY", options.topology))
    config.topology = topo::TopologySource::parse(topology->value, topology->origin);
  else
    config.topology = topo::TopologySource::parse("system", "default");
  config.topology_description = config.topology.describe();

  if (auto base = choose(options, "LAVAFLOW_BASE_DIR", options.base_dir)) {
    config.base_dir = canonical_base_dir(*base);
    config.base_dir_origin = base->origin;
  } else {
    config.base_dir = canonical_base_dir(Choice{"/dev/shm", "default"});
    config.base_dir_origin = "default";
  }

  std::optional<std::string> params_override;
  if (options.scope_override) {
    int32_t level = *options.scope_override;
    if (level != 0 && (level < LF_SCOPE_PROCESS || level > LF_SCOPE_REMOTE))
      fail(LF_ERR_INVALID_ARGUMENT, "params scope_override %d is not 0 or LF_SCOPE_PROCESS..LF_SCOPE_REMOTE", level);
    if (level != 0) params_override = topo::scope_level_name(level);
  }
  if (auto forced = choose(options, "LAVAFLOW_SCOPE_OVERRIDE", params_override)) {
    config.scope_override = parse_scope_level(*forced);
    config.scope_override_origin = forced->origin == "params" ? "scope_override" : forced->origin;
  }
  return config;
}

}  // namespace lavaflow::context

// Scope detection between two identities (rules: docs/scope.md).
//
// decide_scope() is pure: no system call, no allocation, symmetric in its arguments.
// It records *why* as reason codes; explain_scope() turns them into text on request.
#pragma once

#include "topo/identity.hpp"

#include <lavaflow/scope.h>

#include <array>
#include <string>

namespace lavaflow::topo {

constexpr size_t kMechanismCount = 6;

// Index of a single mechanism bit (0..5), or -1.
int mechanism_index(uint32_t mechanism) noexcept;

enum class LevelReason : uint8_t {
  boot_id_unknown,
  boot_id_differs,
  base_dir_unknown,
  base_dir_differs,
  same_process,
  same_numa,
  same_package,
  different_packages,
  topologies_differ,
};

enum class MechanismReason : uint8_t {
  available,
  not_same_process,
  other_host,
  isolated,
  forced_by_override,
  uid_differs,
  user_ns_differs,
  pid_ns_differs,
  ptrace_forbidden_by_yama,
  ptrace_needs_same_uid,
  ptrace_target_not_dumpable,
  no_vulkan_device,
};

struct ScopeDecision {
  int32_t level = LF_SCOPE_UNKNOWN;
  int32_t detected_level = LF_SCOPE_UNKNOWN;
  int32_t hardware_level = LF_SCOPE_UNKNOWN;
  uint32_t mechanisms = 0;
  uint32_t flags = 0;
  int32_t override_level = 0;  // what was asked for (0: none)
  LevelReason level_reason = LevelReason::boot_id_unknown;
  std::array<MechanismReason, kMechanismCount> mechanism_reasons{};
};

// Whether two identities are one process: same pid namespace and pid, and (when both know it)
// the same start time, which tells a process from a later one that reused its pid.
bool same_process(const Identity &a, const Identity &b) noexcept;

// override_level: 0 for none, else an lf_scope_level_t to force (if not closer than detected).
ScopeDecision decide_scope(const Identity &a, const Identity &b, int32_t override_level) noexcept;

struct ScopeExplanation {
  std::string level;
  std::array<std::string, kMechanismCount> mechanisms;
};

// override_origin names where an override came from ("LAVAFLOW_SCOPE_OVERRIDE", "params").
ScopeExplanation explain_scope(const Identity &a, const Identity &b, const ScopeDecision &decision,
                               const std::string &override_origin);

const char *scope_level_name(int32_t level) noexcept;
const char *mechanism_name(uint32_t mechanism) noexcept;

}  // namespace lavaflow::topo

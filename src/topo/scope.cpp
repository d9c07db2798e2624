#include "topo/scope.hpp"

#include <algorithm>
#include <bit>

namespace lavaflow::topo {

namespace {

bool same_kernel(const Identity &a, const Identity &b) noexcept {
  return a.has(LF_IDENTITY_KNOWN_BOOT_ID) && b.has(LF_IDENTITY_KNOWN_BOOT_ID) && a.boot_id == b.boot_id;
}

bool same_base_dir(const Identity &a, const Identity &b) noexcept {
  return a.has(LF_IDENTITY_KNOWN_BASE_DIR) && b.has(LF_IDENTITY_KNOWN_BASE_DIR) &&
         a.base_dir_device == b.base_dir_device && a.base_dir_inode == b.base_dir_inode;
}

// Both cpusets lying in one NUMA node (some node contains every PU of each) is what makes them
// NUMA neighbours: a PU may lie in several nodes (memory-side nodes — HBM, CXL, NVDIMM — share
// a cpuset with a DRAM node or span a package), and a cpuset that merely touches a node does
// not lie in it. Likewise for packages. Empty sets (PUs no node covers, topologies without
// packages) lie in nothing and match nothing.
int32_t hardware_level(const Identity &a, const Identity &b) noexcept {
  if (a.topology_digest != b.topology_digest) return LF_SCOPE_UNKNOWN;
  if (a.local_numa_nodes.intersects(b.local_numa_nodes)) return LF_SCOPE_NUMA;
  if (a.local_packages.intersects(b.local_packages)) return LF_SCOPE_PACKAGE;
  return LF_SCOPE_HOST;
}

// Can `reader` use process_vm_readv on `target`? (ptrace access mode ATTACH_REALCREDS.)
MechanismReason cma_access(const Identity &reader, const Identity &target, uint32_t yama) noexcept {
  if (yama >= 3) return MechanismReason::ptrace_forbidden_by_yama;
  if (reader.has(LF_IDENTITY_CAP_SYS_PTRACE)) return MechanismReason::available;
  if (yama >= 1) return MechanismReason::ptrace_forbidden_by_yama;  // 1: descendants only; 2: admin only
  if (reader.uid != target.uid) return MechanismReason::ptrace_needs_same_uid;
  if (!target.has(LF_IDENTITY_DUMPABLE)) return MechanismReason::ptrace_target_not_dumpable;
  return MechanismReason::available;
}

// Why a mechanism that needs one host is unavailable at `level`, or `available`.
MechanismReason host_gate(int32_t level) noexcept {
  if (level == LF_SCOPE_REMOTE) return MechanismReason::other_host;
  if (level == LF_SCOPE_ISOLATED) return MechanismReason::isolated;
  return MechanismReason::available;
}

MechanismReason sharing_reason(const Identity &a, const Identity &b) noexcept {
  if (a.namespaces[kUserNs] != b.namespaces[kUserNs]) return MechanismReason::user_ns_differs;
  if (a.uid != b.uid) return MechanismReason::uid_differs;
  return MechanismReason::available;
}

MechanismReason cma_reason(const Identity &a, const Identity &b) noexcept {
  if (a.namespaces[kPidNs] != b.namespaces[kPidNs]) return MechanismReason::pid_ns_differs;
  if (a.namespaces[kUserNs] != b.namespaces[kUserNs]) return MechanismReason::user_ns_differs;
  uint32_t yama = std::max(a.ptrace_scope, b.ptrace_scope);  // one kernel, one setting
  MechanismReason ab = cma_access(a, b, yama);
  return ab != MechanismReason::available ? ab : cma_access(b, a, yama);
}

// Mechanisms a forced level still allows.
uint32_t allowed_at(int32_t level) noexcept {
  if (level == LF_SCOPE_PROCESS) return LF_MECHANISM_ALL;
  if (level <= LF_SCOPE_HOST) return LF_MECHANISM_ALL & ~uint32_t{LF_MECHANISM_ADDRESS_SPACE};
  return LF_MECHANISM_NETWORK;
}

}  // namespace

bool same_process(const Identity &a, const Identity &b) noexcept {
  if (!a.has(LF_IDENTITY_KNOWN_NAMESPACES) || !b.has(LF_IDENTITY_KNOWN_NAMESPACES)) return false;
  if (a.namespaces[kPidNs] != b.namespaces[kPidNs] || a.pid != b.pid) return false;
  // The start time tells a process from a later one that reused its pid.
  bool both_timed = a.has(LF_IDENTITY_KNOWN_START_TIME) && b.has(LF_IDENTITY_KNOWN_START_TIME);
  return !both_timed || a.start_time_ticks == b.start_time_ticks;
}

int mechanism_index(uint32_t mechanism) noexcept {
  if (mechanism == 0 || (mechanism & ~LF_MECHANISM_ALL) != 0 || !std::has_single_bit(mechanism)) return -1;
  return std::countr_zero(mechanism);
}

ScopeDecision decide_scope(const Identity &a, const Identity &b, int32_t override_level) noexcept {
  ScopeDecision d;
  bool kernel = same_kernel(a, b);
  d.hardware_level = kernel ? hardware_level(a, b) : LF_SCOPE_UNKNOWN;
  if (kernel && d.hardware_level == LF_SCOPE_UNKNOWN) d.flags |= LF_SCOPE_FLAG_TOPOLOGIES_DIFFER;

  if (!a.has(LF_IDENTITY_KNOWN_BOOT_ID) || !b.has(LF_IDENTITY_KNOWN_BOOT_ID)) {
    d.detected_level = LF_SCOPE_REMOTE;
    d.level_reason = LevelReason::boot_id_unknown;
  } else if (!kernel) {
    d.detected_level = LF_SCOPE_REMOTE;
    d.level_reason = LevelReason::boot_id_differs;
  } else if (!a.has(LF_IDENTITY_KNOWN_BASE_DIR) || !b.has(LF_IDENTITY_KNOWN_BASE_DIR)) {
    d.detected_level = LF_SCOPE_ISOLATED;
    d.level_reason = LevelReason::base_dir_unknown;
  } else if (!same_base_dir(a, b)) {
    d.detected_level = LF_SCOPE_ISOLATED;
    d.level_reason = LevelReason::base_dir_differs;
  } else if (same_process(a, b)) {
    d.detected_level = LF_SCOPE_PROCESS;
    d.level_reason = LevelReason::same_process;
  } else if (d.hardware_level == LF_SCOPE_UNKNOWN) {
    d.detected_level = LF_SCOPE_HOST;
    d.level_reason = LevelReason::topologies_differ;
  } else {
    d.detected_level = d.hardware_level;
    d.level_reason = d.hardware_level == LF_SCOPE_NUMA      ? LevelReason::same_numa
                     : d.hardware_level == LF_SCOPE_PACKAGE ? LevelReason::same_package
                                                            : LevelReason::different_packages;
  }

  d.level = d.detected_level;
  d.override_level = override_level;
  if (override_level != 0) {
    if (override_level >= d.detected_level) {
      d.level = override_level;
      d.flags |= LF_SCOPE_FLAG_OVERRIDDEN;
    } else {
      d.flags |= LF_SCOPE_FLAG_OVERRIDE_IGNORED;
    }
  }

  // Mechanisms, judged on the detected facts ...
  const bool process = d.detected_level == LF_SCOPE_PROCESS;
  const MechanismReason gate = host_gate(d.detected_level);
  const bool on_host = gate == MechanismReason::available;
  auto &why = d.mechanism_reasons;
  why[0] = !on_host ? gate : process ? MechanismReason::available : MechanismReason::not_same_process;
  why[1] = !on_host ? gate : process ? MechanismReason::available : sharing_reason(a, b);  // shared memory
  why[2] = why[1];  // fd passing: a socket in the common base directory, same-uid peers
  why[3] = !on_host ? gate : process ? MechanismReason::available : cma_reason(a, b);
  why[4] = !on_host ? gate : MechanismReason::no_vulkan_device;
  why[5] = MechanismReason::available;  // network

  // ... then narrowed to what a forced level allows.
  uint32_t allowed = allowed_at(d.level);
  for (size_t i = 0; i < kMechanismCount; ++i) {
    uint32_t bit = 1u << i;
    if (why[i] == MechanismReason::available && (allowed & bit) == 0) why[i] = MechanismReason::forced_by_override;
    if (why[i] == MechanismReason::available) d.mechanisms |= bit;
  }
  return d;
}

const char *scope_level_name(int32_t level) noexcept {
  switch (level) {
    case LF_SCOPE_UNKNOWN: return "unknown";
    case LF_SCOPE_PROCESS: return "process";
    case LF_SCOPE_NUMA: return "numa";
    case LF_SCOPE_PACKAGE: return "package";
    case LF_SCOPE_HOST: return "host";
    case LF_SCOPE_ISOLATED: return "isolated";
    case LF_SCOPE_REMOTE: return "remote";
    default: return "invalid";
  }
}

const char *mechanism_name(uint32_t mechanism) noexcept {
  static const char *const names[kMechanismCount] = {"address_space", "shared_memory", "fd_passing",
                                                     "cma",           "vulkan_memory", "network"};
  int i = mechanism_index(mechanism);
  return i < 0 ? "invalid" : names[i];
}

}  // namespace lavaflow::topo

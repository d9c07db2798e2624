// The one-line reasons behind a scope decision. Only built on request (lf_scope_create),
// never on the decide path.
#include "core/strings.hpp"
#include "topo/host_facts.hpp"
#include "topo/scope.hpp"

#include <sys/sysmacros.h>

namespace lavaflow::topo {

using core::format_text;

namespace {

std::string short_boot_id(const Identity &id) { return format_uuid(id.boot_id).substr(0, 8); }

std::string base_dir_text(const Identity &id) {
  if (!id.has(LF_IDENTITY_KNOWN_BASE_DIR)) return format_text("%s (not examined)", id.base_dir.c_str());
  return format_text("%s (dev %u:%u ino %llu)", id.base_dir.c_str(), major(id.base_dir_device),
                     minor(id.base_dir_device), static_cast<unsigned long long>(id.base_dir_inode));
}

std::string which_unknown(const Identity &a, const Identity &b, uint32_t flag) {
  bool ua = !a.has(flag), ub = !b.has(flag);
  return ua && ub ? "both endpoints" : ua ? "endpoint A" : "endpoint B";
}

std::string hostname_note(const Identity &a, const Identity &b, bool same_kernel) {
  if (same_kernel && a.hostname != b.hostname)
    return format_text(" (hostnames differ, '%s' vs '%s': containers may set their own)", a.hostname.c_str(),
                       b.hostname.c_str());
  if (!same_kernel && a.hostname == b.hostname)
    return format_text(" (both hostnames are '%s', which proves nothing)", a.hostname.c_str());
  return {};
}

std::string namespace_note(const Identity &a, const Identity &b, NamespaceKind kind, const char *name) {
  if (a.namespaces[kind] == b.namespaces[kind]) return {};
  return format_text("; %s namespaces differ too (%llu vs %llu)", name,
                     static_cast<unsigned long long>(a.namespaces[kind]),
                     static_cast<unsigned long long>(b.namespaces[kind]));
}

// Where a cpuset lies: "0-3 (in NUMA node 0,4 and package 0)", "2-3 (in no NUMA node as a
// whole, touching 0; in package 1)".
std::string place(const Identity &id) {
  auto within = [](const core::Bitmap &lies_in, const core::Bitmap &touches, const char *what) {
    if (!lies_in.empty()) return format_text("in %s %s", what, lies_in.to_list().c_str());
    if (touches.empty()) return format_text("in no %s", what);
    return format_text("in no %s as a whole, touching %s", what, touches.to_list().c_str());
  };
  return format_text("%s (%s; %s)", id.cpuset.to_list().c_str(),
                     within(id.local_numa_nodes, id.numa_nodes, "NUMA node").c_str(),
                     within(id.local_packages, id.packages, "package").c_str());
}

std::string hardware_text(const Identity &a, const Identity &b, int32_t hardware) {
  switch (hardware) {
    case LF_SCOPE_NUMA:
      return format_text("both cpusets (%s and %s) lie in NUMA node %s", a.cpuset.to_list().c_str(),
                         b.cpuset.to_list().c_str(), a.local_numa_nodes.intersection(b.local_numa_nodes).to_list().c_str());
    case LF_SCOPE_PACKAGE:
      return format_text("cpusets %s and %s lie in package %s but in no common NUMA node", place(a).c_str(),
                         place(b).c_str(), a.local_packages.intersection(b.local_packages).to_list().c_str());
    case LF_SCOPE_HOST:
      return format_text("cpusets %s and %s lie in no common NUMA node or package", place(a).c_str(), place(b).c_str());
    default:
      return format_text(
          "the identities were taken on different topologies (%s digest %016llx vs %s digest %016llx), so NUMA "
          "nodes and packages cannot be compared",
          a.topology_source == LF_TOPOLOGY_SOURCE_SYSTEM ? "system" : "synthetic/XML",
          static_cast<unsigned long long>(a.topology_digest),
          b.topology_source == LF_TOPOLOGY_SOURCE_SYSTEM ? "system" : "synthetic/XML",
          static_cast<unsigned long long>(b.topology_digest));
  }
}

std::string detected_text(const Identity &a, const Identity &b, const ScopeDecision &d) {
  const char *level = scope_level_name(d.detected_level);
  std::string kernel = format_text("same kernel (boot id %s)", short_boot_id(a).c_str());
  switch (d.level_reason) {
    case LevelReason::boot_id_unknown:
      return format_text("%s: the boot id of %s is unknown, so nothing proves a shared kernel", level,
                         which_unknown(a, b, LF_IDENTITY_KNOWN_BOOT_ID).c_str());
    case LevelReason::boot_id_differs:
      return format_text("%s: boot ids differ (%s vs %s): different kernels%s", level, short_boot_id(a).c_str(),
                         short_boot_id(b).c_str(), hostname_note(a, b, false).c_str());
    case LevelReason::base_dir_unknown:
      return format_text("%s: %s, but the base directory of %s could not be examined", level, kernel.c_str(),
                         which_unknown(a, b, LF_IDENTITY_KNOWN_BASE_DIR).c_str());
    case LevelReason::base_dir_differs:
      return format_text("%s: %s, but the base directories are different filesystems (%s vs %s)%s%s: no common "
                         "place to share memory",
                         level, kernel.c_str(), base_dir_text(a).c_str(), base_dir_text(b).c_str(),
                         namespace_note(a, b, kIpcNs, "IPC").c_str(), namespace_note(a, b, kMntNs, "mount").c_str());
    case LevelReason::same_process:
      return format_text("%s: same process (pid %u in pid namespace %llu, started at tick %llu); %s", level, a.pid,
                         static_cast<unsigned long long>(a.namespaces[kPidNs]),
                         static_cast<unsigned long long>(a.start_time_ticks),
                         hardware_text(a, b, d.hardware_level).c_str());
    case LevelReason::same_numa:
    case LevelReason::same_package:
    case LevelReason::different_packages:
    case LevelReason::topologies_differ:
      break;
  }
  return format_text("%s: %s and base directory %s%s; %s", level, kernel.c_str(), base_dir_text(a).c_str(),
                     hostname_note(a, b, true).c_str(), hardware_text(a, b, d.hardware_level).c_str());
}

std::string mechanism_text(const Identity &a, const Identity &b, const ScopeDecision &d, size_t index) {
  const uint32_t bit = 1u << index;
  const bool process = d.detected_level == LF_SCOPE_PROCESS;
  switch (d.mechanism_reasons[index]) {
    case MechanismReason::available:
      switch (bit) {
        case LF_MECHANISM_ADDRESS_SPACE:
          return "same process: pointers can be handed over";
        case LF_MECHANISM_SHARED_MEMORY:
          return process ? "same address space"
                         : format_text("common base directory %s and the same uid %u", base_dir_text(a).c_str(), a.uid);
        case LF_MECHANISM_FD_PASSING:
          return process ? "same process: descriptors are shared"
                         : format_text("a Unix socket in the common base directory %s; peer credentials match (uid %u)",
                                       a.base_dir.c_str(), a.uid);
        case LF_MECHANISM_CMA:
          return process ? "same process: no copy between address spaces is needed"
                         : format_text("process_vm_readv/writev allowed: same pid and user namespaces, Yama "
                                       "ptrace_scope %u, %s",
                                       std::max(a.ptrace_scope, b.ptrace_scope),
                                       a.has(LF_IDENTITY_CAP_SYS_PTRACE) && b.has(LF_IDENTITY_CAP_SYS_PTRACE)
                                           ? "both have CAP_SYS_PTRACE"
                                           : "same uid and dumpable");
        default:
          return "assumed reachable (not probed); lavaflow uses MPI between hosts";
      }
    case MechanismReason::not_same_process:
      return format_text("different processes (pid %u and pid %u)", a.pid, b.pid);
    case MechanismReason::other_host:
      return "the endpoints are on different hosts (or nothing proves they share one)";
    case MechanismReason::isolated:
      return "the endpoints are isolated from each other (no common base directory): treated as remote";
    case MechanismReason::forced_by_override:
      return format_text("ruled out by the forced scope '%s'", scope_level_name(d.level));
    case MechanismReason::uid_differs:
      return format_text("uids differ (%u vs %u): lavaflow shares only between processes of the same uid", a.uid, b.uid);
    case MechanismReason::user_ns_differs:
      return format_text("user namespaces differ (%llu vs %llu): uids cannot be compared",
                         static_cast<unsigned long long>(a.namespaces[kUserNs]),
                         static_cast<unsigned long long>(b.namespaces[kUserNs]));
    case MechanismReason::pid_ns_differs:
      return format_text("pid namespaces differ (%llu vs %llu): a pid of one means nothing to the other",
                         static_cast<unsigned long long>(a.namespaces[kPidNs]),
                         static_cast<unsigned long long>(b.namespaces[kPidNs]));
    case MechanismReason::ptrace_forbidden_by_yama:
      return format_text("Yama ptrace_scope %u forbids attaching to the peer without CAP_SYS_PTRACE",
                         std::max(a.ptrace_scope, b.ptrace_scope));
    case MechanismReason::ptrace_needs_same_uid:
      return format_text("uids differ (%u vs %u) and not both have CAP_SYS_PTRACE", a.uid, b.uid);
    case MechanismReason::ptrace_target_not_dumpable:
      return format_text("process %u is not dumpable, and the peer lacks CAP_SYS_PTRACE",
                         a.has(LF_IDENTITY_DUMPABLE) ? b.pid : a.pid);
    case MechanismReason::no_vulkan_device:
      return "no Vulkan device is recorded in either identity";
  }
  return "unknown";
}

}  // namespace

ScopeExplanation explain_scope(const Identity &a, const Identity &b, const ScopeDecision &d,
                               const std::string &override_origin) {
  ScopeExplanation out;
  std::string detected = detected_text(a, b, d);
  if (d.flags & LF_SCOPE_FLAG_OVERRIDDEN) {
    out.level = format_text("%s (forced by %s=%s; detected %s)", scope_level_name(d.level), override_origin.c_str(),
                            scope_level_name(d.override_level), detected.c_str());
  } else if (d.flags & LF_SCOPE_FLAG_OVERRIDE_IGNORED) {
    out.level = format_text("%s (%s=%s ignored: an override can only make the scope more distant)",
                            detected.c_str(), override_origin.c_str(), scope_level_name(d.override_level));
  } else {
    out.level = std::move(detected);
  }
  for (size_t i = 0; i < kMechanismCount; ++i) out.mechanisms[i] = mechanism_text(a, b, d, i);
  return out;
}

}  // namespace lavaflow::topo

// The identity of an endpoint: the facts scope detection compares (see docs/scope.md).
#pragma once

#include "core/bitmap.hpp"

#include <lavaflow/identity.h>
#include <lavaflow/topology.h>

#include <array>
#include <cstdint>
#include <string>

namespace lavaflow::topo {

class Topology;

// Namespace kinds recorded in an identity, in blob order.
enum NamespaceKind { kIpcNs = 0, kMntNs, kPidNs, kNetNs, kUserNs, kNamespaceCount };

struct Identity {
  uint32_t flags = 0;  // LF_IDENTITY_* bits of lf_identity_info_flag
  // Host
  std::array<uint8_t, 16> boot_id{};
  std::array<uint8_t, 16> machine_id{};
  std::string hostname;
  // Process
  std::array<uint64_t, kNamespaceCount> namespaces{};
  uint64_t base_dir_device = 0;
  uint64_t base_dir_inode = 0;
  std::string base_dir;
  uint64_t start_time_ticks = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t pid = 0;
  uint32_t ptrace_scope = 0;
  // Location
  uint64_t topology_digest = 0;
  int32_t topology_source = LF_TOPOLOGY_SOURCE_SYSTEM;
  core::Bitmap cpuset;
  core::Bitmap numa_nodes;        // NUMA nodes the cpuset touches (OS indices; may be empty)
  core::Bitmap packages;          // packages the cpuset touches (logical indices; may be empty)
  core::Bitmap local_numa_nodes;  // NUMA nodes the whole cpuset lies in (Topology::numa_nodes_containing)
  core::Bitmap local_packages;    // packages the whole cpuset lies in

  bool has(uint32_t flag) const noexcept { return (flags & flag) != 0; }
  bool operator==(const Identity &) const = default;
};

// What lf_identity_create() was asked for.
struct IdentityRequest {
  const char *cpuset = nullptr;  // nullptr: the current binding
  bool thread_binding = false;
};

// Takes the identity of the calling process. Throws Error (bad cpuset, unreadable binding).
Identity take_identity(const Topology &topology, const std::string &base_dir, const IdentityRequest &request);

// The maximum lengths the blob format allows.
constexpr size_t kMaxHostnameBytes = 255;
constexpr size_t kMaxBaseDirBytes = 4095;

}  // namespace lavaflow::topo

#include "mem/placement.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"
#include "topo/identity.hpp"
#include "topo/topology.hpp"

#include <hwloc.h>

#include <cerrno>

namespace lavaflow::mem {

using core::Bitmap;
using core::fail;

namespace {

void require_binding_support(const topo::Topology &topology, const char *what) {
  if (!topology.is_this_system())
    fail(LF_ERR_UNSUPPORTED, "%s: the context's topology is %s, not this machine: NUMA binding needs the real one",
         what, topology.source().describe().c_str());
  const hwloc_topology_support *support = hwloc_topology_get_support(topology.raw());
  if (support == nullptr || support->membind == nullptr || !support->membind->set_area_membind)
    fail(LF_ERR_UNSUPPORTED, "%s: hwloc cannot bind memory on this system (no set_area_membind support)", what);
}

}  // namespace

std::string NodePolicy::describe() const {
  switch (placement) {
    case LF_PLACEMENT_NUMA_NODE: return core::format_text("bound to NUMA node %s (requested)", nodes.to_list().c_str());
    case LF_PLACEMENT_LOCAL:
      return core::format_text("bound to NUMA node(s) %s, local to the calling thread", nodes.to_list().c_str());
    case LF_PLACEMENT_INTERLEAVE: return core::format_text("interleaved across NUMA node(s) %s", nodes.to_list().c_str());
    case LF_PLACEMENT_NEAR_PEER:
      return core::format_text("bound to NUMA node(s) %s, near the peer (pid %u)", nodes.to_list().c_str(), peer_pid);
    case LF_PLACEMENT_NEAR_DEVICE: return core::format_text("bound to NUMA node %s, near the device", nodes.to_list().c_str());
    default: return "default placement (first touch)";
  }
}

NodePolicy resolve_placement(const topo::Topology &topology, const PlacementRequest &request) {
  NodePolicy policy;
  policy.placement = request.placement;
  if (request.placement == LF_PLACEMENT_DEFAULT) return policy;
  const Bitmap &existing = topology.numa_node_set();
  switch (request.placement) {
    case LF_PLACEMENT_NUMA_NODE:
      if (!existing.test(request.numa_node))
        fail(LF_ERR_NOT_FOUND, "NUMA node %u does not exist (this machine has NUMA node(s) %s)", request.numa_node,
             existing.to_list().c_str());
      policy.mode = NodePolicy::Mode::bind;
      policy.nodes.set(request.numa_node);
      break;
    case LF_PLACEMENT_LOCAL: {
      policy.mode = NodePolicy::Mode::bind;
      policy.nodes = topology.numa_nodes_of(topology.binding(LF_BINDING_THREAD));
      break;
    }
    case LF_PLACEMENT_INTERLEAVE:
      policy.mode = NodePolicy::Mode::interleave;
      policy.nodes = existing;
      break;
    case LF_PLACEMENT_NEAR_PEER: {
      if (request.peer == nullptr) fail(LF_ERR_INVALID_ARGUMENT, "LF_PLACEMENT_NEAR_PEER needs params->peer");
      if (request.peer->topology_digest != topology.digest())
        fail(LF_ERR_INVALID_ARGUMENT,
             "the peer's identity was taken on another topology (digest %016llx, ours %016llx): its NUMA nodes "
             "mean nothing here",
             static_cast<unsigned long long>(request.peer->topology_digest),
             static_cast<unsigned long long>(topology.digest()));
      policy.mode = NodePolicy::Mode::bind;
      policy.nodes = request.peer->numa_nodes;
      policy.peer_pid = request.peer->pid;
      break;
    }
    case LF_PLACEMENT_NEAR_DEVICE:
      if (request.device_numa_node < 0)
        fail(LF_ERR_UNSUPPORTED, "LF_PLACEMENT_NEAR_DEVICE: the device's NUMA node is unknown");
      policy.mode = NodePolicy::Mode::bind;
      policy.nodes.set(static_cast<uint32_t>(request.device_numa_node));
      break;
    default:
      fail(LF_ERR_INVALID_ARGUMENT, "placement %d is not an lf_placement_t value", request.placement);
  }
  if (!policy.nodes.is_subset_of(existing) || policy.nodes.empty())
    fail(LF_ERR_NOT_FOUND, "NUMA node(s) %s are not all on this machine (it has %s)", policy.nodes.to_list().c_str(),
         existing.to_list().c_str());
  require_binding_support(topology, policy.describe().c_str());
  return policy;
}

void apply_placement(const topo::Topology *topology, void *address, size_t length, const NodePolicy &policy) {
  if (policy.mode == NodePolicy::Mode::none) return;
  if (topology == nullptr) fail(LF_ERR_INTERNAL, "binding memory needs a topology");
  hwloc_bitmap_t nodeset = hwloc_bitmap_alloc();
  if (nodeset == nullptr) throw std::bad_alloc();
  for (uint32_t node = 0; node <= Bitmap::kMaxIndex && node < policy.nodes.words().size() * 64; ++node)
    if (policy.nodes.test(node)) hwloc_bitmap_set(nodeset, node);
  hwloc_membind_policy_t mode =
      policy.mode == NodePolicy::Mode::bind ? HWLOC_MEMBIND_BIND : HWLOC_MEMBIND_INTERLEAVE;
  int rc = hwloc_set_area_membind(topology->raw(), address, length, nodeset, mode,
                                  HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT);
  int saved = errno;
  hwloc_bitmap_free(nodeset);
  if (rc != 0) core::fail_errno(saved, "binding %zu bytes (%s): hwloc_set_area_membind/mbind", length, policy.describe().c_str());
}

}  // namespace lavaflow::mem

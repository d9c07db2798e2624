// NUMA placement: what a buffer's params ask for, resolved against the context's topology
// into a policy (bind to nodes, interleave, or the default), and applied to a mapping.
#pragma once

#include "core/bitmap.hpp"

#include <lavaflow/memory.h>

#include <string>

namespace lavaflow::topo {
class Topology;
struct Identity;
}  // namespace lavaflow::topo

namespace lavaflow::mem {

struct NodePolicy {
  enum class Mode { none, bind, interleave } mode = Mode::none;
  int32_t placement = LF_PLACEMENT_DEFAULT;  // what was asked for (words of the reason)
  core::Bitmap nodes;                       // OS indices
  uint32_t peer_pid = 0;                    // LF_PLACEMENT_NEAR_PEER

  // "bound to NUMA node 0 (requested)": built only when a reason is asked for.
  std::string describe() const;
};

struct PlacementRequest {
  int32_t placement = LF_PLACEMENT_DEFAULT;
  uint32_t numa_node = 0;
  const topo::Identity *peer = nullptr;
  int32_t device_numa_node = -1;  // for LF_PLACEMENT_NEAR_DEVICE, -1 if unknown
};

// Throws Error: LF_ERR_NOT_FOUND for a node the topology lacks, LF_ERR_INVALID_ARGUMENT for a
// bad placement, LF_ERR_UNSUPPORTED when binding is impossible (a synthetic topology, no
// membind support), LF_ERR_INVALID_ARGUMENT for a peer on another topology.
NodePolicy resolve_placement(const topo::Topology &topology, const PlacementRequest &request);

// Applies the policy to [address, address + length) before its pages are touched. The
// topology may be null only for a policy that binds nothing. Throws Error(LF_ERR_SYSTEM /
// LF_ERR_UNSUPPORTED) naming the system call.
void apply_placement(const topo::Topology *topology, void *address, size_t length, const NodePolicy &policy);

}  // namespace lavaflow::mem

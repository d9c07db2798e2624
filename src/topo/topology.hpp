// The hardware topology (hwloc), loaded once per context and read-only afterwards, so
// that concurrent queries are safe.
#pragma once

#include "core/bitmap.hpp"
#include "topo/topology_source.hpp"

#include <lavaflow/topology.h>

#include <hwloc.h>

#include <string>

namespace lavaflow::topo {

class Topology {
 public:
  // Loads the topology. Throws Error(LF_ERR_CORRUPT) when hwloc rejects a synthetic
  // description or an XML file, LF_ERR_SYSTEM when discovery fails.
  explicit Topology(TopologySource source);
  ~Topology();
  Topology(const Topology &) = delete;
  Topology &operator=(const Topology &) = delete;

  const TopologySource &source() const noexcept { return source_; }
  bool is_this_system() const noexcept { return is_this_system_; }
  uint64_t digest() const noexcept { return digest_; }

  void info(lf_topology_info_t &out) const noexcept;
  // Number of objects of a public type; throws LF_ERR_INVALID_ARGUMENT for an unknown type.
  uint32_t count(int32_t type) const;
  // Throws LF_ERR_NOT_FOUND for an index out of range.
  void object(int32_t type, uint32_t logical_index, lf_topology_object_t &out) const;
  core::Bitmap cpuset(int32_t type, uint32_t logical_index) const;

  // All PUs of the topology (OS indices).
  const core::Bitmap &complete_cpuset() const noexcept { return complete_cpuset_; }
  // All NUMA nodes (OS indices).
  const core::Bitmap &numa_node_set() const noexcept { return numa_node_set_; }
  // Where the calling process or thread may run (see lf_topology_get_binding()). `target`
  // is an lf_binding_target_t value, checked here: it may come from a caller as any int.
  core::Bitmap binding(int32_t target) const;
  // NUMA nodes (OS indices) and packages (logical indices) that a cpuset touches.
  core::Bitmap numa_nodes_of(const core::Bitmap &cpuset) const;
  core::Bitmap packages_of(const core::Bitmap &cpuset) const;
  // Those that contain all of a cpuset: where memory is local to every PU of it. Memory-side
  // nodes (high-bandwidth memory, CXL expanders, NVDIMM) share their cpuset with the DRAM node
  // beside them or span a whole package, so a cpuset may lie in several NUMA nodes — or in
  // none (PUs no node covers), or in no package (topologies without Package objects).
  core::Bitmap numa_nodes_containing(const core::Bitmap &cpuset) const;
  core::Bitmap packages_containing(const core::Bitmap &cpuset) const;
  // The NUMA nodes nearest a cpuset: of those containing it, the ones with the fewest PUs
  // (a PU of a cluster with DRAM and HBM nodes has both). Empty when none contains it.
  core::Bitmap nearest_numa_nodes(const core::Bitmap &cpuset) const;

  // For the memory layer (placement, binding).
  hwloc_topology_t raw() const noexcept { return topology_; }

 private:
  hwloc_obj_t object_at(int32_t type, uint32_t logical_index) const;
  // The one nearest NUMA node reported for an object: plain memory before a memory-side node
  // (one with a subtype: "MCDRAM", "HBM", "NVM"...), then the lowest OS index.
  uint32_t preferred_numa_node(const core::Bitmap &cpuset) const;
  uint64_t compute_digest() const;

  TopologySource source_;
  hwloc_topology_t topology_ = nullptr;
  bool is_this_system_ = false;
  uint64_t digest_ = 0;
  core::Bitmap complete_cpuset_;
  core::Bitmap numa_node_set_;
};

// "machine", "package", "numa_node", "core", "pu", "pci_device" or "unknown".
const char *object_type_name(int32_t type) noexcept;

// Conversions between hwloc bitmaps and ours.
core::Bitmap from_hwloc(hwloc_const_bitmap_t bitmap);

}  // namespace lavaflow::topo

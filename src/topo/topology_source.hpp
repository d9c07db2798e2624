// Where a context's topology comes from: "system", "synthetic:DESCRIPTION" or "xml:PATH".
#pragma once

#include <lavaflow/topology.h>

#include <string>
#include <string_view>

namespace lavaflow::topo {

struct TopologySource {
  lf_topology_source_kind_t kind = LF_TOPOLOGY_SOURCE_SYSTEM;
  std::string argument;  // the synthetic description or the canonical XML path
  std::string origin;    // "default", "params" or "LAVAFLOW_TOPOLOGY", for the description

  // Parses a specification. Throws Error: LF_ERR_INVALID_ARGUMENT for bad syntax or a
  // relative path, LF_ERR_NOT_FOUND for a missing XML file.
  static TopologySource parse(std::string_view spec, std::string origin);

  // e.g. synthetic "pack:2 numa:2 core:2 pu:1" (from LAVAFLOW_TOPOLOGY)
  std::string describe() const;
};

}  // namespace lavaflow::topo

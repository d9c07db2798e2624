// The front door of the memory layer: allocate the kind asked for, apply the fallback
// policy, and describe the outcome.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/memory.hpp"

#include <string>

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

class DeviceRegistry;

struct AllocatorEnvironment {
  const topo::Topology &topology;
  const std::string &base_dir;
  DeviceRegistry *devices;  // nullptr when the build has no Vulkan
};

MemoryPtr allocate(const AllocatorEnvironment &env, const AllocationRequest &request);

}  // namespace lavaflow::mem

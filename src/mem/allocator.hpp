// The front door of the memory layer: allocate the kind asked for, apply the fallback
// policy, and describe the outcome.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/device_memory.hpp"
#include "mem/memory.hpp"

#include <string>

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

struct AllocatorEnvironment {
  const topo::Topology &topology;
  const std::string &base_dir;
  DeviceRegistryProvider devices;  // loads Vulkan only when device memory is asked for
};

MemoryPtr allocate(const AllocatorEnvironment &env, const AllocationRequest &request);

}  // namespace lavaflow::mem

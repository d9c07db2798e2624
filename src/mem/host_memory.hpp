// Private host memory: malloc for plain requests, mmap when placement or huge pages matter.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/memory.hpp"

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

MemoryPtr allocate_host(const topo::Topology &topology, const AllocationRequest &request, const NodePolicy &policy);

// Touches every page so that placement happens now (MADV_POPULATE_WRITE, else a write per page).
void prefault(void *address, uint64_t length, uint64_t page) noexcept;

// The node a policy binds to when it is exactly one, else LF_TOPOLOGY_INDEX_NONE; the flags.
uint32_t single_node(const NodePolicy &policy) noexcept;
uint32_t placement_flags(const NodePolicy &policy) noexcept;

}  // namespace lavaflow::mem

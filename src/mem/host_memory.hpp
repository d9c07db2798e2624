// Private host memory: malloc for plain requests, mmap when placement or huge pages matter.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/memory.hpp"

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

// `topology` may be null when `policy` binds nothing.
MemoryPtr allocate_host(const topo::Topology *topology, const AllocationRequest &request, const NodePolicy &policy);

// Touches every page so that placement happens now (MADV_POPULATE_WRITE, else a write per page).
void prefault(void *address, uint64_t length, uint64_t page) noexcept;
// The same for a mapping another process may be writing now: MADV_POPULATE_WRITE, else a
// read per page (writing a byte back could undo the other process's store).
void prefault_in_use(const void *address, uint64_t length, uint64_t page) noexcept;

// The last steps of every fresh host or shared mapping: bind it (before any page is
// touched), record placement and huge-page outcome, and prefault if asked.
void finish_mapping(Memory &memory, const topo::Topology *topology, const NodePolicy &policy, uint64_t request_flags,
                    std::string huge_note);

}  // namespace lavaflow::mem

// Small pieces of lavaflow's own private memory on transparent huge pages.
//
// A bridge's ring smaller than a huge page (a 256 KiB ring for 64 KiB messages) on normal
// pages costs MPI a page-table walk and a page pin per 4 KiB on every transfer (Open MPI's
// shared-memory transport copies large messages with process_vm_readv); on a huge page it
// streamed 1.3x faster. A huge page of its own would cost 2 MiB per ring, so the arena
// carves page-granular blocks out of huge-page chunks that every such piece of the process
// shares. Setup-time only: a mutex guards it.
#pragma once

#include "mem/memory.hpp"

#include <cstdint>

namespace lavaflow::mem {

// A zeroed, faulted-in, page-aligned block of `size` bytes (whole pages) from the process's
// arena; nullptr where transparent huge pages are off, where `size` is 0 or not under one
// huge page (that gets huge pages of its own), or where no chunk could be mapped (the caller
// takes ordinary memory then).
MemoryPtr allocate_from_huge_page_arena(uint64_t size);

// The arena's chunk size (one transparent huge page), 0 where the arena is not used.
uint64_t huge_page_arena_chunk_size();

// Chunks mapped now (an empty chunk is kept for the next block, a second one unmapped).
uint64_t huge_page_arena_chunks();

}  // namespace lavaflow::mem

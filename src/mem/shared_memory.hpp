// Shared host memory: sealed memfds (optionally also published as a named file in the
// per-user directory), and the validated import of such memory from another process.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/memory.hpp"

#include <string>

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

// `topology` may be null when `policy` binds nothing; `base_dir` is used only for names.
MemoryPtr allocate_shared(const topo::Topology *topology, const std::string &base_dir, const AllocationRequest &request,
                          const NodePolicy &policy);

// `fd` is borrowed (duplicated). expected_size 0 = any. Throws Error(LF_ERR_INVALID_ARGUMENT)
// for anything unsafe to map, naming the problem.
MemoryPtr import_shared_fd(int fd, uint64_t expected_size, bool read_only);

// `folder`: the folder of the user directory the name lives in (see AllocationRequest).
MemoryPtr open_named_shared(const std::string &base_dir, const std::string &name, uint64_t expected_size,
                            bool read_only, const char *folder = "buffers");

}  // namespace lavaflow::mem

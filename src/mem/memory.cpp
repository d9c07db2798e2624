#include "mem/memory.hpp"

#include "core/error.hpp"

namespace lavaflow::mem {

int Memory::export_fd() const {
  core::fail(LF_ERR_INVALID_STATE, "%s memory cannot leave this process: allocate LF_MEMORY_SHARED to export it",
             kind == LF_MEMORY_HOST ? "host" : "this");
}

ExportDescriptor Memory::describe_export() const {
  core::fail(LF_ERR_INVALID_STATE, "host memory cannot be sent to another process");
}

}  // namespace lavaflow::mem

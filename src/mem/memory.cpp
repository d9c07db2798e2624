#include "mem/memory.hpp"

#include "core/error.hpp"
#include "mem/mapping.hpp"

namespace lavaflow::mem {

const std::string &Memory::reason() const {
  std::call_once(reason_once_, [this] {
    reason_ = fallback_note + describe();
    bool placed_here = kind != LF_MEMORY_DEVICE && !(flags & LF_BUFFER_IMPORTED);  // placement is ours to tell
    if (placed_here) reason_ += "; " + policy.describe();
    if (!huge_note.empty()) reason_ += "; " + huge_note;
  });
  return reason_;
}

int Memory::export_fd() const {
  core::fail(LF_ERR_INVALID_STATE, "%s memory cannot leave this process: allocate LF_MEMORY_SHARED to export it",
             kind == LF_MEMORY_HOST ? "host" : "this");
}

ExportDescriptor Memory::describe_export() const {
  core::fail(LF_ERR_INVALID_STATE, "host memory cannot be sent to another process");
}

}  // namespace lavaflow::mem

// Device memory in a build without Vulkan device support.
#include "core/error.hpp"
#include "mem/device_memory.hpp"

namespace lavaflow::mem {

namespace {
[[noreturn]] void unsupported(const char *what) {
  core::fail(LF_ERR_UNSUPPORTED, "%s: this build of lavaflow has no Vulkan device memory", what);
}
}  // namespace

MemoryPtr allocate_device(DeviceRegistry *, const AllocationRequest &) { unsupported("allocating device memory"); }

int32_t device_numa_node(DeviceRegistry *, const AllocationRequest &) { unsupported("LF_PLACEMENT_NEAR_DEVICE"); }

MemoryPtr import_device_fd(DeviceRegistry *, int, const ExportDescriptor &, bool) { unsupported("importing device memory"); }

}  // namespace lavaflow::mem

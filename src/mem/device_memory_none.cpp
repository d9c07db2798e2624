// Device memory in a build without Vulkan headers.
#include "core/error.hpp"
#include "mem/device_mapped.hpp"
#include "mem/device_memory.hpp"

namespace lavaflow::mem {

namespace {
[[noreturn]] void unsupported(const char *what) {
  core::fail(LF_ERR_UNSUPPORTED, "%s: this build of lavaflow has no Vulkan support (configure found no Vulkan headers)", what);
}
}  // namespace

std::shared_ptr<DeviceRegistry> create_device_registry(const topo::Topology &) { unsupported("Vulkan devices"); }
uint32_t device_count(DeviceRegistry &) { unsupported("Vulkan devices"); }
lf_device_info_t device_info(DeviceRegistry &, uint32_t) { unsupported("Vulkan devices"); }
MemoryPtr allocate_device(const DeviceRegistryProvider &, const AllocationRequest &) { unsupported("allocating device memory"); }
int32_t device_numa_node(const DeviceRegistryProvider &, const AllocationRequest &) { unsupported("LF_PLACEMENT_NEAR_DEVICE"); }
MemoryPtr import_device_fd(const DeviceRegistryProvider &, int, const ExportDescriptor &) { unsupported("importing device memory"); }
std::unique_ptr<DeviceMapping> map_host_memory(const DeviceRegistryProvider &, void *, uint64_t, const AllocationRequest &) {
  unsupported("mapping host memory into a device");
}
lf_vulkan_memory_info_t vulkan_info(const Memory &) {
  core::fail(LF_ERR_INVALID_STATE, "not a device buffer, nor mapped into a device (this build has no Vulkan support)");
}

}  // namespace lavaflow::mem

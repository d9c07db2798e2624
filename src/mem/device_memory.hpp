// Vulkan device memory, exportable as an fd. With Vulkan headers at build time the real
// implementation is compiled (vulkan/); otherwise every entry point fails with
// LF_ERR_UNSUPPORTED saying so.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/memory.hpp"

#include <lavaflow/device.h>

#include <functional>
#include <memory>

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

class DeviceRegistry;
class DeviceMapping;
// Gives the context's registry, creating it on first use (throws LF_ERR_UNSUPPORTED).
using DeviceRegistryProvider = std::function<DeviceRegistry &()>;

// Loads Vulkan and enumerates devices. Throws Error(LF_ERR_UNSUPPORTED) with the reason.
std::shared_ptr<DeviceRegistry> create_device_registry(const topo::Topology &topology);
uint32_t device_count(DeviceRegistry &registry);
lf_device_info_t device_info(DeviceRegistry &registry, uint32_t index);

MemoryPtr allocate_device(const DeviceRegistryProvider &devices, const AllocationRequest &request);

// The NUMA node (OS index) of the selected device, or -1 when unknown.
int32_t device_numa_node(const DeviceRegistryProvider &devices, const AllocationRequest &request);

// Imports device memory another process exported (fd borrowed: duplicated).
MemoryPtr import_device_fd(const DeviceRegistryProvider &devices, int fd, const ExportDescriptor &descriptor);

// Maps `bytes` of host memory at `host` (both aligned to the device's import granularity, a
// page on the drivers known) into the device `request` selects, with VK_EXT_external_memory_host.
// Throws LF_ERR_UNSUPPORTED (no Vulkan, no such extension: the message says which).
std::unique_ptr<DeviceMapping> map_host_memory(const DeviceRegistryProvider &devices, void *host, uint64_t bytes,
                                               const AllocationRequest &request);

// The Vulkan handles of device memory, or of host memory a device maps; throws
// LF_ERR_INVALID_STATE for other memory.
lf_vulkan_memory_info_t vulkan_info(const Memory &memory);

}  // namespace lavaflow::mem

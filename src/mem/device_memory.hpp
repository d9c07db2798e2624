// Vulkan device memory, exportable as an fd. Built only with Vulkan; otherwise every entry
// point fails with LF_ERR_UNSUPPORTED saying so.
#pragma once

#include "mem/allocation_request.hpp"
#include "mem/memory.hpp"

namespace lavaflow::mem {

class DeviceRegistry;

MemoryPtr allocate_device(DeviceRegistry *devices, const AllocationRequest &request);

// The NUMA node (OS index) of the selected device, or -1 when unknown.
int32_t device_numa_node(DeviceRegistry *devices, const AllocationRequest &request);

// Imports device memory another process exported (fd borrowed: duplicated).
MemoryPtr import_device_fd(DeviceRegistry *devices, int fd, const ExportDescriptor &descriptor, bool read_only);

}  // namespace lavaflow::mem

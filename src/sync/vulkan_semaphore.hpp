// Vulkan timeline semaphores, exportable as opaque fds. With Vulkan headers at build time the
// real implementation is compiled (vulkan_semaphore.cpp); otherwise every entry point fails
// with LF_ERR_UNSUPPORTED saying so (vulkan_semaphore_none.cpp).
#pragma once

#include "mem/device_memory.hpp"
#include "sync/semaphore.hpp"

#include <array>
#include <optional>

namespace lavaflow::sync {

struct VulkanSemaphoreRequest {
  int32_t device_index = 0;
  std::optional<std::array<uint8_t, 16>> device_uuid;
  uint64_t initial_value = 0;
};

// Throws Error: LF_ERR_UNSUPPORTED (no Vulkan, or the device cannot export timeline
// semaphores: the message says which), LF_ERR_NOT_FOUND (no such device), LF_ERR_SYSTEM.
SemaphorePtr create_vulkan_semaphore(const mem::DeviceRegistryProvider &devices, const VulkanSemaphoreRequest &request,
                                     const HandleOptions &options);

// Imports an opaque fd (borrowed: duplicated) into the device `descriptor` names.
SemaphorePtr import_vulkan_semaphore(const mem::DeviceRegistryProvider &devices, int fd,
                                     const SemaphoreDescriptor &descriptor, const HandleOptions &options);

}  // namespace lavaflow::sync

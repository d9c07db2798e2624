// Host or shared memory that a Vulkan device also maps (VK_EXT_external_memory_host): the GPU
// reads and writes the same pages, with no staging copy (LF_BUFFER_FLAG_DEVICE_MAPPED).
#pragma once

#include "mem/memory.hpp"

#include <lavaflow/device.h>

#include <memory>
#include <string>

namespace lavaflow::mem {

// The device's import of a range of host memory; released before the memory is.
class DeviceMapping {
 public:
  virtual ~DeviceMapping() = default;
  virtual lf_vulkan_memory_info_t vulkan() const = 0;
  int32_t device_index = -1;
  std::string description;  // "mapped into Vulkan device 0 (llvmpipe), memory type 0, 4 MiB"
};

// `inner` (host or shared memory) with `mapping` of its pages: its fields, exports and reason,
// plus LF_BUFFER_DEVICE_MAPPED, the device index and the mapping's Vulkan handles.
MemoryPtr with_device_mapping(MemoryPtr inner, std::unique_ptr<DeviceMapping> mapping);

// The mapping of memory made by with_device_mapping(), or nullptr.
const DeviceMapping *device_mapping_of(const Memory &memory) noexcept;

}  // namespace lavaflow::mem

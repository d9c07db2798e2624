// The Vulkan devices one context sees: enumerated once, each with its facts (UUIDs, PCI
// address, NUMA node, memory types, export support) and a logical device created on first use.
#pragma once

#include "mem/vulkan/vulkan_api.hpp"

#include <lavaflow/device.h>

#include <array>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lavaflow::topo {
class Topology;
}

namespace lavaflow::mem {

// A VkDevice with the functions lavaflow needs, shared by all buffers allocated on it.
struct LogicalDevice {
  ~LogicalDevice();
  std::shared_ptr<vk::Instance> instance;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  vk::DeviceFunctions fn;
  VkPhysicalDeviceMemoryProperties memory{};
  lf_device_info_t info{};
  VkExternalMemoryHandleTypeFlags export_types = 0;  // what allocations are made exportable as
  bool semaphores = false;  // exportable timeline semaphores enabled (fn.*semaphore* loaded)
  bool host_import = false;  // VK_EXT_external_memory_host enabled
  uint64_t host_pointer_alignment = 0;  // minImportedHostPointerAlignment
};

// Fills the handles every lf_vulkan_*_info_t hands out (instance, physical device, device, and
// the device and driver UUIDs) from `device`.
template <typename Info>
void fill_vulkan_handles(const LogicalDevice &device, Info &info) noexcept {
  info.instance = device.instance->handle();
  info.physical_device = device.physical;
  info.device = device.device;
  std::memcpy(info.device_uuid, device.info.device_uuid, 16);
  std::memcpy(info.driver_uuid, device.info.driver_uuid, 16);
}

struct PhysicalDeviceEntry {
  VkPhysicalDevice handle = VK_NULL_HANDLE;
  lf_device_info_t info{};
  VkPhysicalDeviceMemoryProperties memory{};
  uint32_t queue_family = 0;
  bool has_external_memory_fd = false;
  bool has_dma_buf = false;
  VkExternalMemoryHandleTypeFlags export_types = 0;
  // Why timeline semaphores cannot be exported as opaque fds here; empty when they can.
  std::string semaphore_problem;
  bool has_external_memory_host = false;
  uint64_t host_pointer_alignment = 0;
  std::shared_ptr<LogicalDevice> logical;  // created on first use, under the registry's mutex
};

class DeviceRegistry {
 public:
  // Loads Vulkan and enumerates devices. Throws Error(LF_ERR_UNSUPPORTED) with the reason.
  explicit DeviceRegistry(const topo::Topology &topology);

  uint32_t count() const noexcept { return static_cast<uint32_t>(devices_.size()); }
  const lf_device_info_t &info(uint32_t index) const;  // throws LF_ERR_NOT_FOUND

  // The device params name: by UUID when given, else by index. Throws LF_ERR_NOT_FOUND.
  uint32_t select(int32_t index, const std::optional<std::array<uint8_t, 16>> &uuid) const;

  // Index of the device with this UUID (and driver UUID, when given); throws LF_ERR_NOT_FOUND.
  uint32_t find(const std::array<uint8_t, 16> &device_uuid, const std::array<uint8_t, 16> *driver_uuid) const;

  // The logical device for index, created on first use. Throws LF_ERR_UNSUPPORTED when the
  // device cannot export memory.
  std::shared_ptr<LogicalDevice> open(uint32_t index);

  // Like open(), for timeline semaphores: throws LF_ERR_UNSUPPORTED saying why the device
  // cannot export them.
  std::shared_ptr<LogicalDevice> open_for_semaphores(uint32_t index);

 private:
  std::shared_ptr<vk::Instance> instance_;
  std::vector<PhysicalDeviceEntry> devices_;
  std::mutex mutex_;
};

}  // namespace lavaflow::mem

// Host memory mapped into a Vulkan device with VK_EXT_external_memory_host: the device reads
// and writes the application's pages directly (LF_BUFFER_FLAG_DEVICE_MAPPED).
#include "core/error.hpp"
#include "core/strings.hpp"
#include "mem/device_mapped.hpp"
#include "mem/device_memory.hpp"
#include "mem/mapping.hpp"
#include "mem/vulkan/device_registry.hpp"

#include <cstring>

namespace lavaflow::mem {

using core::fail;

namespace {

constexpr VkExternalMemoryHandleTypeFlagBits kHostAllocation = VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT;

class HostImport final : public DeviceMapping {
 public:
  HostImport(std::shared_ptr<LogicalDevice> device, void *host, uint64_t bytes, uint32_t type_index)
      : device_(std::move(device)), bytes_(bytes), type_index_(type_index) {
    VkImportMemoryHostPointerInfoEXT import{};
    import.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_HOST_POINTER_INFO_EXT;
    import.handleType = kHostAllocation;
    import.pHostPointer = host;
    VkMemoryAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    info.pNext = &import;
    info.allocationSize = bytes;
    info.memoryTypeIndex = type_index;
    const VkResult result = device_->fn.allocate_memory(device_->device, &info, nullptr, &memory_);
    if (result != VK_SUCCESS)
      fail(result == VK_ERROR_OUT_OF_HOST_MEMORY || result == VK_ERROR_OUT_OF_DEVICE_MEMORY ? LF_ERR_NO_MEMORY : LF_ERR_SYSTEM,
           "vkAllocateMemory importing %s of host memory on %s: %s", format_size(bytes).c_str(), device_->info.name,
           vk::result_name(result));
    device_index = static_cast<int32_t>(device_->info.index);
    description = core::format_text("mapped into Vulkan device %u (%s), memory type %u, %s (VK_EXT_external_memory_host)",
                                    device_->info.index, device_->info.name, type_index, format_size(bytes).c_str());
  }
  ~HostImport() override { device_->fn.free_memory(device_->device, memory_, nullptr); }

  lf_vulkan_memory_info_t vulkan() const override {
    lf_vulkan_memory_info_t v{};
    v.memory_type_index = type_index_;
    v.memory_property_flags = device_->memory.memoryTypes[type_index_].propertyFlags;
    v.handle_types = kHostAllocation;
    v.allocation_size = bytes_;
    v.memory = reinterpret_cast<uint64_t>(memory_);
    fill_vulkan_handles(*device_, v);
    return v;
  }

 private:
  std::shared_ptr<LogicalDevice> device_;
  uint64_t bytes_;
  uint32_t type_index_;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
};

}  // namespace

std::unique_ptr<DeviceMapping> map_host_memory(const DeviceRegistryProvider &devices, void *host, uint64_t bytes,
                                               const AllocationRequest &request) {
  DeviceRegistry &registry = devices();
  std::shared_ptr<LogicalDevice> device = registry.open(registry.select(request.device_index, request.device_uuid));
  if (!device->host_import)
    fail(LF_ERR_UNSUPPORTED, "Vulkan device %u (%s) cannot map host memory (no VK_EXT_external_memory_host)",
         device->info.index, device->info.name);
  const uint64_t granule = device->host_pointer_alignment;
  if (granule == 0 || reinterpret_cast<uintptr_t>(host) % granule != 0 || bytes % granule != 0)
    fail(LF_ERR_UNSUPPORTED, "Vulkan device %u (%s) maps host memory in units of %llu bytes, more than a page",
         device->info.index, device->info.name, static_cast<unsigned long long>(granule));
  VkMemoryHostPointerPropertiesEXT properties{};
  properties.sType = VK_STRUCTURE_TYPE_MEMORY_HOST_POINTER_PROPERTIES_EXT;
  const VkResult result =
      device->fn.get_memory_host_pointer_properties(device->device, kHostAllocation, host, &properties);
  if (result != VK_SUCCESS || properties.memoryTypeBits == 0)
    fail(LF_ERR_UNSUPPORTED, "Vulkan device %u (%s) offers no memory type for this host memory (%s)", device->info.index,
         device->info.name, vk::result_name(result));
  uint32_t type_index = 0;
  while (!(properties.memoryTypeBits & (1u << type_index))) ++type_index;
  return std::make_unique<HostImport>(std::move(device), host, bytes, type_index);
}

}  // namespace lavaflow::mem

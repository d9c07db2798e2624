// Device memory on Vulkan: exportable allocations, fds for other processes and APIs, and
// validated imports.
#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/unique_fd.hpp"
#include "mem/device_mapped.hpp"
#include "mem/device_memory.hpp"
#include "mem/mapping.hpp"
#include "mem/vulkan/device_registry.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

namespace lavaflow::mem {

using core::fail;

namespace {

class VulkanMemory final : public Memory {
 public:
  VulkanMemory() { kind = requested_kind = LF_MEMORY_DEVICE; }
  ~VulkanMemory() override {
    if (memory_ != VK_NULL_HANDLE) {
      if (host != nullptr) device_->fn.unmap_memory(device_->device, memory_);
      device_->fn.free_memory(device_->device, memory_, nullptr);
    }
  }

  int export_fd() const override {
    VkMemoryGetFdInfoKHR info{};
    info.sType = VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR;
    info.memory = memory_;
    info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    int fd = -1;
    VkResult result = device_->fn.get_memory_fd(device_->device, &info, &fd);
    if (result != VK_SUCCESS) fail(LF_ERR_SYSTEM, "vkGetMemoryFdKHR failed: %s", vk::result_name(result));
    fcntl(fd, F_SETFD, FD_CLOEXEC);  // drivers do not promise it
    return fd;
  }

  ExportDescriptor describe_export() const override {
    ExportDescriptor d;
    d.kind = LF_MEMORY_DEVICE;
    d.size = allocation_size_;
    d.usable = size;
    d.memory_type_index = type_index_;
    d.memory_property_flags = device_->memory.memoryTypes[type_index_].propertyFlags;
    std::memcpy(d.device_uuid.data(), device_->info.device_uuid, 16);
    std::memcpy(d.driver_uuid.data(), device_->info.driver_uuid, 16);
    return d;
  }

  std::string describe() const override {
    const VkMemoryPropertyFlags props = device_->memory.memoryTypes[type_index_].propertyFlags;
    if (imported_)
      return core::format_text("imported device memory, %s on Vulkan device %d (%s), memory type %u",
                               format_size(allocation_size_).c_str(), device_index, device_->info.name, type_index_);
    return core::format_text(
        "device memory, %s on Vulkan device %d (%s), memory type %u (%s%s%s), exportable as %s", format_size(size).c_str(),
        device_index, device_->info.name, type_index_,
        (props & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) ? "device-local" : "not device-local",
        (props & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) ? ", host-visible" : "",
        (props & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) ? ", coherent" : "",
        (device_->export_types & VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT) ? "an opaque fd or a DMA-BUF" : "an opaque fd");
  }

  lf_vulkan_memory_info_t vulkan() const {
    lf_vulkan_memory_info_t v{};
    v.memory_type_index = type_index_;
    v.memory_property_flags = device_->memory.memoryTypes[type_index_].propertyFlags;
    v.handle_types = imported_ ? 0u : device_->export_types;
    v.allocation_size = allocation_size_;
    v.memory = reinterpret_cast<uint64_t>(memory_);
    fill_vulkan_handles(*device_, v);
    return v;
  }

  // Allocates (import_fd < 0) or imports; on success the memory owns the imported fd.
  void allocate(std::shared_ptr<LogicalDevice> device, uint64_t bytes, uint32_t type_index, int import_fd) {
    device_ = std::move(device);
    type_index_ = type_index;
    allocation_size_ = bytes;
    imported_ = import_fd >= 0;
    VkExportMemoryAllocateInfo export_info{};
    export_info.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO;
    export_info.handleTypes = device_->export_types;
    VkImportMemoryFdInfoKHR import_info{};
    import_info.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR;
    import_info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    import_info.fd = import_fd;
    VkMemoryAllocateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO;
    info.pNext = imported_ ? static_cast<const void *>(&import_info) : static_cast<const void *>(&export_info);
    info.allocationSize = bytes;
    info.memoryTypeIndex = type_index;
    VkResult result = device_->fn.allocate_memory(device_->device, &info, nullptr, &memory_);
    if (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
      fail(LF_ERR_NO_MEMORY, "vkAllocateMemory of %s on %s: %s", format_size(bytes).c_str(), device_->info.name, vk::result_name(result));
    if (result == VK_ERROR_INVALID_EXTERNAL_HANDLE)
      fail(LF_ERR_INVALID_ARGUMENT, "the driver refused the imported fd as device memory (%s)", vk::result_name(result));
    if (result != VK_SUCCESS) fail(LF_ERR_SYSTEM, "vkAllocateMemory on %s failed: %s", device_->info.name, vk::result_name(result));
    if (device_->memory.memoryTypes[type_index].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
      void *p = nullptr;
      result = device_->fn.map_memory(device_->device, memory_, 0, VK_WHOLE_SIZE, 0, &p);
      if (result != VK_SUCCESS) fail(LF_ERR_SYSTEM, "vkMapMemory failed: %s", vk::result_name(result));
      host = p;
    }
  }

 private:
  std::shared_ptr<LogicalDevice> device_;
  VkDeviceMemory memory_ = VK_NULL_HANDLE;
  uint32_t type_index_ = 0;
  uint64_t allocation_size_ = 0;
  bool imported_ = false;
};

uint32_t select_device(DeviceRegistry &registry, const AllocationRequest &request) {
  return registry.select(request.device_index, request.device_uuid);
}

// The first memory type with the wanted properties whose heap can hold `size`.
uint32_t select_memory_type(const LogicalDevice &device, VkMemoryPropertyFlags wanted, uint64_t size) {
  const auto &m = device.memory;
  uint64_t largest = 0;
  for (uint32_t i = 0; i < m.memoryTypeCount; ++i) {
    if ((m.memoryTypes[i].propertyFlags & wanted) != wanted) continue;
    uint64_t heap = m.memoryHeaps[m.memoryTypes[i].heapIndex].size;
    largest = std::max(largest, heap);
    if (heap >= size) return i;
  }
  if (largest == 0)
    fail(LF_ERR_UNSUPPORTED, "%s has no %s memory type", device.info.name,
         (wanted & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) ? "host-visible" : "device-local");
  fail(LF_ERR_NO_MEMORY, "%s of device memory exceeds its largest suitable heap on %s (%s)", format_size(size).c_str(),
       device.info.name, format_size(largest).c_str());
}

}  // namespace

std::shared_ptr<DeviceRegistry> create_device_registry(const topo::Topology &topology) {
  return std::make_shared<DeviceRegistry>(topology);
}

uint32_t device_count(DeviceRegistry &registry) { return registry.count(); }

lf_device_info_t device_info(DeviceRegistry &registry, uint32_t index) { return registry.info(index); }

int32_t device_numa_node(const DeviceRegistryProvider &devices, const AllocationRequest &request) {
  DeviceRegistry &registry = devices();
  const lf_device_info_t &info = registry.info(select_device(registry, request));
  if (info.numa_node == LF_TOPOLOGY_INDEX_NONE)
    fail(LF_ERR_UNSUPPORTED, "the NUMA node of Vulkan device %u (%s) is unknown%s", info.index, info.name,
         (info.flags & LF_DEVICE_PCI_KNOWN) ? ": its PCI address is not in the topology" : ": the driver reports no PCI address");
  return static_cast<int32_t>(info.numa_node);
}

MemoryPtr allocate_device(const DeviceRegistryProvider &devices, const AllocationRequest &request) {
  if (request.placement.placement != LF_PLACEMENT_DEFAULT)
    fail(LF_ERR_INVALID_ARGUMENT, "device memory lives on its device: NUMA placement applies to host memory only");
  if (request.huge_pages == LF_HUGE_PAGES_REQUIRE)
    fail(LF_ERR_INVALID_ARGUMENT, "huge pages apply to host memory only");
  check_alignment(request.alignment);
  DeviceRegistry &registry = devices();
  uint32_t index = select_device(registry, request);
  std::shared_ptr<LogicalDevice> device = registry.open(index);
  const bool host_visible = (request.flags & LF_BUFFER_FLAG_HOST_VISIBLE) != 0;
  VkMemoryPropertyFlags wanted = host_visible ? (VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
                                              : VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  uint32_t type = select_memory_type(*device, wanted, request.size);
  auto memory = std::make_unique<VulkanMemory>();
  memory->allocate(device, round_up(request.size, page_size()), type, -1);
  if (request.flags & LF_BUFFER_FLAG_ZERO) {
    if (memory->host == nullptr)
      fail(LF_ERR_UNSUPPORTED, "zero-filling device-local memory that is not host-visible is not supported yet: ask for "
                               "LF_BUFFER_FLAG_HOST_VISIBLE or clear it with your own transfer");
    std::memset(memory->host, 0, request.size);
    memory->flags |= LF_BUFFER_ZEROED;
  }
  memory->mapped_size = round_up(request.size, page_size());
  memory->page_size = page_size();
  memory->alignment = page_size();
  memory->device_index = static_cast<int32_t>(index);
  memory->numa_node = device->info.numa_node;
  memory->flags |= LF_BUFFER_EXPORTABLE;
  return memory;
}

MemoryPtr import_device_fd(const DeviceRegistryProvider &devices, int fd, const ExportDescriptor &d) {
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not an open file descriptor", fd);
  DeviceRegistry &registry = devices();
  uint32_t index = registry.find(d.device_uuid, &d.driver_uuid);
  std::shared_ptr<LogicalDevice> device = registry.open(index);
  if (d.memory_type_index >= device->memory.memoryTypeCount)
    fail(LF_ERR_CORRUPT, "memory type %u does not exist on %s (it has %u)", d.memory_type_index, device->info.name,
         device->memory.memoryTypeCount);
  uint32_t here = device->memory.memoryTypes[d.memory_type_index].propertyFlags;
  if (here != d.memory_property_flags)
    fail(LF_ERR_CORRUPT, "memory type %u has properties 0x%x here but 0x%x for the exporter: not the same device setup",
         d.memory_type_index, here, d.memory_property_flags);
  struct stat st {};
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) < d.size)
    fail(LF_ERR_INVALID_ARGUMENT, "fd %d holds %lld bytes, the descriptor claims %llu", fd, static_cast<long long>(st.st_size),
         static_cast<unsigned long long>(d.size));
  core::UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) core::fail_errno(errno, "duplicating fd %d", fd);
  auto memory = std::make_unique<VulkanMemory>();
  memory->allocate(device, d.size, d.memory_type_index, copy.get());
  copy.release();  // Vulkan owns it now
  memory->size = d.size;
  memory->mapped_size = d.size;
  memory->page_size = page_size();
  memory->alignment = page_size();
  memory->device_index = static_cast<int32_t>(index);
  memory->numa_node = device->info.numa_node;
  memory->flags |= LF_BUFFER_IMPORTED;
  return memory;
}

lf_vulkan_memory_info_t vulkan_info(const Memory &memory) {
  if (const DeviceMapping *mapping = device_mapping_of(memory)) return mapping->vulkan();
  auto *device = dynamic_cast<const VulkanMemory *>(&memory);
  if (device == nullptr)
    fail(LF_ERR_INVALID_STATE, "not a device buffer, nor mapped into a device (kind %s; see LF_BUFFER_FLAG_DEVICE_MAPPED)",
         memory.kind == LF_MEMORY_SHARED ? "shared" : "host");
  return device->vulkan();
}

}  // namespace lavaflow::mem

#include "mem/vulkan/device_registry.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"
#include "topo/topology.hpp"

#include <cstring>
#include <string>

namespace lavaflow::mem {

using core::fail;

namespace {

constexpr VkExternalMemoryHandleTypeFlagBits kOpaqueFd = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
constexpr VkExternalMemoryHandleTypeFlagBits kDmaBuf = VK_EXTERNAL_MEMORY_HANDLE_TYPE_DMA_BUF_BIT_EXT;

bool has_extension(const vk::InstanceFunctions &fn, VkPhysicalDevice device, const char *name) {
  uint32_t count = 0;
  fn.enumerate_device_extension_properties(device, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  fn.enumerate_device_extension_properties(device, nullptr, &count, extensions.data());
  for (const auto &e : extensions)
    if (std::strcmp(e.extensionName, name) == 0) return true;
  return false;
}

// Why exportable timeline semaphores are not available on the device ("" when they are).
std::string semaphore_problem(const vk::InstanceFunctions &fn, VkPhysicalDevice device) {
  if (!has_extension(fn, device, VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME))
    return "no timeline semaphores (VK_KHR_timeline_semaphore)";
  if (!has_extension(fn, device, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME))
    return "it cannot export semaphores (no VK_KHR_external_semaphore_fd)";
  VkPhysicalDeviceTimelineSemaphoreFeatures timeline{};
  timeline.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES;
  VkPhysicalDeviceFeatures2 features{};
  features.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2;
  features.pNext = &timeline;
  fn.get_physical_device_features2(device, &features);
  if (!timeline.timelineSemaphore) return "the timelineSemaphore feature is off";
  VkSemaphoreTypeCreateInfo type{};
  type.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO;
  type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
  VkPhysicalDeviceExternalSemaphoreInfo query{};
  query.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_SEMAPHORE_INFO;
  query.pNext = &type;
  query.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
  VkExternalSemaphoreProperties result{};
  result.sType = VK_STRUCTURE_TYPE_EXTERNAL_SEMAPHORE_PROPERTIES;
  fn.get_physical_device_external_semaphore_properties(device, &query, &result);
  const VkExternalSemaphoreFeatureFlags both =
      VK_EXTERNAL_SEMAPHORE_FEATURE_EXPORTABLE_BIT | VK_EXTERNAL_SEMAPHORE_FEATURE_IMPORTABLE_BIT;
  if ((result.externalSemaphoreFeatures & both) != both)
    return "timeline semaphores cannot be exported and imported as opaque fds";
  return {};
}

// Whether memory for a typical buffer can be exported as `type`, and with what it is compatible.
VkExternalMemoryProperties export_properties(const vk::InstanceFunctions &fn, VkPhysicalDevice device,
                                             VkExternalMemoryHandleTypeFlagBits type) {
  VkPhysicalDeviceExternalBufferInfo query{};
  query.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_BUFFER_INFO;
  query.usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  query.handleType = type;
  VkExternalBufferProperties result{};
  result.sType = VK_STRUCTURE_TYPE_EXTERNAL_BUFFER_PROPERTIES;
  fn.get_physical_device_external_buffer_properties(device, &query, &result);
  return result.externalMemoryProperties;
}

int32_t device_type(VkPhysicalDeviceType type) {
  switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return LF_DEVICE_INTEGRATED;
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return LF_DEVICE_DISCRETE;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return LF_DEVICE_VIRTUAL;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return LF_DEVICE_CPU;
    default: return LF_DEVICE_OTHER;
  }
}

// The GPU's NUMA node: its PCI address matched against hwloc's PCI devices.
uint32_t numa_node_of(const topo::Topology &topology, const lf_device_info_t &info) {
  uint32_t n = topology.count(LF_TOPOLOGY_PCI_DEVICE);
  for (uint32_t i = 0; i < n; ++i) {
    lf_topology_object_t pci{};
    topology.object(LF_TOPOLOGY_PCI_DEVICE, i, pci);
    if (pci.pci_domain == info.pci_domain && pci.pci_bus == info.pci_bus && pci.pci_device == info.pci_device &&
        pci.pci_function == info.pci_function)
      return pci.numa_node;
  }
  return LF_TOPOLOGY_INDEX_NONE;
}

PhysicalDeviceEntry describe(const vk::Instance &instance, VkPhysicalDevice handle, uint32_t index,
                             const topo::Topology &topology) {
  const vk::InstanceFunctions &fn = instance.fn();
  PhysicalDeviceEntry entry;
  entry.handle = handle;
  entry.has_external_memory_fd = has_extension(fn, handle, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
  entry.has_dma_buf = has_extension(fn, handle, VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
  bool has_pci = has_extension(fn, handle, VK_EXT_PCI_BUS_INFO_EXTENSION_NAME);
  entry.semaphore_problem = semaphore_problem(fn, handle);
  entry.has_external_memory_host = has_extension(fn, handle, VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);

  VkPhysicalDevicePCIBusInfoPropertiesEXT pci{};
  pci.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PCI_BUS_INFO_PROPERTIES_EXT;
  VkPhysicalDeviceExternalMemoryHostPropertiesEXT host_import{};
  host_import.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_EXTERNAL_MEMORY_HOST_PROPERTIES_EXT;
  host_import.pNext = has_pci ? &pci : nullptr;
  VkPhysicalDeviceIDProperties ids{};
  ids.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES;
  ids.pNext = entry.has_external_memory_host ? static_cast<void *>(&host_import) : (has_pci ? static_cast<void *>(&pci) : nullptr);
  VkPhysicalDeviceProperties2 props{};
  props.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2;
  props.pNext = &ids;
  fn.get_physical_device_properties2(handle, &props);
  fn.get_physical_device_memory_properties(handle, &entry.memory);
  entry.host_pointer_alignment = entry.has_external_memory_host ? host_import.minImportedHostPointerAlignment : 0;

  lf_device_info_t &info = entry.info;
  info.index = index;
  info.type = device_type(props.properties.deviceType);
  info.vendor_id = props.properties.vendorID;
  info.device_id = props.properties.deviceID;
  info.api_version = props.properties.apiVersion;
  info.driver_version = props.properties.driverVersion;
  std::memcpy(info.device_uuid, ids.deviceUUID, 16);
  std::memcpy(info.driver_uuid, ids.driverUUID, 16);
  std::snprintf(info.name, sizeof info.name, "%s", props.properties.deviceName);
  info.numa_node = LF_TOPOLOGY_INDEX_NONE;
  if (has_pci) {
    info.flags |= LF_DEVICE_PCI_KNOWN;
    info.pci_domain = pci.pciDomain;
    info.pci_bus = pci.pciBus;
    info.pci_device = pci.pciDevice;
    info.pci_function = pci.pciFunction;
    info.numa_node = numa_node_of(topology, info);
    if (info.numa_node != LF_TOPOLOGY_INDEX_NONE) info.flags |= LF_DEVICE_NUMA_KNOWN;
  }
  info.memory_type_count = entry.memory.memoryTypeCount;
  for (uint32_t h = 0; h < entry.memory.memoryHeapCount; ++h)
    if (entry.memory.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
      info.device_local_bytes = std::max<uint64_t>(info.device_local_bytes, entry.memory.memoryHeaps[h].size);

  if (entry.has_external_memory_fd) {
    VkExternalMemoryProperties opaque = export_properties(fn, handle, kOpaqueFd);
    if (opaque.externalMemoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) {
      info.flags |= LF_DEVICE_EXPORT_OPAQUE_FD;
      entry.export_types = kOpaqueFd;
      // DMA-BUF too where the driver offers it and it can share an allocation with opaque fds.
      if (entry.has_dma_buf) {
        VkExternalMemoryProperties dma = export_properties(fn, handle, kDmaBuf);
        if ((dma.externalMemoryFeatures & VK_EXTERNAL_MEMORY_FEATURE_EXPORTABLE_BIT) &&
            (opaque.compatibleHandleTypes & kDmaBuf)) {
          info.flags |= LF_DEVICE_EXPORT_DMA_BUF;
          entry.export_types |= kDmaBuf;
        }
      }
    }
  }

  uint32_t families = 0;
  fn.get_physical_device_queue_family_properties(handle, &families, nullptr);
  entry.queue_family = 0;  // any family will do: lavaflow submits no work of its own
  if (families == 0) entry.export_types = 0;
  // (both need lavaflow's logical device, which needs memory export: DeviceRegistry::open)
  if (entry.export_types != 0 && entry.semaphore_problem.empty()) info.flags |= LF_DEVICE_EXPORT_TIMELINE_SEMAPHORE;
  if (entry.export_types != 0 && entry.has_external_memory_host && entry.host_pointer_alignment != 0 &&
      entry.host_pointer_alignment <= 4096)  // (buffers are mapped in whole pages: allocate_device_mapped)
    info.flags |= LF_DEVICE_MAPS_HOST_MEMORY;
  return entry;
}

std::string uuid_text(const uint8_t *uuid) { return core::hex_bytes(uuid, 16); }

}  // namespace

LogicalDevice::~LogicalDevice() {
  if (device != VK_NULL_HANDLE && fn.destroy_device != nullptr) fn.destroy_device(device, nullptr);
}

DeviceRegistry::DeviceRegistry(const topo::Topology &topology) : instance_(vk::Instance::create()) {
  const vk::InstanceFunctions &fn = instance_->fn();
  uint32_t count = 0;
  VkResult result = fn.enumerate_physical_devices(instance_->handle(), &count, nullptr);
  if (result != VK_SUCCESS) fail(LF_ERR_UNSUPPORTED, "vkEnumeratePhysicalDevices failed: %s", vk::result_name(result));
  std::vector<VkPhysicalDevice> handles(count);
  fn.enumerate_physical_devices(instance_->handle(), &count, handles.data());
  for (uint32_t i = 0; i < count; ++i) devices_.push_back(describe(*instance_, handles[i], i, topology));
}

const lf_device_info_t &DeviceRegistry::info(uint32_t index) const {
  if (index >= devices_.size()) fail(LF_ERR_NOT_FOUND, "Vulkan device %u does not exist (there are %zu)", index, devices_.size());
  return devices_[index].info;
}

uint32_t DeviceRegistry::find(const std::array<uint8_t, 16> &device_uuid, const std::array<uint8_t, 16> *driver_uuid) const {
  for (const auto &d : devices_) {
    if (std::memcmp(d.info.device_uuid, device_uuid.data(), 16) != 0) continue;
    if (driver_uuid != nullptr && std::memcmp(d.info.driver_uuid, driver_uuid->data(), 16) != 0)
      fail(LF_ERR_UNSUPPORTED, "Vulkan device %s is driven here by driver %s, not by the exporter's %s: opaque fds "
           "cannot cross drivers", uuid_text(device_uuid.data()).c_str(), uuid_text(d.info.driver_uuid).c_str(),
           uuid_text(driver_uuid->data()).c_str());
    return d.info.index;
  }
  fail(LF_ERR_NOT_FOUND, "no Vulkan device here has UUID %s", uuid_text(device_uuid.data()).c_str());
}

uint32_t DeviceRegistry::select(int32_t index, const std::optional<std::array<uint8_t, 16>> &uuid) const {
  if (uuid) return find(*uuid, nullptr);
  if (index < 0 || static_cast<uint32_t>(index) >= count())
    fail(LF_ERR_NOT_FOUND, "Vulkan device %d does not exist (there are %u)", index, count());
  return static_cast<uint32_t>(index);
}

std::shared_ptr<LogicalDevice> DeviceRegistry::open(uint32_t index) {
  if (index >= devices_.size()) fail(LF_ERR_NOT_FOUND, "Vulkan device %u does not exist (there are %zu)", index, devices_.size());
  std::lock_guard lock(mutex_);
  PhysicalDeviceEntry &entry = devices_[index];
  if (entry.logical) return entry.logical;
  if (entry.export_types == 0)
    fail(LF_ERR_UNSUPPORTED, "Vulkan device %u (%s) cannot export memory as an opaque fd%s", index, entry.info.name,
         entry.has_external_memory_fd ? "" : " (no VK_KHR_external_memory_fd)");

  const float priority = 1.0f;
  VkDeviceQueueCreateInfo queue{};
  queue.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO;
  queue.queueFamilyIndex = entry.queue_family;
  queue.queueCount = 1;
  queue.pQueuePriorities = &priority;
  std::vector<const char *> extensions = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME};
  if (entry.export_types & kDmaBuf) extensions.push_back(VK_EXT_EXTERNAL_MEMORY_DMA_BUF_EXTENSION_NAME);
  const bool semaphores = entry.semaphore_problem.empty();
  VkPhysicalDeviceTimelineSemaphoreFeatures timeline{};
  timeline.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_TIMELINE_SEMAPHORE_FEATURES;
  timeline.timelineSemaphore = VK_TRUE;
  if (entry.has_external_memory_host) extensions.push_back(VK_EXT_EXTERNAL_MEMORY_HOST_EXTENSION_NAME);
  if (semaphores) {
    extensions.push_back(VK_KHR_TIMELINE_SEMAPHORE_EXTENSION_NAME);
    extensions.push_back(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
  }
  VkDeviceCreateInfo create{};
  create.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO;
  if (semaphores) create.pNext = &timeline;
  create.queueCreateInfoCount = 1;
  create.pQueueCreateInfos = &queue;
  create.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  create.ppEnabledExtensionNames = extensions.data();

  auto logical = std::make_shared<LogicalDevice>();
  const vk::InstanceFunctions &fn = instance_->fn();
  VkResult result = fn.create_device(entry.handle, &create, nullptr, &logical->device);
  if (result != VK_SUCCESS) fail(LF_ERR_UNSUPPORTED, "vkCreateDevice on %s failed: %s", entry.info.name, vk::result_name(result));
  logical->instance = instance_;
  logical->physical = entry.handle;
  logical->memory = entry.memory;
  logical->info = entry.info;
  logical->export_types = entry.export_types;
  auto load = [&](auto &target, const char *name) {
    target = reinterpret_cast<std::remove_reference_t<decltype(target)>>(fn.get_device_proc_addr(logical->device, name));
    if (target == nullptr) fail(LF_ERR_UNSUPPORTED, "%s lacks %s", entry.info.name, name);
  };
  load(logical->fn.destroy_device, "vkDestroyDevice");
  load(logical->fn.allocate_memory, "vkAllocateMemory");
  load(logical->fn.free_memory, "vkFreeMemory");
  load(logical->fn.map_memory, "vkMapMemory");
  load(logical->fn.unmap_memory, "vkUnmapMemory");
  load(logical->fn.get_memory_fd, "vkGetMemoryFdKHR");
  if (entry.has_external_memory_host) {
    load(logical->fn.get_memory_host_pointer_properties, "vkGetMemoryHostPointerPropertiesEXT");
    logical->host_import = true;
    logical->host_pointer_alignment = entry.host_pointer_alignment;
  }
  if (semaphores) {
    load(logical->fn.create_semaphore, "vkCreateSemaphore");
    load(logical->fn.destroy_semaphore, "vkDestroySemaphore");
    load(logical->fn.get_semaphore_fd, "vkGetSemaphoreFdKHR");
    load(logical->fn.import_semaphore_fd, "vkImportSemaphoreFdKHR");
    load(logical->fn.signal_semaphore, "vkSignalSemaphoreKHR");
    load(logical->fn.wait_semaphores, "vkWaitSemaphoresKHR");
    load(logical->fn.get_semaphore_counter_value, "vkGetSemaphoreCounterValueKHR");
    logical->semaphores = true;
  }
  entry.logical = logical;
  return logical;
}

std::shared_ptr<LogicalDevice> DeviceRegistry::open_for_semaphores(uint32_t index) {
  if (index >= devices_.size()) fail(LF_ERR_NOT_FOUND, "Vulkan device %u does not exist (there are %zu)", index, devices_.size());
  const PhysicalDeviceEntry &entry = devices_[index];
  if (!entry.semaphore_problem.empty())
    fail(LF_ERR_UNSUPPORTED, "Vulkan device %u (%s) has no exportable timeline semaphores: %s", index, entry.info.name,
         entry.semaphore_problem.c_str());
  return open(index);
}

}  // namespace lavaflow::mem

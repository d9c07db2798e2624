// The Vulkan loader, opened at run time (dlopen) so that lavaflow never requires it, and
// the functions lavaflow calls. A missing loader or driver is LF_ERR_UNSUPPORTED with the reason.
#pragma once

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include <memory>
#include <string>

namespace lavaflow::mem::vk {

// Instance-level functions, loaded once per instance.
struct InstanceFunctions {
  PFN_vkGetInstanceProcAddr get_instance_proc_addr = nullptr;
  PFN_vkDestroyInstance destroy_instance = nullptr;
  PFN_vkEnumeratePhysicalDevices enumerate_physical_devices = nullptr;
  PFN_vkGetPhysicalDeviceProperties2 get_physical_device_properties2 = nullptr;
  PFN_vkGetPhysicalDeviceMemoryProperties get_physical_device_memory_properties = nullptr;
  PFN_vkGetPhysicalDeviceQueueFamilyProperties get_physical_device_queue_family_properties = nullptr;
  PFN_vkEnumerateDeviceExtensionProperties enumerate_device_extension_properties = nullptr;
  PFN_vkGetPhysicalDeviceExternalBufferProperties get_physical_device_external_buffer_properties = nullptr;
  PFN_vkGetPhysicalDeviceExternalSemaphoreProperties get_physical_device_external_semaphore_properties = nullptr;
  PFN_vkGetPhysicalDeviceFeatures2 get_physical_device_features2 = nullptr;
  PFN_vkCreateDevice create_device = nullptr;
  PFN_vkGetDeviceProcAddr get_device_proc_addr = nullptr;
};

// Device-level functions.
struct DeviceFunctions {
  PFN_vkDestroyDevice destroy_device = nullptr;
  PFN_vkAllocateMemory allocate_memory = nullptr;
  PFN_vkFreeMemory free_memory = nullptr;
  PFN_vkMapMemory map_memory = nullptr;
  PFN_vkUnmapMemory unmap_memory = nullptr;
  PFN_vkGetMemoryFdKHR get_memory_fd = nullptr;
  // VK_EXT_external_memory_host: loaded only where the device has it (LogicalDevice::host_import).
  PFN_vkGetMemoryHostPointerPropertiesEXT get_memory_host_pointer_properties = nullptr;
  // Timeline semaphores (VK_KHR_timeline_semaphore, VK_KHR_external_semaphore_fd): loaded only
  // where the device can export them (LogicalDevice::semaphores).
  PFN_vkCreateSemaphore create_semaphore = nullptr;
  PFN_vkDestroySemaphore destroy_semaphore = nullptr;
  PFN_vkGetSemaphoreFdKHR get_semaphore_fd = nullptr;
  PFN_vkImportSemaphoreFdKHR import_semaphore_fd = nullptr;
  PFN_vkSignalSemaphoreKHR signal_semaphore = nullptr;
  PFN_vkWaitSemaphoresKHR wait_semaphores = nullptr;
  PFN_vkGetSemaphoreCounterValueKHR get_semaphore_counter_value = nullptr;
};

// An instance (Vulkan 1.1 or later) and its functions; destroyed with the last reference.
class Instance {
 public:
  // Throws Error(LF_ERR_UNSUPPORTED) naming what is missing (loader, driver, version).
  static std::shared_ptr<Instance> create();
  ~Instance();
  Instance(const Instance &) = delete;
  Instance &operator=(const Instance &) = delete;

  VkInstance handle() const noexcept { return instance_; }
  const InstanceFunctions &fn() const noexcept { return fn_; }

 private:
  Instance() = default;
  VkInstance instance_ = VK_NULL_HANDLE;
  InstanceFunctions fn_;
};

// "VK_ERROR_OUT_OF_DEVICE_MEMORY" etc.
const char *result_name(VkResult result) noexcept;

}  // namespace lavaflow::mem::vk

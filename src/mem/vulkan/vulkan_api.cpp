#include "mem/vulkan/vulkan_api.hpp"

#include "core/error.hpp"

#include <dlfcn.h>

namespace lavaflow::mem::vk {

namespace {

// The loader stays loaded for the life of the process once opened: drivers keep threads
// and atexit handlers that must not outlive their code.
PFN_vkGetInstanceProcAddr load_loader() {
  static void *library = [] {
    void *handle = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
    return handle;
  }();
  if (library == nullptr)
    core::fail(LF_ERR_UNSUPPORTED, "the Vulkan loader libvulkan.so.1 is not installed (Debian: apt-get install libvulkan1)");
  auto get = reinterpret_cast<PFN_vkGetInstanceProcAddr>(dlsym(library, "vkGetInstanceProcAddr"));
  if (get == nullptr) core::fail(LF_ERR_UNSUPPORTED, "libvulkan.so.1 has no vkGetInstanceProcAddr");
  return get;
}

template <typename F>
void load(F &target, PFN_vkGetInstanceProcAddr get, VkInstance instance, const char *name) {
  target = reinterpret_cast<F>(get(instance, name));
  if (target == nullptr) core::fail(LF_ERR_UNSUPPORTED, "the Vulkan loader lacks %s (Vulkan 1.1 is needed)", name);
}

}  // namespace

std::shared_ptr<Instance> Instance::create() {
  PFN_vkGetInstanceProcAddr get = load_loader();
  auto enumerate_version = reinterpret_cast<PFN_vkEnumerateInstanceVersion>(get(VK_NULL_HANDLE, "vkEnumerateInstanceVersion"));
  uint32_t version = VK_API_VERSION_1_0;
  if (enumerate_version != nullptr) enumerate_version(&version);
  if (version < VK_API_VERSION_1_1)
    core::fail(LF_ERR_UNSUPPORTED, "the Vulkan loader offers version %u.%u; lavaflow needs 1.1 (external memory)",
               VK_API_VERSION_MAJOR(version), VK_API_VERSION_MINOR(version));
  auto create_instance = reinterpret_cast<PFN_vkCreateInstance>(get(VK_NULL_HANDLE, "vkCreateInstance"));
  if (create_instance == nullptr) core::fail(LF_ERR_UNSUPPORTED, "the Vulkan loader lacks vkCreateInstance");

  VkApplicationInfo app{};
  app.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO;
  app.pApplicationName = "lavaflow";
  app.pEngineName = "lavaflow";
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo info{};
  info.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO;
  info.pApplicationInfo = &app;
  std::shared_ptr<Instance> instance(new Instance);
  VkResult result = create_instance(&info, nullptr, &instance->instance_);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
    core::fail(LF_ERR_UNSUPPORTED, "no Vulkan driver is installed (vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER; "
                                   "check VK_DRIVER_FILES / the ICD files in /usr/share/vulkan/icd.d)");
  if (result != VK_SUCCESS) core::fail(LF_ERR_UNSUPPORTED, "vkCreateInstance failed: %s", result_name(result));

  InstanceFunctions &fn = instance->fn_;
  VkInstance h = instance->instance_;
  fn.get_instance_proc_addr = get;
  load(fn.destroy_instance, get, h, "vkDestroyInstance");
  load(fn.enumerate_physical_devices, get, h, "vkEnumeratePhysicalDevices");
  load(fn.get_physical_device_properties2, get, h, "vkGetPhysicalDeviceProperties2");
  load(fn.get_physical_device_memory_properties, get, h, "vkGetPhysicalDeviceMemoryProperties");
  load(fn.get_physical_device_queue_family_properties, get, h, "vkGetPhysicalDeviceQueueFamilyProperties");
  load(fn.enumerate_device_extension_properties, get, h, "vkEnumerateDeviceExtensionProperties");
  load(fn.get_physical_device_external_buffer_properties, get, h, "vkGetPhysicalDeviceExternalBufferProperties");
  load(fn.get_physical_device_external_semaphore_properties, get, h, "vkGetPhysicalDeviceExternalSemaphoreProperties");
  load(fn.get_physical_device_features2, get, h, "vkGetPhysicalDeviceFeatures2");
  load(fn.create_device, get, h, "vkCreateDevice");
  load(fn.get_device_proc_addr, get, h, "vkGetDeviceProcAddr");
  return instance;
}

Instance::~Instance() {
  if (instance_ != VK_NULL_HANDLE && fn_.destroy_instance != nullptr) fn_.destroy_instance(instance_, nullptr);
}

const char *result_name(VkResult result) noexcept {
  switch (result) {
    case VK_SUCCESS: return "VK_SUCCESS";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
    case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
    case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
    case VK_ERROR_MEMORY_MAP_FAILED: return "VK_ERROR_MEMORY_MAP_FAILED";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
    case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
    case VK_ERROR_INVALID_EXTERNAL_HANDLE: return "VK_ERROR_INVALID_EXTERNAL_HANDLE";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
    default: return "an unknown VkResult";
  }
}

}  // namespace lavaflow::mem::vk

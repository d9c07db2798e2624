#include "vulkan_writer.h"

#include <vulkan/vulkan.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHECK(call)                                                              \
  do {                                                                           \
    VkResult r_ = (call);                                                        \
    if (r_ != VK_SUCCESS) {                                                      \
      snprintf(error, 256, "%s failed: VkResult %d", #call, (int)r_);            \
      goto done;                                                                 \
    }                                                                            \
  } while (0)

/* Binds a transfer buffer of `size` bytes (external `handle_types`) to `memory` on `device` and
 * fills it with `pattern` on queue family 0, waiting for the fill. */
static int fill_memory(VkDevice device, VkDeviceMemory memory, uint64_t size, VkExternalMemoryHandleTypeFlags handle_types,
                       uint32_t pattern, char error[256]) {
  int result = -1;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkExternalMemoryBufferCreateInfo external = {.sType = VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO,
                                               .handleTypes = handle_types};
  VkBufferCreateInfo buffer_info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, .pNext = &external, .size = size,
                                    .usage = VK_BUFFER_USAGE_TRANSFER_DST_BIT, .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  CHECK(vkCreateBuffer(device, &buffer_info, NULL, &buffer));
  CHECK(vkBindBufferMemory(device, buffer, memory, 0));

  VkCommandPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .queueFamilyIndex = 0};
  CHECK(vkCreateCommandPool(device, &pool_info, NULL, &pool));
  VkCommandBufferAllocateInfo cb_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO, .commandPool = pool,
                                         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY, .commandBufferCount = 1};
  VkCommandBuffer cb;
  CHECK(vkAllocateCommandBuffers(device, &cb_info, &cb));
  VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                    .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
  CHECK(vkBeginCommandBuffer(cb, &begin));
  vkCmdFillBuffer(cb, buffer, 0, VK_WHOLE_SIZE, pattern);
  VkMemoryBarrier barrier = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER, .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                             .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
  vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
  CHECK(vkEndCommandBuffer(cb));
  VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  CHECK(vkCreateFence(device, &fence_info, NULL, &fence));
  VkQueue queue;
  vkGetDeviceQueue(device, 0, 0, &queue);
  VkSubmitInfo submit = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
  CHECK(vkQueueSubmit(queue, 1, &submit, fence));
  CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, 10ull * 1000 * 1000 * 1000));
  result = 0;
done:
  if (fence) vkDestroyFence(device, fence, NULL);
  if (pool) vkDestroyCommandPool(device, pool, NULL);
  if (buffer) vkDestroyBuffer(device, buffer, NULL);
  return result;
}

int vulkan_fill_imported(int fd, uint64_t size, uint32_t memory_type_index, const uint8_t device_uuid[16],
                         uint32_t pattern, char error[256]) {
  int result = -1;
  VkInstance instance = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  error[0] = '\0';

  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_1};
  VkInstanceCreateInfo instance_info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
  CHECK(vkCreateInstance(&instance_info, NULL, &instance));
  uint32_t count = 8;
  VkPhysicalDevice physicals[8];
  CHECK(vkEnumeratePhysicalDevices(instance, &count, physicals));
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  for (uint32_t i = 0; i < count; ++i) {
    VkPhysicalDeviceIDProperties ids = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &ids};
    vkGetPhysicalDeviceProperties2(physicals[i], &props);
    if (memcmp(ids.deviceUUID, device_uuid, 16) == 0) physical = physicals[i];
  }
  if (physical == VK_NULL_HANDLE) {
    snprintf(error, 256, "no device with the buffer's UUID");
    goto done;
  }
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueFamilyIndex = 0,
                                        .queueCount = 1, .pQueuePriorities = &priority};
  const char *extensions[] = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME};
  VkDeviceCreateInfo device_info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1,
                                    .pQueueCreateInfos = &queue_info, .enabledExtensionCount = 1,
                                    .ppEnabledExtensionNames = extensions};
  CHECK(vkCreateDevice(physical, &device_info, NULL, &device));

  VkImportMemoryFdInfoKHR import = {.sType = VK_STRUCTURE_TYPE_IMPORT_MEMORY_FD_INFO_KHR,
                                    .handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT, .fd = fd};
  VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &import,
                                .allocationSize = size, .memoryTypeIndex = memory_type_index};
  CHECK(vkAllocateMemory(device, &alloc, NULL, &memory));
  fd = -1; /* Vulkan owns it now */
  result = fill_memory(device, memory, size, VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT, pattern, error);
done:
  if (fd >= 0) close(fd);
  if (device != VK_NULL_HANDLE) {
    if (memory) vkFreeMemory(device, memory, NULL);
    vkDestroyDevice(device, NULL);
  }
  if (instance != VK_NULL_HANDLE) vkDestroyInstance(instance, NULL);
  return result;
}

int vulkan_fill_on_device(void *device, uint64_t memory, uint64_t size, uint32_t handle_types, uint32_t pattern,
                          char error[256]) {
  error[0] = '\0';
  return fill_memory((VkDevice)device, (VkDeviceMemory)(uintptr_t)memory, size, handle_types, pattern, error);
}

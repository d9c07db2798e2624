// Vulkan semaphores in a build without Vulkan headers.
#include "core/error.hpp"
#include "sync/vulkan_semaphore.hpp"

namespace lavaflow::sync {

namespace {
[[noreturn]] void unsupported(const char *what) {
  core::fail(LF_ERR_UNSUPPORTED, "%s: this build of lavaflow has no Vulkan support (configure found no Vulkan headers)", what);
}
}  // namespace

SemaphorePtr create_vulkan_semaphore(const mem::DeviceRegistryProvider &, const VulkanSemaphoreRequest &,
                                     const HandleOptions &) {
  unsupported("a Vulkan semaphore");
}

SemaphorePtr import_vulkan_semaphore(const mem::DeviceRegistryProvider &, int, const SemaphoreDescriptor &,
                                     const HandleOptions &) {
  unsupported("importing a Vulkan semaphore");
}

}  // namespace lavaflow::sync

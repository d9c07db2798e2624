#include "sync/vulkan_semaphore.hpp"

#include "core/error.hpp"
#include "core/unique_fd.hpp"
#include "mem/vulkan/device_registry.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <mutex>

namespace lavaflow::sync {

using core::fail;

namespace {

class VulkanSemaphore final : public Semaphore {
 public:
  VulkanSemaphore(std::shared_ptr<mem::LogicalDevice> device, uint64_t initial_value, const HandleOptions &options,
                  bool imported)
      : device_(std::move(device)), options_(options), imported_(imported) {
    VkExportSemaphoreCreateInfo exportable{};
    exportable.sType = VK_STRUCTURE_TYPE_EXPORT_SEMAPHORE_CREATE_INFO;
    exportable.handleTypes = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    VkSemaphoreTypeCreateInfo type{};
    type.sType = VK_STRUCTURE_TYPE_SEMAPHORE_TYPE_CREATE_INFO;
    type.pNext = imported ? nullptr : &exportable;
    type.semaphoreType = VK_SEMAPHORE_TYPE_TIMELINE;
    type.initialValue = initial_value;
    VkSemaphoreCreateInfo create{};
    create.sType = VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO;
    create.pNext = &type;
    check(device_->fn.create_semaphore(device_->device, &create, nullptr, &semaphore_), "vkCreateSemaphore");
  }

  ~VulkanSemaphore() override { device_->fn.destroy_semaphore(device_->device, semaphore_, nullptr); }

  // Takes ownership of `fd` on success (Vulkan's rule for opaque fds).
  void import_fd(int fd) {
    VkImportSemaphoreFdInfoKHR import{};
    import.sType = VK_STRUCTURE_TYPE_IMPORT_SEMAPHORE_FD_INFO_KHR;
    import.semaphore = semaphore_;
    import.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    import.fd = fd;
    check(device_->fn.import_semaphore_fd(device_->device, &import), "vkImportSemaphoreFdKHR");
  }

  void signal(uint64_t value) override {
    if (options_.wait_only) fail(LF_ERR_INVALID_STATE, "this handle was opened wait-only (LF_SEMAPHORE_FLAG_WAIT_ONLY)");
    // A signal that does not raise the value is undefined behaviour in Vulkan: refuse it
    // first (serialized within this process; other processes must not race lower values).
    std::lock_guard lock(signal_mutex_);
    check_raises(value_now(), value);
    VkSemaphoreSignalInfo info{};
    info.sType = VK_STRUCTURE_TYPE_SEMAPHORE_SIGNAL_INFO;
    info.semaphore = semaphore_;
    info.value = value;
    check(device_->fn.signal_semaphore(device_->device, &info), "vkSignalSemaphore");
  }

  lf_status_t wait(uint64_t value, int64_t timeout_ns) override {
    VkSemaphoreWaitInfo info{};
    info.sType = VK_STRUCTURE_TYPE_SEMAPHORE_WAIT_INFO;
    info.semaphoreCount = 1;
    info.pSemaphores = &semaphore_;
    info.pValues = &value;
    const VkResult result = device_->fn.wait_semaphores(device_->device, &info,
                                                        timeout_ns < 0 ? UINT64_MAX : static_cast<uint64_t>(timeout_ns));
    if (result == VK_TIMEOUT) return LF_TIMEOUT;
    check(result, "vkWaitSemaphores");
    return LF_OK;
  }

  uint64_t value() const override { return value_now(); }

  lf_semaphore_info_t info() const override {
    lf_semaphore_info_t i{};
    i.kind = i.requested_kind = LF_SEMAPHORE_VULKAN;
    i.flags = LF_SEMAPHORE_EXPORTABLE | (imported_ ? uint32_t{LF_SEMAPHORE_IMPORTED} : 0u) |
              (options_.wait_only ? uint32_t{LF_SEMAPHORE_WAIT_ONLY} : 0u);
    i.value = value_now();
    i.wait_mode = options_.wait.mode;
    i.spin_us = options_.wait.spin_us;
    i.device_index = static_cast<int32_t>(device_->info.index);
    return i;
  }

  int export_fd() const override {
    VkSemaphoreGetFdInfoKHR info{};
    info.sType = VK_STRUCTURE_TYPE_SEMAPHORE_GET_FD_INFO_KHR;
    info.semaphore = semaphore_;
    info.handleType = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    int fd = -1;
    check(device_->fn.get_semaphore_fd(device_->device, &info, &fd), "vkGetSemaphoreFdKHR");
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) {
      const int error = errno;
      close(fd);
      core::fail_errno(error, "making the semaphore fd close-on-exec");
    }
    return fd;
  }

  SemaphoreDescriptor describe_export() const override {
    SemaphoreDescriptor d;
    d.kind = LF_SEMAPHORE_VULKAN;
    d.value = value_now();
    std::memcpy(d.device_uuid.data(), device_->info.device_uuid, 16);
    std::memcpy(d.driver_uuid.data(), device_->info.driver_uuid, 16);
    return d;
  }

  lf_vulkan_semaphore_info_t vulkan_info() const override {
    lf_vulkan_semaphore_info_t i{};
    i.handle_types = VK_EXTERNAL_SEMAPHORE_HANDLE_TYPE_OPAQUE_FD_BIT;
    i.semaphore = reinterpret_cast<uint64_t>(semaphore_);
    mem::fill_vulkan_handles(*device_, i);
    return i;
  }

 private:
  uint64_t value_now() const {
    uint64_t value = 0;
    check(device_->fn.get_semaphore_counter_value(device_->device, semaphore_, &value), "vkGetSemaphoreCounterValue");
    return value;
  }

  void check(VkResult result, const char *call) const {
    if (result == VK_SUCCESS) return;
    const lf_status_t status = result == VK_ERROR_OUT_OF_HOST_MEMORY || result == VK_ERROR_OUT_OF_DEVICE_MEMORY
                                   ? LF_ERR_NO_MEMORY
                                   : result == VK_ERROR_INVALID_EXTERNAL_HANDLE ? LF_ERR_INVALID_ARGUMENT
                                                                                : LF_ERR_SYSTEM;
    fail(status, "%s on %s: %s", call, device_->info.name, mem::vk::result_name(result));
  }

  std::shared_ptr<mem::LogicalDevice> device_;
  HandleOptions options_;
  bool imported_;
  VkSemaphore semaphore_ = VK_NULL_HANDLE;
  std::mutex signal_mutex_;
};

}  // namespace

SemaphorePtr create_vulkan_semaphore(const mem::DeviceRegistryProvider &devices, const VulkanSemaphoreRequest &request,
                                     const HandleOptions &options) {
  mem::DeviceRegistry &registry = devices();
  const uint32_t index = registry.select(request.device_index, request.device_uuid);
  auto device = registry.open_for_semaphores(index);
  std::string name = device->info.name;
  auto semaphore = std::make_unique<VulkanSemaphore>(std::move(device), request.initial_value, options, false);
  semaphore->set_reason("Vulkan timeline semaphore on device " + std::to_string(index) + " (" + name +
                        "), exportable as an opaque fd");
  return semaphore;
}

SemaphorePtr import_vulkan_semaphore(const mem::DeviceRegistryProvider &devices, int fd, const SemaphoreDescriptor &d,
                                     const HandleOptions &options) {
  if (fd < 0 || fcntl(fd, F_GETFD) < 0) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not an open file descriptor", fd);
  mem::DeviceRegistry &registry = devices();
  const uint32_t index = registry.find(d.device_uuid, &d.driver_uuid);
  auto device = registry.open_for_semaphores(index);
  std::string name = device->info.name;
  auto semaphore = std::make_unique<VulkanSemaphore>(std::move(device), 0, options, true);
  core::UniqueFd copy(fcntl(fd, F_DUPFD_CLOEXEC, 0));
  if (!copy) core::fail_errno(errno, "duplicating fd %d", fd);
  semaphore->import_fd(copy.get());
  copy.release();  // Vulkan owns it now
  semaphore->set_reason("imported Vulkan timeline semaphore on device " + std::to_string(index) + " (" + name + ")");
  return semaphore;
}

}  // namespace lavaflow::sync

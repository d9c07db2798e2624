#include "sync/semaphore.hpp"

#include "core/error.hpp"

namespace lavaflow::sync {

lf_vulkan_semaphore_info_t Semaphore::vulkan_info() const {
  core::fail(LF_ERR_INVALID_STATE, "this is a %s semaphore, not a Vulkan one", lf_semaphore_kind_name(info().kind));
}

void Semaphore::check_raises(uint64_t current, uint64_t value) {
  if (value <= current)
    core::fail(LF_ERR_INVALID_ARGUMENT, "the semaphore is at %llu: a signal must raise it (values only grow), not set %llu",
               static_cast<unsigned long long>(current), static_cast<unsigned long long>(value));
}

}  // namespace lavaflow::sync

#include "core/heavy_fence.hpp"

#include "core/env.hpp"

#include <atomic>
#include <cstring>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lavaflow::core {

namespace {

enum State : int { kUnknown = 0, kYes = 1, kNo = -1 };

std::atomic<int> g_available{kUnknown};
std::atomic<int> g_registered{kUnknown};

long membarrier(int command) noexcept { return syscall(SYS_membarrier, command, 0, 0); }

bool switched_off() noexcept {
  const char *value = env_value("LAVAFLOW_HEAVY_FENCES");
  return value != nullptr && std::strcmp(value, "0") == 0;
}

}  // namespace

bool heavy_fences_available() noexcept {
  int state = g_available.load(std::memory_order_acquire);
  if (state == kUnknown) {
    constexpr long kNeeded = MEMBARRIER_CMD_GLOBAL_EXPEDITED | MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED;
    const long supported = switched_off() ? 0 : membarrier(MEMBARRIER_CMD_QUERY);
    state = supported > 0 && (supported & kNeeded) == kNeeded ? kYes : kNo;
    g_available.store(state, std::memory_order_release);
  }
  return state == kYes;
}

bool heavy_fences_registered() noexcept {
  int state = g_registered.load(std::memory_order_acquire);
  if (state == kUnknown) {
    // Registration belongs to the address space; exec drops it along with these statics. A
    // forked child inherits it on current kernels, but asks again rather than rely on that
    // (registering twice is harmless).
    static const bool at_fork = pthread_atfork(nullptr, nullptr, [] { g_registered.store(kUnknown); }) == 0;
    (void)at_fork;
    state = heavy_fences_available() && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0 ? kYes : kNo;
    g_registered.store(state, std::memory_order_release);
  }
  return state == kYes;
}

bool heavy_fence() noexcept { return heavy_fences_available() && membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) == 0; }

}  // namespace lavaflow::core

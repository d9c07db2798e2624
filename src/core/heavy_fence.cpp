#include "core/heavy_fence.hpp"

#include "core/env.hpp"

#include <cstring>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lavaflow::core {

namespace detail {
std::atomic<uint64_t> g_fence_token{0};
}

namespace {

// 0: not asked yet, 1: one thread is registering, 2: asked (the token says the answer).
std::atomic<int> g_state{0};

long membarrier(int command) noexcept { return syscall(SYS_membarrier, command, 0, 0); }

bool switched_off() noexcept {
  const char *value = env_value("LAVAFLOW_HEAVY_FENCES");
  return value != nullptr && std::strcmp(value, "0") == 0;
}

uint64_t new_token() noexcept {
  uint64_t token = 0;
  while (token < 2) {
    if (getrandom(&token, sizeof token, 0) != static_cast<ssize_t>(sizeof token))
      token = (static_cast<uint64_t>(getpid()) << 32) ^ reinterpret_cast<uintptr_t>(&token);
  }
  return token;
}

uint64_t try_register() noexcept {
  if (switched_off()) return 0;
  constexpr long kNeeded = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
  const long supported = membarrier(MEMBARRIER_CMD_QUERY);
  if (supported <= 0 || (supported & kNeeded) != kNeeded) return 0;
  if (membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) != 0) return 0;
  return new_token();
}

}  // namespace

uint64_t register_for_heavy_fences() noexcept {
  for (;;) {
    int state = g_state.load(std::memory_order_acquire);
    if (state == 2) return fence_token();
    if (state == 0 && g_state.compare_exchange_strong(state, 1, std::memory_order_acquire)) break;
    sched_yield();  // another thread is registering: a system call or two
  }
  // A forked child has a new address space, unregistered: it must not pass for its parent.
  // (No lock here, so that a fork in the middle cannot leave the child one held forever.)
  static const bool at_fork = pthread_atfork(nullptr, nullptr, [] {
                                detail::g_fence_token.store(0, std::memory_order_relaxed);
                                g_state.store(0, std::memory_order_relaxed);
                              }) == 0;
  (void)at_fork;
  detail::g_fence_token.store(try_register(), std::memory_order_relaxed);
  g_state.store(2, std::memory_order_release);
  return fence_token();
}

bool heavy_fence() noexcept { return membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0; }

}  // namespace lavaflow::core

#include "core/futex.hpp"

#include <cerrno>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lavaflow::core {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t), "futex words are plain 32-bit integers");

bool futex_wait(std::atomic<uint32_t> *word, uint32_t expected, int64_t timeout_ns, bool shared) noexcept {
  timespec ts{};
  timespec *timeout = nullptr;
  if (timeout_ns >= 0) {
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    timeout = &ts;
  }
  int op = FUTEX_WAIT | (shared ? 0 : FUTEX_PRIVATE_FLAG);
  long rc = syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), op, expected, timeout, nullptr, 0);
  return !(rc != 0 && errno == ETIMEDOUT);
}

void futex_wake(std::atomic<uint32_t> *word, int count, bool shared) noexcept {
  int op = FUTEX_WAKE | (shared ? 0 : FUTEX_PRIVATE_FLAG);
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(word), op, count, nullptr, nullptr, 0);
}

}  // namespace lavaflow::core

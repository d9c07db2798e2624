// A timeline semaphore of either kind (sync.h): the value only grows; waits end when it
// reaches theirs, at a timeout, or — for the shared kind — when a holder that could signal
// died. Errors are thrown (core::Error); LF_OK and LF_TIMEOUT are returned.
#pragma once

#include <lavaflow/channel.h>
#include <lavaflow/sync.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace lavaflow::sync {

struct WaitPolicy {
  int32_t mode = LF_WAIT_ADAPTIVE;
  uint32_t spin_us = 50;
};

// What crosses a socket beside the fd (semaphore_descriptor.hpp).
struct SemaphoreDescriptor {
  int32_t kind = LF_SEMAPHORE_SHARED;
  uint64_t value = 0;  // when it was sent (for messages; the fd carries the live value)
  std::array<uint8_t, 16> device_uuid{};
  std::array<uint8_t, 16> driver_uuid{};
};

class Semaphore {
 public:
  virtual ~Semaphore() = default;
  Semaphore(const Semaphore &) = delete;
  Semaphore &operator=(const Semaphore &) = delete;

  // Raises the value; throws LF_ERR_INVALID_ARGUMENT when `value` does not raise it.
  virtual void signal(uint64_t value) = 0;
  // LF_OK or LF_TIMEOUT; throws LF_ERR_PEER_DEAD, LF_ERR_CORRUPT, LF_ERR_SYSTEM.
  virtual lf_status_t wait(uint64_t value, int64_t timeout_ns) = 0;
  virtual uint64_t value() const = 0;
  // kind, flags, value, holders, device; the caller adds what the handle knows.
  virtual lf_semaphore_info_t info() const = 0;
  virtual int export_fd() const = 0;
  virtual SemaphoreDescriptor describe_export() const = 0;
  // Throws LF_ERR_INVALID_STATE unless it is a Vulkan semaphore.
  virtual lf_vulkan_semaphore_info_t vulkan_info() const;

  const std::string &reason() const noexcept { return reason_; }
  void set_reason(std::string reason) { reason_ = std::move(reason); }
  void set_fell_back() noexcept { fell_back_ = true; }
  bool fell_back() const noexcept { return fell_back_; }

 protected:
  Semaphore() = default;
  // A signal to `value` is refused unless it exceeds `current`.
  static void check_raises(uint64_t current, uint64_t value);

 private:
  std::string reason_;
  bool fell_back_ = false;
};

using SemaphorePtr = std::unique_ptr<Semaphore>;

// The options of a handle, from lf_semaphore_params_t.
struct HandleOptions {
  WaitPolicy wait;
  bool wait_only = false;
};

}  // namespace lavaflow::sync

/**
 * @file cpp/sync.hpp
 * @brief lf::semaphore: a timeline semaphore shared between threads, processes and GPU APIs.
 *
 * Part of the header-only C++20 wrapper; include <lavaflow/lavaflow.hpp>.
 */
#ifndef LAVAFLOW_CPP_SYNC_HPP
#define LAVAFLOW_CPP_SYNC_HPP

#include "channel.hpp"
#include "memory.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

/**
 * @addtogroup cpp
 * @{
 */

namespace lf {

/** How to make (or take) a semaphore: each setter sets one field of ::lf_semaphore_params_t. */
class semaphore_options {
 public:
  /** The kind (::lf_semaphore_kind_t): LF_SEMAPHORE_SHARED (default) or LF_SEMAPHORE_VULKAN. */
  semaphore_options &kind(int32_t kind) { return set(LF_SEMAPHORE_PARAM_FIELD_KIND, params_.kind = kind); }
  /** The value at creation. */
  semaphore_options &initial_value(uint64_t value) {
    return set(LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE, params_.initial_value = value);
  }
  /** How CPU waits wait (::lf_wait_mode_t), and for LF_WAIT_ADAPTIVE how long they spin first. */
  semaphore_options &wait_mode(int32_t mode, uint32_t spin_us = 50) {
    params_.spin_us = spin_us;
    params_.field_mask |= LF_SEMAPHORE_PARAM_FIELD_SPIN_US;
    return set(LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE, params_.wait_mode = mode);
  }
  /** This handle never signals (its process's death then does not wake waiters). */
  semaphore_options &wait_only() { return set(LF_SEMAPHORE_PARAM_FIELD_FLAGS, params_.flags |= LF_SEMAPHORE_FLAG_WAIT_ONLY); }
  /** A Vulkan semaphore that cannot be made may be a shared one instead (reported). */
  semaphore_options &fallback_to_shared() {
    return set(LF_SEMAPHORE_PARAM_FIELD_FALLBACK, params_.fallback |= LF_SEMAPHORE_FALLBACK_TO_SHARED);
  }
  /** A Vulkan semaphore on the device of this index. */
  semaphore_options &device(int32_t index) { return set(LF_SEMAPHORE_PARAM_FIELD_DEVICE, params_.device_index = index); }
  /** A Vulkan semaphore on the device with this UUID. */
  semaphore_options &device(const std::array<uint8_t, 16> &uuid) {
    uuid_ = uuid;
    has_uuid_ = true;
    return set(LF_SEMAPHORE_PARAM_FIELD_DEVICE, 0);
  }
  /** A shared semaphore published under a name other processes can lf::semaphore::open(). */
  semaphore_options &name(std::string name) {
    name_ = std::move(name);
    return set(LF_SEMAPHORE_PARAM_FIELD_NAME, 0);
  }
  /** The C params, valid while these options live unchanged. */
  const lf_semaphore_params_t *raw() const noexcept {
    params_.name = (params_.field_mask & LF_SEMAPHORE_PARAM_FIELD_NAME) ? name_.c_str() : nullptr;
    params_.device_uuid = has_uuid_ ? uuid_.data() : nullptr;
    return &params_;
  }

 private:
  template <typename V>
  semaphore_options &set(uint64_t field, V) {
    params_.field_mask |= field;
    return *this;
  }
  mutable lf_semaphore_params_t params_{};
  std::string name_;
  std::array<uint8_t, 16> uuid_{};
  bool has_uuid_ = false;
};

/**
 * A timeline semaphore: a 64-bit value that only grows. signal(n) raises it; wait(n) returns
 * once it is at least n. Thread-safe; move-only; destroyed with the object.
 */
class semaphore {
 public:
  /** Creates a semaphore (shared by default). */
  explicit semaphore(const context &ctx, const semaphore_options &options = {}) {
    lf_semaphore_t *raw = nullptr;
    check(lf_semaphore_create(ctx.get(), options.raw(), &raw));
    handle_ = unique_handle<lf_semaphore_t, lf_semaphore_destroy>(raw);
  }
  /** Takes ownership of a C semaphore handle. */
  explicit semaphore(lf_semaphore_t *owned) noexcept : handle_(owned) {}
  /** Takes a shared semaphore another process exported (`fd` is borrowed). Only the options'
   *  wait mode and wait_only() apply. */
  static semaphore import_fd(const context &ctx, int fd, const semaphore_options &options = {}) {
    lf_semaphore_t *raw = nullptr;
    check(lf_semaphore_import_fd(ctx.get(), fd, options.raw(), &raw));
    return semaphore(raw);
  }
  /** Opens a shared semaphore another process of this user published under `name`. */
  static semaphore open(const context &ctx, const std::string &name, const semaphore_options &options = {}) {
    lf_semaphore_t *raw = nullptr;
    check(lf_semaphore_open(ctx.get(), name.c_str(), options.raw(), &raw));
    return semaphore(raw);
  }
  /** Receives a semaphore another process sent with send(). */
  static result<semaphore> recv(const context &ctx, int socket_fd, lf::timeout wait = wait_forever,
                                const semaphore_options &options = {}) {
    lf_semaphore_t *raw = nullptr;
    const lf_status_t status = check(lf_semaphore_recv(ctx.get(), socket_fd, options.raw(), wait.milliseconds(), &raw));
    if (status != LF_OK) return result<semaphore>::none(status);
    return semaphore(raw);
  }

  /** The C handle. */
  lf_semaphore_t *get() const noexcept { return handle_.get(); }
  /** Raises the value to `value` (lf::error LF_ERR_INVALID_ARGUMENT if that does not raise it). */
  void signal(uint64_t value) { check(lf_semaphore_signal(get(), value)); }
  /** Waits until the value is at least `value`: true, or false at the timeout. lf::error
   *  LF_ERR_PEER_DEAD when a holder that could signal died first. */
  bool wait(uint64_t value, lf::timeout wait = wait_forever) {
    return check(lf_semaphore_wait(get(), value, wait.nanoseconds())) == LF_OK;
  }
  /** The current value. */
  uint64_t value() const {
    uint64_t value = 0;
    check(lf_semaphore_get_value(get(), &value));
    return value;
  }
  /** What the semaphore is, its holders and counters. */
  lf_semaphore_info_t info() const {
    auto info = sized<lf_semaphore_info_t>();
    check(lf_semaphore_get_info(get(), &info));
    return info;
  }
  /** The kind obtained (::lf_semaphore_kind_t). */
  int32_t kind() const { return info().kind; }
  /** Why it is what it is (fallbacks included). */
  std::string reason() const {
    return borrowed_text([&](const char **t) { return lf_semaphore_get_reason(get(), t); });
  }
  /** A new fd of the semaphore: for another process, or (Vulkan kind) for CUDA/OpenCL/Vulkan. */
  unique_fd export_fd() const {
    int fd = -1;
    check(lf_semaphore_export_fd(get(), &fd));
    return unique_fd(fd);
  }
  /** Sends the semaphore (its description and fd) over a connected AF_UNIX socket. */
  void send(int socket_fd) const { check(lf_semaphore_send(get(), socket_fd)); }
  /** The Vulkan objects of a Vulkan semaphore (lf::error LF_ERR_INVALID_STATE for a shared one). */
  lf_vulkan_semaphore_info_t vulkan_info() const {
    auto info = sized<lf_vulkan_semaphore_info_t>();
    check(lf_semaphore_get_vulkan_info(get(), &info));
    return info;
  }

 private:
  unique_handle<lf_semaphore_t, lf_semaphore_destroy> handle_;
};

/** A semaphore this object does not own: a consumer's, received in a buffer message (its channel
 *  end owns it). Signal, wait and read it as an lf::semaphore. */
class semaphore_view {
 public:
  /** Views `raw` (borrowed). */
  explicit semaphore_view(lf_semaphore_t *raw) noexcept : raw_(raw) {}
  /** The C handle. */
  lf_semaphore_t *get() const noexcept { return raw_; }
  /** Raises the value to `value`. */
  void signal(uint64_t value) { check(lf_semaphore_signal(raw_, value)); }
  /** Waits until the value is at least `value`: true, or false at the timeout. */
  bool wait(uint64_t value, lf::timeout wait = wait_forever) {
    return check(lf_semaphore_wait(raw_, value, wait.nanoseconds())) == LF_OK;
  }
  /** The current value. */
  uint64_t value() const {
    uint64_t value = 0;
    check(lf_semaphore_get_value(raw_, &value));
    return value;
  }
  /** The Vulkan objects of a Vulkan semaphore (to wait on it in a queue submission). */
  lf_vulkan_semaphore_info_t vulkan_info() const {
    auto info = sized<lf_vulkan_semaphore_info_t>();
    check(lf_semaphore_get_vulkan_info(raw_, &info));
    return info;
  }

 private:
  lf_semaphore_t *raw_;
};

/** What a buffer message says about its semaphores: ready when `ready` reaches `ready_value`;
 *  the consumer signals `done` at `done_value` when finished. Either may be absent. */
struct buffer_sync {
  const semaphore *ready = nullptr;  ///< (borrowed)
  uint64_t ready_value = 0;          ///< the value the bytes are ready at
  const semaphore *done = nullptr;   ///< (borrowed)
  uint64_t done_value = 0;           ///< the value the consumer signals when done
};

/** The semaphores of a received buffer message, as the consumer's own handles. */
struct received_sync {
  std::optional<semaphore_view> ready;  ///< the bytes are ready when this reaches ready_value
  uint64_t ready_value = 0;             ///< the value to wait for
  std::optional<semaphore_view> done;   ///< signal this at done_value when done with them
  uint64_t done_value = 0;              ///< the value to signal
};

/** lf::producer::send_buffer() with semaphores (lf_channel_send_buffer_sync): false when the
 *  ring stayed full. */
inline bool send_buffer_sync(producer &end, const buffer_view &memory, uint64_t offset, uint64_t length,
                             const buffer_sync &sync, std::span<const std::byte> inline_data = {},
                             lf::timeout wait = wait_forever) {
  const lf_buffer_sync_t raw{sync.ready != nullptr ? sync.ready->get() : nullptr, sync.ready_value,
                             sync.done != nullptr ? sync.done->get() : nullptr, sync.done_value};
  return check(lf_channel_send_buffer_sync(end.get(), memory.get(), offset, length, &raw, inline_data.data(),
                                           inline_data.size(), wait.milliseconds())) == LF_OK;
}

/** The semaphores of the message `end` has peeked (lf_channel_peeked_sync); none for a message
 *  sent without them. */
inline received_sync peeked_sync(consumer &end) {
  lf_buffer_sync_t raw{};
  check(lf_channel_peeked_sync(end.get(), &raw));
  received_sync out;
  if (raw.ready != nullptr) out.ready.emplace(raw.ready);
  if (raw.done != nullptr) out.done.emplace(raw.done);
  out.ready_value = raw.ready_value;
  out.done_value = raw.done_value;
  return out;
}

/** A semaphore kind's name ("shared", "vulkan"). */
inline std::string semaphore_kind_name(int32_t kind) { return lf_semaphore_kind_name(kind); }

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_CPP_SYNC_HPP */

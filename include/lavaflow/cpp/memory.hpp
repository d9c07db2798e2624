/**
 * @file cpp/memory.hpp
 * @brief lf::buffer (host, NUMA-bound, huge-page, shared and device memory), lf::buffer_pool.
 *
 * Part of the header-only C++20 wrapper; include <lavaflow/lavaflow.hpp>.
 */
#ifndef LAVAFLOW_CPP_MEMORY_HPP
#define LAVAFLOW_CPP_MEMORY_HPP

#include "context.hpp"

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <unistd.h>

/**
 * @addtogroup cpp
 * @{
 */

namespace lf {

/** A file descriptor this object owns and closes. */
class unique_fd {
 public:
  unique_fd() noexcept = default;
  /** Takes ownership of `fd`. */
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  /** Takes the fd of `other`. */
  unique_fd(unique_fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  /** Closes the current fd and takes the one of `other`. */
  unique_fd &operator=(unique_fd &&other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd &) = delete;
  unique_fd &operator=(const unique_fd &) = delete;
  ~unique_fd() { reset(); }
  /** The fd (still owned), or -1. */
  int get() const noexcept { return fd_; }
  /** Gives up ownership. */
  int release() noexcept { return std::exchange(fd_, -1); }
  /** Closes the fd now. */
  void reset() noexcept {
    if (fd_ >= 0) (void)::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

/** How to allocate a buffer: each setter sets one field of ::lf_buffer_params_t. */
class buffer_options {
 public:
  /** The kind of memory (::lf_memory_kind_t): LF_MEMORY_HOST (default), _SHARED, _DEVICE. */
  buffer_options &kind(int32_t kind) { return set(LF_BUFFER_PARAM_FIELD_KIND, params_.kind = kind); }
  /** Where the pages go (::lf_placement_t); `numa_node` for LF_PLACEMENT_NUMA_NODE. */
  buffer_options &placement(int32_t placement, uint32_t numa_node = 0) {
    params_.numa_node = numa_node;
    return set(LF_BUFFER_PARAM_FIELD_PLACEMENT, params_.placement = placement);
  }
  /** Bound to the NUMA node(s) of `peer` (kept by reference: it must outlive the options' use). */
  buffer_options &near(const identity &peer) {
    params_.peer = peer.get();
    params_.field_mask |= LF_BUFFER_PARAM_FIELD_PEER;
    return set(LF_BUFFER_PARAM_FIELD_PLACEMENT, params_.placement = LF_PLACEMENT_NEAR_PEER);
  }
  /** Huge pages (::lf_huge_pages_t). */
  buffer_options &huge_pages(int32_t mode) { return set(LF_BUFFER_PARAM_FIELD_HUGE_PAGES, params_.huge_pages = mode); }
  /** Alignment of the host address (a power of two). */
  buffer_options &alignment(uint64_t bytes) { return set(LF_BUFFER_PARAM_FIELD_ALIGNMENT, params_.alignment = bytes); }
  /** ::lf_buffer_flag bits: LF_BUFFER_FLAG_ZERO, _PREFAULT, _HOST_VISIBLE. */
  buffer_options &flags(uint64_t flags) { return set(LF_BUFFER_PARAM_FIELD_FLAGS, params_.flags |= flags); }
  /** ::lf_fallback bits, e.g. LF_FALLBACK_DEVICE_TO_HOST. */
  buffer_options &fallback(uint64_t fallback) { return set(LF_BUFFER_PARAM_FIELD_FALLBACK, params_.fallback = fallback); }
  /** Device memory on the device of this index (lf::context::devices() order). */
  buffer_options &device(int32_t index) { return set(LF_BUFFER_PARAM_FIELD_DEVICE, params_.device_index = index); }
  /** Device memory on the device with this UUID. */
  buffer_options &device(const std::array<uint8_t, 16> &uuid) {
    uuid_ = uuid;
    has_uuid_ = true;
    return set(LF_BUFFER_PARAM_FIELD_DEVICE, 0);
  }
  /** Shared memory published under a name other processes can lf::buffer::open(). */
  buffer_options &name(std::string name) {
    name_ = std::move(name);
    return set(LF_BUFFER_PARAM_FIELD_NAME, 0);
  }
  /** The C params, valid while these options live unchanged. */
  const lf_buffer_params_t *raw() const noexcept {
    params_.name = (params_.field_mask & LF_BUFFER_PARAM_FIELD_NAME) ? name_.c_str() : nullptr;
    params_.device_uuid = has_uuid_ ? uuid_.data() : nullptr;
    return &params_;
  }

 private:
  template <typename V>
  buffer_options &set(uint64_t field, V) {
    params_.field_mask |= field;
    return *this;
  }
  mutable lf_buffer_params_t params_{};
  std::string name_;
  std::array<uint8_t, 16> uuid_{};
  bool has_uuid_ = false;
};

/**
 * Access to a buffer this object does not own (a buffer received on a channel belongs to the
 * channel). lf::buffer owns its buffer and has the same calls.
 */
class buffer_view {
 public:
  buffer_view() noexcept = default;
  /** Views `raw` (borrowed). */
  explicit buffer_view(lf_buffer_t *raw) noexcept : raw_(raw) {}
  /** The C handle. */
  lf_buffer_t *get() const noexcept { return raw_; }

  /** The bytes; lf::error LF_ERR_INVALID_STATE for device-local memory (no host address). */
  std::span<std::byte> bytes() const {
    void *pointer = nullptr;
    size_t size = 0;
    check(lf_buffer_get_data(raw_, &pointer, &size));
    return {static_cast<std::byte *>(pointer), size};
  }
  /** The bytes as elements of a trivially copyable type (the tail that does not fill one is left out). */
  template <typename T>
  std::span<T> as() const {
    static_assert(std::is_trivially_copyable_v<T>, "a buffer holds trivially copyable elements");
    const auto b = bytes();
    if (reinterpret_cast<uintptr_t>(b.data()) % alignof(T) != 0)
      detail::fail(LF_ERR_INVALID_ARGUMENT, "the buffer is not aligned for this element type");
    return {reinterpret_cast<T *>(b.data()), b.size() / sizeof(T)};
  }
  /** Usable bytes. */
  uint64_t size() const { return info().size; }
  /** The kind obtained (::lf_memory_kind_t). */
  int32_t kind() const { return info().kind; }
  /** What the buffer is. */
  lf_buffer_info_t info() const {
    auto info = sized<lf_buffer_info_t>();
    check(lf_buffer_get_info(raw_, &info));
    return info;
  }
  /** How it was allocated and why (fallbacks included). */
  std::string reason() const {
    return borrowed_text([&](const char **t) { return lf_buffer_get_reason(raw_, t); });
  }
  /** A new fd of the memory, for another process (shared or device memory). */
  unique_fd export_fd() const {
    int fd = -1;
    check(lf_buffer_export_fd(raw_, &fd));
    return unique_fd(fd);
  }
  /** Sends the buffer (its description and fd) over a connected AF_UNIX socket. */
  void send(int socket_fd) const { check(lf_buffer_send(raw_, socket_fd)); }
  /** The Vulkan objects of device memory. */
  lf_vulkan_memory_info_t vulkan_info() const {
    auto info = sized<lf_vulkan_memory_info_t>();
    check(lf_buffer_get_vulkan_info(raw_, &info));
    return info;
  }

 protected:
  lf_buffer_t *raw_ = nullptr;  ///< the buffer
};

/** A buffer this object owns (destroyed, or given back to its pool, on destruction). */
class buffer : public buffer_view {
 public:
  /** Allocates `size` bytes. */
  buffer(const context &ctx, size_t size, const buffer_options &options = {}) {
    check(lf_buffer_create(ctx.get(), size, options.raw(), &raw_));
  }
  /** Takes ownership of a C buffer handle. */
  explicit buffer(lf_buffer_t *owned) noexcept : buffer_view(owned) {}
  /** Maps shared memory another process exported (`fd` is borrowed: lavaflow duplicates it). */
  static buffer import_fd(const context &ctx, int fd, uint64_t expected_size = 0, bool read_only = false) {
    const auto params = import_params(expected_size, read_only);
    lf_buffer_t *raw = nullptr;
    check(lf_buffer_import_fd(ctx.get(), fd, &params, &raw));
    return buffer(raw);
  }
  /** Maps shared memory another process of this user published under `name`. */
  static buffer open(const context &ctx, const std::string &name, uint64_t expected_size = 0, bool read_only = false) {
    const auto params = import_params(expected_size, read_only);
    lf_buffer_t *raw = nullptr;
    check(lf_buffer_open(ctx.get(), name.c_str(), &params, &raw));
    return buffer(raw);
  }
  /** Receives a buffer another process sent with lf::buffer_view::send(). */
  static result<buffer> recv(const context &ctx, int socket_fd, lf::timeout wait = wait_forever) {
    lf_buffer_t *raw = nullptr;
    const lf_status_t status = check(lf_buffer_recv(ctx.get(), socket_fd, wait.milliseconds(), &raw));
    if (status != LF_OK) return result<buffer>::none(status);
    return buffer(raw);
  }

  /** Takes over what `other` holds (`other` is left empty). */

  buffer(buffer &&other) noexcept : buffer_view(std::exchange(other.raw_, nullptr)) {}
  /** Releases what this holds, then takes over what `other` holds. */
  buffer &operator=(buffer &&other) noexcept {
    if (this != &other) {
      reset();
      raw_ = std::exchange(other.raw_, nullptr);
    }
    return *this;
  }
  buffer(const buffer &) = delete;
  buffer &operator=(const buffer &) = delete;
  ~buffer() { reset(); }
  /** Destroys the buffer now. */
  void reset() noexcept {
    if (raw_ != nullptr) (void)lf_buffer_destroy(raw_);
    raw_ = nullptr;
  }

 private:
  static lf_buffer_import_params_t import_params(uint64_t expected_size, bool read_only) noexcept {
    lf_buffer_import_params_t params{};
    if (expected_size != 0) {
      params.field_mask |= LF_BUFFER_IMPORT_PARAM_FIELD_SIZE;
      params.size = expected_size;
    }
    if (read_only) {
      params.field_mask |= LF_BUFFER_IMPORT_PARAM_FIELD_FLAGS;
      params.flags = LF_BUFFER_IMPORT_READ_ONLY;
    }
    return params;
  }
};

/** A cache of same-size buffers: acquire() reuses a given-back buffer before allocating. */
class buffer_pool {
 public:
  /** A pool of `buffer_size`-byte buffers; keeps up to `max_cached` given back, makes `preallocate` now. */
  buffer_pool(const context &ctx, size_t buffer_size, const buffer_options &options = {}, uint32_t max_cached = 0,
              uint32_t preallocate = 0) {
    lf_buffer_pool_params_t params{};
    if (max_cached != 0) {
      params.field_mask |= LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED;
      params.max_cached = max_cached;
    }
    if (preallocate != 0) {
      params.field_mask |= LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE;
      params.preallocate = preallocate;
    }
    lf_buffer_pool_t *raw = nullptr;
    check(lf_buffer_pool_create(ctx.get(), buffer_size, options.raw(), &params, &raw));
    handle_ = unique_handle<lf_buffer_pool_t, lf_buffer_pool_destroy>(raw);
  }
  /** The C handle. */
  lf_buffer_pool_t *get() const noexcept { return handle_.get(); }
  /** A buffer: destroying it gives it back to the pool. */
  buffer acquire() {
    lf_buffer_t *raw = nullptr;
    check(lf_buffer_pool_acquire(get(), &raw));
    return buffer(raw);
  }

 private:
  unique_handle<lf_buffer_pool_t, lf_buffer_pool_destroy> handle_;
};

/** A device type's name ("discrete", "cpu", ...). */
inline std::string device_type_name(int32_t type) { return lf_device_type_name(type); }

/** A memory kind's name ("host", "shared", "device"). */
inline std::string memory_kind_name(int32_t kind) { return lf_memory_kind_name(kind); }

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_CPP_MEMORY_HPP */

/**
 * @file cpp/channel.hpp
 * @brief lf::producer and lf::consumer: ordered, bounded channels; zero-copy lf::loan and
 *        lf::message.
 *
 * The data calls are one C call each plus a branch: `LF_WOULD_BLOCK`, `LF_TIMEOUT` and
 * `LF_END_OF_STREAM` come back as values (bool, std::optional, lf::result), errors as
 * lf::error. An end is used by one thread at a time (channel.h); it may move between threads.
 * Part of the header-only C++20 wrapper; include <lavaflow/lavaflow.hpp>.
 */
#ifndef LAVAFLOW_CPP_CHANNEL_HPP
#define LAVAFLOW_CPP_CHANNEL_HPP

#include "memory.hpp"

#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <type_traits>

/**
 * @addtogroup cpp
 * @{
 */

namespace lf {

/** How to make a channel end: each setter sets one field of ::lf_channel_params_t. */
class channel_options {
 public:
  /** Bytes per producer ring: a power of two from 4 KiB to 1 GiB (create). */
  channel_options &capacity(uint64_t bytes) { params_.capacity = bytes; return set(LF_CHANNEL_PARAM_FIELD_CAPACITY); }
  /** The largest message, at most capacity / 2 - 16 (create). */
  channel_options &max_message_size(uint64_t bytes) {
    params_.max_message_size = bytes;
    return set(LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE);
  }
  /** 1 for SPSC, up to 64 for MPSC (create). */
  channel_options &max_producers(uint32_t count) {
    params_.max_producers = count;
    return set(LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS);
  }
  /** How a blocked call waits (::lf_wait_mode_t). */
  channel_options &wait_mode(int32_t mode) { params_.wait_mode = mode; return set(LF_CHANNEL_PARAM_FIELD_WAIT_MODE); }
  /** Adaptive waiting: spin this long before sleeping. */
  channel_options &spin(std::chrono::microseconds time) {
    params_.spin_us = static_cast<uint32_t>(time.count());
    return set(LF_CHANNEL_PARAM_FIELD_SPIN_US);
  }
  /** Open: how long to wait for the channel to be created. */
  channel_options &connect_timeout(lf::timeout wait) {
    params_.connect_timeout_ms = wait.milliseconds();
    return set(LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT);
  }
  /** The C params for an end of this role (::lf_channel_role_t). */
  lf_channel_params_t raw(int32_t role) const noexcept {
    lf_channel_params_t params = params_;
    params.field_mask |= LF_CHANNEL_PARAM_FIELD_ROLE;
    params.role = role;
    return params;
  }

 private:
  channel_options &set(uint64_t field) {
    params_.field_mask |= field;
    return *this;
  }
  lf_channel_params_t params_{};
};

/** Room reserved in a ring: write it, then commit(). Destroying it uncommitted aborts it. */
class loan {
 public:
  /** A pending reservation of `size` bytes at `data` on `channel` (see lf::producer::reserve()). */
  loan(lf_channel_t *channel, void *data, size_t size) noexcept
      : channel_(channel), data_(static_cast<std::byte *>(data)), size_(size) {}
  /** Takes over what `other` holds (`other` is left empty). */
  loan(loan &&other) noexcept
      : channel_(std::exchange(other.channel_, nullptr)), data_(other.data_), size_(other.size_) {}
  /** Releases what this holds, then takes over what `other` holds. */
  loan &operator=(loan &&other) noexcept {
    if (this != &other) {
      abort();
      channel_ = std::exchange(other.channel_, nullptr);
      data_ = other.data_;
      size_ = other.size_;
    }
    return *this;
  }
  loan(const loan &) = delete;
  loan &operator=(const loan &) = delete;
  ~loan() { abort(); }

  /** The reserved bytes, to write. */
  std::span<std::byte> bytes() const noexcept { return {data_, size_}; }
  /** Where to write. */
  std::byte *data() const noexcept { return data_; }
  /** The reserved bytes as elements of a trivially copyable type (lf::error if misaligned for it). */
  template <typename T>
  std::span<T> as() const {
    static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable values travel as bytes");
    if (reinterpret_cast<uintptr_t>(data_) % alignof(T) != 0)
      detail::fail(LF_ERR_INVALID_ARGUMENT, "the reservation is not aligned for this element type");
    return {reinterpret_cast<T *>(data_), size_ / sizeof(T)};
  }
  /** How many bytes were reserved. */
  size_t size() const noexcept { return size_; }
  /** Whether the reservation is still pending. */
  bool pending() const noexcept { return channel_ != nullptr; }
  /** Publishes the whole reservation. */
  void commit() { commit(size_); }
  /** Publishes the first `size` bytes (at most the reserved size). */
  void commit(size_t size) {
    if (channel_ == nullptr) [[unlikely]]
      detail::fail(LF_ERR_INVALID_STATE, "the loan was already committed or aborted");
    check(lf_channel_commit(channel_, size));  // (a refused commit, e.g. too long, stays pending)
    channel_ = nullptr;
  }
  /** Gives the room back without sending (what the destructor does). */
  void abort() noexcept {
    if (channel_ != nullptr) (void)lf_channel_abort(std::exchange(channel_, nullptr));
  }

 private:
  lf_channel_t *channel_;
  std::byte *data_;
  size_t size_;
};

/** Where a buffer-reference message points: a buffer owned by the consumer's channel end. */
struct buffer_reference {
  buffer_view buffer;   ///< the imported buffer (valid until received past its forget, or the end is destroyed)
  uint64_t offset = 0;  ///< where the referred bytes start
  uint64_t length = 0;  ///< how many bytes
  /** The referred bytes (host-visible memory). */
  std::span<std::byte> bytes() const { return buffer.bytes().subspan(offset, length); }
};

/** A message read in place in the ring; released (its room given back) on destruction. */
class message {
 public:
  /** The peeked message of `channel` (see lf::consumer::peek()). */
  message(lf_channel_t *channel, const void *data, size_t size) noexcept
      : channel_(channel), data_(static_cast<const std::byte *>(data)), size_(size) {}
  /** Takes over what `other` holds (`other` is left empty). */
  message(message &&other) noexcept
      : channel_(std::exchange(other.channel_, nullptr)), data_(other.data_), size_(other.size_) {}
  /** Releases what this holds, then takes over what `other` holds. */
  message &operator=(message &&other) noexcept {
    if (this != &other) {
      release();
      channel_ = std::exchange(other.channel_, nullptr);
      data_ = other.data_;
      size_ = other.size_;
    }
    return *this;
  }
  message(const message &) = delete;
  message &operator=(const message &) = delete;
  ~message() { release(); }

  /** The bytes (the inline data of a buffer-reference message). */
  std::span<const std::byte> bytes() const noexcept { return {data_, size_}; }
  /** The first byte. */
  const std::byte *data() const noexcept { return data_; }
  /** The bytes as elements of a trivially copyable type, in place (lf::error if misaligned for it). */
  template <typename T>
  std::span<const T> as_span() const {
    static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable values travel as bytes");
    if (reinterpret_cast<uintptr_t>(data_) % alignof(T) != 0)
      detail::fail(LF_ERR_INVALID_ARGUMENT, "the message is not aligned for this element type");
    return {reinterpret_cast<const T *>(data_), size_ / sizeof(T)};
  }
  /** The length. */
  size_t size() const noexcept { return size_; }
  /** The bytes as one value of a trivially copyable type; lf::error if the size differs. */
  template <typename T>
  T as() const {
    static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable values travel as bytes");
    if (size_ != sizeof(T)) detail::fail(LF_ERR_INVALID_ARGUMENT, "the message's size is not the value's");
    T value;
    std::memcpy(&value, data_, sizeof(T));
    return value;
  }
  /** The buffer this message refers to, or nothing for a plain message (imports it the first time). */
  std::optional<buffer_reference> buffer() const {
    lf_buffer_t *raw = nullptr;
    uint64_t offset = 0, length = 0;
    const lf_status_t status = lf_channel_peeked_buffer(channel_, &raw, &offset, &length);
    if (status == LF_ERR_NOT_FOUND) return std::nullopt;
    check(status);
    return buffer_reference{buffer_view(raw), offset, length};
  }
  /** Releases the message now (what the destructor does). */
  void release() noexcept {
    if (channel_ != nullptr) (void)lf_channel_release(std::exchange(channel_, nullptr));
  }

 private:
  lf_channel_t *channel_;
  const std::byte *data_;
  size_t size_;
};

/** A message received with lf::consumer::recv_buffer(): its inline length and any buffer it refers to. */
struct received {
  size_t size = 0;                           ///< inline bytes copied
  std::optional<buffer_reference> reference;  ///< the referred buffer, for a buffer message
};

namespace detail {
/** What both ends have: the handle, info, reason, close. */
class channel_end {
 public:
  /** The C handle. */
  lf_channel_t *get() const noexcept { return handle_.get(); }
  /** The state of this end. */
  lf_channel_info_t info() const {
    auto info = sized<lf_channel_info_t>();
    check(lf_channel_get_info(get(), &info));
    return info;
  }
  /** The transport's name ("in_process", "shared_memory", "mpi", "none" before a peer came). */
  std::string transport() const { return lf_transport_name(info().transport); }
  /** Why this transport, in one line. */
  std::string reason() const {
    return borrowed_text([&](const char **t) { return lf_channel_get_reason(get(), t); });
  }
  /** Closes this end (the peer sees the end of the stream, or LF_ERR_CLOSED). */
  void close() { check(lf_channel_close(get())); }

 protected:
  channel_end() noexcept = default;
  /** Takes ownership of a C channel handle. */
  explicit channel_end(lf_channel_t *owned) noexcept : handle_(owned) {}
  /** Makes an end by name. */
  channel_end(const context &ctx, const std::string &name, const lf_channel_params_t &params, bool create) {
    lf_channel_t *raw = nullptr;
    check(create ? lf_channel_create(ctx.get(), name.c_str(), &params, &raw)
                 : lf_channel_open(ctx.get(), name.c_str(), &params, &raw));
    handle_ = unique_handle<lf_channel_t, lf_channel_destroy>(raw);
  }
  /** Makes an end in shared memory the caller provides. */
  channel_end(const context &ctx, const buffer_view &memory, const lf_channel_params_t &params, bool create) {
    lf_channel_t *raw = nullptr;
    check(create ? lf_channel_create_in_buffer(ctx.get(), memory.get(), &params, &raw)
                 : lf_channel_open_buffer(ctx.get(), memory.get(), &params, &raw));
    handle_ = unique_handle<lf_channel_t, lf_channel_destroy>(raw);
  }

 private:
  unique_handle<lf_channel_t, lf_channel_destroy> handle_;
};
}  // namespace detail

/** The sending end of a channel. */
class producer : public detail::channel_end {
 public:
  /** Opens the channel `name` a consumer created. */
  static producer open(const context &ctx, const std::string &name, const channel_options &options = {}) {
    return producer(ctx, name, options.raw(LF_CHANNEL_PRODUCER), false);
  }
  /** Creates the channel `name` as its producer (its consumer opens it). */
  static producer create(const context &ctx, const std::string &name, const channel_options &options = {}) {
    return producer(ctx, name, options.raw(LF_CHANNEL_PRODUCER), true);
  }
  /** Creates a channel in shared memory the caller provides (lf::channel_buffer_size() bytes). */
  static producer create_in(const context &ctx, const buffer_view &memory, const channel_options &options = {}) {
    return producer(ctx, memory, options.raw(LF_CHANNEL_PRODUCER), true);
  }
  /** Opens a channel another end created in `memory`. */
  static producer open_in(const context &ctx, const buffer_view &memory, const channel_options &options = {}) {
    return producer(ctx, memory, options.raw(LF_CHANNEL_PRODUCER), false);
  }
  /** Takes ownership of a C producer handle (e.g. from lf_mpi_channel_open()). */
  explicit producer(lf_channel_t *owned) noexcept : channel_end(owned) {}

  /** Copies `data` in as one message; false when the ring stayed full for the whole timeout. */
  bool send(std::span<const std::byte> data, lf::timeout wait = wait_forever) {
    return send_bytes(data.data(), data.size(), wait);
  }
  /** Copies the elements of `data` in as one message. */
  template <typename T, size_t N>
  bool send(std::span<T, N> data, lf::timeout wait = wait_forever) {
    static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable values travel as bytes");
    return send_bytes(data.data(), data.size_bytes(), wait);
  }
  /** Copies one trivially copyable value in as one message. */
  template <typename T>
  bool send_value(const T &value, lf::timeout wait = wait_forever) {
    static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable values travel as bytes");
    return send_bytes(&value, sizeof(T), wait);
  }
  /** Room for a message of up to `size` bytes to write in place; nothing when the ring stayed full. */
  std::optional<loan> reserve(size_t size, lf::timeout wait = wait_forever) {
    void *data = nullptr;
    if (check(lf_channel_reserve(get(), size, wait.milliseconds(), &data)) != LF_OK) return std::nullopt;
    return std::optional<loan>(std::in_place, get(), data, size);
  }
  /** Sends a reference to `length` bytes at `offset` of shared or device memory, with inline bytes. */
  bool send_buffer(const buffer_view &memory, uint64_t offset, uint64_t length,
                   std::span<const std::byte> inline_data = {}, lf::timeout wait = wait_forever) {
    return check(lf_channel_send_buffer(get(), memory.get(), offset, length, inline_data.data(), inline_data.size(),
                                        wait.milliseconds())) == LF_OK;
  }
  /** Stops referring to `memory` (the consumer releases its import when it gets here). */
  bool forget_buffer(const buffer_view &memory, lf::timeout wait = wait_forever) {
    return check(lf_channel_forget_buffer(get(), memory.get(), wait.milliseconds())) == LF_OK;
  }

 private:
  using channel_end::channel_end;
  bool send_bytes(const void *data, size_t size, lf::timeout wait) {
    return check(lf_channel_send(get(), data, size, wait.milliseconds())) == LF_OK;
  }
};

/** The receiving end of a channel. */
class consumer : public detail::channel_end {
 public:
  /** Creates the channel `name` as its consumer (producers open it). */
  static consumer create(const context &ctx, const std::string &name, const channel_options &options = {}) {
    return consumer(ctx, name, options.raw(LF_CHANNEL_CONSUMER), true);
  }
  /** Opens the channel `name` a producer created. */
  static consumer open(const context &ctx, const std::string &name, const channel_options &options = {}) {
    return consumer(ctx, name, options.raw(LF_CHANNEL_CONSUMER), false);
  }
  /** Creates a channel in shared memory the caller provides (lf::channel_buffer_size() bytes). */
  static consumer create_in(const context &ctx, const buffer_view &memory, const channel_options &options = {}) {
    return consumer(ctx, memory, options.raw(LF_CHANNEL_CONSUMER), true);
  }
  /** Opens a channel another end created in `memory`. */
  static consumer open_in(const context &ctx, const buffer_view &memory, const channel_options &options = {}) {
    return consumer(ctx, memory, options.raw(LF_CHANNEL_CONSUMER), false);
  }
  /** Takes ownership of a C consumer handle (e.g. from lf_mpi_channel_open()). */
  explicit consumer(lf_channel_t *owned) noexcept : channel_end(owned) {}

  /** The next message, read in place until the lf::message is destroyed. */
  result<message> peek(lf::timeout wait = wait_forever) {
    const void *data = nullptr;
    size_t size = 0;
    const lf_status_t status = check(lf_channel_peek(get(), wait.milliseconds(), &data, &size));
    if (status != LF_OK) return result<message>::none(status);
    return result<message>(std::in_place, get(), data, size);
  }
  /** Copies the next message into `out` and gives its length; a longer one stays queued (lf::error LF_ERR_BUFFER_TOO_SMALL). */
  result<size_t> recv(std::span<std::byte> out, lf::timeout wait = wait_forever) {
    return recv_bytes(out.data(), out.size(), wait);
  }
  /** Copies the next message into the elements of `out`; gives its length in bytes. */
  template <typename T, size_t N>
  result<size_t> recv(std::span<T, N> out, lf::timeout wait = wait_forever) {
    static_assert(std::is_trivially_copyable_v<T> && !std::is_const_v<T>, "a writable span of trivially copyable values");
    return recv_bytes(out.data(), out.size_bytes(), wait);
  }
  /**
   * The next message as one value of a trivially copyable type. A longer message stays
   * queued (lf::error LF_ERR_BUFFER_TOO_SMALL); a shorter one is consumed and reported as
   * lf::error LF_ERR_INVALID_ARGUMENT.
   */
  template <typename T>
  result<T> recv_value(lf::timeout wait = wait_forever) {
    static_assert(std::is_trivially_copyable_v<T>, "only trivially copyable values travel as bytes");
    T value;
    size_t size = 0;
    const lf_status_t status = check(lf_channel_recv(get(), &value, sizeof(T), &size, wait.milliseconds()));
    if (status != LF_OK) return result<T>::none(status);
    if (size != sizeof(T)) detail::fail(LF_ERR_INVALID_ARGUMENT, "a message shorter than the value was received");
    return result<T>(value);
  }
  /** The next message, plain or buffer reference: inline bytes copied to `out`. */
  result<received> recv_buffer(std::span<std::byte> out, lf::timeout wait = wait_forever) {
    lf_buffer_t *raw = nullptr;
    uint64_t offset = 0, length = 0;
    size_t size = 0;
    const lf_status_t status = check(
        lf_channel_recv_buffer(get(), &raw, &offset, &length, out.data(), out.size(), &size, wait.milliseconds()));
    if (status != LF_OK) return result<received>::none(status);
    received got{size, std::nullopt};
    if (raw != nullptr) got.reference = buffer_reference{buffer_view(raw), offset, length};
    return result<received>(got);
  }

 private:
  using channel_end::channel_end;
  result<size_t> recv_bytes(void *out, size_t capacity, lf::timeout wait) {
    size_t size = 0;
    const lf_status_t status = check(lf_channel_recv(get(), out, capacity, &size, wait.milliseconds()));
    if (status != LF_OK) return result<size_t>::none(status);
    return result<size_t>(size);
  }
};

/** Bytes of shared memory a channel of this capacity and producer count needs (create_in()). */
inline uint64_t channel_buffer_size(uint64_t capacity, uint32_t max_producers = 1) {
  uint64_t size = 0;
  check(lf_channel_buffer_size(capacity, max_producers, &size));
  return size;
}

/** A transport's name. */
inline std::string transport_name(int32_t transport) { return lf_transport_name(transport); }

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_CPP_CHANNEL_HPP */

/**
 * @file cpp/pool.hpp
 * @brief The tensor pool: lf::pool_producer, lf::pool_consumer, lf::pool_driver, lf::tensor.
 *
 * A producer claims a slot (lf::frame_loan), writes the payload and commits it with its
 * lf::tensor (shape, dtype, strides); a consumer reads lf::frame views in place, released on
 * destruction. Part of the header-only C++20 wrapper; include <lavaflow/lavaflow.hpp>.
 */
#ifndef LAVAFLOW_CPP_POOL_HPP
#define LAVAFLOW_CPP_POOL_HPP

#include "context.hpp"

#include <cstddef>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

/**
 * @addtogroup cpp
 * @{
 */

namespace lf {

/** Bytes of one element of a dtype (::lf_dtype_t); 0 for LF_DTYPE_BIT (packed) and unknown ones. */
constexpr size_t dtype_size(int32_t dtype) noexcept {
  switch (dtype) {
    case LF_DTYPE_UINT8: case LF_DTYPE_INT8: case LF_DTYPE_BOOLEAN: case LF_DTYPE_BYTES: return 1;
    case LF_DTYPE_UINT16: case LF_DTYPE_INT16: return 2;
    case LF_DTYPE_UINT32: case LF_DTYPE_INT32: case LF_DTYPE_FLOAT32: return 4;
    case LF_DTYPE_UINT64: case LF_DTYPE_INT64: case LF_DTYPE_FLOAT64: return 8;
    default: return 0;
  }
}

/** A dtype's name ("float32", ...). */
inline std::string dtype_name(int32_t dtype) { return lf_dtype_name(dtype); }

/** What a frame holds: dtype, element order, shape, strides (the slot header's fields). */
class tensor {
 public:
  tensor() noexcept = default;
  /** A contiguous array of `dtype` (::lf_dtype_t) with these extents (1..8 of them). */
  tensor(int32_t dtype, std::span<const int32_t> shape, int32_t order = LF_ORDER_ROW) {
    if (shape.empty() || shape.size() > LF_POOL_MAX_DIMS)
      detail::fail(LF_ERR_INVALID_ARGUMENT, "a tensor has 1 to LF_POOL_MAX_DIMS dimensions");
    raw_.dtype = dtype;
    raw_.major_order = order;
    raw_.ndims = static_cast<uint32_t>(shape.size());
    for (size_t i = 0; i < shape.size(); ++i) raw_.dims[i] = shape[i];
  }
  /** A contiguous array of `dtype` with these extents. */
  tensor(int32_t dtype, std::initializer_list<int32_t> shape, int32_t order = LF_ORDER_ROW)
      : tensor(dtype, std::span<const int32_t>(shape.begin(), shape.size()), order) {}
  /** The C header fields, as they are. */
  explicit tensor(const lf_pool_tensor_t &raw) noexcept : raw_(raw) {}

  /** Byte strides, one per dimension (all 0, the default: contiguous). */
  tensor &strides(std::span<const int32_t> strides) {
    if (strides.size() != raw_.ndims) detail::fail(LF_ERR_INVALID_ARGUMENT, "one stride per dimension");
    for (size_t i = 0; i < strides.size(); ++i) raw_.strides[i] = strides[i];
    return *this;
  }
  /** The producer's timestamp (default 0: lavaflow stamps CLOCK_MONOTONIC). */
  tensor &timestamp(uint64_t ns) noexcept {
    raw_.timestamp_ns = ns;
    return *this;
  }

  /** The element type (::lf_dtype_t). */
  int32_t dtype() const noexcept { return raw_.dtype; }
  /** The element order (::lf_major_order_t). */
  int32_t order() const noexcept { return raw_.major_order; }
  /** The extents. */
  std::span<const int32_t> shape() const noexcept { return {raw_.dims, raw_.ndims <= LF_POOL_MAX_DIMS ? raw_.ndims : 0u}; }
  /** The byte strides (all 0: contiguous). */
  std::span<const int32_t> strides() const noexcept { return {raw_.strides, shape().size()}; }
  /** The timestamp. */
  uint64_t timestamp() const noexcept { return raw_.timestamp_ns; }
  /** The stream's metadata version the frame was made with. */
  uint32_t meta_version() const noexcept { return raw_.meta_version; }
  /** How many elements. */
  uint64_t elements() const noexcept {
    uint64_t n = 1;
    for (int32_t d : shape()) n *= static_cast<uint64_t>(d < 0 ? 0 : d);
    return n;
  }
  /** Bytes of a contiguous payload (0 for packed bits and unknown dtypes). */
  uint64_t bytes() const noexcept { return elements() * dtype_size(raw_.dtype); }
  /** The C header fields. */
  const lf_pool_tensor_t &raw() const noexcept { return raw_; }

 private:
  lf_pool_tensor_t raw_{};
};

/** How to attach a pool producer: each setter sets one field of ::lf_pool_producer_params_t. */
class pool_producer_options {
 public:
  /** A client id unique among the attached clients. */
  pool_producer_options &client_id(uint64_t id) { p_.client_id = id; return set(LF_POOL_PRODUCER_PARAM_FIELD_CLIENT_ID); }
  /** The driver's stream profile. */
  pool_producer_options &profile(std::string name) {
    profile_ = std::move(name);
    return set(LF_POOL_PRODUCER_PARAM_FIELD_PROFILE);
  }
  /** Huge-page backed regions or LF_ERR_UNSUPPORTED. */
  pool_producer_options &require_hugepages(bool on = true) {
    p_.require_hugepages = on;
    return set(LF_POOL_PRODUCER_PARAM_FIELD_REQUIRE_HUGEPAGES);
  }
  /** Whether to start an embedded driver when none listens (default yes). */
  pool_producer_options &start_driver(bool on) { p_.start_driver = on; return set(LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER); }
  /** How long to try to reach a driver. */
  pool_producer_options &connect_timeout(lf::timeout wait) {
    p_.connect_timeout_ms = wait.milliseconds();
    return set(LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT);
  }
  /** Attach to this user's driver (group sharing). */
  pool_producer_options &driver_uid(uint32_t uid) { p_.driver_uid = uid; return set(LF_POOL_PRODUCER_PARAM_FIELD_DRIVER_UID); }
  /** The C params, valid while these options live unchanged. */
  const lf_pool_producer_params_t *raw() const noexcept {
    p_.profile = (p_.field_mask & LF_POOL_PRODUCER_PARAM_FIELD_PROFILE) ? profile_.c_str() : nullptr;
    return &p_;
  }

 private:
  pool_producer_options &set(uint64_t field) {
    p_.field_mask |= field;
    return *this;
  }
  mutable lf_pool_producer_params_t p_{};
  std::string profile_;
};

/** How to attach a pool consumer: each setter sets one field of ::lf_pool_consumer_params_t. */
class pool_consumer_options {
 public:
  /** Every frame in order (the default). */
  pool_consumer_options &stream() { p_.mode = LF_POOL_MODE_STREAM; return set(LF_POOL_CONSUMER_PARAM_FIELD_MODE); }
  /** Always the newest frame. */
  pool_consumer_options &latest() { p_.mode = LF_POOL_MODE_LATEST; return set(LF_POOL_CONSUMER_PARAM_FIELD_MODE); }
  /** Every `n`-th sequence. */
  pool_consumer_options &decimated(uint32_t n) {
    p_.mode = LF_POOL_MODE_DECIMATED;
    p_.decimation = n;
    return set(LF_POOL_CONSUMER_PARAM_FIELD_MODE | LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION);
  }
  /** The newest frame, at most `hz` times a second. */
  pool_consumer_options &rate_limited(double hz) {
    p_.mode = LF_POOL_MODE_RATE_LIMITED;
    p_.max_rate_hz = hz;
    return set(LF_POOL_CONSUMER_PARAM_FIELD_MODE | LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE);
  }
  /** poll()/wait() report each epoch change once (lf::result::epoch_changed()). */
  pool_consumer_options &notify_epoch(bool on = true) {
    p_.notify_epoch = on;
    return set(LF_POOL_CONSUMER_PARAM_FIELD_NOTIFY_EPOCH);
  }
  /** wait(): spin this long before sleeping. */
  pool_consumer_options &spin(std::chrono::microseconds time) {
    p_.spin_us = static_cast<uint32_t>(time.count());
    return set(LF_POOL_CONSUMER_PARAM_FIELD_SPIN_US);
  }
  /** A client id unique among the attached clients. */
  pool_consumer_options &client_id(uint64_t id) { p_.client_id = id; return set(LF_POOL_CONSUMER_PARAM_FIELD_CLIENT_ID); }
  /** The profile used if this attach creates the stream. */
  pool_consumer_options &profile(std::string name) {
    profile_ = std::move(name);
    return set(LF_POOL_CONSUMER_PARAM_FIELD_PROFILE);
  }
  /** Whether to start an embedded driver when none listens (default yes). */
  pool_consumer_options &start_driver(bool on) { p_.start_driver = on; return set(LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER); }
  /** How long to try to reach a driver. */
  pool_consumer_options &connect_timeout(lf::timeout wait) {
    p_.connect_timeout_ms = wait.milliseconds();
    return set(LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT);
  }
  /** Attach to this user's driver (group sharing). */
  pool_consumer_options &driver_uid(uint32_t uid) { p_.driver_uid = uid; return set(LF_POOL_CONSUMER_PARAM_FIELD_DRIVER_UID); }
  /** The C params, valid while these options live unchanged. */
  const lf_pool_consumer_params_t *raw() const noexcept {
    p_.profile = (p_.field_mask & LF_POOL_CONSUMER_PARAM_FIELD_PROFILE) ? profile_.c_str() : nullptr;
    return &p_;
  }

 private:
  pool_consumer_options &set(uint64_t field) {
    p_.field_mask |= field;
    return *this;
  }
  mutable lf_pool_consumer_params_t p_{};
  std::string profile_;
};

/** A stream's metadata record: a name, units and up to 16 key/value attributes. */
struct pool_metadata {
  uint32_t version = 0;  ///< 0 when none was set; frames carry it as meta_version
  std::string name;      ///< at most 63 bytes
  std::string units;     ///< at most 31 bytes
  std::vector<std::pair<std::string, std::string>> attributes;  ///< keys 1..31 bytes, values at most 127

  /** The C record; lf::error LF_ERR_INVALID_ARGUMENT for a field that does not fit. */
  lf_pool_metadata_t raw() const {
    auto m = sized<lf_pool_metadata_t>();
    copy_field(m.name, sizeof m.name, name, "name");
    copy_field(m.units, sizeof m.units, units, "units");
    if (attributes.size() > 16) detail::fail(LF_ERR_INVALID_ARGUMENT, "metadata has at most 16 attributes");
    m.attribute_count = static_cast<uint32_t>(attributes.size());
    for (size_t i = 0; i < attributes.size(); ++i) {
      copy_field(m.attributes[i].key, sizeof m.attributes[i].key, attributes[i].first, "attribute key");
      copy_field(m.attributes[i].value, sizeof m.attributes[i].value, attributes[i].second, "attribute value");
    }
    return m;
  }
  /** From the C record. */
  static pool_metadata from(const lf_pool_metadata_t &m) {
    pool_metadata out;
    out.version = m.version;
    out.name.assign(m.name, ::strnlen(m.name, sizeof m.name));
    out.units.assign(m.units, ::strnlen(m.units, sizeof m.units));
    for (uint32_t i = 0; i < m.attribute_count && i < 16; ++i)
      out.attributes.emplace_back(std::string(m.attributes[i].key, ::strnlen(m.attributes[i].key, sizeof m.attributes[i].key)),
                                  std::string(m.attributes[i].value, ::strnlen(m.attributes[i].value, sizeof m.attributes[i].value)));
    return out;
  }

 private:
  static void copy_field(char *to, size_t capacity, const std::string &from, const char *what) {
    if (from.size() >= capacity) throw error(LF_ERR_INVALID_ARGUMENT, std::string("metadata ") + what + " is too long");
    std::memcpy(to, from.data(), from.size());
    to[from.size()] = '\0';
  }
};

/** A claimed payload slot: write it, then commit() with its tensor. Destroyed uncommitted, it is aborted. */
class frame_loan {
 public:
  /** A claim of `bytes` at `payload` on `producer` (see lf::pool_producer::claim()). */
  frame_loan(lf_pool_producer_t *producer, void *payload, uint32_t bytes) noexcept
      : producer_(producer), payload_(static_cast<std::byte *>(payload)), bytes_(bytes) {}
  /** Takes over what `other` holds (`other` is left empty). */
  frame_loan(frame_loan &&other) noexcept
      : producer_(std::exchange(other.producer_, nullptr)), payload_(other.payload_), bytes_(other.bytes_) {}
  /** Releases what this holds, then takes over what `other` holds. */
  frame_loan &operator=(frame_loan &&other) noexcept {
    if (this != &other) {
      abort();
      producer_ = std::exchange(other.producer_, nullptr);
      payload_ = other.payload_;
      bytes_ = other.bytes_;
    }
    return *this;
  }
  frame_loan(const frame_loan &) = delete;
  frame_loan &operator=(const frame_loan &) = delete;
  ~frame_loan() { abort(); }

  /** The payload to write. */
  std::span<std::byte> bytes() const noexcept { return {payload_, bytes_}; }
  /** The payload as elements of a trivially copyable type. */
  template <typename T>
  std::span<T> as() const noexcept {
    static_assert(std::is_trivially_copyable_v<T>, "a frame holds trivially copyable elements");
    return {reinterpret_cast<T *>(payload_), bytes_ / sizeof(T)};
  }
  /** Publishes the frame: its tensor and the payload's first `bytes` (default: all claimed). */
  void commit(const tensor &desc) { commit(desc, bytes_); }
  /** Publishes the frame with `bytes` of payload (at most the claimed size). */
  void commit(const tensor &desc, uint32_t bytes) {
    if (producer_ == nullptr) detail::fail(LF_ERR_INVALID_STATE, "the frame was already committed or aborted");
    if (bytes > bytes_) detail::fail(LF_ERR_INVALID_ARGUMENT, "commit of more bytes than were claimed");
    check(lf_pool_producer_commit(std::exchange(producer_, nullptr), &desc.raw(), bytes));
  }
  /** Gives the slot back without publishing (what the destructor does). */
  void abort() noexcept {
    if (producer_ != nullptr) (void)lf_pool_producer_abort(std::exchange(producer_, nullptr));
  }

 private:
  lf_pool_producer_t *producer_;
  std::byte *payload_;
  uint32_t bytes_;
};

/** The producer of one stream (the driver grants one producer per stream). */
class pool_producer {
 public:
  /** Attaches as the producer of `stream_id` (starting an embedded driver if none listens and allowed). */
  pool_producer(const context &ctx, uint32_t stream_id, const pool_producer_options &options = {}) {
    lf_pool_producer_t *raw = nullptr;
    check(lf_pool_producer_attach(ctx.get(), stream_id, options.raw(), &raw));
    handle_ = unique_handle<lf_pool_producer_t, lf_pool_producer_detach>(raw);
  }
  /** The C handle. */
  lf_pool_producer_t *get() const noexcept { return handle_.get(); }

  /** A payload slot of at least `bytes` to write in place. */
  frame_loan claim(uint32_t bytes) {
    void *payload = nullptr;
    check(lf_pool_producer_claim(get(), bytes, &payload));
    return frame_loan(get(), payload, bytes);
  }
  /** Copies `payload` into a slot and publishes it with `desc`. */
  void publish(const tensor &desc, std::span<const std::byte> payload) { publish_bytes(desc, payload.data(), payload.size()); }
  /** Copies the elements of `payload` into a slot and publishes them with `desc`. */
  template <typename T, size_t N>
  void publish(const tensor &desc, std::span<T, N> payload) {
    static_assert(std::is_trivially_copyable_v<T>, "a frame holds trivially copyable elements");
    publish_bytes(desc, payload.data(), payload.size_bytes());
  }
  /** Sets the stream's metadata record (a new version). */
  void set_metadata(const pool_metadata &metadata) {
    const lf_pool_metadata_t raw = metadata.raw();
    check(lf_pool_producer_set_metadata(get(), &raw));
  }
  /** The stream as this producer sees it. */
  lf_pool_stream_info_t info() const {
    auto info = sized<lf_pool_stream_info_t>();
    check(lf_pool_producer_get_info(get(), &info));
    return info;
  }

 private:
  void publish_bytes(const tensor &desc, const void *data, size_t size) {
    if (size > UINT32_MAX) detail::fail(LF_ERR_INVALID_ARGUMENT, "a frame holds less than 4 GiB");
    check(lf_pool_producer_publish(get(), &desc.raw(), data, static_cast<uint32_t>(size)));
  }
  unique_handle<lf_pool_producer_t, lf_pool_producer_detach> handle_;
};

/** A frame read in place in shared memory, released on destruction (or by finish()). */
class frame {
 public:
  /** The view `view` held by `consumer` (see lf::pool_consumer::poll()). */
  frame(lf_pool_consumer_t *consumer, const lf_pool_view_t &view) noexcept : consumer_(consumer), view_(view) {}
  /** Takes over what `other` holds (`other` is left empty). */
  frame(frame &&other) noexcept : consumer_(std::exchange(other.consumer_, nullptr)), view_(other.view_) {}
  /** Releases what this holds, then takes over what `other` holds. */
  frame &operator=(frame &&other) noexcept {
    if (this != &other) {
      release();
      consumer_ = std::exchange(other.consumer_, nullptr);
      view_ = other.view_;
    }
    return *this;
  }
  frame(const frame &) = delete;
  frame &operator=(const frame &) = delete;
  ~frame() { release(); }

  /** The payload (read-only shared memory; the producer may overwrite it: see finish()). */
  std::span<const std::byte> bytes() const noexcept { return {static_cast<const std::byte *>(view_.payload), view_.bytes}; }
  /** The payload as elements of a trivially copyable type. */
  template <typename T>
  std::span<const T> as() const noexcept {
    static_assert(std::is_trivially_copyable_v<T>, "a frame holds trivially copyable elements");
    return {static_cast<const T *>(view_.payload), view_.bytes / sizeof(T)};
  }
  /** The header fields: dtype, order, shape, strides, timestamp. */
  lf::tensor tensor() const noexcept { return lf::tensor(view_.tensor); }
  /** The extents. */
  std::span<const int32_t> shape() const noexcept { return {view_.tensor.dims, view_.tensor.ndims <= LF_POOL_MAX_DIMS ? view_.tensor.ndims : 0u}; }
  /** The element type (::lf_dtype_t). */
  int32_t dtype() const noexcept { return view_.tensor.dtype; }
  /** The sequence number in its epoch. */
  uint64_t seq() const noexcept { return view_.seq; }
  /** The epoch. */
  uint64_t epoch() const noexcept { return view_.epoch; }
  /** The C view. */
  const lf_pool_view_t &raw() const noexcept { return view_; }
  /** Releases the frame: true if what was read is intact, false if the producer overwrote it meanwhile (discard it). */
  bool finish() {
    if (consumer_ == nullptr) detail::fail(LF_ERR_INVALID_STATE, "the frame was already released");
    return check(lf_pool_consumer_release(std::exchange(consumer_, nullptr))) == LF_OK;
  }
  /** Releases the frame without asking whether it stayed intact (what the destructor does). */
  void release() noexcept {
    if (consumer_ != nullptr) (void)lf_pool_consumer_release(std::exchange(consumer_, nullptr));
  }

 private:
  lf_pool_consumer_t *consumer_;
  lf_pool_view_t view_;
};

/** A consumer of one stream, in the mode its options chose. */
class pool_consumer {
 public:
  /** Attaches as a consumer of `stream_id`. */
  pool_consumer(const context &ctx, uint32_t stream_id, const pool_consumer_options &options = {}) {
    lf_pool_consumer_t *raw = nullptr;
    check(lf_pool_consumer_attach(ctx.get(), stream_id, options.raw(), &raw));
    handle_ = unique_handle<lf_pool_consumer_t, lf_pool_consumer_detach>(raw);
  }
  /** The C handle. */
  lf_pool_consumer_t *get() const noexcept { return handle_.get(); }

  /** The next frame by the mode, if one is due now. */
  result<frame> poll() {
    auto view = sized<lf_pool_view_t>();
    const lf_status_t status = check(lf_pool_consumer_poll(get(), &view));
    if (status != LF_OK) return result<frame>::none(status);
    return result<frame>(std::in_place, get(), view);
  }
  /** The next frame by the mode, waiting up to `wait`. */
  result<frame> wait(lf::timeout wait = wait_forever) {
    auto view = sized<lf_pool_view_t>();
    const lf_status_t status = check(lf_pool_consumer_wait(get(), &view, wait.nanoseconds()));
    if (status != LF_OK) return result<frame>::none(status);
    return result<frame>(std::in_place, get(), view);
  }
  /** The counters: frames read, dropped, skipped, epochs. */
  lf_pool_counters_t counters() const {
    auto counters = sized<lf_pool_counters_t>();
    check(lf_pool_consumer_get_counters(get(), &counters));
    return counters;
  }
  /** The stream's metadata record (version 0: none was set). */
  pool_metadata metadata() const {
    auto raw = sized<lf_pool_metadata_t>();
    check(lf_pool_consumer_get_metadata(get(), &raw));
    return pool_metadata::from(raw);
  }
  /** The stream as this consumer sees it. */
  lf_pool_stream_info_t info() const {
    auto info = sized<lf_pool_stream_info_t>();
    check(lf_pool_consumer_get_info(get(), &info));
    return info;
  }

 private:
  unique_handle<lf_pool_consumer_t, lf_pool_consumer_detach> handle_;
};

/** A driver on a thread of this process, for the context's base directory, until destroyed. */
class pool_driver {
 public:
  /** Starts a driver (`params` nullptr: the defaults of tensor-pool.md). */
  explicit pool_driver(const context &ctx, const lf_pool_driver_params_t *params = nullptr) {
    lf_pool_driver_t *raw = nullptr;
    check(lf_pool_driver_create(ctx.get(), params, &raw));
    handle_ = unique_handle<lf_pool_driver_t, lf_pool_driver_destroy>(raw);
  }
  /** The C handle. */
  lf_pool_driver_t *get() const noexcept { return handle_.get(); }
  /** Waits until the driver stopped (a shutdown request); false on timeout. */
  bool wait(lf::timeout wait = wait_forever) {
    return check(lf_pool_driver_wait(get(), wait.milliseconds())) == LF_OK;
  }
  /** Stops the driver now (what the destructor does). */
  void stop() noexcept { handle_.reset(); }
  /** Asks the driver of the context's base directory to shut down; false on timeout. */
  static bool request_shutdown(const context &ctx, lf::timeout wait = std::chrono::seconds(5)) {
    return check(lf_pool_driver_request_shutdown(ctx.get(), wait.milliseconds())) == LF_OK;
  }

 private:
  unique_handle<lf_pool_driver_t, lf_pool_driver_destroy> handle_;
};

/** The streams the context's driver serves. */
inline std::vector<lf_pool_stream_status_t> list_streams(const context &ctx) {
  std::vector<lf_pool_stream_status_t> streams;
  uint32_t count = 0;
  check(lf_pool_list_streams(ctx.get(), nullptr, 0, &count));
  while (true) {
    streams.assign(count, sized<lf_pool_stream_status_t>());
    uint32_t now = 0;
    check(lf_pool_list_streams(ctx.get(), streams.data(), count, &now));
    if (now <= count) {
      streams.resize(now);
      return streams;
    }
    count = now;  // more appeared meanwhile
  }
}

/** A driver configuration as the driver reads it (TOML), e.g. to check params. */
inline std::string describe_driver_config(const lf_pool_driver_params_t *params = nullptr) {
  return read_text([&](char *b, size_t n, size_t *len) { return lf_pool_driver_describe_config(params, b, n, len); });
}

/** A region file's superblock and its frames' headers (lf_pool_inspect()). */
struct pool_region {
  lf_pool_region_info_t region;            ///< the superblock
  std::vector<lf_pool_frame_info_t> frames;  ///< header slots (header rings only)
};

/** Reads a region file under the context's base directory (validated before use). */
inline pool_region inspect_region(const context &ctx, const std::string &path, uint32_t max_frames = 4096) {
  pool_region out{sized<lf_pool_region_info_t>(), std::vector<lf_pool_frame_info_t>(max_frames, sized<lf_pool_frame_info_t>())};
  uint32_t count = 0;
  check(lf_pool_inspect(ctx.get(), path.c_str(), &out.region, out.frames.data(), max_frames, &count));
  out.frames.resize(count < max_frames ? count : max_frames);
  return out;
}

/** A control region: the producer's QoS and the consumers' table (lf_pool_read_control()). */
struct pool_control {
  lf_pool_producer_qos_t producer;                ///< the producer's QoS
  std::vector<lf_pool_consumer_entry_t> consumers;  ///< attached consumers
};

/** Reads `<epoch_dir>/control` (from lf::list_streams()). */
inline pool_control read_control(const context &ctx, const std::string &path, uint32_t max_consumers = 256) {
  pool_control out{sized<lf_pool_producer_qos_t>(),
                   std::vector<lf_pool_consumer_entry_t>(max_consumers, sized<lf_pool_consumer_entry_t>())};
  uint32_t count = 0;
  check(lf_pool_read_control(ctx.get(), path.c_str(), &out.producer, out.consumers.data(), max_consumers, &count));
  out.consumers.resize(count < max_consumers ? count : max_consumers);
  return out;
}

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_CPP_POOL_HPP */

/**
 * @file cpp/core.hpp
 * @brief The C++ wrapper's foundations: lf::error, lf::result, lf::timeout, lf::unique_handle.
 *
 * Part of the header-only C++20 wrapper; include <lavaflow/lavaflow.hpp>.
 */
#ifndef LAVAFLOW_CPP_CORE_HPP
#define LAVAFLOW_CPP_CORE_HPP

#include "../lavaflow.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

/**
 * @addtogroup cpp
 * @{
 */

/** The C++ wrapper's namespace. */
namespace lf {

/** A failed lavaflow call: the status and the message of lf_last_error_message(). */
class error : public std::runtime_error {
 public:
  /** Builds the exception from a status and its message. */
  error(lf_status_t status, const std::string &message) : std::runtime_error(message), status_(status) {}
  /** The status the C call returned (negative). */
  lf_status_t status() const noexcept { return status_; }
  /** The status's identifier, e.g. "LF_ERR_CLOSED". */
  const char *name() const noexcept { return lf_status_name(status_); }

 private:
  lf_status_t status_;
};

namespace detail {
// The throws live out of line and cold, so that the inline hot calls stay small enough to be
// inlined into the caller's loop (a throw's string building would otherwise bloat each one).

/** Throws the lf::error of a failed call, with the thread's last error message. */
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_error(lf_status_t status) {
  const char *message = lf_last_error_message();
  throw error(status, (message && *message) ? message : lf_status_string(status));
}
/** Throws the lf::error of asking an lf::result for a value it does not have. */
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_no_value(lf_status_t status) {
  throw error(status, std::string("no value: ") + lf_status_name(status));
}
/** Throws an lf::error the wrapper itself decided on. */
[[noreturn, gnu::cold, gnu::noinline]] inline void fail(lf_status_t status, const char *message) {
  throw error(status, message);
}
}  // namespace detail

/** Throws lf::error when `status` is an error (negative); returns it otherwise. */
inline lf_status_t check(lf_status_t status) {
  if (status < 0) [[unlikely]]
    detail::throw_error(status);
  return status;
}

/**
 * How long a call may wait: lf::wait_forever, lf::no_wait, or any std::chrono duration
 * (a partial millisecond counts as one where the C call takes milliseconds, so that a short
 * timeout still waits).
 */
class timeout {
 public:
  /** Waits as long as it takes. */
  constexpr timeout() noexcept = default;
  /** Waits at most `duration` (negative durations do not wait). */
  template <typename Rep, typename Period>
  constexpr timeout(std::chrono::duration<Rep, Period> duration) noexcept  // NOLINT: implicit on purpose
      : ns_(duration.count() <= 0 ? 0 : saturating_ns(duration)) {}
  /** Never waits. */
  static constexpr timeout none() noexcept { return timeout(std::chrono::nanoseconds(0)); }
  /** Waits as long as it takes. */
  static constexpr timeout forever() noexcept { return timeout(); }

  /** As the C calls take milliseconds: -1 forever, 0 never, else rounded up. */
  constexpr int32_t milliseconds() const noexcept {
    if (ns_ < 0) return -1;
    const int64_t ms = (ns_ + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : static_cast<int32_t>(ms);
  }
  /** As the C calls take nanoseconds: -1 forever. */
  constexpr int64_t nanoseconds() const noexcept { return ns_; }

 private:
  template <typename Rep, typename Period>
  static constexpr int64_t saturating_ns(std::chrono::duration<Rep, Period> duration) noexcept {
    using hours = std::chrono::duration<double, std::ratio<3600>>;
    if (std::chrono::duration_cast<hours>(duration).count() > 2.0e6) return INT64_MAX;  // ~228 years
    return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
  }
  int64_t ns_ = -1;
};

/** Wait as long as it takes. */
inline constexpr timeout wait_forever = timeout::forever();
/** Do not wait. */
inline constexpr timeout no_wait = timeout::none();

/**
 * The outcome of a call whose non-error results are normal (`LF_WOULD_BLOCK`, `LF_TIMEOUT`,
 * `LF_END_OF_STREAM`, `LF_EPOCH_CHANGED`): a value, or the status that says why there is none.
 * Errors are thrown, never stored here.
 */
template <typename T>
class result {
 public:
  /** A value (status `LF_OK`). */
  result(T value) : status_(LF_OK), value_(std::move(value)) {}  // NOLINT: implicit on purpose
  /** A value made in place from `args` (status `LF_OK`). */
  template <typename... Args>
  explicit result(std::in_place_t, Args &&...args) : status_(LF_OK), value_(std::in_place, std::forward<Args>(args)...) {}
  /** No value, for a positive status (`LF_WOULD_BLOCK`, `LF_TIMEOUT`, ...). */
  static result none(lf_status_t status) noexcept { return result(status, no_value{}); }

  /** Whether there is a value. */
  bool has_value() const noexcept { return value_.has_value(); }
  /** Whether there is a value. */
  explicit operator bool() const noexcept { return has_value(); }
  /** The value (undefined without one; see value()). */
  T &operator*() & noexcept { return *value_; }
  /** The value (undefined without one; see value()). */
  const T &operator*() const & noexcept { return *value_; }
  /** The value, moved out (undefined without one). */
  T &&operator*() && noexcept { return std::move(*value_); }
  /** The value's members (undefined without one). */
  T *operator->() noexcept { return &*value_; }
  /** The value's members (undefined without one). */
  const T *operator->() const noexcept { return &*value_; }
  /** The value, or lf::error carrying the status when there is none. */
  T &value() & {
    if (!value_) [[unlikely]]
      detail::throw_no_value(status_);
    return *value_;
  }
  /** The value moved out, or lf::error carrying the status when there is none. */
  T &&value() && { return std::move(value()); }

  /** `LF_OK` with a value, else why not. */
  lf_status_t status() const noexcept { return status_; }
  /** Nothing came within the timeout (`LF_WOULD_BLOCK` or `LF_TIMEOUT`). */
  bool timed_out() const noexcept { return status_ == LF_WOULD_BLOCK || status_ == LF_TIMEOUT; }
  /** The peer closed and everything it sent was consumed. */
  bool end_of_stream() const noexcept { return status_ == LF_END_OF_STREAM; }
  /** A tensor pool stream moved to a new epoch (when asked to be told). */
  bool epoch_changed() const noexcept { return status_ == LF_EPOCH_CHANGED; }

 private:
  struct no_value {};
  result(lf_status_t status, no_value) noexcept : status_(status) {}
  lf_status_t status_;
  std::optional<T> value_;
};

/** Calls `fill(buffer, size, &length)` with the text-output rule and returns the text. */
template <typename Fill>
std::string read_text(Fill fill) {
  size_t length = 0;
  lf_status_t status = fill(nullptr, 0, &length);
  if (status != LF_ERR_BUFFER_TOO_SMALL) check(status);
  std::string text(length + 1, '\0');
  check(fill(&text[0], text.size(), &length));
  text.resize(length);
  return text;
}

/** Calls `get(&text)` for a borrowed C string and copies it. */
template <typename Get>
std::string borrowed_text(Get get) {
  const char *text = nullptr;
  check(get(&text));
  return text ? std::string(text) : std::string();
}

/** A C struct with `struct_size` set, as the C API's out structs want. */
template <typename T>
T sized() noexcept {
  T value{};
  value.struct_size = sizeof(T);
  return value;
}

/** A move-only owner of a C handle. */
template <typename T, lf_status_t (*Destroy)(T *)>
class unique_handle {
 public:
  unique_handle() noexcept = default;
  /** Takes ownership of a handle returned by a create call. */
  explicit unique_handle(T *handle) noexcept : handle_(handle) {}
  /** Takes the handle from `other`. */
  unique_handle(unique_handle &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  /** Destroys the current handle and takes the one of `other`. */
  unique_handle &operator=(unique_handle &&other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  unique_handle(const unique_handle &) = delete;
  unique_handle &operator=(const unique_handle &) = delete;
  ~unique_handle() { reset(); }

  /** The C handle (still owned). */
  T *get() const noexcept { return handle_; }
  /** Gives up ownership: the caller destroys the handle. */
  T *release() noexcept { return std::exchange(handle_, nullptr); }
  /** Whether a handle is held. */
  explicit operator bool() const noexcept { return handle_ != nullptr; }
  /** Destroys the handle now (a destroy's status is ignored: destructors do not throw). */
  void reset() noexcept {
    if (handle_ != nullptr) (void)Destroy(handle_);
    handle_ = nullptr;
  }

 private:
  T *handle_ = nullptr;
};

/** The library's version, e.g. "0.2.0". */
inline std::string version_string() { return lf_version_string(); }
/** The library's version as MAJOR * 10000 + MINOR * 100 + PATCH. */
inline uint32_t version_number() noexcept { return lf_version_number(); }
/** The ABI version of the library loaded (LF_ABI_VERSION of its headers). */
inline uint32_t abi_version() noexcept { return lf_abi_version(); }
/** Whether the library loaded was built with an optional feature (an ::lf_feature bit). */
inline bool has_feature(uint64_t feature) noexcept { return (lf_build_features() & feature) == feature; }

/** An optional feature's name ("vulkan", "zstd", ...). */
inline std::string feature_name(uint64_t feature) { return lf_feature_name(feature); }
/** A log level's name. */
inline std::string log_level_name(int32_t level) { return lf_log_level_name(level); }

/** Sets the lowest level the library logs (an ::lf_log_level_t value). */
inline void set_log_level(int32_t level) { check(lf_log_set_level(level)); }
/** Sends the library's log to `callback` (nullptr: back to stderr). */
inline void set_log_callback(lf_log_fn callback, void *user_data = nullptr) {
  check(lf_log_set_callback(callback, user_data));
}

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_CPP_CORE_HPP */

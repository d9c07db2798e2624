// Errors inside lavaflow: setup paths throw lavaflow::core::Error, the C API boundary
// (capi/guard.hpp) turns it into a status code plus the thread-local message. Hot paths
// return lf_status_t directly instead of throwing.
#pragma once

#include <lavaflow/status.h>

#include <cstdarg>
#include <exception>
#include <string>

namespace lavaflow::core {

class Error : public std::exception {
 public:
  Error(lf_status_t status, std::string message) : status_(status), message_(std::move(message)) {}
  lf_status_t status() const noexcept { return status_; }
  const char *what() const noexcept override { return message_.c_str(); }

 private:
  lf_status_t status_;
  std::string message_;
};

// Throws Error(status, printf-style message).
[[noreturn]] void fail(lf_status_t status, const char *format, ...) __attribute__((format(printf, 2, 3)));

// Throws Error(LF_ERR_SYSTEM, "<what>: <strerror(errno_value)> (errno N)"), or a more specific
// status for errno values that have one (ENOENT -> LF_ERR_NOT_FOUND, EACCES -> PERMISSION...).
[[noreturn]] void fail_errno(int errno_value, const char *format, ...) __attribute__((format(printf, 2, 3)));

// The status that best describes an errno value.
lf_status_t status_from_errno(int errno_value) noexcept;

// The text of a status lavaflow defines (lf_status_string), nullptr for any other value.
const char *status_text(lf_status_t status) noexcept;
// Whether `status` is one of lavaflow's error statuses (negative, defined): what a status
// read from another process must be before it is passed on.
bool is_known_error(lf_status_t status) noexcept;

// Thread-local "last error" of the C API. Setting never allocates (fixed buffer).
void set_last_error(lf_status_t status, const char *message) noexcept;
const char *last_error_message() noexcept;
lf_status_t last_error_status() noexcept;
void clear_last_error() noexcept;

}  // namespace lavaflow::core

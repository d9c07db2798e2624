#include "core/error.hpp"

#include "core/strings.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lavaflow::core {

namespace {

// Fixed-size and trivially destructible: setting an error must work even when memory is
// exhausted, and thread exit must not run a destructor for it.
constexpr size_t kMessageCapacity = 1024;
thread_local char t_message[kMessageCapacity];
thread_local lf_status_t t_status = LF_OK;

}  // namespace

void fail(lf_status_t status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  std::string message = vformat(format, args);
  va_end(args);
  throw Error(status, std::move(message));
}

lf_status_t status_from_errno(int errno_value) noexcept {
  switch (errno_value) {
    case ENOENT:
    case ENODEV:
    case ESRCH:
      return LF_ERR_NOT_FOUND;
    case EEXIST:
      return LF_ERR_EXISTS;
    case EACCES:
    case EPERM:
      return LF_ERR_PERMISSION;
    case ENOMEM:
      return LF_ERR_NO_MEMORY;
    case EBUSY:
      return LF_ERR_BUSY;
    case ENOSYS:
    case EOPNOTSUPP:
      return LF_ERR_UNSUPPORTED;
    case EINVAL:
      return LF_ERR_INVALID_ARGUMENT;
    default:
      return LF_ERR_SYSTEM;
  }
}

void fail_errno(int errno_value, const char *format, ...) {
  va_list args;
  va_start(args, format);
  std::string message = vformat(format, args);
  va_end(args);
  message += ": ";
  message += std::strerror(errno_value);
  message += format_text(" (errno %d)", errno_value);
  throw Error(status_from_errno(errno_value), std::move(message));
}

void set_last_error(lf_status_t status, const char *message) noexcept {
  t_status = status;
  std::snprintf(t_message, kMessageCapacity, "%s", message ? message : "");
}

const char *last_error_message() noexcept { return t_message; }

lf_status_t last_error_status() noexcept { return t_status; }

void clear_last_error() noexcept {
  t_status = LF_OK;
  t_message[0] = '\0';
}

const char *status_text(lf_status_t status) noexcept {
  switch (status) {
    case LF_OK: return "success";
    case LF_WOULD_BLOCK: return "would block";
    case LF_TIMEOUT: return "timed out";
    case LF_END_OF_STREAM: return "end of stream";
    case LF_OVERWRITTEN: return "overwritten while read";
    case LF_EPOCH_CHANGED: return "epoch changed";
    case LF_ERR_INVALID_ARGUMENT: return "invalid argument";
    case LF_ERR_BUFFER_TOO_SMALL: return "buffer too small";
    case LF_ERR_INVALID_HANDLE: return "invalid handle";
    case LF_ERR_INVALID_STATE: return "invalid state for this call";
    case LF_ERR_NO_MEMORY: return "out of memory";
    case LF_ERR_NOT_FOUND: return "not found";
    case LF_ERR_EXISTS: return "already exists";
    case LF_ERR_PERMISSION: return "permission denied";
    case LF_ERR_LIMIT: return "limit exceeded";
    case LF_ERR_SYSTEM: return "system call failed";
    case LF_ERR_BUSY: return "resource busy";
    case LF_ERR_PEER_DEAD: return "peer process died";
    case LF_ERR_CLOSED: return "closed";
    case LF_ERR_PROTOCOL: return "protocol violation";
    case LF_ERR_CORRUPT: return "corrupt data";
    case LF_ERR_VERSION_MISMATCH: return "version mismatch";
    case LF_ERR_AUTH: return "authentication failed";
    case LF_ERR_UNSUPPORTED: return "not supported";
    case LF_ERR_INTERNAL: return "internal error";
    default: return nullptr;
  }
}

bool is_known_error(lf_status_t status) noexcept { return status < 0 && status_text(status) != nullptr; }

}  // namespace lavaflow::core

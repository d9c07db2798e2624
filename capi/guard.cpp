#include "capi/guard.hpp"

#include <cstdio>

namespace lavaflow::capi {

lf_status_t report(const char *function, lf_status_t status, const char *detail, const core::LogSink *sink) noexcept {
  char message[1024];
  std::snprintf(message, sizeof message, "%s: %s", function, detail);
  // Only errors set the thread's last error; positive outcomes are not failures.
  if (status < 0) {
    core::set_last_error(status, message);
    core::log_message(sink, LF_LOG_DEBUG, "%s", message);
  }
  return status;
}

}  // namespace lavaflow::capi

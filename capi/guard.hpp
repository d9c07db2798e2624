// The C boundary: every extern "C" entry runs its body through guarded(), which turns
// exceptions into a status plus the thread-local message ("lf_function: detail"), logs
// the failure at debug level, and guarantees that no C++ exception escapes.
#pragma once

#include "core/error.hpp"
#include "core/log.hpp"

#include <lavaflow/status.h>

#include <new>

namespace lavaflow::capi {

// Records a failure of `function` and returns `status`.
lf_status_t report(const char *function, lf_status_t status, const char *detail,
                   const core::LogSink *sink = nullptr) noexcept;

template <typename Body>
lf_status_t guarded(const char *function, Body &&body) noexcept {
  try {
    return body();
  } catch (const core::Error &e) {
    return report(function, e.status(), e.what());
  } catch (const std::bad_alloc &) {
    return report(function, LF_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return report(function, LF_ERR_INTERNAL, e.what());
  } catch (...) {
    return report(function, LF_ERR_INTERNAL, "unknown exception");
  }
}

}  // namespace lavaflow::capi

// The embedded driver: the first process that needs a tensor pool driver and finds none
// listening starts one on a thread (tensor-pool.md). It lives while any producer or consumer
// of this process holds it, and then shuts down gracefully; clients elsewhere re-attach to the
// next driver. An embedded driver has no configuration file: the defaults of tensor-pool.md,
// LAVAFLOW_DRIVER_* overrides, and dynamic streams on (a stream is created on first attach).
#pragma once

#include "core/log.hpp"
#include "pool/driver.hpp"

#include <memory>
#include <string>

namespace lavaflow::pool {

// This process's embedded driver for `base_dir`, started if there is none yet. Returns null
// when another process holds the driver lock (its driver is starting or running). Throws Error
// for anything else (a bad LAVAFLOW_DRIVER_* value, no space...).
std::shared_ptr<Driver> share_embedded_driver(const std::string &base_dir, const core::LogSink &log);

}  // namespace lavaflow::pool

// The tensor pool driver (tensor-pool.md, "Driver, leases, epochs"): the only party that
// creates, truncates or unlinks region files, picks their paths, writes superblocks and bumps
// epochs. One per base directory, guaranteed by a lock file; it listens on
// <base>/lavaflow-<uid>/pool-driver.sock (SOCK_SEQPACKET) and serves clients on a thread of
// its own: attach/detach, keepalives, expiry, immediate revocation when a client's socket
// closes, epoch bumps with announcements, garbage collection, the token-protected shutdown
// request and a graceful shutdown notice. Embedded in an application (started by the first
// client that finds none) or standalone (`lavaflow driver`).
#pragma once

#include "core/log.hpp"
#include "pool/driver_config.hpp"

#include <atomic>
#include <memory>
#include <thread>

namespace lavaflow::pool {

constexpr const char *kDriverSocketName = "pool-driver.sock";
constexpr const char *kDriverTokenName = "pool-driver.token";
constexpr const char *kDriverLockName = "pool-driver.lock";

class Driver {
 public:
  // Takes the base directory's driver lock (LF_ERR_EXISTS if another driver holds it), binds
  // the socket, writes the shutdown token file (0600) and starts serving. Throws Error.
  Driver(DriverConfig config, core::LogSink log);
  // Graceful: a shutdown notice to every client, up to shutdown_drain_ms for them to detach,
  // then the socket, lock and token go. Region files stay for the clients that still map
  // them; the next driver bumps every epoch and collects them.
  ~Driver();
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  // Whether the driver stopped serving (a shutdown request was honoured).
  bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }
  // Waits up to timeout_ms (negative: forever) for stopped(). Returns it.
  bool wait_stopped(int64_t timeout_ms) const noexcept;
  const DriverConfig &config() const noexcept { return config_; }

 private:
  class Engine;
  DriverConfig config_;
  std::unique_ptr<Engine> engine_;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

}  // namespace lavaflow::pool

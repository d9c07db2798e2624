// A producer's or consumer's link to the tensor pool driver: connects (starting an embedded
// driver when none listens and the caller allows it), attaches, then keeps the lease alive on
// a thread of its own — keepalives every keepalive_ms, new epochs announced by the driver
// mapped and handed over, revocations noted, and when the driver goes away (its process died
// or it shut down) reconnecting and re-attaching to the next one. The data path only reads an
// atomic generation number to learn that a new mapping is ready.
#pragma once

#include "core/unique_fd.hpp"
#include "pool/epoch_mapping.hpp"
#include "pool/protocol.hpp"

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace lavaflow::context {
class Context;
}

namespace lavaflow::pool {

class Driver;

struct SessionOptions {
  protocol::AttachRequest request;
  bool start_driver = true;          // start an embedded driver when none listens
  int32_t connect_timeout_ms = 5000;  // for the first attach
  std::optional<uid_t> driver_uid;    // another user's driver shared with our group (default: ours)
};

class DriverSession {
 public:
  // Attaches, or throws the driver's refusal (its status and reason) / LF_ERR_NOT_FOUND when no
  // driver listens and none may be started / LF_TIMEOUT.
  DriverSession(std::shared_ptr<const context::Context> context, SessionOptions options);
  // Detaches (the lease ends at once rather than by expiry) and stops the thread.
  ~DriverSession();
  DriverSession(const DriverSession &) = delete;
  DriverSession &operator=(const DriverSession &) = delete;

  // Changes whenever a new epoch mapping is ready (relaxed load: one per data call).
  uint64_t generation() const noexcept { return generation_.load(std::memory_order_acquire); }
  // The newest mapping and its generation.
  std::shared_ptr<EpochMapping> mapping(uint64_t &out_generation) const;
  // Whether the driver revoked the lease and it was not taken again yet: the stream's consumers
  // have moved on, so frames written now would reach nobody. (Losing the driver is not a
  // revocation: everyone keeps the mapped regions until the next driver announces an epoch.)
  bool revoked() const noexcept { return revoked_.load(std::memory_order_acquire); }
  uint64_t lease_id() const noexcept { return lease_id_.load(std::memory_order_relaxed); }
  // How many times the driver went away and this session re-attached.
  uint64_t reattachments() const noexcept { return reattachments_.load(std::memory_order_relaxed); }

 private:
  void connect_and_attach(int64_t deadline_ms);
  core::UniqueFd connect_driver(int64_t deadline_ms);
  void attach_on(core::UniqueFd socket, int64_t deadline_ms);
  void adopt(const protocol::Announcement &announcement, std::vector<core::UniqueFd> fds);
  void run() noexcept;
  bool handle_incoming() noexcept;  // false: the driver is gone
  void send(const protocol::Message &message);
  void detach() noexcept;

  std::shared_ptr<const context::Context> context_;
  SessionOptions options_;
  std::shared_ptr<Driver> embedded_;  // the driver this process started, if it did
  core::UniqueFd socket_;             // owned by the session thread once it runs
  core::UniqueFd stop_;               // eventfd: wakes the thread to stop
  mutable std::mutex mutex_;
  std::shared_ptr<EpochMapping> mapping_;  // guarded by mutex_
  std::atomic<uint64_t> generation_{0};
  std::atomic<bool> revoked_{false};
  bool leased_ = false;  // session thread (and the constructor/destructor): a lease is held on socket_
  std::atomic<uint64_t> lease_id_{0};
  std::atomic<uint64_t> reattachments_{0};
  uint32_t keepalive_ms_ = 1000;
  uint32_t next_request_ = 1;
  std::vector<uint8_t> receive_buffer_ = std::vector<uint8_t>(protocol::kMaxMessageBytes);  // session thread
  std::thread thread_;
};

// A client id no other live client of this host uses: the pid and a per-process counter.
uint64_t new_client_id() noexcept;

}  // namespace lavaflow::pool

// The creator's side of connecting: a Unix socket (SOCK_SEQPACKET) at
// <base>/lavaflow-<uid>/channels/<name>, served on the monitor thread. Each opener says hello
// with its identity; the listener checks its credentials (same uid), decides the scope,
// claims a slot for it, and replies with the region's fd. The connection then stays open:
// when it hangs up while its end was never closed, the peer died and is declared dead.
#pragma once

#include "channel/channel.hpp"
#include "channel/channel_region.hpp"
#include "core/unique_fd.hpp"
#include "ipc/unix_socket.hpp"
#include "topo/identity.hpp"

#include <atomic>
#include <deque>
#include <span>
#include <sys/socket.h>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace lavaflow::context {
class Context;
}

namespace lavaflow::channel {

class Listener {
 public:
  Listener(std::shared_ptr<const context::Context> context, const std::string &name,
           std::shared_ptr<ChannelRegion> region, topo::Identity creator, std::shared_ptr<Link> link);
  ~Listener();
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

 private:
  struct Connection;
  struct Pending;
  // On the monitor thread: a new connection waits (in epoll) for its hello, which is then
  // served; one that sends none within the handshake timeout is closed (a timerfd).
  void on_readable() noexcept;
  void on_hello(Pending *pending) noexcept;
  void on_timer() noexcept;
  void arm_timer(int64_t deadline_ns) noexcept;  // (mutex_ held)
  std::unique_ptr<Pending> take_pending(Pending *pending) noexcept;
  void serve(core::UniqueFd socket, std::span<const uint8_t> hello_bytes);
  // Sends a refusal (and logs it).
  void refuse(int socket, lf_status_t status, const std::string &message, int32_t scope = 0);
  void on_hangup(Connection *connection) noexcept;

  std::shared_ptr<const context::Context> context_;
  std::shared_ptr<ChannelRegion> region_;
  topo::Identity creator_;
  std::vector<uint8_t> creator_blob_;
  std::shared_ptr<Link> link_;
  core::UniqueFd dir_;
  core::UniqueFd socket_;
  std::string name_;
  std::string path_;
  ipc::BoundSocket bound_;  // the socket file's identity (its fd moved to socket_)
  uint64_t watch_ = 0;
  core::UniqueFd timer_;  // expires connections that sent no hello
  uint64_t timer_watch_ = 0;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> connections_;  // guarded by mutex_
  std::deque<std::unique_ptr<Pending>> pending_;          // guarded by mutex_; oldest first
};

// The opener's side: connects, says hello, maps the region. Returns the reply's slot and
// scope, the connected socket, and the creator's identity. Throws Error with the reason.
struct Connected {
  std::shared_ptr<ChannelRegion> region;
  core::UniqueFd socket;
  uint32_t slot = 0;
  topo::Identity creator;
};
Connected connect_channel(const context::Context &context, const std::string &name, int32_t role,
                          const std::vector<uint8_t> &identity_blob, int32_t timeout_ms);

}  // namespace lavaflow::channel

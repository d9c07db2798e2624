#include "channel/listener.hpp"

#include "channel/channel.hpp"
#include "channel/handshake.hpp"
#include "channel/monitor.hpp"
#include "context/context.hpp"
#include "core/error.hpp"
#include "core/futex.hpp"
#include "core/strings.hpp"
#include "ipc/fd_passing.hpp"
#include "ipc/unix_socket.hpp"
#include "ipc/user_dir.hpp"
#include "topo/identity_codec.hpp"
#include "topo/scope.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

namespace lavaflow::channel {

using core::fail;
using core::UniqueFd;

namespace {

constexpr int kHandshakeTimeoutMs = 5000;
// A socket file is taken for stale (its creator died) only this long after it was made.
constexpr int64_t kStaleSocketAgeS = 2;
// Connections accepted whose hello has not come yet, at most: a newer one closes the oldest.
constexpr size_t kMaxPendingConnections = 64;

// Receives one message of at most kMaxHandshakeBytes (and the fds it carries), or throws.
std::vector<uint8_t> receive(int fd, std::vector<UniqueFd> &fds, uint32_t max_fds, const char *what) {
  std::vector<uint8_t> bytes(kMaxHandshakeBytes);
  size_t size = 0;
  lf_status_t status = ipc::recv_fds(fd, bytes.data(), bytes.size(), size, fds, max_fds, kHandshakeTimeoutMs);
  if (status == LF_TIMEOUT) fail(LF_ERR_PROTOCOL, "no %s within %d ms", what, kHandshakeTimeoutMs);
  bytes.resize(size);
  return bytes;
}

}  // namespace

// ---- creator ----------------------------------------------------------------------------

struct Listener::Connection {
  std::shared_ptr<UniqueFd> socket;  // shared with the end's Link (buffer announcements)
  std::atomic<uint64_t> watch{0};  // read by the handler on the monitor thread
  int32_t role = 0;
  uint32_t slot = 0;
};

// A connection accepted, its hello not read yet: it waits in the monitor's epoll, never on
// the monitor thread, so a silent or slow peer holds up nobody else.
struct Listener::Pending {
  UniqueFd socket;
  ucred cred{};
  int64_t deadline_ns = 0;
  std::atomic<uint64_t> watch{0};
};

Listener::Listener(std::shared_ptr<const context::Context> context, const std::string &name,
                   std::shared_ptr<ChannelRegion> region, topo::Identity creator, std::shared_ptr<Link> link)
    : context_(std::move(context)),
      region_(std::move(region)),
      creator_(std::move(creator)),
      creator_blob_(topo::encode_identity(creator_)),
      link_(std::move(link)),
      name_(name) {
  const std::string &base = context_->config().base_dir;
  dir_ = ipc::open_user_dir(base, "channels", true);
  path_ = ipc::user_dir_path(base, "channels") + "/" + name;
  // Creators that were killed left their sockets: cleaned here, by the next creator of any
  // channel (one of the same name is replaced by listen_unix anyway).
  if (const size_t stale = ipc::remove_stale_sockets(dir_.get(), ipc::user_dir_path(base, "channels"), kStaleSocketAgeS); stale > 0)
    core::log_message(context_->log(), LF_LOG_INFO, "removed %zu channel socket(s) whose creators died", stale);
  bound_ = ipc::listen_unix(dir_.get(), ipc::user_dir_path(base, "channels"), name, "channel");
  socket_ = std::move(bound_.socket);
  timer_ = UniqueFd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!timer_) core::fail_errno(errno, "timerfd_create");
  timer_watch_ = Monitor::instance().watch(timer_.get(), Monitor::Event::readable, [this] { on_timer(); });
  watch_ = Monitor::instance().watch(socket_.get(), Monitor::Event::readable, [this] { on_readable(); });
}

Listener::~Listener() {
  Monitor::instance().unwatch(watch_);  // (no new connection from here on)
  Monitor::instance().unwatch(timer_watch_);
  // A connection being served (on_hello) is still listed as pending, and unwatching it waits
  // for its handler; only then can every connection it may have added be taken.
  std::deque<std::unique_ptr<Pending>> pending;
  {
    std::lock_guard lock(mutex_);
    pending.swap(pending_);
  }
  for (auto &p : pending) Monitor::instance().unwatch(p->watch);
  std::vector<std::unique_ptr<Connection>> connections;
  {
    std::lock_guard lock(mutex_);
    connections.swap(connections_);
  }
  for (auto &c : connections) Monitor::instance().unwatch(c->watch);
  // Remove the socket file only if it is still ours (a later channel may have taken the name).
  ipc::unlink_if_ours(dir_.get(), name_, bound_);
}

void Listener::on_readable() noexcept {
  UniqueFd socket(accept4(socket_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!socket) return;
  try {
    auto pending = std::make_unique<Pending>();
    pending->cred = ipc::peer_credentials(socket.get());
    if (pending->cred.uid != geteuid())  // refused from its credentials alone, before it says anything
      return refuse(socket.get(), LF_ERR_PERMISSION,
                    core::format_text("uid %u may not connect to a channel of uid %u", pending->cred.uid, geteuid()));
    pending->socket = std::move(socket);
    pending->deadline_ns = core::monotonic_ns() + int64_t{kHandshakeTimeoutMs} * 1000000;
    Pending *p = pending.get();
    std::unique_ptr<Pending> oldest;
    {
      std::lock_guard lock(mutex_);
      if (pending_.size() >= kMaxPendingConnections) {
        oldest = std::move(pending_.front());
        pending_.pop_front();
      }
      pending_.push_back(std::move(pending));
      if (pending_.size() == 1) arm_timer(p->deadline_ns);
    }
    if (oldest) {
      Monitor::instance().unwatch(oldest->watch);
      core::log_message(context_->log(), LF_LOG_WARN, "channel '%s': dropped a connection from pid %d that sent no hello "
                        "(%zu others waiting)", name_.c_str(), oldest->cred.pid, kMaxPendingConnections);
    }
    p->watch = Monitor::instance().watch(p->socket.get(), Monitor::Event::readable, [this, p] { on_hello(p); });
  } catch (const std::exception &e) {
    core::log_message(context_->log(), LF_LOG_WARN, "channel '%s': a connection failed: %s", name_.c_str(), e.what());
  }
}

std::unique_ptr<Listener::Pending> Listener::take_pending(Pending *pending) noexcept {
  std::lock_guard lock(mutex_);
  for (auto it = pending_.begin(); it != pending_.end(); ++it)
    if (it->get() == pending) {
      std::unique_ptr<Pending> taken = std::move(*it);
      pending_.erase(it);
      return taken;
    }
  return nullptr;
}

void Listener::on_hello(Pending *waiting) noexcept {
  std::vector<uint8_t> bytes(kMaxHandshakeBytes);
  size_t size = 0;
  std::vector<UniqueFd> no_fds;
  try {
    // (readable: the hello, or the hang-up of a peer that gave up; never waits)
    if (ipc::recv_fds(waiting->socket.get(), bytes.data(), bytes.size(), size, no_fds, 0, 0) == LF_TIMEOUT) return;
  } catch (const std::exception &e) {
    size = 0;  // a peer that hung up or sent garbage: dropped below
  }
  // Its watch goes first (from inside its handler: at once; the connection's own watch will
  // take the same fd), but the entry stays listed until it was served: the destructor waits for
  // this handler through it, so that the connection served here is never left behind.
  Monitor::instance().unwatch(waiting->watch);
  UniqueFd socket = std::move(waiting->socket);
  if (size > 0) {
    bytes.resize(size);
    try {
      // The handshake's one reply may wait this long for room (it never needs to: the socket is fresh).
      int flags = fcntl(socket.get(), F_GETFL);
      if (flags >= 0) fcntl(socket.get(), F_SETFL, flags & ~O_NONBLOCK);
      ipc::set_socket_timeout(socket.get(), kHandshakeTimeoutMs);
      serve(std::move(socket), bytes);
    } catch (const std::exception &e) {
      core::log_message(context_->log(), LF_LOG_WARN, "channel '%s': a connection failed: %s", name_.c_str(), e.what());
    }
  }
  take_pending(waiting);  // (freed here, or by the destructor if it took the list meanwhile)
}

void Listener::arm_timer(int64_t deadline_ns) noexcept {
  const int64_t wait_ns = std::max<int64_t>(deadline_ns - core::monotonic_ns(), 1000000);
  itimerspec spec{};
  spec.it_value.tv_sec = wait_ns / 1000000000;
  spec.it_value.tv_nsec = wait_ns % 1000000000;
  timerfd_settime(timer_.get(), 0, &spec, nullptr);
}

void Listener::on_timer() noexcept {
  uint64_t expirations = 0;
  [[maybe_unused]] ssize_t n = read(timer_.get(), &expirations, sizeof expirations);
  std::vector<std::unique_ptr<Pending>> expired;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = core::monotonic_ns();
    while (!pending_.empty() && pending_.front()->deadline_ns <= now) {  // (in the order of their deadlines)
      expired.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    if (!pending_.empty()) arm_timer(pending_.front()->deadline_ns);
  }
  for (auto &p : expired) {
    Monitor::instance().unwatch(p->watch);
    core::log_message(context_->log(), LF_LOG_WARN, "channel '%s': dropped a connection from pid %d: no hello within %d ms",
                      name_.c_str(), p->cred.pid, kHandshakeTimeoutMs);
  }
}

void Listener::refuse(int socket, lf_status_t status, const std::string &message, int32_t scope) {
  Reply reply;
  reply.identity = creator_blob_;
  reply.status = status;
  reply.scope = scope;
  reply.message = message;
  std::vector<uint8_t> bytes = encode_reply(reply);
  ipc::send_fds(socket, bytes.data(), bytes.size(), nullptr, 0);
  core::log_message(context_->log(), LF_LOG_INFO, "channel '%s': refused a peer: %s", name_.c_str(), message.c_str());
}

void Listener::serve(UniqueFd socket, std::span<const uint8_t> hello_bytes) {
  Reply reply;
  reply.identity = creator_blob_;
  auto refuse = [&](lf_status_t status, const std::string &message) { this->refuse(socket.get(), status, message, reply.scope); };
  const ucred cred = ipc::peer_credentials(socket.get());
  Hello hello = decode_hello(hello_bytes);
  topo::Identity peer = topo::decode_identity(hello.identity);
  topo::ScopeDecision decision = topo::decide_scope(creator_, peer, context_->config().scope_override);
  reply.scope = decision.level;
  if (decision.level > LF_SCOPE_HOST) {
    topo::ScopeExplanation why = topo::explain_scope(creator_, peer, decision, context_->config().scope_override_origin);
    return refuse(LF_ERR_UNSUPPORTED, "scope " + why.level + ": channels to an isolated or remote peer need the MPI transport, not in this release");
  }
  auto connection = std::make_unique<Connection>();
  connection->role = hello.role;
  try {
    if (hello.role == LF_CHANNEL_PRODUCER) {
      connection->slot = Channel::claim_producer(*region_, static_cast<uint32_t>(cred.pid));
    } else if (hello.role == LF_CHANNEL_CONSUMER) {
      Channel::claim_consumer(*region_);
    } else {
      return refuse(LF_ERR_PROTOCOL, "unknown role");
    }
  } catch (const core::Error &e) {
    return refuse(e.status(), e.what());
  }
  reply.slot = connection->slot;
  // Recorded before the reply, so the creator reports it by the time the peer can send.
  link_->transport.store(LF_TRANSPORT_SHARED_MEMORY);
  int32_t none = 0;  // the first peer decides the scope the creator reports
  link_->scope.compare_exchange_strong(none, decision.level);
  link_->set_first_peer_reason(core::format_text(
      "shared-memory ring (first peer: pid %d): %s", cred.pid,
      topo::explain_scope(creator_, peer, decision, context_->config().scope_override_origin).level.c_str()));
  // The link gets the connection (kept even after a hang-up: a dead producer's announcements
  // may still be queued) when it is safe to use: a consumer's end reads a producer's buffer
  // announcements there, which may come as soon as the producer has the reply, so before the
  // reply; a producer's end writes its announcements there, which must come after the reply,
  // so after it.
  connection->socket = std::make_shared<UniqueFd>(std::move(socket));
  const bool peer_announces = hello.role == LF_CHANNEL_PRODUCER;
  if (peer_announces) link_->set_peer_socket(connection->slot, connection->socket);
  std::vector<uint8_t> bytes = encode_reply(reply);
  UniqueFd region_fd(region_->export_fd());
  int raw = region_fd.get();
  try {
    ipc::send_fds(connection->socket->get(), bytes.data(), bytes.size(), &raw, 1);
  } catch (...) {
    Channel::declare_dead(*region_, connection->role, connection->slot);  // claimed, but it never got the region
    throw;
  }
  if (!peer_announces) link_->set_peer_socket(connection->slot, connection->socket);
  core::log_message(context_->log(), LF_LOG_INFO, "channel '%s': %s (pid %d) connected, scope %s", name_.c_str(),
                    hello.role == LF_CHANNEL_PRODUCER ? "a producer" : "the consumer", cred.pid,
                    topo::scope_level_name(decision.level));
  Connection *c = connection.get();
  {
    std::lock_guard lock(mutex_);
    connections_.push_back(std::move(connection));
  }
  c->watch = Monitor::instance().watch(c->socket->get(), Monitor::Event::hangup, [this, c] { on_hangup(c); });
}

void Listener::on_hangup(Connection *connection) noexcept {
  // The peer closed its connection: its process exited, or it destroyed its end (which
  // closes the end first, so a clean close leaves nothing to declare).
  Channel::declare_dead(*region_, connection->role, connection->slot);
  Monitor::instance().unwatch(connection->watch);
  std::lock_guard lock(mutex_);
  for (auto it = connections_.begin(); it != connections_.end(); ++it)
    if (it->get() == connection) {
      connections_.erase(it);
      break;
    }
}

// ---- opener -----------------------------------------------------------------------------

Connected connect_channel(const context::Context &context, const std::string &name, int32_t role,
                          const std::vector<uint8_t> &identity_blob, int32_t timeout_ms) {
  const std::string &base = context.config().base_dir;
  const std::string dir_path = ipc::user_dir_path(base, "channels");
  const int64_t deadline = timeout_ms < 0 ? INT64_MAX : core::monotonic_ns() + int64_t{timeout_ms} * 1000000;
  UniqueFd socket;
  for (;;) {
    int error = ENOENT;
    try {
      UniqueFd dir = ipc::open_user_dir(base, "channels", false);
      socket = UniqueFd(ipc::connect_unix(dir.get(), dir_path, name));
      error = socket ? 0 : errno;
    } catch (const core::Error &e) {
      if (e.status() != LF_ERR_NOT_FOUND) throw;
    }
    if (socket) break;
    if (error != ENOENT && error != ECONNREFUSED) core::fail_errno(error, "connecting to channel '%s' (%s/%s)", name.c_str(), dir_path.c_str(), name.c_str());
    if (core::monotonic_ns() >= deadline)
      fail(timeout_ms == 0 ? LF_ERR_NOT_FOUND : LF_TIMEOUT, "no channel named '%s' (%s/%s)%s", name.c_str(), dir_path.c_str(),
           name.c_str(), timeout_ms == 0 ? "" : " appeared in time");
    usleep(2000);
  }
  ipc::set_socket_timeout(socket.get(), kHandshakeTimeoutMs);
  ucred cred = ipc::peer_credentials(socket.get());
  if (cred.uid != geteuid()) fail(LF_ERR_PERMISSION, "channel '%s' belongs to uid %u, not to us (uid %u)", name.c_str(), cred.uid, geteuid());

  Hello hello;
  hello.role = role;
  hello.identity = identity_blob;
  std::vector<uint8_t> bytes = encode_hello(hello);
  ipc::send_fds(socket.get(), bytes.data(), bytes.size(), nullptr, 0);
  std::vector<UniqueFd> fds;
  Reply reply = decode_reply(receive(socket.get(), fds, 1, "reply from the channel's creator"));
  if (reply.status != LF_OK) fail(reply.status, "channel '%s' refused us: %s", name.c_str(), reply.message.c_str());
  if (fds.size() != 1) fail(LF_ERR_PROTOCOL, "the channel's creator accepted us but sent no region");
  Connected connected;
  connected.region = ChannelRegion::map(fds[0].get());
  connected.socket = std::move(socket);
  connected.slot = reply.slot;
  connected.creator = topo::decode_identity(reply.identity);
  if (role == LF_CHANNEL_PRODUCER && reply.slot >= connected.region->max_producers())
    fail(LF_ERR_PROTOCOL, "the channel's creator gave us slot %u of %u", reply.slot, connected.region->max_producers());
  return connected;
}

}  // namespace lavaflow::channel

#include "pool/driver_session.hpp"

#include "context/context.hpp"
#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "core/futex.hpp"
#include "core/log.hpp"
#include "ipc/fd_passing.hpp"
#include "ipc/unix_socket.hpp"
#include "ipc/user_dir.hpp"
#include "pool/driver.hpp"
#include "pool/driver_request.hpp"
#include "pool/embedded_driver.hpp"

#include <cerrno>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace lavaflow::pool {

using core::fail;
using core::UniqueFd;
using protocol::Message;
using protocol::Type;

namespace {

int64_t now_ms() noexcept { return core::monotonic_ms(); }

// Re-attaching: first after 100 ms, then backing off to 5 s while refused (another producer took
// the stream, a quota) so that a driver's log is not flooded.
constexpr int64_t kReattachIntervalMs = 100, kReattachMaxIntervalMs = 5000;
constexpr int32_t kDetachTimeoutMs = 1000;

}  // namespace

uint64_t new_client_id() noexcept {
  static std::atomic<uint32_t> counter{0};
  return (uint64_t(static_cast<uint32_t>(getpid())) << 32) | (counter.fetch_add(1, std::memory_order_relaxed) + 1);
}

DriverSession::DriverSession(std::shared_ptr<const context::Context> context, SessionOptions options)
    : context_(std::move(context)), options_(std::move(options)) {
  stop_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_) core::fail_errno(errno, "eventfd");
  connect_and_attach(now_ms() + options_.connect_timeout_ms);
  thread_ = std::thread([this] { run(); });
}

DriverSession::~DriverSession() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_.get(), &one, sizeof one);
  thread_.join();
  detach();
}

std::shared_ptr<EpochMapping> DriverSession::mapping(uint64_t &out_generation) const {
  std::lock_guard lock(mutex_);
  out_generation = generation_.load(std::memory_order_relaxed);
  return mapping_;
}

UniqueFd DriverSession::connect_driver(int64_t deadline_ms) {
  const std::string &base = context_->config().base_dir;
  const bool ours = !options_.driver_uid || *options_.driver_uid == geteuid();
  UniqueFd dir = ours ? ipc::open_user_dir(base, nullptr, true) : ipc::open_user_dir_of(base, *options_.driver_uid);
  const std::string dir_path = ours ? ipc::user_dir_path(base, nullptr) : base + "/lavaflow-" + std::to_string(*options_.driver_uid);
  while (true) {
    UniqueFd socket(ipc::connect_unix(dir.get(), dir_path, kDriverSocketName));
    if (socket) return socket;
    if (errno != ENOENT && errno != ECONNREFUSED) core::fail_errno(errno, "connecting to the tensor pool driver at '%s/%s'", dir_path.c_str(), kDriverSocketName);
    if (options_.start_driver && ours) {
      if (auto driver = share_embedded_driver(base, *context_->log())) {
        embedded_ = std::move(driver);
        continue;
      }
    }
    if (now_ms() >= deadline_ms) {
      if (!options_.start_driver)
        fail(LF_ERR_NOT_FOUND, "no tensor pool driver is listening at '%s/%s' (and starting one was not allowed)", dir_path.c_str(), kDriverSocketName);
      fail(LF_TIMEOUT, "no tensor pool driver answered at '%s/%s' in time (another process holds the driver lock)", dir_path.c_str(), kDriverSocketName);
    }
    usleep(5000);  // another process is starting its driver
  }
}

void DriverSession::connect_and_attach(int64_t deadline_ms) {
  socket_ = connect_driver(deadline_ms);
  attach_on(std::move(socket_), deadline_ms);
}

void DriverSession::attach_on(UniqueFd socket, int64_t deadline_ms) {
  Message request;
  request.type = Type::attach_request;
  request.request_id = next_request_++;
  request.attach = options_.request;
  std::vector<UniqueFd> fds;
  const Message m = exchange(socket.get(), request, Type::attach_response, deadline_ms, &fds);
  if (m.attached.status != LF_OK)
    fail(m.attached.status, "the tensor pool driver refused the %s attach to stream %u: %s",
         options_.request.role == protocol::Role::producer ? "producer" : "consumer", options_.request.stream_id,
         m.attached.message.c_str());
  adopt(m.attached.announcement, std::move(fds));
  keepalive_ms_ = m.attached.announcement.keepalive_ms;
  lease_id_.store(m.attached.lease_id, std::memory_order_relaxed);
  socket_ = std::move(socket);
  leased_ = true;
  revoked_.store(false, std::memory_order_release);
}

void DriverSession::adopt(const protocol::Announcement &announcement, std::vector<UniqueFd> fds) {
  std::shared_ptr<EpochMapping> mapping = EpochMapping::map(announcement, std::move(fds), options_.request.role == protocol::Role::producer,
                                                            options_.driver_uid.value_or(geteuid()));
  std::shared_ptr<EpochMapping> old;
  {
    std::lock_guard lock(mutex_);
    old = std::move(mapping_);
    mapping_ = std::move(mapping);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (old) {
    // Consumers of this process asleep on the old epoch's futex: wake them to move over.
    wake_sleepers(old->control(), true);
  }
}

void DriverSession::send(const Message &message) {
  std::vector<uint8_t> bytes = protocol::encode(message);
  ipc::send_fds(socket_.get(), bytes.data(), bytes.size(), nullptr, 0);
}

bool DriverSession::handle_incoming() noexcept {
  std::vector<uint8_t> &buffer = receive_buffer_;
  try {
    size_t size = 0;
    std::vector<UniqueFd> fds;
    if (ipc::recv_fds(socket_.get(), buffer.data(), buffer.size(), size, fds, ipc::kMaxFdsPerMessage, 0) == LF_TIMEOUT) return true;
    Message m = protocol::decode(buffer.data(), size, static_cast<uint32_t>(fds.size()));
    switch (m.type) {
      case Type::announce:
        if (m.lease_id == lease_id_.load(std::memory_order_relaxed)) adopt(m.announcement, std::move(fds));
        return true;
      case Type::lease_revoked:
        if (m.lease_id == lease_id_.load(std::memory_order_relaxed)) {
          leased_ = false;
          revoked_.store(true, std::memory_order_release);
          core::log_message(context_->log(), LF_LOG_WARN, "tensor pool: lease %llu on stream %u %s; re-attaching",
                            static_cast<unsigned long long>(m.lease_id), m.stream_id, protocol::revoke_reason_name(m.reason));
        }
        return true;
      case Type::shutdown_notice:
        core::log_message(context_->log(), LF_LOG_INFO, "tensor pool: the driver is shutting down; re-attaching to the next one");
        return false;
      default:
        return true;  // a late reply to nothing pending
    }
  } catch (const std::exception &e) {
    core::log_message(context_->log(), LF_LOG_INFO, "tensor pool: lost the driver (%s); re-attaching", e.what());
    return false;
  }
}

void DriverSession::run() noexcept {
  int64_t next_keepalive = now_ms() + keepalive_ms_;
  int64_t next_attempt = 0;
  int64_t interval = kReattachIntervalMs;
  while (true) {
    const int64_t now = now_ms();
    int64_t wait = next_keepalive - now;
    if (!socket_ || !leased_) wait = std::min<int64_t>(wait, next_attempt - now);
    pollfd fds[2] = {{stop_.get(), POLLIN, 0}, {socket_ ? socket_.get() : -1, POLLIN, 0}};
    poll(fds, 2, static_cast<int>(std::clamp<int64_t>(wait, 0, 1000)));
    if (fds[0].revents & POLLIN) return;
    if (socket_ && (fds[1].revents != 0) && !handle_incoming()) {
      socket_.reset();
      leased_ = false;
      embedded_.reset();  // a driver of ours that stopped is not the next one
      next_attempt = now_ms() + 20;
      interval = kReattachIntervalMs;
    }
    if (now_ms() >= next_keepalive) {
      next_keepalive = now_ms() + keepalive_ms_;
      if (socket_ && leased_ && !core::fault_injected("pool_no_keepalive")) {
        Message m;
        m.type = Type::keepalive;
        m.lease_id = lease_id_.load(std::memory_order_relaxed);
        try {
          send(m);
        } catch (const std::exception &) {
          socket_.reset();
          leased_ = false;
        }
      }
    }
    if ((!socket_ || !leased_) && now_ms() >= next_attempt) {
      next_attempt = now_ms() + interval;
      if (core::fault_injected("pool_no_reattach")) continue;  // (tests: a re-take that is late)
      try {
        if (socket_) attach_on(std::move(socket_), now_ms() + 1000);  // revoked: a new lease on the same connection
        else connect_and_attach(now_ms() + 1000);
        reattachments_.fetch_add(1, std::memory_order_relaxed);
        interval = kReattachIntervalMs;
      } catch (const core::Error &e) {
        core::log_message(context_->log(), LF_LOG_DEBUG, "tensor pool: re-attach failed: %s", e.what());
        // No driver yet: keep trying briskly; a driver that refuses: back off.
        if (e.status() != LF_ERR_NOT_FOUND && e.status() != LF_TIMEOUT && e.status() != LF_ERR_CLOSED)
          interval = std::min(interval * 2, kReattachMaxIntervalMs);
      } catch (const std::exception &e) {
        core::log_message(context_->log(), LF_LOG_DEBUG, "tensor pool: re-attach failed: %s", e.what());
      }
    }
  }
}

void DriverSession::detach() noexcept {
  if (!socket_ || !leased_) return;
  try {
    Message m;
    m.type = Type::detach_request;
    m.request_id = next_request_++;
    m.lease_id = lease_id_.load(std::memory_order_relaxed);
    exchange(socket_.get(), m, Type::detach_response, now_ms() + kDetachTimeoutMs);
  } catch (const std::exception &e) {
    core::log_message(context_->log(), LF_LOG_DEBUG, "tensor pool: detach: %s", e.what());
  }
  leased_ = false;
  socket_.reset();
}

}  // namespace lavaflow::pool

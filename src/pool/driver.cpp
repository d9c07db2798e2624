#include "pool/driver.hpp"

#include "core/error.hpp"
#include "core/futex.hpp"
#include "core/strings.hpp"
#include "ipc/fd_passing.hpp"
#include "ipc/unix_socket.hpp"
#include "ipc/user_dir.hpp"
#include "pool/epoch_files.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <map>
#include <set>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

namespace lavaflow::pool {

using core::fail;
using core::UniqueFd;
using protocol::Message;
using protocol::Role;
using protocol::Type;

namespace {

using core::realtime_ns;  // (epoch numbers only: timestamps are monotonic_ns)
uint64_t monotonic_ns() noexcept { return static_cast<uint64_t>(core::monotonic_ns()); }
int64_t now_ms() noexcept { return core::monotonic_ms(); }

// Whether the peer's primary or a supplementary group is `group` (supplementary groups come
// from /proc/<pid>/status: SO_PEERCRED carries only the primary one).
bool in_group(const ucred &cred, gid_t group) {
  if (cred.gid == group) return true;
  FILE *status = std::fopen(("/proc/" + std::to_string(cred.pid) + "/status").c_str(), "r");
  if (status == nullptr) return false;
  char line[4096];
  bool member = false;
  while (std::fgets(line, sizeof line, status) != nullptr) {
    if (std::strncmp(line, "Groups:", 7) != 0) continue;
    char *cursor = line + 7;
    while (*cursor != '\0') {
      char *end = nullptr;
      const unsigned long value = std::strtoul(cursor, &end, 10);
      if (end == cursor) break;
      if (value == group) member = true;
      cursor = end;
    }
  }
  std::fclose(status);
  return member;
}

std::string hex(const uint8_t *bytes, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

}  // namespace

class Driver::Engine {
 public:
  Engine(DriverConfig &config, core::LogSink log, std::atomic<bool> &stopped);
  ~Engine();
  void run() noexcept;
  void request_stop() noexcept {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_.get(), &one, sizeof one);
  }

 private:
  struct Client {
    UniqueFd socket;
    ucred cred{};
    std::vector<uint64_t> leases;
    bool gone = false;
    // Why a message to it could not be sent (empty: none failed). Such a client is dropped
    // later, by drop_failed_senders(), never inside send(): send() runs inside loops over
    // leases_ and clients_, which dropping a client changes.
    std::string send_failure;
  };
  struct Lease {
    uint64_t id = 0;
    uint64_t client_id = 0;
    uint32_t stream = 0;
    Role role = Role::consumer;
    Client *client = nullptr;
    int64_t last_keepalive_ms = 0;
    uint32_t entry = kNoConsumerEntry;
    uint8_t mode = 0;
    uint64_t mode_arg = 0;
    uint64_t epoch = 0;  // the newest epoch announced to it
    uint64_t attach_ns = 0;
  };
  struct Epoch {
    uint64_t number = 0;
    std::unique_ptr<EpochFiles> files;  // null: left by an earlier driver
    int64_t retired_ms = -1;
  };
  struct Stream {
    uint32_t id = 0;
    uid_t uid = 0;
    StreamProfile profile;
    UniqueFd dir;
    std::string dir_path;
    std::deque<Epoch> epochs;  // back(): current
    uint64_t producer = 0;     // lease id, 0: none
    uint64_t last_published = 0;  // seen at the producer's last keepalive
    int64_t idle_since_ms = -1;   // since when no lease refers to it (-1: leased)
    std::vector<bool> entries;
    EpochFiles &current() { return *epochs.back().files; }
    uint64_t bytes() const {
      uint64_t total = 0;
      for (const Epoch &e : epochs)
        if (e.files) total += e.files->bytes();
      return total;
    }
  };

  void accept_clients();
  void serve(Client &client);
  void drop_client(Client &client, const char *why);
  void drop_failed_senders();
  void handle(Client &client, const Message &m);
  void attach(Client &client, const Message &m);
  void detach(Client &client, const Message &m);
  void keepalive(Client &client, const Message &m);
  void shutdown_request(Client &client, const Message &m);
  void list(Client &client, const Message &m);
  void housekeeping();
  void stamp_producer(Stream &stream, pid_t pid);
  void collect_garbage(Stream &stream);
  void retire_idle_streams(int64_t now);
  void end_lease(uint64_t lease_id, protocol::RevokeReason reason, bool notify);
  Stream &open_stream(uint32_t id, uid_t uid, const StreamProfile &profile);
  void bump_epoch(Stream &stream, const StreamProfile &profile);
  void write_entry(Stream &stream, const Lease &lease, bool fresh);
  void announce(Stream &stream, Lease &lease);
  bool send(Client &client, const Message &m, const std::vector<int> &fds = {});
  void begin_shutdown();
  void take_lock(const std::string &user_path);
  // The first epoch number of a stream this driver opens, above `after` (what is on disk):
  // never one the stream had before, even across driver restarts and stream retirements — at
  // least the wall clock in microseconds (after a clean stop no file tells what came before;
  // later epochs count up by one from here, each far slower than a microsecond), and above
  // every number this driver gave the stream.
  uint64_t new_epoch_number(uint32_t stream, uint64_t after);
  Lease *find_lease(Client &client, uint64_t id);
  uint64_t uid_bytes(uid_t uid) const;
  size_t uid_streams(uid_t uid) const;

  DriverConfig &config_;
  core::LogSink log_;
  std::atomic<bool> &stopped_;
  UniqueFd lock_, user_dir_, ns_dir_, wake_;
  ipc::BoundSocket bound_;
  std::array<uint8_t, protocol::kTokenBytes> token_{};
  std::vector<std::unique_ptr<Client>> clients_;
  std::map<uint64_t, Lease> leases_;
  std::map<uint32_t, Stream> streams_;
  std::map<uint32_t, uint64_t> last_epochs_;  // per stream, kept when a stream retires
  uint64_t next_lease_ = 1;
  bool shutting_down_ = false;
  int64_t drain_deadline_ms_ = 0;
  int64_t next_housekeeping_ms_ = 0;
  std::vector<uint8_t> receive_buffer_ = std::vector<uint8_t>(protocol::kMaxMessageBytes);
};

Driver::Engine::Engine(DriverConfig &config, core::LogSink log, std::atomic<bool> &stopped)
    : config_(config), log_(std::move(log)), stopped_(stopped) {
  const std::string user_path = ipc::user_dir_path(config_.base_dir, nullptr);
  user_dir_ = ipc::open_user_dir(config_.base_dir, nullptr, true);
  take_lock(user_path);
  ns_dir_ = ipc::open_private_dir(user_dir_.get(), config_.namespace_name.c_str(), true, user_path + "/" + config_.namespace_name);
  if (const size_t stale = remove_stale_epochs(ns_dir_.get()); stale > 0)
    core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: removed %zu epoch(s) an earlier driver left behind", stale);
  bound_ = ipc::listen_unix(user_dir_.get(), user_path, kDriverSocketName, "tensor pool driver");
  const std::string socket_path = user_path + "/" + kDriverSocketName;
  if (config_.allowed_group) {
    // Group sharing: the group may search the user directory and connect to the socket; peer
    // credentials decide the rest. (Region files stay 0600: clients map passed descriptors.)
    const gid_t group = *config_.allowed_group;
    if (fchown(user_dir_.get(), static_cast<uid_t>(-1), group) != 0 || fchmod(user_dir_.get(), 0710) != 0 ||
        fchownat(user_dir_.get(), kDriverSocketName, static_cast<uid_t>(-1), group, AT_SYMLINK_NOFOLLOW) != 0 ||
        fchmodat(user_dir_.get(), kDriverSocketName, 0660, 0) != 0)
      core::fail_errno(errno, "sharing '%s' with group %u (allowed_group)", socket_path.c_str(), group);
  } else {
    fchmod(user_dir_.get(), 0700);  // (a group-sharing driver before us may have opened it)
    fchmodat(user_dir_.get(), kDriverSocketName, 0600, 0);
  }
  if (getrandom(token_.data(), token_.size(), 0) != static_cast<ssize_t>(token_.size())) core::fail_errno(errno, "getrandom");
  {
    unlinkat(user_dir_.get(), kDriverTokenName, 0);
    UniqueFd token(openat(user_dir_.get(), kDriverTokenName, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!token) core::fail_errno(errno, "creating the driver token file");
    const std::string text = hex(token_.data(), token_.size()) + "\n";
    if (write(token.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size())) core::fail_errno(errno, "writing the token file");
  }
  wake_ = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_) core::fail_errno(errno, "eventfd");
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: listening at %s (namespace '%s', pid %d)", socket_path.c_str(),
                    config_.namespace_name.c_str(), getpid());
}

void Driver::Engine::take_lock(const std::string &user_path) {
  // A driver that stops removes the lock file while it holds it: a lock taken on a file that
  // was removed meanwhile guards nothing, so the file at the name must still be the one locked.
  for (int attempt = 0;; ++attempt) {
    lock_ = UniqueFd(openat(user_dir_.get(), kDriverLockName, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!lock_) core::fail_errno(errno, "opening the driver lock '%s/%s'", user_path.c_str(), kDriverLockName);
    struct stat st {};
    if (fstat(lock_.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0)
      fail(LF_ERR_PERMISSION, "the driver lock '%s/%s' is not a private regular file of ours: refused", user_path.c_str(), kDriverLockName);
    if (flock(lock_.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) fail(LF_ERR_EXISTS, "a tensor pool driver is already running for '%s'", user_path.c_str());
      core::fail_errno(errno, "flock('%s/%s')", user_path.c_str(), kDriverLockName);
    }
    struct stat named {};
    if (fstatat(user_dir_.get(), kDriverLockName, &named, AT_SYMLINK_NOFOLLOW) == 0 && named.st_dev == st.st_dev &&
        named.st_ino == st.st_ino)
      return;
    if (attempt == 100) fail(LF_ERR_BUSY, "the driver lock '%s/%s' keeps being replaced", user_path.c_str(), kDriverLockName);
  }
}

Driver::Engine::~Engine() {
  // A clean stop leaves nothing behind: every epoch's files (clients keep their mappings; they
  // reattach to the next driver, whose epochs are newer), the stream and namespace directories,
  // the socket, the token and — last, while still held — the lock.
  for (auto &[id, stream] : streams_) {
    for (Epoch &e : stream.epochs) {
      if (e.files) e.files->remove();
      else remove_epoch_dir(stream.dir.get(), e.number);
    }
    unlinkat(ns_dir_.get(), std::to_string(id).c_str(), AT_REMOVEDIR);
  }
  remove_stale_epochs(ns_dir_.get());  // (streams this driver never opened)
  if (ns_dir_) unlinkat(user_dir_.get(), config_.namespace_name.c_str(), AT_REMOVEDIR);  // (only if empty)
  if (bound_.socket) ipc::unlink_if_ours(user_dir_.get(), kDriverSocketName, bound_);
  unlinkat(user_dir_.get(), kDriverTokenName, 0);
  if (lock_) unlinkat(user_dir_.get(), kDriverLockName, 0);
}

void Driver::Engine::run() noexcept {
  std::vector<pollfd> fds;
  while (true) {
    fds.clear();
    fds.push_back({wake_.get(), POLLIN, 0});
    fds.push_back({shutting_down_ ? -1 : bound_.socket.get(), POLLIN, 0});
    for (auto &c : clients_) fds.push_back({c->socket.get(), POLLIN, 0});
    const int tick = static_cast<int>(std::min<uint32_t>(config_.keepalive_ms / 4 + 1, 50));
    if (poll(fds.data(), fds.size(), tick) < 0 && errno != EINTR) break;
    if (fds[0].revents & POLLIN) {
      uint64_t value = 0;
      [[maybe_unused]] ssize_t n = read(wake_.get(), &value, sizeof value);
      if (!shutting_down_) begin_shutdown();
    }
    if (fds[1].revents & POLLIN) accept_clients();
    for (size_t i = 2; i < fds.size(); ++i)
      if (fds[i].revents != 0) serve(*clients_[i - 2]);
    // Housekeeping once per tick, not after every message: it checks every producer's process
    // and every stream's epochs.
    if (now_ms() >= next_housekeeping_ms_) {
      next_housekeeping_ms_ = now_ms() + tick;
      try {
        housekeeping();
      } catch (const std::exception &e) {
        core::log_message(&log_, LF_LOG_ERROR, "tensor pool driver: housekeeping failed: %s", e.what());
      }
    }
    drop_failed_senders();
    // Clients that went away are dropped only here, so that indexes above stay valid.
    std::erase_if(clients_, [](const std::unique_ptr<Client> &c) { return c->gone; });
    if (shutting_down_ && (clients_.empty() || now_ms() >= drain_deadline_ms_)) break;
  }
  stopped_.store(true, std::memory_order_release);
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: stopped");
}

void Driver::Engine::accept_clients() {
  while (true) {
    UniqueFd socket(accept4(bound_.socket.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!socket) return;
    auto client = std::make_unique<Client>();
    try {
      client->cred = ipc::peer_credentials(socket.get());
    } catch (const std::exception &e) {
      continue;
    }
    // Peer credentials: our own uid, or a member of the allowed group.
    if (client->cred.uid != geteuid() && !(config_.allowed_group && in_group(client->cred, *config_.allowed_group))) {
      core::log_message(&log_, LF_LOG_WARN, "tensor pool driver: refused pid %d of uid %u (driver uid %u%s)", client->cred.pid,
                        client->cred.uid, geteuid(), config_.allowed_group ? ", not in the allowed group" : "");
      continue;
    }
    client->socket = std::move(socket);
    if (shutting_down_) continue;
    clients_.push_back(std::move(client));
  }
}

void Driver::Engine::serve(Client &client) {
  if (client.gone) return;
  size_t size = 0;
  std::vector<UniqueFd> fds;
  try {
    lf_status_t status = ipc::recv_fds(client.socket.get(), receive_buffer_.data(), receive_buffer_.size(), size, fds, 0, 0);
    if (status == LF_TIMEOUT) return;
    Message m = protocol::decode(receive_buffer_.data(), size, 0);
    handle(client, m);
  } catch (const core::Error &e) {
    drop_client(client, e.status() == LF_ERR_CLOSED ? "its socket closed" : e.what());
  }
}

void Driver::Engine::drop_client(Client &client, const char *why) {
  if (client.gone) return;
  client.gone = true;
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: client pid %d gone (%s); %zu lease(s) revoked", client.cred.pid, why,
                    client.leases.size());
  const std::vector<uint64_t> leases = client.leases;
  for (uint64_t id : leases) end_lease(id, protocol::RevokeReason::revoked, false);
  client.socket.reset();
}

void Driver::Engine::drop_failed_senders() {
  // Dropping a client ends its leases, which may announce a new epoch to others whose sockets
  // fail too: until none is left.
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (auto &c : clients_) {
      if (c->gone || c->send_failure.empty()) continue;
      drop_client(*c, ("sending to it failed: " + c->send_failure).c_str());
      dropped = true;
    }
  }
}

void Driver::Engine::handle(Client &client, const Message &m) {
  switch (m.type) {
    case Type::attach_request: return attach(client, m);
    case Type::detach_request: return detach(client, m);
    case Type::keepalive: return keepalive(client, m);
    case Type::shutdown_request: return shutdown_request(client, m);
    case Type::list_request: return list(client, m);
    default:
      fail(LF_ERR_PROTOCOL, "a client sent a %s, which only the driver sends", protocol::type_name(m.type));
  }
}

bool Driver::Engine::send(Client &client, const Message &m, const std::vector<int> &fds) {
  if (client.gone || !client.send_failure.empty()) return false;
  std::vector<uint8_t> bytes = protocol::encode(m);
  try {
    ipc::send_fds(client.socket.get(), bytes.data(), bytes.size(), fds.data(), static_cast<uint32_t>(fds.size()));
    return true;
  } catch (const core::Error &e) {
    client.send_failure = e.what();  // dropped by drop_failed_senders(), outside every loop
    return false;
  }
}

Driver::Engine::Lease *Driver::Engine::find_lease(Client &client, uint64_t id) {
  auto found = leases_.find(id);
  if (found == leases_.end() || found->second.client != &client) return nullptr;
  return &found->second;
}

size_t Driver::Engine::uid_streams(uid_t uid) const {
  size_t n = 0;
  for (const auto &[id, s] : streams_) n += s.uid == uid;
  return n;
}

uint64_t Driver::Engine::uid_bytes(uid_t uid) const {
  uint64_t n = 0;
  for (const auto &[id, s] : streams_)
    if (s.uid == uid) n += s.bytes();
  return n;
}

void Driver::Engine::attach(Client &client, const Message &m) {
  const protocol::AttachRequest &r = m.attach;
  Message reply;
  reply.type = Type::attach_response;
  reply.request_id = m.request_id;
  auto refuse = [&](lf_status_t status, const std::string &why) {
    reply.attached.status = status;
    reply.attached.message = why;
    core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: refused %s attach of pid %d to stream %u: %s",
                      r.role == Role::producer ? "producer" : "consumer", client.cred.pid, r.stream_id, why.c_str());
    send(client, reply);
  };
  if (shutting_down_) return refuse(LF_ERR_CLOSED, "the driver is shutting down");
  if (r.client_id == 0) return refuse(LF_ERR_INVALID_ARGUMENT, "client id 0 is reserved");
  for (const auto &[id, lease] : leases_)
    if (lease.client_id == r.client_id)
      return refuse(LF_ERR_EXISTS, core::format_text("client id %llu is already attached (lease %llu, stream %u)",
                                                     static_cast<unsigned long long>(r.client_id),
                                                     static_cast<unsigned long long>(id), lease.stream));
  auto existing = streams_.find(r.stream_id);
  const bool configured = config_.streams.count(r.stream_id) != 0;
  if (existing == streams_.end() && !configured && !config_.dynamic_streams)
    return refuse(LF_ERR_NOT_FOUND, core::format_text("stream %u is not configured and dynamic streams are off", r.stream_id));
  StreamProfile profile;
  try {
    profile = config_.profile(!r.profile.empty() ? r.profile : configured ? config_.streams.at(r.stream_id) : std::string());
  } catch (const core::Error &e) {
    return refuse(e.status(), e.what());
  }
  if (r.require_hugepages) profile.require_hugepages = true;
  const bool layout_changes = existing != streams_.end() && r.role == Role::producer && !(existing->second.profile == profile);
  if (existing == streams_.end() || layout_changes) {
    if (profile.require_hugepages) {
      const std::string why = hugepage_refusal(ipc::user_dir_path(config_.base_dir, config_.namespace_name.c_str()));
      if (!why.empty()) return refuse(LF_ERR_UNSUPPORTED, "require_hugepages: " + why);
    }
  }
  if (r.role == Role::producer && existing != streams_.end() && existing->second.producer != 0) {
    const Lease &holder = leases_.at(existing->second.producer);
    return refuse(LF_ERR_BUSY, core::format_text("stream %u already has a producer (pid %d, lease %llu)", r.stream_id,
                                                 holder.client->cred.pid, static_cast<unsigned long long>(holder.id)));
  }
  // Quotas: streams and region bytes per uid (the new epoch's files count before they exist).
  const uint64_t new_bytes =
      existing == streams_.end() || r.role == Role::producer ? epoch_bytes(profile, config_.consumer_entries) : 0;
  if (existing == streams_.end() && uid_streams(client.cred.uid) >= config_.max_streams_per_uid)
    return refuse(LF_ERR_LIMIT, core::format_text("uid %u already has %u streams (max_streams_per_uid)", client.cred.uid,
                                                  config_.max_streams_per_uid));
  if (new_bytes != 0 && uid_bytes(client.cred.uid) + new_bytes > config_.max_bytes_per_uid)
    return refuse(LF_ERR_LIMIT, core::format_text("uid %u would have %llu bytes of regions; max_bytes_per_uid is %llu", client.cred.uid,
                                                  static_cast<unsigned long long>(uid_bytes(client.cred.uid) + new_bytes),
                                                  static_cast<unsigned long long>(config_.max_bytes_per_uid)));
  Lease lease;
  lease.id = next_lease_++;
  lease.client_id = r.client_id;
  lease.stream = r.stream_id;
  lease.role = r.role;
  lease.client = &client;
  lease.last_keepalive_ms = now_ms();
  lease.mode = r.mode;
  lease.mode_arg = r.mode_arg;
  lease.attach_ns = monotonic_ns();
  try {
    const bool created = existing == streams_.end();
    Stream &stream = created ? open_stream(r.stream_id, client.cred.uid, profile) : existing->second;
    if (r.role == Role::consumer) {
      for (uint32_t i = 0; i < stream.entries.size(); ++i)
        if (!stream.entries[i]) {
          stream.entries[i] = true;
          lease.entry = i;
          break;
        }
      leases_[lease.id] = lease;
      write_entry(stream, leases_[lease.id], true);
    } else {
      leases_[lease.id] = lease;
      stream.producer = lease.id;
      // A producer on a stream without one starts a new epoch (a new stream's first epoch is new already).
      if (!created) bump_epoch(stream, profile);
      stream.last_published = 0;
      stamp_producer(stream, client.cred.pid);
    }
  } catch (const core::Error &e) {
    leases_.erase(lease.id);
    return refuse(e.status(), e.what());
  }
  client.leases.push_back(lease.id);
  Lease &stored = leases_[lease.id];
  Stream &stream = streams_.at(r.stream_id);
  reply.attached.lease_id = stored.id;
  reply.attached.announcement = stream.current().announcement();
  reply.attached.announcement.consumer_index = stored.entry;
  reply.attached.announcement.keepalive_ms = config_.keepalive_ms;
  stored.epoch = stream.current().epoch();
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: pid %d attached to stream %u as %s (lease %llu, epoch %llu)",
                    client.cred.pid, r.stream_id, r.role == Role::producer ? "producer" : "consumer",
                    static_cast<unsigned long long>(stored.id), static_cast<unsigned long long>(stored.epoch));
  send(client, reply, stream.current().fds(r.role == Role::producer));
}

Driver::Engine::Stream &Driver::Engine::open_stream(uint32_t id, uid_t uid, const StreamProfile &profile) {
  const std::string ns_path = ipc::user_dir_path(config_.base_dir, config_.namespace_name.c_str());
  Stream stream;
  stream.id = id;
  stream.uid = uid;
  stream.profile = profile;
  stream.dir_path = ns_path + "/" + std::to_string(id);
  stream.dir = ipc::open_private_dir(ns_dir_.get(), std::to_string(id).c_str(), true, stream.dir_path);
  stream.entries.assign(config_.consumer_entries, false);
  // Epochs left by an earlier driver: the newest is kept as the previous epoch (its clients may
  // still map it), older ones go now unless their producer still lives.
  const std::vector<uint64_t> on_disk = epochs_on_disk(stream.dir.get());
  const uint64_t highest = on_disk.empty() ? 0 : on_disk.back();
  for (uint64_t e : on_disk)
    if (e != highest && !process_alive(producer_pid_on_disk(stream.dir.get(), e))) remove_epoch_dir(stream.dir.get(), e);
  if (highest != 0) stream.epochs.push_back(Epoch{highest, nullptr, now_ms()});
  EpochFileOptions options{config_.consumer_entries, config_.file_mode, config_.prefault, config_.mlock};
  const uint64_t first = new_epoch_number(id, highest);
  stream.epochs.push_back(Epoch{first, EpochFiles::create(stream.dir.get(), stream.dir_path, id, first, profile, options), -1});
  auto [it, inserted] = streams_.emplace(id, std::move(stream));
  return it->second;
}

uint64_t Driver::Engine::new_epoch_number(uint32_t stream, uint64_t after) {
  uint64_t &last = last_epochs_[stream];
  last = std::max({after + 1, last + 1, realtime_ns() / 1000});
  return last;
}

void Driver::Engine::bump_epoch(Stream &stream, const StreamProfile &profile) {
  EpochFileOptions options{config_.consumer_entries, config_.file_mode, config_.prefault, config_.mlock};
  const uint64_t next = stream.epochs.back().number + 1;  // (one more: every bump costs far more than a microsecond)
  last_epochs_[stream.id] = next;
  stream.epochs.push_back(Epoch{next, EpochFiles::create(stream.dir.get(), stream.dir_path, stream.id, next, profile, options), -1});
  stream.epochs[stream.epochs.size() - 2].retired_ms = now_ms();
  stream.profile = profile;
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: stream %u is at epoch %llu", stream.id, static_cast<unsigned long long>(next));
  for (auto &[id, lease] : leases_) {
    if (lease.stream != stream.id || lease.role != Role::consumer) continue;
    write_entry(stream, lease, false);
    announce(stream, lease);
  }
}

void Driver::Engine::write_entry(Stream &stream, const Lease &lease, bool fresh) {
  if (lease.entry == kNoConsumerEntry) return;
  namespace o = consumer_offset;
  const ControlView control = stream.current().control();
  const size_t at = control.entry_offset(lease.entry);
  if (fresh)  // an entry another consumer held before: its counters are not this one's
    for (size_t field : {o::last_seq, o::frames_read, o::drops_gap, o::drops_late, o::skipped, o::invalid})
      control.u64(at + field).store(0, std::memory_order_relaxed);
  control.u32(at + o::mode).store(lease.mode, std::memory_order_relaxed);
  control.u64(at + o::lease).store(lease.id, std::memory_order_relaxed);
  control.u64(at + o::client_id).store(lease.client_id, std::memory_order_relaxed);
  control.u64(at + o::pid).store(static_cast<uint64_t>(lease.client->cred.pid), std::memory_order_relaxed);
  control.u64(at + o::mode_arg).store(lease.mode_arg, std::memory_order_relaxed);
  control.u64(at + o::attach_ns).store(lease.attach_ns, std::memory_order_relaxed);
  control.u64(at + o::heartbeat_ns).store(monotonic_ns(), std::memory_order_relaxed);
  control.u32(at + o::state).store(kEntryAttached, std::memory_order_release);
}

void Driver::Engine::announce(Stream &stream, Lease &lease) {
  Message m;
  m.type = Type::announce;
  m.lease_id = lease.id;
  m.announcement = stream.current().announcement();
  m.announcement.consumer_index = lease.entry;
  m.announcement.keepalive_ms = config_.keepalive_ms;
  lease.epoch = m.announcement.epoch;
  send(*lease.client, m, stream.current().fds(lease.role == Role::producer));
}

void Driver::Engine::end_lease(uint64_t lease_id, protocol::RevokeReason reason, bool notify) {
  auto found = leases_.find(lease_id);
  if (found == leases_.end()) return;
  Lease lease = found->second;
  leases_.erase(found);
  std::erase(lease.client->leases, lease_id);
  if (notify) {
    Message m;
    m.type = Type::lease_revoked;
    m.lease_id = lease_id;
    m.stream_id = lease.stream;
    m.reason = reason;
    m.epoch = lease.epoch;
    send(*lease.client, m);  // the revocation notice goes before the new epoch's announcement
  }
  auto s = streams_.find(lease.stream);
  if (s == streams_.end()) return;
  Stream &stream = s->second;
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: lease %llu (%s, stream %u) ended: %s",
                    static_cast<unsigned long long>(lease_id), lease.role == Role::producer ? "producer" : "consumer", lease.stream,
                    protocol::revoke_reason_name(reason));
  if (lease.role == Role::consumer) {
    if (lease.entry != kNoConsumerEntry) {
      stream.entries[lease.entry] = false;
      const ControlView control = stream.current().control();
      control.u32(control.entry_offset(lease.entry) + consumer_offset::state).store(kEntryFree, std::memory_order_release);
    }
    return;
  }
  stream.producer = 0;
  if (!shutting_down_) {
    try {
      bump_epoch(stream, stream.profile);  // a producer lease ended: a new epoch for the next one
    } catch (const std::exception &e) {
      core::log_message(&log_, LF_LOG_ERROR, "tensor pool driver: stream %u: no new epoch: %s", stream.id, e.what());
    }
  }
}

void Driver::Engine::detach(Client &client, const Message &m) {
  Message reply;
  reply.type = Type::detach_response;
  reply.request_id = m.request_id;
  reply.lease_id = m.lease_id;
  if (find_lease(client, m.lease_id) == nullptr) {
    reply.status = LF_ERR_NOT_FOUND;
  } else {
    end_lease(m.lease_id, protocol::RevokeReason::detached, false);
  }
  send(client, reply);
}

void Driver::Engine::keepalive(Client &client, const Message &m) {
  Lease *lease = find_lease(client, m.lease_id);
  if (lease == nullptr) return;  // ended meanwhile: the client learns it from the revocation notice
  lease->last_keepalive_ms = now_ms();
  auto s = streams_.find(lease->stream);
  if (s == streams_.end()) return;
  if (lease->role == Role::producer) {
    stamp_producer(s->second, client.cred.pid);
  } else if (lease->entry != kNoConsumerEntry) {
    const ControlView control = s->second.current().control();
    control.u64(control.entry_offset(lease->entry) + consumer_offset::heartbeat_ns).store(monotonic_ns(), std::memory_order_relaxed);
  }
}

void Driver::Engine::stamp_producer(Stream &stream, pid_t pid) {
  // The producer's liveness and QoS timestamps are written here, at its attach and each
  // keepalive, so that its data path reads no clock.
  const uint64_t now = monotonic_ns();
  stream.current().mark_activity(now, static_cast<uint64_t>(pid));
  const ControlView control = stream.current().control();
  namespace o = control_offset;
  control.u64(o::producer_pid).store(static_cast<uint64_t>(pid), std::memory_order_relaxed);
  control.u64(o::producer_heartbeat_ns).store(now, std::memory_order_relaxed);
  const uint64_t published = control.u64(o::published).load(std::memory_order_relaxed);
  if (published != stream.last_published) {
    stream.last_published = published;
    control.u64(o::last_publish_ns).store(now, std::memory_order_relaxed);
  }
}

void Driver::Engine::shutdown_request(Client &client, const Message &m) {
  uint8_t difference = 0;  // constant time: the token is a secret
  for (size_t i = 0; i < token_.size(); ++i) difference |= static_cast<uint8_t>(token_[i] ^ m.token[i]);
  Message reply;
  reply.type = Type::shutdown_response;
  reply.request_id = m.request_id;
  reply.status = difference == 0 ? LF_OK : LF_ERR_PERMISSION;
  core::log_message(&log_, difference == 0 ? LF_LOG_INFO : LF_LOG_WARN, "tensor pool driver: shutdown request from pid %d %s",
                    client.cred.pid, difference == 0 ? "accepted" : "refused (wrong token)");
  send(client, reply);
  if (difference == 0) begin_shutdown();
}

void Driver::Engine::list(Client &client, const Message &m) {
  Message reply;
  reply.type = Type::list_response;
  reply.request_id = m.request_id;
  for (auto &[id, stream] : streams_) {
    protocol::StreamStatus s;
    s.stream_id = id;
    s.epoch = stream.current().epoch();
    s.producer_pid = stream.producer != 0 ? static_cast<uint32_t>(leases_.at(stream.producer).client->cred.pid) : 0;
    for (const auto &[lid, lease] : leases_) s.consumers += lease.stream == id && lease.role == Role::consumer;
    s.nslots = stream.profile.header_slots;
    s.bytes = stream.current().bytes();
    s.epoch_dir = stream.current().dir();
    reply.streams.push_back(std::move(s));
  }
  send(client, reply);
}

void Driver::Engine::housekeeping() {
  const int64_t now = now_ms();
  const int64_t expiry = int64_t{config_.expiry_intervals} * config_.keepalive_ms;
  std::vector<uint64_t> expired, dead;
  for (const auto &[id, lease] : leases_) {
    if (now - lease.last_keepalive_ms > expiry) expired.push_back(id);
    else if (lease.role == Role::producer && !process_alive(static_cast<uint64_t>(lease.client->cred.pid))) dead.push_back(id);
  }
  for (uint64_t id : expired) end_lease(id, protocol::RevokeReason::expired, true);
  for (uint64_t id : dead) {
    core::log_message(&log_, LF_LOG_WARN, "tensor pool driver: lease %llu: stale producer (its process is gone)", static_cast<unsigned long long>(id));
    end_lease(id, protocol::RevokeReason::revoked, true);
  }
  for (auto &[id, stream] : streams_) collect_garbage(stream);
  retire_idle_streams(now);
}

void Driver::Engine::retire_idle_streams(int64_t now) {
  // A stream nobody has leased for 3 announce periods goes with all its files, so that
  // transient streams do not pile up against the per-uid quotas; the next attach creates it
  // again, in a new directory, at an epoch it never had (new_epoch_number).
  std::set<uint32_t> leased;
  for (const auto &[id, lease] : leases_) leased.insert(lease.stream);
  for (auto it = streams_.begin(); it != streams_.end();) {
    Stream &stream = it->second;
    if (leased.count(stream.id) != 0) {
      stream.idle_since_ms = -1;
      ++it;
      continue;
    }
    if (stream.idle_since_ms < 0) stream.idle_since_ms = now;
    if (now - stream.idle_since_ms < 3 * int64_t{config_.announce_period_ms}) {
      ++it;
      continue;
    }
    for (Epoch &e : stream.epochs) {
      if (e.files) e.files->remove();
      else remove_epoch_dir(stream.dir.get(), e.number);
    }
    unlinkat(ns_dir_.get(), std::to_string(stream.id).c_str(), AT_REMOVEDIR);
    core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: stream %u retired (no lease for %lld ms)", stream.id,
                      static_cast<long long>(now - stream.idle_since_ms));
    it = streams_.erase(it);
  }
}

void Driver::Engine::collect_garbage(Stream &stream) {
  // Keep the current and the previous epoch; an older one goes once no lease was last told
  // about it or anything older, it retired at least 3 announce periods ago, and no producer
  // lease writes into it (a producer's lease always belongs to the current epoch).
  const int64_t now = now_ms();
  uint64_t oldest_referenced = UINT64_MAX;
  for (const auto &[id, lease] : leases_)
    if (lease.stream == stream.id && lease.epoch < oldest_referenced) oldest_referenced = lease.epoch;
  while (stream.epochs.size() > 2) {
    Epoch &oldest = stream.epochs.front();
    if (oldest.number >= oldest_referenced) break;
    if (oldest.retired_ms < 0 || now - oldest.retired_ms < 3 * int64_t{config_.announce_period_ms}) break;
    if (oldest.files) oldest.files->remove();
    else remove_epoch_dir(stream.dir.get(), oldest.number);
    core::log_message(&log_, LF_LOG_DEBUG, "tensor pool driver: stream %u: epoch %llu collected", stream.id,
                      static_cast<unsigned long long>(oldest.number));
    stream.epochs.pop_front();
  }
}

void Driver::Engine::begin_shutdown() {
  shutting_down_ = true;
  // The socket goes first: clients that reconnect find no driver (or the next one), never this one.
  ipc::unlink_if_ours(user_dir_.get(), kDriverSocketName, bound_);
  bound_.socket.reset();
  drain_deadline_ms_ = now_ms() + config_.shutdown_drain_ms;
  Message m;
  m.type = Type::shutdown_notice;
  m.drain_ms = config_.shutdown_drain_ms;
  for (auto &c : clients_) send(*c, m);
  core::log_message(&log_, LF_LOG_INFO, "tensor pool driver: shutting down (%zu clients, drain %u ms)", clients_.size(),
                    config_.shutdown_drain_ms);
}

Driver::Driver(DriverConfig config, core::LogSink log) : config_(std::move(config)) {
  engine_ = std::make_unique<Engine>(config_, std::move(log), stopped_);
  thread_ = std::thread([this] { engine_->run(); });
}

Driver::~Driver() {
  engine_->request_stop();
  thread_.join();
}

bool Driver::wait_stopped(int64_t timeout_ms) const noexcept {
  const int64_t deadline = timeout_ms < 0 ? INT64_MAX : now_ms() + timeout_ms;
  while (!stopped()) {
    if (now_ms() >= deadline) return false;
    usleep(5000);
  }
  return true;
}

}  // namespace lavaflow::pool

#include "channel/buffer_endpoint.hpp"

#include "channel/process_watch.hpp"
#include "channel/monitor.hpp"
#include "context/context.hpp"
#include "core/error.hpp"
#include "core/futex.hpp"
#include "core/strings.hpp"
#include "core/unique_fd.hpp"
#include "topo/host_facts.hpp"
#include "topo/identity_codec.hpp"
#include "topo/scope.hpp"

#include <cerrno>
#include <cstring>
#include <optional>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

namespace lavaflow::channel {

using core::fail;
using transport::kIdentityMaxBytes;
using transport::kIdentityOffset;

namespace {

constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kRelease = std::memory_order_release;

// An end's identity: its page (the header for the consumer, its ring's control page for a
// producer) holds the length, and the blob at kIdentityOffset.
uint8_t *identity_area(ChannelRegion &region, int32_t role, uint32_t slot) {
  uint8_t *page = role == LF_CHANNEL_CONSUMER ? reinterpret_cast<uint8_t *>(region.header())
                                              : reinterpret_cast<uint8_t *>(region.ring(slot).control);
  return page + kIdentityOffset;
}

std::atomic<uint32_t> &identity_length(ChannelRegion &region, int32_t role, uint32_t slot) {
  return role == LF_CHANNEL_CONSUMER ? region.header()->consumer_identity_bytes
                                     : region.ring(slot).control->producer_identity_bytes;
}

std::vector<uint8_t> identity_blob(const topo::Identity &me) {
  std::vector<uint8_t> blob = topo::encode_identity(me);
  if (blob.size() > kIdentityMaxBytes)
    fail(LF_ERR_LIMIT, "this process's identity takes %zu bytes; a channel in a buffer has room for %u", blob.size(),
         kIdentityMaxBytes);
  return blob;
}

// Written after the end claimed its role; then the peers' watchers are woken to look.
void publish_identity(ChannelRegion &region, int32_t role, uint32_t slot, const std::vector<uint8_t> &blob) {
  std::memcpy(identity_area(region, role, slot), blob.data(), blob.size());
  identity_length(region, role, slot).store(static_cast<uint32_t>(blob.size()), kRelease);
  region.header()->attach_seq.fetch_add(1, kRelease);
  core::futex_wake(&region.header()->attach_seq, INT32_MAX, true);
}

// The identity an end wrote, or nothing yet. Copied out before it is decoded (and validated):
// the other process could change the shared bytes under us.
std::optional<topo::Identity> read_identity(ChannelRegion &region, int32_t role, uint32_t slot) {
  const uint32_t length = identity_length(region, role, slot).load(kAcquire);
  if (length == 0) return std::nullopt;
  if (length > kIdentityMaxBytes) fail(LF_ERR_CORRUPT, "an identity of %u bytes in the channel region", length);
  const uint8_t *area = identity_area(region, role, slot);
  std::vector<uint8_t> copy(area, area + length);
  return topo::decode_identity(copy);
}

// Waits for the peers of one end to attach and watches each one's process. A consumer's peers
// are the producers of every slot; a producer's, the consumer. A producer's thread ends when
// the consumer is watched (or gone); a consumer's looks again whenever an end attaches, since
// a dead producer's slot goes to the next producer (Channel::take_back_slot). Both end when
// the end goes.
class PeerWatcher {
 public:
  PeerWatcher(std::shared_ptr<const context::Context> context, std::shared_ptr<ChannelRegion> region,
              std::shared_ptr<Link> link, topo::Identity me, int32_t role)
      : context_(std::move(context)), region_(std::move(region)), link_(std::move(link)),
        me_(std::move(me)), role_(role), peers_(role == LF_CHANNEL_CONSUMER ? region_->max_producers() : 1),
        peers_seen_(peers_) {
    thread_ = std::thread([this] { run(); });
  }
  PeerWatcher(const PeerWatcher &) = delete;
  PeerWatcher &operator=(const PeerWatcher &) = delete;
  ~PeerWatcher() {
    stopping_.store(true, kRelease);
    region_->header()->attach_seq.fetch_add(1, kRelease);  // (other processes' watchers just look again)
    core::futex_wake(&region_->header()->attach_seq, INT32_MAX, true);
    thread_.join();
    peers_seen_.clear();  // the watches, before the region: their handlers may still be running until then
  }

 private:
  void run() noexcept {
    std::atomic<uint32_t> &seq = region_->header()->attach_seq;
    for (;;) {
      const uint32_t seen = seq.load(kAcquire);
      if (stopping_.load(kAcquire) || (look() && role_ != LF_CHANNEL_CONSUMER)) return;
      core::futex_wait(&seq, seen, -1, true);
    }
  }

  // Looks at every peer; true when each one is watched, or closed, dead or unreadable. A
  // slot's producer is known by its pid and start time: a new one in a slot taken back (which
  // may have happened between two looks) gets a watch of its own.
  bool look() noexcept {
    bool all = true;
    for (uint32_t i = 0; i < peers_; ++i) {
      const int32_t peer_role = role_ == LF_CHANNEL_CONSUMER ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER;
      const uint32_t state = peer_role == LF_CHANNEL_CONSUMER ? region_->header()->consumer_state.load(kAcquire)
                                                              : region_->ring(i).control->state.load(kAcquire);
      Peer &known = peers_seen_[i];
      if (state == transport::kFree) {  // none yet, or a slot taken back from a dead producer
        known.unreadable = false;
        all = false;
        continue;
      }
      if (state != transport::kAttached || known.unreadable) continue;  // closed or dead: nothing to watch
      try {
        std::optional<topo::Identity> peer = read_identity(*region_, peer_role, i);
        if (!peer) {  // attached, identity not written yet: the next bump of attach_seq says so
          all = false;
          continue;
        }
        if (known.watching && known.pid == peer->pid && known.start_ticks == peer->start_time_ticks) continue;
        known.watch.reset();  // (a dead producer's: it fired already)
        known.watching = true;
        known.pid = peer->pid;
        known.start_ticks = peer->start_time_ticks;
        note_first_peer(*peer);
        std::string why;
        std::weak_ptr<ChannelRegion> weak = region_;
        known.watch = watch_process(me_, *peer, [weak, peer_role, i] {
          if (auto alive = weak.lock()) Channel::declare_dead(*alive, peer_role, i);
        }, why);
        if (!why.empty())
          core::log_message(context_->log(), LF_LOG_WARN, "channel in a buffer: peer pid %u: %s", peer->pid, why.c_str());
      } catch (const std::exception &e) {
        known.unreadable = true;  // a peer whose identity fails validation is not watched; say so
        core::log_message(context_->log(), LF_LOG_WARN, "channel in a buffer: a peer's identity: %s", e.what());
      }
    }
    return all;
  }

  // The scope and transport this end reports come from its first peer.
  void note_first_peer(const topo::Identity &peer) {
    if (link_->scope.load(std::memory_order_relaxed) != 0) return;  // the opener's end knows it already
    const auto &config = context_->config();
    topo::ScopeDecision decision = topo::decide_scope(me_, peer, config.scope_override);
    int32_t none = 0;
    if (!link_->scope.compare_exchange_strong(none, decision.level)) return;
    link_->transport.store(decision.level == LF_SCOPE_PROCESS ? LF_TRANSPORT_IN_PROCESS : LF_TRANSPORT_SHARED_MEMORY);
    link_->set_first_peer_reason(core::format_text(
        "%s in a caller's buffer (first peer: pid %u): %s",
        decision.level == LF_SCOPE_PROCESS ? "in-process ring" : "shared-memory ring", peer.pid,
        topo::explain_scope(me_, peer, decision, config.scope_override_origin).level.c_str()));
  }

  std::shared_ptr<const context::Context> context_;
  std::shared_ptr<ChannelRegion> region_;  // for the futex word; the handlers hold weak ones
  std::shared_ptr<Link> link_;
  const topo::Identity me_;
  const int32_t role_;
  const uint32_t peers_;
  // What was seen of each peer: the watcher thread's own until join.
  struct Peer {
    bool watching = false;    // its process is watched (or could not be: see watch_process)
    bool unreadable = false;  // its identity failed validation: not watched
    uint32_t pid = 0;
    uint64_t start_ticks = 0;
    std::unique_ptr<ProcessWatch> watch;
  };
  std::vector<Peer> peers_seen_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The largest ring that fits in `bytes` with its producers, or the smallest when none does
// (creating then fails with the size it needs).
uint64_t largest_capacity(uint64_t bytes, uint32_t producers) {
  uint64_t capacity = transport::kMinCapacity;
  while (capacity < transport::kMaxCapacity && producers > 0 && producers <= transport::kMaxProducers &&
         transport::region_bytes(capacity * 2, producers) <= bytes)
    capacity *= 2;
  return capacity;
}

}  // namespace

std::unique_ptr<Channel> create_channel_in_buffer(const std::shared_ptr<const context::Context> &context,
                                                  const CallerBuffer &buffer, const EndpointOptions &options) {
  EndpointOptions sized = options;
  if (sized.capacity == 0) sized.capacity = largest_capacity(buffer.bytes, options.max_producers);
  const RegionShape shape = creator_shape(sized);
  topo::Identity me = my_identity(*context);
  const std::vector<uint8_t> blob = identity_blob(me);
  auto region = ChannelRegion::create_in(buffer.base, buffer.bytes, buffer.owner, shape.capacity, shape.max_message,
                                         shape.producers);
  uint32_t slot = 0;
  if (shape.role == LF_CHANNEL_CONSUMER) Channel::claim_consumer(*region);
  else slot = Channel::claim_producer(*region, static_cast<uint32_t>(getpid()));
  std::unique_ptr<Channel> end = make_end(region, options, shape.role, slot);
  publish_identity(*region, shape.role, slot, blob);
  end->reason = core::format_text(
      "created a channel in a caller's %s buffer (%llu-byte ring%s, messages up to %llu bytes); the transport is "
      "decided when a peer opens it",
      buffer.shared ? "shared" : "host", static_cast<unsigned long long>(shape.capacity),
      shape.producers > 1 ? " per producer" : "", static_cast<unsigned long long>(shape.max_message));
  end->keepalive.push_back(std::make_shared<PeerWatcher>(context, region, end->link, std::move(me), shape.role));
  core::log_message(context->log(), LF_LOG_INFO, "%s", end->reason.c_str());
  return end;
}

std::unique_ptr<Channel> open_channel_in_buffer(const std::shared_ptr<const context::Context> &context,
                                                const CallerBuffer &buffer, const EndpointOptions &options) {
  const int32_t role = opener_role(options);
  auto region = ChannelRegion::attach_to(buffer.base, buffer.bytes, buffer.owner, buffer.page_size);
  topo::Identity me = my_identity(*context);
  const std::vector<uint8_t> blob = identity_blob(me);
  // The creator: the consumer, or (a single-producer channel created by its producer) slot 0.
  const int32_t creator_role = role == LF_CHANNEL_PRODUCER ? LF_CHANNEL_CONSUMER : LF_CHANNEL_PRODUCER;
  std::optional<topo::Identity> creator = read_identity(*region, creator_role, 0);
  if (!creator) fail(LF_ERR_NOT_FOUND, "no %s has attached to the channel in this buffer",
                     creator_role == LF_CHANNEL_CONSUMER ? "consumer" : "producer");
  if (creator->uid != me.uid)
    fail(LF_ERR_PERMISSION, "uid %u may not open a channel of uid %u", me.uid, creator->uid);
  const auto &config = context->config();
  topo::ScopeDecision decision = topo::decide_scope(me, *creator, config.scope_override);

  uint32_t slot = 0;
  if (role == LF_CHANNEL_CONSUMER) Channel::claim_consumer(*region);
  else slot = Channel::claim_producer(*region, static_cast<uint32_t>(getpid()));
  std::unique_ptr<Channel> end = make_end(region, options, role, slot);
  publish_identity(*region, role, slot, blob);
  const bool in_process = decision.level == LF_SCOPE_PROCESS;
  end->link->transport = in_process ? LF_TRANSPORT_IN_PROCESS : LF_TRANSPORT_SHARED_MEMORY;
  end->link->scope = decision.level;
  end->reason = std::string(in_process ? "in-process ring" : "shared-memory ring") + " in a caller's buffer: " +
                topo::explain_scope(me, *creator, decision, config.scope_override_origin).level;
  end->keepalive.push_back(std::make_shared<PeerWatcher>(context, region, end->link, std::move(me), role));
  core::log_message(context->log(), LF_LOG_INFO, "opened a channel in a buffer: %s", end->reason.c_str());
  return end;
}

}  // namespace lavaflow::channel

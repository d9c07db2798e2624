#include "channel/endpoint.hpp"

#include "channel/listener.hpp"
#include "channel/monitor.hpp"
#include "channel/registry.hpp"
#include "context/context.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "ipc/user_dir.hpp"
#include "topo/identity_codec.hpp"
#include "topo/scope.hpp"

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace lavaflow::channel {

using core::fail;

namespace {

std::string registry_key(const context::Context &context, const std::string &name) {
  return context.config().base_dir + "/" + name;
}


// Removes the creator's registry entry when its end goes.
struct RegistryGuard {
  RegistryGuard(std::string k, const ChannelRegion *r) : key(std::move(k)), region(r) {}
  RegistryGuard(const RegistryGuard &) = delete;  // a copy's destructor would drop the entry
  RegistryGuard &operator=(const RegistryGuard &) = delete;
  ~RegistryGuard() { Registry::instance().remove(key, region); }
  std::string key;
  const ChannelRegion *region;
};

// The opener's connection to the creator: its hang-up means the creator's process died.
struct PeerLink {
  std::shared_ptr<core::UniqueFd> socket;  // shared with the end's Link (buffer announcements)
  std::atomic<uint64_t> watch{0};  // read by the handler on the monitor thread
  ~PeerLink() { Monitor::instance().unwatch(watch); }
};

// Two ends in one process get a socket pair for buffer announcements, as two processes have
// their connection: the same code then serves both transports.
void connect_in_process(Link &creator, Link &opener, uint32_t slot) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) core::fail_errno(errno, "socketpair");
  creator.set_peer_socket(slot, std::make_shared<core::UniqueFd>(pair[0]));
  opener.set_peer_socket(slot, std::make_shared<core::UniqueFd>(pair[1]));
}

}  // namespace

topo::Identity my_identity(const context::Context &context) {
  return topo::take_identity(context.topology(), context.config().base_dir, {});
}

std::unique_ptr<Channel> make_end(std::shared_ptr<ChannelRegion> region, const EndpointOptions &options, int32_t role,
                                  uint32_t slot) {
  return role == LF_CHANNEL_CONSUMER ? Channel::consumer(std::move(region), options.wait)
                                     : Channel::producer(std::move(region), options.wait, slot);
}

namespace {

void check_role(int32_t role) {
  if (role != LF_CHANNEL_CONSUMER && role != LF_CHANNEL_PRODUCER) fail(LF_ERR_INVALID_ARGUMENT, "role %d is not an lf_channel_role_t value", role);
}

void check_capacity(uint64_t capacity) {
  if (capacity < transport::kMinCapacity || capacity > transport::kMaxCapacity || (capacity & (capacity - 1)) != 0)
    fail(LF_ERR_INVALID_ARGUMENT, "capacity %llu is not a power of two from 4 KiB to 1 GiB", static_cast<unsigned long long>(capacity));
}

void check_producers(uint32_t producers) {
  if (producers == 0 || producers > transport::kMaxProducers)
    fail(LF_ERR_INVALID_ARGUMENT, "max_producers %u is not 1..%u", producers, transport::kMaxProducers);
}

}  // namespace

uint64_t region_size(uint64_t capacity, uint32_t producers) {
  check_capacity(capacity);
  check_producers(producers);
  return transport::region_bytes(capacity, producers);
}

RegionShape creator_shape(const EndpointOptions &options) {
  RegionShape shape;
  shape.role = options.role != 0 ? options.role : LF_CHANNEL_CONSUMER;
  check_role(shape.role);
  shape.capacity = options.capacity != 0 ? options.capacity : uint64_t{1} << 20;
  check_capacity(shape.capacity);
  const uint64_t limit = transport::max_message_limit(shape.capacity);
  shape.max_message = options.max_message != 0 ? options.max_message : std::min<uint64_t>(256 << 10, limit);
  if (shape.max_message > limit)
    fail(LF_ERR_INVALID_ARGUMENT, "max_message_size %llu exceeds %llu, the most a %llu-byte ring can hold",
         static_cast<unsigned long long>(shape.max_message), static_cast<unsigned long long>(limit),
         static_cast<unsigned long long>(shape.capacity));
  shape.producers = options.max_producers;
  check_producers(shape.producers);
  if (shape.producers > 1 && shape.role != LF_CHANNEL_CONSUMER)
    fail(LF_ERR_INVALID_ARGUMENT, "a channel with several producers is created by its consumer");
  return shape;
}

int32_t opener_role(const EndpointOptions &options) {
  const int32_t role = options.role != 0 ? options.role : LF_CHANNEL_PRODUCER;
  check_role(role);
  return role;
}

std::unique_ptr<Channel> create_channel(const std::shared_ptr<const context::Context> &context, const std::string &name,
                                        const EndpointOptions &options) {
  ipc::validate_name(name, "channel name");
  const RegionShape shape = creator_shape(options);
  const int32_t role = shape.role;
  const uint64_t capacity = shape.capacity, max_message = shape.max_message;
  topo::Identity me = my_identity(*context);
  auto region = ChannelRegion::create(capacity, max_message, shape.producers);
  uint32_t slot = 0;
  if (role == LF_CHANNEL_CONSUMER) Channel::claim_consumer(*region);
  else slot = Channel::claim_producer(*region, static_cast<uint32_t>(getpid()));
  std::unique_ptr<Channel> end = make_end(region, options, role, slot);

  const std::string key = registry_key(*context, name);
  Registry::instance().add(key, RegistryEntry{region, end->link, me, role});
  end->keepalive.push_back(std::make_shared<RegistryGuard>(key, region.get()));
  end->keepalive.push_back(std::make_shared<Listener>(context, name, region, me, end->link));
  end->reason = core::format_text("created channel '%s' (%llu-byte ring%s, messages up to %llu bytes); each peer's "
                                  "transport is decided by its scope when it connects",
                                  name.c_str(), static_cast<unsigned long long>(capacity),
                                  options.max_producers > 1 ? " per producer" : "", static_cast<unsigned long long>(max_message));
  core::log_message(context->log(), LF_LOG_INFO, "%s", end->reason.c_str());
  return end;
}

std::unique_ptr<Channel> open_channel(const std::shared_ptr<const context::Context> &context, const std::string &name,
                                      const EndpointOptions &options) {
  ipc::validate_name(name, "channel name");
  const int32_t role = opener_role(options);
  const context::ContextConfig &config = context->config();
  topo::Identity me = my_identity(*context);

  // A creator in this process: share its region directly when the scope is "process".
  if (auto entry = Registry::instance().find(registry_key(*context, name))) {
    topo::ScopeDecision decision = topo::decide_scope(me, entry->creator, config.scope_override);
    auto region = entry->region.lock();
    if (decision.level == LF_SCOPE_PROCESS && region) {
      uint32_t slot = 0;
      if (role == LF_CHANNEL_CONSUMER) Channel::claim_consumer(*region);
      else slot = Channel::claim_producer(*region, static_cast<uint32_t>(getpid()));
      std::unique_ptr<Channel> end = make_end(region, options, role, slot);
      connect_in_process(*entry->link, *end->link, slot);
      end->link->transport = LF_TRANSPORT_IN_PROCESS;
      end->link->scope = LF_SCOPE_PROCESS;
      int32_t none = 0;
      if (entry->link->scope.compare_exchange_strong(none, LF_SCOPE_PROCESS)) entry->link->transport = LF_TRANSPORT_IN_PROCESS;
      end->reason = "in-process ring: " + topo::explain_scope(me, entry->creator, decision, config.scope_override_origin).level;
      entry->link->set_first_peer_reason(end->reason + " (first peer: a thread of this process)");
      return end;
    }
  }

  Connected connected = connect_channel(*context, name, role, topo::encode_identity(me), options.connect_timeout_ms);
  topo::ScopeDecision decision = topo::decide_scope(me, connected.creator, config.scope_override);
  std::unique_ptr<Channel> end = make_end(connected.region, options, role, connected.slot);
  end->link->transport = LF_TRANSPORT_SHARED_MEMORY;
  end->link->scope = decision.level;
  end->reason = "shared-memory ring: " + topo::explain_scope(me, connected.creator, decision, config.scope_override_origin).level;

  // The creator is the consumer, or (single-producer channels created by a producer) slot 0.
  const int32_t creator_role = role == LF_CHANNEL_PRODUCER ? LF_CHANNEL_CONSUMER : LF_CHANNEL_PRODUCER;
  auto peer = std::make_shared<PeerLink>();
  peer->socket = std::make_shared<core::UniqueFd>(std::move(connected.socket));
  end->link->set_peer_socket(connected.slot, peer->socket);  // (a consumer opener: slot 0)
  std::weak_ptr<ChannelRegion> weak = connected.region;
  peer->watch = Monitor::instance().watch(peer->socket->get(), Monitor::Event::hangup, [weak, creator_role, peer = peer.get()] {
    if (auto alive = weak.lock()) Channel::declare_dead(*alive, creator_role, 0);
    Monitor::instance().unwatch(peer->watch);
  });
  end->keepalive.push_back(peer);
  core::log_message(context->log(), LF_LOG_INFO, "opened channel '%s': %s", name.c_str(), end->reason.c_str());
  return end;
}

}  // namespace lavaflow::channel

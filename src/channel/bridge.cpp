#include "channel/bridge.hpp"

#include "core/error.hpp"

#include <lavaflow/scope.h>

#include <unistd.h>

namespace lavaflow::channel {

BridgePair make_bridge_pair(const EndpointOptions &options, const BridgeOptions &bridge) {
  if (bridge.user_role != LF_CHANNEL_CONSUMER && bridge.user_role != LF_CHANNEL_PRODUCER)
    core::fail(LF_ERR_INVALID_ARGUMENT, "user_role %d is not an lf_channel_role_t value", bridge.user_role);
  if (bridge.transport < LF_TRANSPORT_NONE || bridge.transport > LF_TRANSPORT_MPI)
    core::fail(LF_ERR_INVALID_ARGUMENT, "transport %d is not an lf_transport_t value", bridge.transport);
  if (bridge.scope < LF_SCOPE_UNKNOWN || bridge.scope > LF_SCOPE_REMOTE)
    core::fail(LF_ERR_INVALID_ARGUMENT, "scope %d is not an lf_scope_level_t value", bridge.scope);
  EndpointOptions shape_options = options;
  shape_options.role = LF_CHANNEL_CONSUMER;
  shape_options.max_producers = 1;
  const RegionShape shape = creator_shape(shape_options);
  auto region = ChannelRegion::create_private(shape.capacity, shape.max_message);
  Channel::claim_consumer(*region);
  const uint32_t slot = Channel::claim_producer(*region, static_cast<uint32_t>(getpid()));

  BridgePair pair;
  pair.user = make_end(region, options, bridge.user_role, slot);
  pair.bridge = make_end(region, options,
                         bridge.user_role == LF_CHANNEL_PRODUCER ? LF_CHANNEL_CONSUMER : LF_CHANNEL_PRODUCER, slot);
  auto state = std::make_shared<BridgeState>();
  for (Channel *end : {pair.user.get(), pair.bridge.get()}) {
    end->bridge = state;
    end->link->transport = bridge.transport;
    end->link->scope = bridge.scope;
    end->reason = bridge.reason;
  }
  pair.bridge->addon_end = true;
  pair.user->progress = bridge.progress;
  pair.user->progress_arg = bridge.progress_arg;
  pair.user->progress_helps = bridge.progress_helps;
  pair.user->direct_send = bridge.direct_send;
  pair.user->direct_recv = bridge.direct_recv;
  pair.user->waiting_send = bridge.waiting_send;
  pair.user->waiting_recv = bridge.waiting_recv;
  pair.user->direct_arg = bridge.direct_arg;
  return pair;
}

}  // namespace lavaflow::channel

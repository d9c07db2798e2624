// Bridged channels (extension.h): two ends of an in-process ring, one for the user and one
// for an add-on library that carries the data elsewhere (liblavaflow_mpi).
#pragma once

#include "channel/endpoint.hpp"

#include <lavaflow/extension.h>

#include <memory>
#include <string>

namespace lavaflow::channel {

struct BridgeOptions {
  int32_t user_role = LF_CHANNEL_PRODUCER;
  int32_t transport = LF_TRANSPORT_NONE;
  int32_t scope = 0;
  std::string reason;
  void (*progress)(void *) = nullptr;
  void *progress_arg = nullptr;
  bool progress_helps = false;  // the add-on has its own thread (LF_BRIDGE_FLAG_PROGRESS_HELPS)
  lf_bridge_send_fn direct_send = nullptr;
  lf_bridge_recv_fn direct_recv = nullptr;
  lf_bridge_send_fn waiting_send = nullptr;  // (lf_bridge_waiting_send_fn: a call without a timeout)
  lf_bridge_recv_fn waiting_recv = nullptr;
  void *direct_arg = nullptr;
};

struct BridgePair {
  std::unique_ptr<Channel> user;
  std::unique_ptr<Channel> bridge;
};

// Both ends on one fresh region shaped by `options` (role, producers and connect timeout do
// not apply). Throws Error for bad options.
BridgePair make_bridge_pair(const EndpointOptions &options, const BridgeOptions &bridge);

}  // namespace lavaflow::channel

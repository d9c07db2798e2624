// Channel handles for the C API files other than channel_api.cpp (the bridge calls).
#pragma once

#include "capi/objects.hpp"
#include "channel/endpoint.hpp"

#include <lavaflow/channel.h>

#include <memory>

namespace lavaflow::capi {

// lf_channel_params_t, validated (throws Error(LF_ERR_INVALID_ARGUMENT)); NULL: defaults.
channel::EndpointOptions channel_options(const lf_channel_params_t *params);
// Hands out a handle for `end`, which keeps `context` alive.
lf_channel_t *publish_channel(const ContextPtr &context, std::unique_ptr<channel::Channel> end);
// The end behind a handle, without a reference (the caller is its only user at the time);
// throws Error(LF_ERR_INVALID_HANDLE).
channel::Channel &channel_end(const lf_channel_t *channel);

}  // namespace lavaflow::capi

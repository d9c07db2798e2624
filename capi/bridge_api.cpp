// lf_bridge_* and lf_extension_report (extension.h): what add-on libraries build on.
#include "capi/channel_objects.hpp"
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/out_params.hpp"
#include "channel/bridge.hpp"

#include <lavaflow/extension.h>

using namespace lavaflow;

namespace {

constexpr uint64_t kKnownFields = LF_BRIDGE_PARAM_FIELD_USER_ROLE | LF_BRIDGE_PARAM_FIELD_TRANSPORT |
                                  LF_BRIDGE_PARAM_FIELD_SCOPE | LF_BRIDGE_PARAM_FIELD_REASON |
                                  LF_BRIDGE_PARAM_FIELD_PROGRESS | LF_BRIDGE_PARAM_FIELD_FLAGS |
                                  LF_BRIDGE_PARAM_FIELD_DIRECT | LF_BRIDGE_PARAM_FIELD_WAITING;

channel::BridgeOptions bridge_options(const lf_bridge_params_t *params) {
  channel::BridgeOptions options;
  if (params == nullptr) return options;
  const uint64_t mask = params->field_mask;
  if (mask & ~kKnownFields)
    core::fail(LF_ERR_INVALID_ARGUMENT, "bridge_params->field_mask has unknown bits 0x%llx",
               static_cast<unsigned long long>(mask & ~kKnownFields));
  if (mask & LF_BRIDGE_PARAM_FIELD_USER_ROLE) options.user_role = params->user_role;
  if (mask & LF_BRIDGE_PARAM_FIELD_TRANSPORT) options.transport = params->transport;
  if (mask & LF_BRIDGE_PARAM_FIELD_SCOPE) options.scope = params->scope;
  if ((mask & LF_BRIDGE_PARAM_FIELD_REASON) && params->reason != nullptr) options.reason = params->reason;
  if (mask & LF_BRIDGE_PARAM_FIELD_PROGRESS) {
    options.progress = params->progress;
    options.progress_arg = params->progress_arg;
  }
  if (mask & LF_BRIDGE_PARAM_FIELD_FLAGS) {
    if (params->flags & ~uint32_t{LF_BRIDGE_FLAG_PROGRESS_HELPS})
      core::fail(LF_ERR_INVALID_ARGUMENT, "bridge_params->flags has unknown bits 0x%x",
                 params->flags & ~uint32_t{LF_BRIDGE_FLAG_PROGRESS_HELPS});
    options.progress_helps = (params->flags & LF_BRIDGE_FLAG_PROGRESS_HELPS) != 0;
  }
  if (mask & LF_BRIDGE_PARAM_FIELD_DIRECT) {
    options.direct_send = params->direct_send;
    options.direct_recv = params->direct_recv;
    options.direct_arg = params->direct_arg;
  }
  if (mask & LF_BRIDGE_PARAM_FIELD_WAITING) {
    options.waiting_send = params->waiting_send;
    options.waiting_recv = params->waiting_recv;
    if (!(mask & LF_BRIDGE_PARAM_FIELD_DIRECT)) options.direct_arg = params->direct_arg;
  }
  if (options.progress_helps && options.progress == nullptr)
    core::fail(LF_ERR_INVALID_ARGUMENT, "LF_BRIDGE_FLAG_PROGRESS_HELPS without a progress function");
  return options;
}

// The add-on's end of a bridge behind a handle. Throws Error.
channel::Channel &addon_end(lf_channel_t *bridge_end) {
  channel::Channel &end = capi::channel_end(bridge_end);
  if (!end.addon_end) core::fail(LF_ERR_INVALID_STATE, "the channel is not the add-on's end of a bridge");
  return end;
}

// The end that a verdict (lf_bridge_fail, lf_bridge_raise) is given on, its arguments checked.
channel::Channel &verdict_end(lf_channel_t *bridge_end, lf_status_t status, const char *message) {
  if (status >= 0) core::fail(LF_ERR_INVALID_ARGUMENT, "status %d is not an error", status);
  if (message == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "message is NULL");
  return addon_end(bridge_end);
}

// A call on the add-on's end of a bridge; explains an error status.
template <typename Call>
lf_status_t on_addon_end(const char *function, lf_channel_t *bridge_end, Call call) noexcept {
  return capi::guarded(function, [&]() -> lf_status_t {
    channel::Channel &end = addon_end(bridge_end);
    const lf_status_t status = call(end);
    if (status < 0) return capi::report(function, status, end.problem());
    return status;
  });
}

}  // namespace

extern "C" {

lf_status_t lf_bridge_create(lf_context_t *context, const lf_channel_params_t *channel_params,
                             const lf_bridge_params_t *bridge_params, lf_channel_t **out_user_end,
                             lf_channel_t **out_bridge_end) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_user_end, "out_user_end");
    capi::require_out(out_bridge_end, "out_bridge_end");
    channel::BridgeOptions options = bridge_options(bridge_params);
    channel::BridgePair pair = channel::make_bridge_pair(capi::channel_options(channel_params), options);
    channel::Channel *user_end = pair.user.get();
    lf_channel_t *user = capi::publish_channel(ctx->context, std::move(pair.user));
    user_end->user_handle = user;  // (for the add-on's shortcuts; nobody else has the handle yet)
    *out_bridge_end = capi::publish_channel(ctx->context, std::move(pair.bridge));
    *out_user_end = user;
    return LF_OK;
  });
}

lf_status_t lf_bridge_fail(lf_channel_t *bridge_end, lf_status_t status, const char *message) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    channel::Channel &end = verdict_end(bridge_end, status, message);
    end.bridge->fail(status, message);
    end.close();
    return LF_OK;
  });
}

lf_status_t lf_bridge_raise(lf_channel_t *bridge_end, lf_status_t status, const char *message) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    channel::Channel &end = verdict_end(bridge_end, status, message);
    // Only what is shared and thread-safe: the verdict (under its mutex) and the end's state
    // in the region (atomics, and a wake of whoever sleeps on it). The end's own fields
    // belong to the thread that drives it.
    end.bridge->fail(status, message);
    channel::Channel::declare_dead(*end.region(), end.role(), end.slot());
    return LF_OK;
  });
}

lf_status_t lf_bridge_peek_ahead(lf_channel_t *bridge_end, const void **out_data, size_t *out_size) {
  if (out_data == nullptr || out_size == nullptr)
    return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_data or out_size is NULL");
  return on_addon_end(__func__, bridge_end, [&](channel::Channel &end) { return end.peek_ahead(out_data, out_size); });
}

lf_status_t lf_bridge_release_oldest(lf_channel_t *bridge_end) {
  return on_addon_end(__func__, bridge_end, [](channel::Channel &end) { return end.release_oldest(); });
}

lf_status_t lf_bridge_reserve_ahead(lf_channel_t *bridge_end, size_t size, void **out_data) {
  if (out_data == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_data is NULL");
  return on_addon_end(__func__, bridge_end, [&](channel::Channel &end) { return end.reserve_ahead(size, out_data); });
}

lf_status_t lf_bridge_queued(lf_channel_t *bridge_end, uint64_t *out_bytes) {
  if (out_bytes == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_bytes is NULL");
  return on_addon_end(__func__, bridge_end, [&](channel::Channel &end) { return end.queued(out_bytes); });
}

lf_status_t lf_bridge_commit_oldest(lf_channel_t *bridge_end) {
  return on_addon_end(__func__, bridge_end, [](channel::Channel &end) { return end.commit_oldest(); });
}

lf_status_t lf_extension_share_context(lf_context_t *context, lf_context_t **out_context) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_context, "out_context");
    *out_context = capi::publish_handle<lf_context_t>(std::make_shared<capi::ContextObject>(ctx->context));
    return LF_OK;
  });
}

lf_status_t lf_extension_report(const char *function, lf_status_t status, const char *message) {
  return capi::report(function != nullptr ? function : "lf_extension", status, message != nullptr ? message : "");
}

}  // extern "C"

// lf_context_*.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"

#include <lavaflow/context.h>
#include <lavaflow/version.h>

using namespace lavaflow;
using capi::ContextObject;

namespace {

constexpr uint64_t kKnownFields = LF_CONTEXT_PARAM_FIELD_FLAGS | LF_CONTEXT_PARAM_FIELD_TOPOLOGY |
                                  LF_CONTEXT_PARAM_FIELD_BASE_DIR | LF_CONTEXT_PARAM_FIELD_LOG_CALLBACK |
                                  LF_CONTEXT_PARAM_FIELD_LOG_LEVEL | LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE |
                                  LF_CONTEXT_PARAM_FIELD_NAME;
constexpr uint64_t kKnownFlags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;

std::string required_text(const char *text, const char *field) {
  if (text == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "params->%s is NULL but its field_mask bit is set", field);
  return text;
}

context::ContextOptions options_from(const lf_context_params_t *params) {
  context::ContextOptions options;
  if (params == nullptr) return options;
  const uint64_t mask = params->field_mask;
  if (mask & ~kKnownFields)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx (lavaflow %s knows 0x%llx)",
               static_cast<unsigned long long>(mask & ~kKnownFields), LF_VERSION_STRING,
               static_cast<unsigned long long>(kKnownFields));
  if (mask & LF_CONTEXT_PARAM_FIELD_FLAGS) {
    if (params->flags & ~kKnownFlags)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->flags has unknown bits 0x%llx",
                 static_cast<unsigned long long>(params->flags & ~kKnownFlags));
    options.flags = params->flags;
  }
  if (mask & LF_CONTEXT_PARAM_FIELD_TOPOLOGY) options.topology = required_text(params->topology, "topology");
  if (mask & LF_CONTEXT_PARAM_FIELD_BASE_DIR) options.base_dir = required_text(params->base_dir, "base_dir");
  if (mask & LF_CONTEXT_PARAM_FIELD_NAME) options.name = required_text(params->name, "name");
  if (mask & LF_CONTEXT_PARAM_FIELD_LOG_CALLBACK) {
    options.log_callback = params->log_callback;
    options.log_user_data = params->log_user_data;
  }
  if (mask & LF_CONTEXT_PARAM_FIELD_LOG_LEVEL) options.log_level = params->log_level;
  if (mask & LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE) options.scope_override = params->scope_override;
  return options;
}

}  // namespace

extern "C" {

lf_status_t lf_context_create(const lf_context_params_t *params, lf_context_t **out_context) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::require_out(out_context, "out_context");
    auto context = std::make_shared<const context::Context>(options_from(params));
    *out_context = capi::publish_handle<lf_context_t>(std::make_shared<ContextObject>(std::move(context)));
    return LF_OK;
  });
}

lf_status_t lf_context_destroy(lf_context_t *context) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    if (context != nullptr) {
      // Buffers keep the context alive, so this is the moment to report them as leaks.
      auto ctx = capi::acquire<ContextObject>(context, core::HandleType::context, "context");
      const auto &stats = ctx->context->memory_stats();
      if (uint64_t live = stats.live_count(); live > 0)
        core::log_message(ctx->context->log(), LF_LOG_WARN,
                          "context '%s' destroyed with %llu buffer(s) (%llu bytes) still alive: leaked, or destroyed later",
                          ctx->context->config().name.c_str(), static_cast<unsigned long long>(live),
                          static_cast<unsigned long long>(stats.live_bytes()));
    }
    capi::retire_handle(context, core::HandleType::context, "context");
    return LF_OK;
  });
}

lf_status_t lf_context_get_name(const lf_context_t *context, const char **out_name) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_name, "out_name");
    *out_name = ctx->context->config().name.c_str();
    return LF_OK;
  });
}

lf_status_t lf_context_get_base_dir(const lf_context_t *context, const char **out_base_dir) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_base_dir, "out_base_dir");
    *out_base_dir = ctx->context->config().base_dir.c_str();
    return LF_OK;
  });
}

}  // extern "C"

// lf_scope_*.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "core/strings.hpp"

#include <lavaflow/scope.h>

using namespace lavaflow;
using capi::ContextObject;
using capi::IdentityObject;
using capi::ScopeObject;

namespace {

lf_scope_info_t info_of(const topo::ScopeDecision &d) {
  lf_scope_info_t info{};
  info.level = d.level;
  info.detected_level = d.detected_level;
  info.hardware_level = d.hardware_level;
  info.mechanisms = d.mechanisms;
  info.flags = d.flags;
  return info;
}

struct ScopeInputs {
  capi::Acquired<ContextObject> context;
  capi::Acquired<IdentityObject> a;
  capi::Acquired<IdentityObject> b;

  topo::ScopeDecision decide() const {
    return topo::decide_scope(a->identity, b->identity, context->context->config().scope_override);
  }
};

ScopeInputs acquire_inputs(const lf_context_t *context, const lf_identity_t *a, const lf_identity_t *b) {
  return ScopeInputs{capi::acquire<ContextObject>(context, core::HandleType::context, "context"),
                     capi::acquire<IdentityObject>(a, core::HandleType::identity, "a"),
                     capi::acquire<IdentityObject>(b, core::HandleType::identity, "b")};
}

capi::Acquired<ScopeObject> acquire_scope(const lf_scope_t *scope) {
  return capi::acquire<ScopeObject>(scope, core::HandleType::scope, "scope");
}

}  // namespace

extern "C" {

lf_status_t lf_scope_decide(const lf_context_t *context, const lf_identity_t *a, const lf_identity_t *b,
                            lf_scope_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    ScopeInputs inputs = acquire_inputs(context, a, b);
    capi::write_versioned(out_info, info_of(inputs.decide()), "out_info");
    return LF_OK;
  });
}

lf_status_t lf_scope_create(lf_context_t *context, const lf_identity_t *a, const lf_identity_t *b,
                            lf_scope_t **out_scope) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    ScopeInputs inputs = acquire_inputs(context, a, b);
    capi::require_out(out_scope, "out_scope");
    const context::Context &ctx = *inputs.context->context;
    topo::ScopeDecision decision = inputs.decide();
    topo::ScopeExplanation explanation =
        topo::explain_scope(inputs.a->identity, inputs.b->identity, decision, ctx.config().scope_override_origin);
    core::log_message(ctx.log(), LF_LOG_INFO, "scope: %s", explanation.level.c_str());
    *out_scope = capi::publish_handle<lf_scope_t>(
        std::make_shared<ScopeObject>(inputs.context->context, decision, std::move(explanation)));
    return LF_OK;
  });
}

lf_status_t lf_scope_destroy(lf_scope_t *scope) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(scope, core::HandleType::scope, "scope");
    return LF_OK;
  });
}

lf_status_t lf_scope_get_info(const lf_scope_t *scope, lf_scope_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_scope(scope);
    capi::write_versioned(out_info, info_of(s->decision), "out_info");
    return LF_OK;
  });
}

lf_status_t lf_scope_get_reason(const lf_scope_t *scope, const char **out_text) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_scope(scope);
    capi::require_out(out_text, "out_text");
    *out_text = s->explanation.level.c_str();
    return LF_OK;
  });
}

lf_status_t lf_scope_get_mechanism_reason(const lf_scope_t *scope, uint32_t mechanism, const char **out_text) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_scope(scope);
    capi::require_out(out_text, "out_text");
    int index = topo::mechanism_index(mechanism);
    if (index < 0)
      core::fail(LF_ERR_INVALID_ARGUMENT, "mechanism 0x%x is not exactly one lf_mechanism_t bit", mechanism);
    *out_text = s->explanation.mechanisms[static_cast<size_t>(index)].c_str();
    return LF_OK;
  });
}

const char *lf_scope_level_name(int32_t level) { return topo::scope_level_name(level); }

lf_status_t lf_scope_level_from_name(const char *name, int32_t *out_level) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    if (name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "name is NULL");
    capi::require_out(out_level, "out_level");
    for (int32_t level = LF_SCOPE_UNKNOWN; level <= LF_SCOPE_REMOTE; ++level) {
      if (core::equals_ignore_case(name, topo::scope_level_name(level))) {
        *out_level = level;
        return LF_OK;
      }
    }
    core::fail(LF_ERR_INVALID_ARGUMENT, "'%s' is not a scope level name", name);
  });
}

const char *lf_mechanism_name(uint32_t mechanism) { return topo::mechanism_name(mechanism); }

}  // extern "C"

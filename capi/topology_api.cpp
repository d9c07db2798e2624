// lf_topology_*.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"

#include <lavaflow/topology.h>

using namespace lavaflow;
using capi::ContextObject;

namespace {

capi::Acquired<ContextObject> acquire_context(const lf_context_t *context) {
  return capi::acquire<ContextObject>(context, core::HandleType::context, "context");
}

}  // namespace

extern "C" {

lf_status_t lf_topology_get_info(const lf_context_t *context, lf_topology_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    lf_topology_info_t info{};
    ctx->context->topology().info(info);
    capi::write_versioned(out_info, info, "out_info");
    return LF_OK;
  });
}

lf_status_t lf_topology_get_source(const lf_context_t *context, const char **out_text) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_text, "out_text");
    *out_text = ctx->context->config().topology_description.c_str();
    return LF_OK;
  });
}

lf_status_t lf_topology_count(const lf_context_t *context, int32_t type, uint32_t *out_count) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_count, "out_count");
    *out_count = ctx->context->topology().count(type);
    return LF_OK;
  });
}

lf_status_t lf_topology_get_object(const lf_context_t *context, int32_t type, uint32_t logical_index,
                                   lf_topology_object_t *out_object) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_object, "out_object");
    lf_topology_object_t object{};
    ctx->context->topology().object(type, logical_index, object);
    capi::write_versioned(out_object, object, "out_object");
    return LF_OK;
  });
}

lf_status_t lf_topology_get_cpuset(const lf_context_t *context, int32_t type, uint32_t logical_index, char *buffer,
                                   size_t buffer_size, size_t *out_length) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    std::string text = ctx->context->topology().cpuset(type, logical_index).to_list();
    return capi::copy_text_out(text, buffer, buffer_size, out_length, __func__);
  });
}

lf_status_t lf_topology_get_nearest_numa_nodes(const lf_context_t *context, int32_t type, uint32_t logical_index,
                                               char *buffer, size_t buffer_size, size_t *out_length) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    const topo::Topology &topology = ctx->context->topology();
    std::string text = topology.nearest_numa_nodes(topology.cpuset(type, logical_index)).to_list();
    return capi::copy_text_out(text, buffer, buffer_size, out_length, __func__);
  });
}

lf_status_t lf_topology_get_binding(const lf_context_t *context, int32_t target, char *buffer, size_t buffer_size,
                                    size_t *out_length) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    std::string text = ctx->context->topology().binding(target).to_list();
    return capi::copy_text_out(text, buffer, buffer_size, out_length, __func__);
  });
}

const char *lf_topology_object_type_name(int32_t type) { return topo::object_type_name(type); }

}  // extern "C"

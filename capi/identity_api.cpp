// lf_identity_*.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "core/strings.hpp"
#include "topo/host_facts.hpp"
#include "topo/identity_codec.hpp"

#include <lavaflow/identity.h>

#include <cstring>

using namespace lavaflow;
using capi::ContextObject;
using capi::IdentityObject;

namespace {

constexpr uint64_t kKnownFields = LF_IDENTITY_PARAM_FIELD_CPUSET | LF_IDENTITY_PARAM_FIELD_FLAGS;
constexpr uint64_t kKnownFlags = LF_IDENTITY_FLAG_THREAD_BINDING;

topo::IdentityRequest request_from(const lf_identity_params_t *params) {
  topo::IdentityRequest request;
  if (params == nullptr) return request;
  if (params->field_mask & ~kKnownFields)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx",
               static_cast<unsigned long long>(params->field_mask & ~kKnownFields));
  if (params->field_mask & LF_IDENTITY_PARAM_FIELD_CPUSET) {
    if (params->cpuset == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "params->cpuset is NULL but its field_mask bit is set");
    request.cpuset = params->cpuset;
  }
  if (params->field_mask & LF_IDENTITY_PARAM_FIELD_FLAGS) {
    if (params->flags & ~kKnownFlags)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->flags has unknown bits 0x%llx",
                 static_cast<unsigned long long>(params->flags & ~kKnownFlags));
    request.thread_binding = (params->flags & LF_IDENTITY_FLAG_THREAD_BINDING) != 0;
  }
  return request;
}

lf_identity_t *publish(const capi::ContextPtr &context, topo::Identity identity) {
  return capi::publish_handle<lf_identity_t>(std::make_shared<IdentityObject>(context, std::move(identity)));
}

capi::Acquired<IdentityObject> acquire_identity(const lf_identity_t *identity) {
  return capi::acquire<IdentityObject>(identity, core::HandleType::identity, "identity");
}

}  // namespace

extern "C" {

lf_status_t lf_identity_create(lf_context_t *context, const lf_identity_params_t *params,
                               lf_identity_t **out_identity) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_identity, "out_identity");
    const auto &c = *ctx->context;
    topo::Identity identity = topo::take_identity(c.topology(), c.config().base_dir, request_from(params));
    *out_identity = publish(ctx->context, std::move(identity));
    return LF_OK;
  });
}

lf_status_t lf_identity_create_from_blob(lf_context_t *context, const void *blob, size_t blob_size,
                                         lf_identity_t **out_identity) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_identity, "out_identity");
    if (blob == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "blob is NULL");
    topo::Identity identity =
        topo::decode_identity(std::span<const uint8_t>(static_cast<const uint8_t *>(blob), blob_size));
    *out_identity = publish(ctx->context, std::move(identity));
    return LF_OK;
  });
}

lf_status_t lf_identity_destroy(lf_identity_t *identity) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(identity, core::HandleType::identity, "identity");
    return LF_OK;
  });
}

lf_status_t lf_identity_serialize(const lf_identity_t *identity, void *buffer, size_t buffer_size, size_t *out_size) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto id = acquire_identity(identity);
    if (buffer == nullptr && buffer_size != 0)
      core::fail(LF_ERR_INVALID_ARGUMENT, "buffer is NULL but buffer_size is %zu", buffer_size);
    std::vector<uint8_t> blob = topo::encode_identity(id->identity);
    if (out_size != nullptr) *out_size = blob.size();
    if (buffer_size < blob.size()) {
      char detail[128];
      std::snprintf(detail, sizeof detail, "the blob needs %zu bytes, the buffer has %zu", blob.size(), buffer_size);
      return capi::report(__func__, LF_ERR_BUFFER_TOO_SMALL, detail);
    }
    std::memcpy(buffer, blob.data(), blob.size());
    return LF_OK;
  });
}

lf_status_t lf_identity_get_info(const lf_identity_t *identity, lf_identity_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto id = acquire_identity(identity);
    const topo::Identity &i = id->identity;
    lf_identity_info_t info{};
    info.flags = i.flags;
    std::memcpy(info.boot_id, i.boot_id.data(), sizeof info.boot_id);
    std::memcpy(info.machine_id, i.machine_id.data(), sizeof info.machine_id);
    info.ipc_namespace = i.namespaces[topo::kIpcNs];
    info.mnt_namespace = i.namespaces[topo::kMntNs];
    info.pid_namespace = i.namespaces[topo::kPidNs];
    info.net_namespace = i.namespaces[topo::kNetNs];
    info.user_namespace = i.namespaces[topo::kUserNs];
    info.base_dir_device = i.base_dir_device;
    info.base_dir_inode = i.base_dir_inode;
    info.start_time_ticks = i.start_time_ticks;
    info.topology_digest = i.topology_digest;
    info.uid = i.uid;
    info.gid = i.gid;
    info.pid = i.pid;
    info.ptrace_scope = i.ptrace_scope;
    info.pu_count = i.cpuset.count();
    info.numa_node_count = i.numa_nodes.count();
    info.package_count = i.packages.count();
    info.topology_source = i.topology_source;
    capi::write_versioned(out_info, info, "out_info");
    return LF_OK;
  });
}

lf_status_t lf_identity_get_text(const lf_identity_t *identity, int32_t which, char *buffer, size_t buffer_size,
                                 size_t *out_length) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto id = acquire_identity(identity);
    const topo::Identity &i = id->identity;
    std::string text;
    switch (which) {
      case LF_IDENTITY_TEXT_HOSTNAME: text = i.hostname; break;
      case LF_IDENTITY_TEXT_CPUSET: text = i.cpuset.to_list(); break;
      case LF_IDENTITY_TEXT_NUMA_NODES: text = i.numa_nodes.to_list(); break;
      case LF_IDENTITY_TEXT_PACKAGES: text = i.packages.to_list(); break;
      case LF_IDENTITY_TEXT_BASE_DIR: text = i.base_dir; break;
      case LF_IDENTITY_TEXT_BOOT_ID: text = topo::format_uuid(i.boot_id); break;
      case LF_IDENTITY_TEXT_MACHINE_ID: text = core::hex_bytes(i.machine_id.data(), i.machine_id.size()); break;
      case LF_IDENTITY_TEXT_LOCAL_NUMA_NODES: text = i.local_numa_nodes.to_list(); break;
      case LF_IDENTITY_TEXT_LOCAL_PACKAGES: text = i.local_packages.to_list(); break;
      default: core::fail(LF_ERR_INVALID_ARGUMENT, "which %d is not an lf_identity_text_t value", which);
    }
    return capi::copy_text_out(text, buffer, buffer_size, out_length, __func__);
  });
}

}  // extern "C"

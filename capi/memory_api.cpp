// lf_buffer_*, lf_buffer_pool_*, lf_socket_*_fds, lf_context_get_memory_stats.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/memory_objects.hpp"
#include "capi/out_params.hpp"
#include "ipc/buffer_descriptor.hpp"
#include "ipc/fd_passing.hpp"
#include "mem/allocator.hpp"
#include "mem/device_memory.hpp"
#include "mem/shared_memory.hpp"

#include <lavaflow/device.h>
#include <lavaflow/experimental.h>  // lf_socket_*_fds (LF_EXPERIMENTAL is set for the library)
#include <lavaflow/memory.h>

#include <cstring>

using namespace lavaflow;
using capi::BufferObject;
using capi::BufferPoolObject;
using capi::ContextObject;
using capi::IdentityObject;

namespace capi_memory {

constexpr uint64_t kKnownFields = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_PLACEMENT |
                                  LF_BUFFER_PARAM_FIELD_ALIGNMENT | LF_BUFFER_PARAM_FIELD_HUGE_PAGES |
                                  LF_BUFFER_PARAM_FIELD_FLAGS | LF_BUFFER_PARAM_FIELD_FALLBACK |
                                  LF_BUFFER_PARAM_FIELD_PEER | LF_BUFFER_PARAM_FIELD_DEVICE | LF_BUFFER_PARAM_FIELD_NAME;
constexpr uint64_t kKnownFlags =
    LF_BUFFER_FLAG_ZERO | LF_BUFFER_FLAG_PREFAULT | LF_BUFFER_FLAG_HOST_VISIBLE | LF_BUFFER_FLAG_DEVICE_MAPPED;
constexpr uint64_t kKnownFallbacks = LF_FALLBACK_DEVICE_TO_HOST;

template <typename T>
void check_bits(const char *what, T value, T known) {
  if (value & ~known)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->%s has unknown bits 0x%llx", what,
               static_cast<unsigned long long>(value & ~known));
}

// Converts the C params; `peer` receives a reference that keeps the peer identity alive
// for the duration of the call.
mem::AllocationRequest request_from(size_t size, const lf_buffer_params_t *params, capi::Acquired<IdentityObject> &peer) {
  mem::AllocationRequest r;
  r.size = size;
  if (params == nullptr) return r;
  const uint64_t mask = params->field_mask;
  check_bits("field_mask", mask, kKnownFields);
  if (mask & LF_BUFFER_PARAM_FIELD_KIND) r.kind = params->kind;
  if (mask & LF_BUFFER_PARAM_FIELD_PLACEMENT) {
    r.placement.placement = params->placement;
    r.placement.numa_node = params->numa_node;
  }
  if (mask & LF_BUFFER_PARAM_FIELD_ALIGNMENT) r.alignment = params->alignment;
  if (mask & LF_BUFFER_PARAM_FIELD_HUGE_PAGES) r.huge_pages = params->huge_pages;
  if (mask & LF_BUFFER_PARAM_FIELD_FLAGS) {
    check_bits("flags", params->flags, kKnownFlags);
    r.flags = params->flags;
  }
  if (mask & LF_BUFFER_PARAM_FIELD_FALLBACK) {
    check_bits("fallback", params->fallback, kKnownFallbacks);
    r.fallback = params->fallback;
  }
  if (mask & LF_BUFFER_PARAM_FIELD_PEER) {
    peer = capi::acquire<IdentityObject>(params->peer, core::HandleType::identity, "params->peer");
    r.placement.peer = &peer->identity;
  }
  if (mask & LF_BUFFER_PARAM_FIELD_DEVICE) {
    if (params->device_index < 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->device_index %d is negative", params->device_index);
    r.device_index = params->device_index;
    if (params->device_uuid != nullptr) {
      std::array<uint8_t, 16> uuid;
      std::memcpy(uuid.data(), params->device_uuid, uuid.size());
      r.device_uuid = uuid;
    }
  }
  if (mask & LF_BUFFER_PARAM_FIELD_NAME) {
    if (params->name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "params->name is NULL but its field_mask bit is set");
    r.name = params->name;
  }
  if (r.placement.placement == LF_PLACEMENT_NEAR_PEER && r.placement.peer == nullptr)
    core::fail(LF_ERR_INVALID_ARGUMENT, "LF_PLACEMENT_NEAR_PEER needs params->peer (and its field_mask bit)");
  return r;
}

struct ImportOptions {
  uint64_t size = 0;
  bool read_only = false;
};

ImportOptions import_options(const lf_buffer_import_params_t *params) {
  ImportOptions o;
  if (params == nullptr) return o;
  check_bits("field_mask", params->field_mask,
             uint64_t{LF_BUFFER_IMPORT_PARAM_FIELD_SIZE | LF_BUFFER_IMPORT_PARAM_FIELD_FLAGS});
  if (params->field_mask & LF_BUFFER_IMPORT_PARAM_FIELD_SIZE) {
    if (params->size == 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->size is 0");
    o.size = params->size;
  }
  if (params->field_mask & LF_BUFFER_IMPORT_PARAM_FIELD_FLAGS) {
    check_bits("flags", params->flags, uint64_t{LF_BUFFER_IMPORT_READ_ONLY});
    o.read_only = (params->flags & LF_BUFFER_IMPORT_READ_ONLY) != 0;
  }
  return o;
}

lf_buffer_t *publish(const capi::ContextPtr &context, mem::MemoryPtr memory,
                     std::shared_ptr<capi::PoolCore> pool = nullptr) {
  return capi::publish_buffer(context, std::move(memory), std::move(pool));
}

capi::Acquired<BufferObject> acquire_buffer(const lf_buffer_t *buffer) {
  return capi::acquire<BufferObject>(buffer, core::HandleType::buffer, "buffer");
}

capi::Acquired<ContextObject> acquire_context(const lf_context_t *context) {
  return capi::acquire<ContextObject>(context, core::HandleType::context, "context");
}

}  // namespace capi_memory

using namespace capi_memory;

namespace lavaflow::capi {

BufferObject::BufferObject(ContextPtr c, mem::MemoryPtr m, std::shared_ptr<PoolCore> p)
    : Object(core::HandleType::buffer), context(std::move(c)), memory(std::move(m)), pool(std::move(p)) {
  if (pool) memory->flags |= LF_BUFFER_POOLED;
  context->memory_stats().on_create(memory->kind, memory->numa_node, memory->size,
                                    (memory->flags & LF_BUFFER_FELL_BACK) != 0);
}

BufferObject::~BufferObject() {
  mem::MemoryStats &stats = context->memory_stats();
  stats.on_release(memory->kind, memory->numa_node, memory->size);
  if (pool) {
    uint64_t bytes = memory->size;
    if (pool->pool.give_back(std::move(memory))) stats.on_pooled_change(static_cast<int64_t>(bytes));
  }
}

}  // namespace lavaflow::capi

extern "C" {

lf_status_t lf_buffer_create(lf_context_t *context, size_t size, const lf_buffer_params_t *params,
                             lf_buffer_t **out_buffer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_buffer, "out_buffer");
    capi::Acquired<IdentityObject> peer;
    mem::AllocationRequest request = request_from(size, params, peer);
    mem::MemoryPtr memory = mem::allocate(ctx->context->allocator(), request);
    if (core::log_enabled(ctx->context->log(), LF_LOG_INFO))
      core::log_message(ctx->context->log(), LF_LOG_INFO, "buffer: %s", memory->reason().c_str());
    *out_buffer = publish(ctx->context, std::move(memory));
    return LF_OK;
  });
}

lf_status_t lf_buffer_destroy(lf_buffer_t *buffer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(buffer, core::HandleType::buffer, "buffer");
    return LF_OK;
  });
}

lf_status_t lf_buffer_get_info(const lf_buffer_t *buffer, lf_buffer_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto b = acquire_buffer(buffer);
    const mem::Memory &m = *b->memory;
    lf_buffer_info_t info{};
    info.kind = m.kind;
    info.requested_kind = m.requested_kind;
    // (derived, so that every buffer with a host address says so: allocated, imported, received, opened)
    info.flags = m.flags | (m.host != nullptr ? uint32_t{LF_BUFFER_HOST_VISIBLE} : 0u);
    info.size = m.size;
    info.mapped_size = m.mapped_size;
    info.page_size = m.page_size;
    info.alignment = m.alignment;
    info.host_pointer = m.host;
    info.numa_node = m.numa_node;
    info.device_index = m.device_index;
    capi::write_versioned(out_info, info, "out_info");
    return LF_OK;
  });
}

lf_status_t lf_buffer_get_data(const lf_buffer_t *buffer, void **out_pointer, size_t *out_size) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto b = acquire_buffer(buffer);
    capi::require_out(out_pointer, "out_pointer");
    if (b->memory->host == nullptr)
      core::fail(LF_ERR_INVALID_STATE, "this %s buffer has no host address (device-local memory)",
                 lf_memory_kind_name(b->memory->kind));
    *out_pointer = b->memory->host;
    if (out_size != nullptr) *out_size = b->memory->size;
    return LF_OK;
  });
}

lf_status_t lf_buffer_get_reason(const lf_buffer_t *buffer, const char **out_text) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto b = acquire_buffer(buffer);
    capi::require_out(out_text, "out_text");
    *out_text = b->memory->reason().c_str();
    return LF_OK;
  });
}

lf_status_t lf_buffer_export_fd(const lf_buffer_t *buffer, int *out_fd) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto b = acquire_buffer(buffer);
    capi::require_out(out_fd, "out_fd");
    *out_fd = b->memory->export_fd();
    return LF_OK;
  });
}

lf_status_t lf_buffer_import_fd(lf_context_t *context, int fd, const lf_buffer_import_params_t *params,
                                lf_buffer_t **out_buffer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_buffer, "out_buffer");
    ImportOptions o = import_options(params);
    *out_buffer = publish(ctx->context, mem::import_shared_fd(fd, o.size, o.read_only));
    return LF_OK;
  });
}

lf_status_t lf_buffer_open(lf_context_t *context, const char *name, const lf_buffer_import_params_t *params,
                           lf_buffer_t **out_buffer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_buffer, "out_buffer");
    if (name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "name is NULL");
    ImportOptions o = import_options(params);
    *out_buffer = publish(ctx->context, mem::open_named_shared(ctx->context->config().base_dir, name, o.size, o.read_only));
    return LF_OK;
  });
}

lf_status_t lf_buffer_send(const lf_buffer_t *buffer, int socket_fd) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto b = acquire_buffer(buffer);
    uint8_t descriptor[ipc::kBufferDescriptorBytes];
    ipc::encode_buffer_descriptor(b->memory->describe_export(), descriptor);
    core::UniqueFd fd(b->memory->export_fd());
    int raw = fd.get();
    ipc::send_fds(socket_fd, descriptor, sizeof descriptor, &raw, 1);
    return LF_OK;  // our copy of the fd closes here; the receiver got its own
  });
}

lf_status_t lf_buffer_recv(lf_context_t *context, int socket_fd, int32_t timeout_ms, lf_buffer_t **out_buffer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_buffer, "out_buffer");
    uint8_t bytes[ipc::kBufferDescriptorBytes + 1];  // one more, to notice longer messages
    size_t size = 0;
    std::vector<core::UniqueFd> fds;
    lf_status_t status = ipc::recv_fds(socket_fd, bytes, sizeof bytes, size, fds, 1, timeout_ms);
    if (status != LF_OK) return status;
    mem::ExportDescriptor d = ipc::decode_buffer_descriptor(std::span<const uint8_t>(bytes, size));
    if (fds.size() != 1) core::fail(LF_ERR_PROTOCOL, "a buffer message carries one descriptor, this one %zu", fds.size());
    *out_buffer = publish(ctx->context, capi::import_exported(ctx->context, d, fds[0].get()));
    return LF_OK;
  });
}

lf_status_t lf_socket_send_fds(int socket_fd, const void *data, size_t size, const int *fds, uint32_t fd_count) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    if (fd_count > ipc::kMaxPublicFdsPerMessage)
      core::fail(LF_ERR_INVALID_ARGUMENT, "%u descriptors; at most %u per message", fd_count, ipc::kMaxPublicFdsPerMessage);
    ipc::send_fds(socket_fd, data, size, fds, fd_count);
    return LF_OK;
  });
}

lf_status_t lf_socket_recv_fds(int socket_fd, void *data, size_t capacity, size_t *out_size, int *fds,
                               uint32_t fd_capacity, uint32_t *out_fd_count, int32_t timeout_ms) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::require_out(out_size, "out_size");
    capi::require_out(out_fd_count, "out_fd_count");
    if (fd_capacity > 0 && fds == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "fds is NULL but fd_capacity is %u", fd_capacity);
    size_t size = 0;
    std::vector<core::UniqueFd> received;
    if (fd_capacity > ipc::kMaxPublicFdsPerMessage) fd_capacity = ipc::kMaxPublicFdsPerMessage;
    lf_status_t status = ipc::recv_fds(socket_fd, data, capacity, size, received, fd_capacity, timeout_ms);
    if (status != LF_OK) return status;
    for (size_t i = 0; i < received.size(); ++i) fds[i] = received[i].release();  // ownership to the caller
    *out_size = size;
    *out_fd_count = static_cast<uint32_t>(received.size());
    return LF_OK;
  });
}

lf_status_t lf_buffer_pool_create(lf_context_t *context, size_t buffer_size, const lf_buffer_params_t *buffer_params,
                                  const lf_buffer_pool_params_t *pool_params, lf_buffer_pool_t **out_pool) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_pool, "out_pool");
    capi::Acquired<IdentityObject> peer;
    mem::AllocationRequest request = request_from(buffer_size, buffer_params, peer);
    if (!request.name.empty()) core::fail(LF_ERR_INVALID_ARGUMENT, "pooled buffers cannot be named");
    if (request.placement.peer != nullptr) {
      // The pool outlives this call: keep the peer's facts, not a pointer to them.
      request.placement.placement = LF_PLACEMENT_NUMA_NODE;
      if (!peer->identity.numa_nodes.is_single())
        core::fail(LF_ERR_INVALID_ARGUMENT, "a pool near a peer needs a peer on one NUMA node (it spans %s)",
                   peer->identity.numa_nodes.to_list().c_str());
      request.placement.numa_node = peer->identity.numa_nodes.first();
      request.placement.peer = nullptr;
    }
    uint32_t max_cached = 16, preallocate = 0;
    if (pool_params != nullptr) {
      check_bits("field_mask", pool_params->field_mask,
                 uint64_t{LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED | LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE});
      if (pool_params->field_mask & LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED) max_cached = pool_params->max_cached;
      if (pool_params->field_mask & LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE) preallocate = pool_params->preallocate;
    }
    if (preallocate > max_cached)
      core::fail(LF_ERR_INVALID_ARGUMENT, "preallocate %u exceeds max_cached %u", preallocate, max_cached);
    capi::ContextPtr owner = ctx->context;
    auto allocate = [owner, request] { return mem::allocate(owner->allocator(), request); };
    mem::MemoryPtr probe = allocate();  // fail now, with the real reason, rather than at first acquire
    auto core = std::make_shared<capi::PoolCore>(owner, allocate, max_cached, (request.flags & LF_BUFFER_FLAG_ZERO) != 0);
    if (max_cached > 0 && core->pool.give_back(std::move(probe))) owner->memory_stats().on_pooled_change(static_cast<int64_t>(request.size));
    for (uint32_t i = 1; i < preallocate; ++i)
      if (core->pool.give_back(allocate())) owner->memory_stats().on_pooled_change(static_cast<int64_t>(request.size));
    *out_pool = capi::publish_handle<lf_buffer_pool_t>(std::make_shared<BufferPoolObject>(std::move(core)));
    return LF_OK;
  });
}

lf_status_t lf_buffer_pool_acquire(lf_buffer_pool_t *pool, lf_buffer_t **out_buffer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto p = capi::acquire<BufferPoolObject>(pool, core::HandleType::buffer_pool, "pool");
    capi::require_out(out_buffer, "out_buffer");
    bool hit = false;
    mem::MemoryPtr memory = p->core->pool.take(hit);
    mem::MemoryStats &stats = p->core->context->memory_stats();
    stats.on_pool_acquire(hit);
    if (hit) stats.on_pooled_change(-static_cast<int64_t>(memory->size));
    *out_buffer = publish(p->core->context, std::move(memory), p->core);
    return LF_OK;
  });
}

lf_status_t lf_buffer_pool_destroy(lf_buffer_pool_t *pool) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(pool, core::HandleType::buffer_pool, "pool");
    return LF_OK;
  });
}

lf_status_t lf_context_get_memory_stats(const lf_context_t *context, lf_memory_stats_t *out_stats) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    lf_memory_stats_t stats{};
    ctx->context->memory_stats().snapshot(stats);
    capi::write_versioned(out_stats, stats, "out_stats");
    return LF_OK;
  });
}

lf_status_t lf_device_count(lf_context_t *context, uint32_t *out_count) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_count, "out_count");
    *out_count = mem::device_count(ctx->context->devices());
    return LF_OK;
  });
}

lf_status_t lf_device_get_info(lf_context_t *context, uint32_t index, lf_device_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_info, "out_info");
    capi::write_versioned(out_info, mem::device_info(ctx->context->devices(), index), "out_info");
    return LF_OK;
  });
}

lf_status_t lf_buffer_get_vulkan_info(const lf_buffer_t *buffer, lf_vulkan_memory_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto b = acquire_buffer(buffer);
    capi::require_out(out_info, "out_info");
    capi::write_versioned(out_info, mem::vulkan_info(*b->memory), "out_info");
    return LF_OK;
  });
}

const char *lf_device_type_name(int32_t type) {
  switch (type) {
    case LF_DEVICE_INTEGRATED: return "integrated";
    case LF_DEVICE_DISCRETE: return "discrete";
    case LF_DEVICE_VIRTUAL: return "virtual";
    case LF_DEVICE_CPU: return "cpu";
    default: return "other";
  }
}

const char *lf_memory_kind_name(int32_t kind) {
  switch (kind) {
    case LF_MEMORY_HOST: return "host";
    case LF_MEMORY_SHARED: return "shared";
    case LF_MEMORY_DEVICE: return "device";
    default: return "invalid";
  }
}

}  // extern "C"

namespace lavaflow::capi {

lf_buffer_t *publish_buffer(const ContextPtr &context, mem::MemoryPtr memory, std::shared_ptr<PoolCore> pool) {
  return publish_handle<lf_buffer_t>(std::make_shared<BufferObject>(context, std::move(memory), std::move(pool)));
}

mem::MemoryPtr import_exported(const ContextPtr &context, const mem::ExportDescriptor &descriptor, int fd) {
  mem::MemoryPtr memory = descriptor.kind == LF_MEMORY_DEVICE ? mem::import_device_fd(context->allocator().devices, fd, descriptor)
                                                              : mem::import_shared_fd(fd, descriptor.size, false);
  memory->size = descriptor.usable;  // what the sender asked for, not its page-rounded allocation
  return memory;
}

}  // namespace lavaflow::capi

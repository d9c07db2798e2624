// lf_channel_*. The data calls are the hot path: one handle lookup, then the ring; no
// allocation, and a system call only to wait or to wake a sleeper.
#include "capi/channel_objects.hpp"
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/memory_objects.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "capi/sync_objects.hpp"
#include "channel/buffer_endpoint.hpp"
#include "channel/endpoint.hpp"
#include "core/byte_io.hpp"
#include "ipc/buffer_descriptor.hpp"
#include "sync/semaphore_descriptor.hpp"

#include <lavaflow/channel.h>

using namespace lavaflow;
using capi::ContextObject;
using capi::SemaphoreObject;

namespace {
constexpr uint64_t kKnownFields = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CAPACITY |
                                  LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE | LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS |
                                  LF_CHANNEL_PARAM_FIELD_WAIT_MODE | LF_CHANNEL_PARAM_FIELD_SPIN_US |
                                  LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT;
}  // namespace

channel::EndpointOptions capi::channel_options(const lf_channel_params_t *params) {
  channel::EndpointOptions o;
  if (params == nullptr) return o;
  const uint64_t mask = params->field_mask;
  if (mask & ~kKnownFields)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx", static_cast<unsigned long long>(mask & ~kKnownFields));
  if (mask & LF_CHANNEL_PARAM_FIELD_ROLE) {
    if (params->role != LF_CHANNEL_CONSUMER && params->role != LF_CHANNEL_PRODUCER)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->role %d is not an lf_channel_role_t value", params->role);
    o.role = params->role;
  }
  if (mask & LF_CHANNEL_PARAM_FIELD_CAPACITY) {
    if (params->capacity == 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->capacity is 0");
    o.capacity = params->capacity;
  }
  if (mask & LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE) {
    if (params->max_message_size == 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->max_message_size is 0");
    o.max_message = params->max_message_size;
  }
  if (mask & LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS) o.max_producers = params->max_producers;
  if (mask & LF_CHANNEL_PARAM_FIELD_WAIT_MODE) {
    if (params->wait_mode < LF_WAIT_ADAPTIVE || params->wait_mode > LF_WAIT_SLEEP)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->wait_mode %d is not an lf_wait_mode_t value", params->wait_mode);
    o.wait.mode = params->wait_mode;
  }
  if (mask & LF_CHANNEL_PARAM_FIELD_SPIN_US) o.wait.spin_ns = int64_t{params->spin_us} * 1000;
  if (mask & LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT) o.connect_timeout_ms = params->connect_timeout_ms;
  return o;
}

namespace {

// A received buffer becomes an lf_buffer_t owned by the channel end: released (retired)
// when the producer forgets it or the end goes. So does a semaphore a buffer message names,
// told apart by its descriptor's magic.
channel::ImportedBuffer import_announced(const capi::ContextPtr &context, std::span<const uint8_t> descriptor,
                                        core::UniqueFd fd) {
  if (descriptor.size() >= 4 && core::load_le<uint32_t>(descriptor.data()) == sync::kSemaphoreDescriptorMagic) {
    const sync::SemaphoreDescriptor d = sync::decode_semaphore_descriptor(descriptor);
    lf_semaphore_t *handle = capi::publish_semaphore(context, capi::import_sent_semaphore(context, d, fd.get(), {}));
    std::shared_ptr<void> owner(handle, [](void *h) { capi::retire_owned_handle(h, core::HandleType::semaphore); });
    return {handle, 0, std::move(owner), true};
  }
  mem::MemoryPtr memory = capi::import_exported(context, ipc::decode_buffer_descriptor(descriptor), fd.get());
  const uint64_t size = memory->size;
  lf_buffer_t *handle = capi::publish_buffer(context, std::move(memory));
  std::shared_ptr<void> owner(handle, [](void *h) { capi::retire_owned_handle(h, core::HandleType::buffer); });
  return {handle, size, std::move(owner), false};
}

struct ChannelObject final : core::Object {
  ChannelObject(capi::ContextPtr c, std::unique_ptr<channel::Channel> e)
      : Object(core::HandleType::channel),
        context(std::move(c)),
        end(std::move(e)),
        importer([context = context](std::span<const uint8_t> descriptor, core::UniqueFd fd) {
          return import_announced(context, descriptor, std::move(fd));
        }) {}
  capi::ContextPtr context;  // declared first, destroyed last: the end's received buffers need it
  std::unique_ptr<channel::Channel> end;
  const channel::BufferImporter importer;  // made once: the data calls must not allocate
};

}  // namespace

lf_channel_t *capi::publish_channel(const ContextPtr &context, std::unique_ptr<channel::Channel> end) {
  return publish_handle<lf_channel_t>(std::make_shared<ChannelObject>(context, std::move(end)));
}

channel::Channel &capi::channel_end(const lf_channel_t *channel) {
  return *static_cast<ChannelObject &>(peek_handle(channel, core::HandleType::channel, "channel")).end;
}

namespace {

// The buffer a producer passes: its memory, and a share that pins it.
struct SharedBuffer {
  std::shared_ptr<core::Object> object;
  const mem::Memory &memory() const { return *static_cast<capi::BufferObject &>(*object).memory; }
};

SharedBuffer share_buffer(const lf_buffer_t *buffer) {
  return {capi::share_handle(buffer, core::HandleType::buffer, "buffer")};
}

// The four ways to get an end: validate the context and out pointer, let `make_end` build the
// end from the context (it throws on any problem), hand out its handle.
template <typename MakeEnd>
lf_status_t publish_end(const char *function, lf_context_t *context, lf_channel_t **out, MakeEnd make_end) {
  return capi::guarded(function, [&]() -> lf_status_t {
    auto ctx = capi::acquire<ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out, "out_channel");
    *out = capi::publish_channel(ctx->context, make_end(ctx->context));
    return LF_OK;
  });
}

template <typename Open>
lf_status_t make_channel(const char *function, lf_context_t *context, const char *name, const lf_channel_params_t *params,
                         lf_channel_t **out, Open open) {
  return publish_end(function, context, out, [&](const capi::ContextPtr &ctx) {
    if (name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "name is NULL");
    return open(ctx, std::string(name), capi::channel_options(params));
  });
}

// A channel end in a caller's lf_buffer_t, which it keeps alive.
template <typename Open>
lf_status_t make_buffer_channel(const char *function, lf_context_t *context, lf_buffer_t *buffer,
                                const lf_channel_params_t *params, lf_channel_t **out, Open open) {
  return publish_end(function, context, out, [&](const capi::ContextPtr &ctx) {
    SharedBuffer shared = share_buffer(buffer);
    const mem::Memory &memory = shared.memory();
    if (memory.kind == LF_MEMORY_DEVICE)
      core::fail(LF_ERR_UNSUPPORTED, "a channel needs host memory for its atomics and futexes: device memory cannot hold one");
    if (memory.host == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "the buffer has no host address");
    channel::CallerBuffer caller;
    caller.base = memory.host;
    caller.bytes = memory.size;
    caller.page_size = memory.page_size != 0 ? memory.page_size : 4096;
    caller.shared = memory.kind == LF_MEMORY_SHARED;
    caller.owner = shared.object;
    return open(ctx, caller, capi::channel_options(params));
  });
}

// The data calls: validate the handle, run `call` on the end, and explain an error status.
// The handle is only peeked at (no reference taken): a channel end is externally
// synchronized, so it cannot be destroyed while this thread is inside a call on it.
template <typename Call>
lf_status_t on_object(const char *function, const lf_channel_t *channel, Call call) noexcept {
  return capi::guarded(function, [&]() -> lf_status_t {
    auto &object = static_cast<ChannelObject &>(capi::peek_handle(channel, core::HandleType::channel, "channel"));
    lf_status_t status = call(object);
    if (status < 0) return capi::report(function, status, object.end->problem());
    return status;
  });
}

template <typename Call>
lf_status_t on_end(const char *function, const lf_channel_t *channel, Call call) noexcept {
  return on_object(function, channel, [&](ChannelObject &object) { return call(*object.end); });
}

}  // namespace

extern "C" {

lf_status_t lf_channel_create(lf_context_t *context, const char *name, const lf_channel_params_t *params,
                              lf_channel_t **out_channel) {
  return make_channel(__func__, context, name, params, out_channel, channel::create_channel);
}

lf_status_t lf_channel_open(lf_context_t *context, const char *name, const lf_channel_params_t *params,
                            lf_channel_t **out_channel) {
  return make_channel(__func__, context, name, params, out_channel, channel::open_channel);
}

lf_status_t lf_channel_buffer_size(uint64_t capacity, uint32_t max_producers, uint64_t *out_size) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::require_out(out_size, "out_size");
    *out_size = channel::region_size(capacity, max_producers);
    return LF_OK;
  });
}

lf_status_t lf_channel_create_in_buffer(lf_context_t *context, lf_buffer_t *buffer, const lf_channel_params_t *params,
                                        lf_channel_t **out_channel) {
  return make_buffer_channel(__func__, context, buffer, params, out_channel, channel::create_channel_in_buffer);
}

lf_status_t lf_channel_open_buffer(lf_context_t *context, lf_buffer_t *buffer, const lf_channel_params_t *params,
                                   lf_channel_t **out_channel) {
  return make_buffer_channel(__func__, context, buffer, params, out_channel, channel::open_channel_in_buffer);
}

lf_status_t lf_channel_close(lf_channel_t *channel) {
  return on_end(__func__, channel, [](channel::Channel &end) {
    end.close();
    return LF_OK;
  });
}

lf_status_t lf_channel_destroy(lf_channel_t *channel) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(channel, core::HandleType::channel, "channel");
    return LF_OK;
  });
}

lf_status_t lf_channel_reserve(lf_channel_t *channel, size_t size, int32_t timeout_ms, void **out_data) {
  if (out_data == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_data is NULL");
  return on_end(__func__, channel, [&](channel::Channel &end) { return end.reserve(size, timeout_ms, out_data); });
}

lf_status_t lf_channel_commit(lf_channel_t *channel, size_t size) {
  return on_end(__func__, channel, [&](channel::Channel &end) { return end.commit(size); });
}

lf_status_t lf_channel_abort(lf_channel_t *channel) {
  return on_end(__func__, channel, [](channel::Channel &end) { return end.abort(); });
}

lf_status_t lf_channel_send(lf_channel_t *channel, const void *data, size_t size, int32_t timeout_ms) {
  if (data == nullptr && size != 0) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "data is NULL");
  return on_end(__func__, channel, [&](channel::Channel &end) { return end.send(data, size, timeout_ms); });
}

lf_status_t lf_channel_peek(lf_channel_t *channel, int32_t timeout_ms, const void **out_data, size_t *out_size) {
  if (out_data == nullptr || out_size == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_data or out_size is NULL");
  return on_end(__func__, channel, [&](channel::Channel &end) { return end.peek(timeout_ms, out_data, out_size); });
}

lf_status_t lf_channel_release(lf_channel_t *channel) {
  return on_end(__func__, channel, [](channel::Channel &end) { return end.release(); });
}

lf_status_t lf_channel_recv(lf_channel_t *channel, void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms) {
  if (out_size == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_size is NULL");
  if (buffer == nullptr && capacity != 0) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "buffer is NULL");
  return on_end(__func__, channel, [&](channel::Channel &end) { return end.recv(buffer, capacity, out_size, timeout_ms); });
}

lf_status_t lf_channel_send_buffer(lf_channel_t *channel, lf_buffer_t *buffer, uint64_t offset, uint64_t length,
                                   const void *data, size_t size, int32_t timeout_ms) {
  if (data == nullptr && size != 0) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "data is NULL");
  return on_end(__func__, channel, [&](channel::Channel &end) {
    SharedBuffer shared = share_buffer(buffer);
    const mem::Memory &memory = shared.memory();  // (before the move below)
    return end.send_buffer(memory, std::move(shared.object), offset, length, nullptr, data, size, timeout_ms);
  });
}

namespace {

// The id of `semaphore` on the producer `end`, sending it to the consumer the first time.
lf_status_t semaphore_id(channel::Channel &end, lf_semaphore_t *semaphore, const char *name, int32_t timeout_ms,
                         uint32_t &id) {
  id = 0;
  if (semaphore == nullptr) return LF_OK;
  SemaphoreObject &object = static_cast<SemaphoreObject &>(capi::peek_handle(semaphore, core::HandleType::semaphore, name));
  const void *key = object.semaphore.get();
  if ((id = end.announced(key)) != 0) return LF_OK;
  channel::Announcement a;
  a.key = key;
  uint8_t descriptor[sync::kSemaphoreDescriptorBytes];
  sync::encode_semaphore_descriptor(object.semaphore->describe_export(), descriptor);
  a.descriptor.assign(descriptor, descriptor + sizeof descriptor);
  a.fd = core::UniqueFd(object.semaphore->export_fd());
  a.owner = capi::share_handle(semaphore, core::HandleType::semaphore, name);
  return end.announce(std::move(a), timeout_ms, id);
}

}  // namespace

lf_status_t lf_channel_send_buffer_sync(lf_channel_t *channel, lf_buffer_t *buffer, uint64_t offset, uint64_t length,
                                        const lf_buffer_sync_t *sync, const void *data, size_t size, int32_t timeout_ms) {
  if (data == nullptr && size != 0) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "data is NULL");
  if (sync == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "sync is NULL (lf_channel_send_buffer sends without)");
  if (sync->ready == nullptr && sync->done == nullptr)
    return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "sync names neither a ready nor a done semaphore");
  return on_end(__func__, channel, [&](channel::Channel &end) {
    SharedBuffer shared = share_buffer(buffer);
    const mem::Memory &memory = shared.memory();
    channel::SyncRef ref;
    ref.ready_value = sync->ready_value;
    ref.done_value = sync->done_value;
    lf_status_t status = semaphore_id(end, sync->ready, "sync->ready", timeout_ms, ref.ready_id);
    if (status == LF_OK) status = semaphore_id(end, sync->done, "sync->done", timeout_ms, ref.done_id);
    if (status != LF_OK) return status;
    return end.send_buffer(memory, std::move(shared.object), offset, length, &ref, data, size, timeout_ms);
  });
}

lf_status_t lf_channel_peeked_sync(lf_channel_t *channel, lf_buffer_sync_t *out_sync) {
  if (out_sync == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_sync is NULL");
  return on_object(__func__, channel, [&](ChannelObject &object) -> lf_status_t {
    const channel::ImportedBuffer *ready = nullptr, *done = nullptr;
    channel::SyncRef ref;
    lf_status_t status = object.end->peeked_sync(object.importer, &ready, &done, &ref);
    if (status != LF_OK) return status;
    out_sync->ready = ready != nullptr ? static_cast<lf_semaphore_t *>(ready->handle) : nullptr;
    out_sync->ready_value = ref.ready_value;
    out_sync->done = done != nullptr ? static_cast<lf_semaphore_t *>(done->handle) : nullptr;
    out_sync->done_value = ref.done_value;
    return LF_OK;
  });
}

lf_status_t lf_channel_forget_buffer(lf_channel_t *channel, lf_buffer_t *buffer, int32_t timeout_ms) {
  return on_end(__func__, channel, [&](channel::Channel &end) {
    SharedBuffer shared = share_buffer(buffer);
    return end.forget_buffer(shared.memory(), timeout_ms);
  });
}

lf_status_t lf_channel_peeked_buffer(lf_channel_t *channel, lf_buffer_t **out_buffer, uint64_t *out_offset,
                                     uint64_t *out_length) {
  if (out_buffer == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_buffer is NULL");
  return on_object(__func__, channel, [&](ChannelObject &object) -> lf_status_t {
    const channel::ImportedBuffer *imported = nullptr;
    channel::BufferRef ref;
    lf_status_t status = object.end->peeked_buffer(object.importer, &imported, &ref);
    if (status != LF_OK) return status;
    *out_buffer = static_cast<lf_buffer_t *>(imported->handle);
    if (out_offset != nullptr) *out_offset = ref.offset;
    if (out_length != nullptr) *out_length = ref.length;
    return LF_OK;
  });
}

lf_status_t lf_channel_recv_buffer(lf_channel_t *channel, lf_buffer_t **out_buffer, uint64_t *out_offset,
                                   uint64_t *out_length, void *data, size_t capacity, size_t *out_size,
                                   int32_t timeout_ms) {
  if (out_buffer == nullptr || out_size == nullptr)
    return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_buffer or out_size is NULL");
  if (data == nullptr && capacity != 0) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "data is NULL");
  return on_object(__func__, channel, [&](ChannelObject &object) -> lf_status_t {
    const channel::ImportedBuffer *imported = nullptr;
    channel::BufferRef ref;
    lf_status_t status = object.end->recv_buffer(object.importer, &imported, &ref, data, capacity, out_size, timeout_ms);
    if (status != LF_OK) return status;
    *out_buffer = imported != nullptr ? static_cast<lf_buffer_t *>(imported->handle) : nullptr;
    if (out_offset != nullptr) *out_offset = ref.offset;
    if (out_length != nullptr) *out_length = ref.length;
    return LF_OK;
  });
}

lf_status_t lf_channel_get_info(const lf_channel_t *channel, lf_channel_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ref = capi::acquire<ChannelObject>(channel, core::HandleType::channel, "channel");
    lf_channel_info_t info{};
    ref->end->info(info);
    capi::write_versioned(out_info, info, "out_info");
    return LF_OK;
  });
}

lf_status_t lf_channel_get_reason(const lf_channel_t *channel, const char **out_text) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ref = capi::acquire<ChannelObject>(channel, core::HandleType::channel, "channel");
    capi::require_out(out_text, "out_text");
    const char *first_peer = ref->end->link->first_peer_reason();  // set on the creator's end only
    *out_text = first_peer != nullptr ? first_peer : ref->end->reason.c_str();
    return LF_OK;
  });
}

const char *lf_transport_name(int32_t transport) { return channel::transport_name(transport); }

}  // extern "C"

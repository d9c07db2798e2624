// lf_semaphore_*: timeline semaphores (sync.h).
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "capi/sync_objects.hpp"
#include "ipc/fd_passing.hpp"
#include "sync/semaphore_descriptor.hpp"
#include "sync/shared_semaphore.hpp"
#include "sync/vulkan_semaphore.hpp"

#include <lavaflow/sync.h>

#include <cstring>

using namespace lavaflow;

namespace capi_sync {

constexpr uint64_t kKnownFields = LF_SEMAPHORE_PARAM_FIELD_KIND | LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE |
                                  LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE | LF_SEMAPHORE_PARAM_FIELD_SPIN_US |
                                  LF_SEMAPHORE_PARAM_FIELD_FLAGS | LF_SEMAPHORE_PARAM_FIELD_FALLBACK |
                                  LF_SEMAPHORE_PARAM_FIELD_DEVICE | LF_SEMAPHORE_PARAM_FIELD_NAME;
// What the calls that take a semaphore from elsewhere accept.
constexpr uint64_t kHandleFields =
    LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE | LF_SEMAPHORE_PARAM_FIELD_SPIN_US | LF_SEMAPHORE_PARAM_FIELD_FLAGS;
constexpr uint32_t kMaxSpinUs = 1000000;

using capi::SemaphoreObject;

// The data calls (signal, wait, value) validate the handle without taking a reference: as
// with sem_destroy(), a handle must not be destroyed while another thread is inside a call on
// it (sync.h), and two atomic read-modify-writes per call would be a third of a busy-polled
// hand-off between two cores of one package.
SemaphoreObject &peek_semaphore(const lf_semaphore_t *semaphore) {
  return static_cast<SemaphoreObject &>(capi::peek_handle(semaphore, core::HandleType::semaphore, "semaphore"));
}

capi::Acquired<SemaphoreObject> acquire_semaphore(const lf_semaphore_t *semaphore) {
  return capi::acquire<SemaphoreObject>(semaphore, core::HandleType::semaphore, "semaphore");
}

capi::Acquired<capi::ContextObject> acquire_context(const lf_context_t *context) {
  return capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
}

lf_semaphore_t *publish(const capi::ContextPtr &context, sync::SemaphorePtr semaphore) {
  return capi::publish_semaphore(context, std::move(semaphore));
}

void check_mask(uint64_t mask, uint64_t allowed, const char *call) {
  if (mask & ~kKnownFields)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx",
               static_cast<unsigned long long>(mask & ~kKnownFields));
  if (mask & ~allowed)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask 0x%llx: %s takes only wait_mode, spin_us and flags",
               static_cast<unsigned long long>(mask & ~allowed), call);
}

sync::HandleOptions handle_options(const lf_semaphore_params_t *params) {
  sync::HandleOptions o;
  if (params == nullptr) return o;
  const uint64_t mask = params->field_mask;
  if (mask & LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE) {
    if (params->wait_mode != LF_WAIT_ADAPTIVE && params->wait_mode != LF_WAIT_SPIN && params->wait_mode != LF_WAIT_SLEEP)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->wait_mode %d is not an lf_wait_mode_t", params->wait_mode);
    o.wait.mode = params->wait_mode;
  }
  if (mask & LF_SEMAPHORE_PARAM_FIELD_SPIN_US) {
    if (params->spin_us > kMaxSpinUs)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->spin_us %u exceeds %u (one second)", params->spin_us, kMaxSpinUs);
    o.wait.spin_us = params->spin_us;
  }
  if (mask & LF_SEMAPHORE_PARAM_FIELD_FLAGS) {
    if (params->flags & ~uint64_t{LF_SEMAPHORE_FLAG_WAIT_ONLY})
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->flags has unknown bits 0x%llx",
                 static_cast<unsigned long long>(params->flags & ~uint64_t{LF_SEMAPHORE_FLAG_WAIT_ONLY}));
    o.wait_only = (params->flags & LF_SEMAPHORE_FLAG_WAIT_ONLY) != 0;
  }
  return o;
}

// Options of a handle that takes a semaphore from elsewhere.
sync::HandleOptions taking_options(const lf_semaphore_params_t *params, const char *call) {
  if (params != nullptr) check_mask(params->field_mask, kHandleFields, call);
  return handle_options(params);
}

sync::SemaphorePtr create(const context::Context &context, const lf_semaphore_params_t *params) {
  const uint64_t mask = params == nullptr ? 0 : params->field_mask;
  check_mask(mask, kKnownFields, "lf_semaphore_create");
  const sync::HandleOptions options = handle_options(params);
  int32_t kind = LF_SEMAPHORE_SHARED;
  if (mask & LF_SEMAPHORE_PARAM_FIELD_KIND) kind = params->kind;
  if (kind != LF_SEMAPHORE_SHARED && kind != LF_SEMAPHORE_VULKAN)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->kind %d is not an lf_semaphore_kind_t", kind);
  const uint64_t initial = (mask & LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE) ? params->initial_value : 0;
  uint64_t fallback = 0;
  if (mask & LF_SEMAPHORE_PARAM_FIELD_FALLBACK) {
    fallback = params->fallback;
    if (fallback & ~uint64_t{LF_SEMAPHORE_FALLBACK_TO_SHARED})
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->fallback has unknown bits 0x%llx",
                 static_cast<unsigned long long>(fallback & ~uint64_t{LF_SEMAPHORE_FALLBACK_TO_SHARED}));
  }
  std::string name;
  if (mask & LF_SEMAPHORE_PARAM_FIELD_NAME) {
    if (params->name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "params->name is NULL but its field_mask bit is set");
    name = params->name;
    if (kind != LF_SEMAPHORE_SHARED)
      core::fail(LF_ERR_INVALID_ARGUMENT, "only shared semaphores have names (a Vulkan one crosses as an fd)");
  }
  if (kind == LF_SEMAPHORE_SHARED) {
    if (mask & LF_SEMAPHORE_PARAM_FIELD_DEVICE)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->device applies to Vulkan semaphores only");
    return sync::create_shared_semaphore(context.config().base_dir, name, initial, options);
  }
  sync::VulkanSemaphoreRequest request;
  request.initial_value = initial;
  if (mask & LF_SEMAPHORE_PARAM_FIELD_DEVICE) {
    if (params->device_index < 0)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->device_index %d is negative", params->device_index);
    request.device_index = params->device_index;
    if (params->device_uuid != nullptr) {
      std::array<uint8_t, 16> uuid;
      std::memcpy(uuid.data(), params->device_uuid, uuid.size());
      request.device_uuid = uuid;
    }
  }
  try {
    return sync::create_vulkan_semaphore(context.allocator().devices, request, options);
  } catch (const core::Error &e) {
    if (e.status() != LF_ERR_UNSUPPORTED || !(fallback & LF_SEMAPHORE_FALLBACK_TO_SHARED)) throw;
    sync::SemaphorePtr shared = sync::create_shared_semaphore(context.config().base_dir, "", initial, options);
    shared->set_reason(shared->reason() + "; Vulkan requested: " + e.what());
    shared->set_fell_back();
    return shared;
  }
}

}  // namespace capi_sync

namespace lavaflow::capi {

lf_semaphore_t *publish_semaphore(const ContextPtr &context, sync::SemaphorePtr semaphore) {
  return publish_handle<lf_semaphore_t>(std::make_shared<SemaphoreObject>(context, std::move(semaphore)));
}

sync::SemaphorePtr import_sent_semaphore(const ContextPtr &context, const sync::SemaphoreDescriptor &descriptor, int fd,
                                         const sync::HandleOptions &options) {
  return descriptor.kind == LF_SEMAPHORE_SHARED ? sync::import_shared_semaphore(fd, options)
                                                : sync::import_vulkan_semaphore(context->allocator().devices, fd, descriptor, options);
}

}  // namespace lavaflow::capi

using namespace capi_sync;

extern "C" {

lf_status_t lf_semaphore_create(lf_context_t *context, const lf_semaphore_params_t *params, lf_semaphore_t **out_semaphore) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_semaphore, "out_semaphore");
    sync::SemaphorePtr semaphore = create(*ctx->context, params);
    if (core::log_enabled(ctx->context->log(), LF_LOG_INFO))
      core::log_message(ctx->context->log(), LF_LOG_INFO, "semaphore: %s", semaphore->reason().c_str());
    *out_semaphore = publish(ctx->context, std::move(semaphore));
    return LF_OK;
  });
}

lf_status_t lf_semaphore_destroy(lf_semaphore_t *semaphore) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(semaphore, core::HandleType::semaphore, "semaphore");
    return LF_OK;
  });
}

lf_status_t lf_semaphore_signal(lf_semaphore_t *semaphore, uint64_t value) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    peek_semaphore(semaphore).semaphore->signal(value);
    return LF_OK;
  });
}

lf_status_t lf_semaphore_wait(lf_semaphore_t *semaphore, uint64_t value, int64_t timeout_ns) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    return peek_semaphore(semaphore).semaphore->wait(value, timeout_ns);
  });
}

lf_status_t lf_semaphore_get_value(const lf_semaphore_t *semaphore, uint64_t *out_value) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    SemaphoreObject &s = peek_semaphore(semaphore);
    capi::require_out(out_value, "out_value");
    *out_value = s.semaphore->value();
    return LF_OK;
  });
}

lf_status_t lf_semaphore_get_info(const lf_semaphore_t *semaphore, lf_semaphore_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_semaphore(semaphore);
    lf_semaphore_info_t info = s->semaphore->info();
    if (s->semaphore->fell_back()) {
      info.flags |= LF_SEMAPHORE_FELL_BACK;
      info.requested_kind = LF_SEMAPHORE_VULKAN;
    }
    capi::write_versioned(out_info, info, "out_info");
    return LF_OK;
  });
}

lf_status_t lf_semaphore_get_reason(const lf_semaphore_t *semaphore, const char **out_text) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_semaphore(semaphore);
    capi::require_out(out_text, "out_text");
    *out_text = s->semaphore->reason().c_str();
    return LF_OK;
  });
}

lf_status_t lf_semaphore_export_fd(const lf_semaphore_t *semaphore, int *out_fd) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_semaphore(semaphore);
    capi::require_out(out_fd, "out_fd");
    *out_fd = s->semaphore->export_fd();
    return LF_OK;
  });
}

lf_status_t lf_semaphore_import_fd(lf_context_t *context, int fd, const lf_semaphore_params_t *params,
                                   lf_semaphore_t **out_semaphore) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_semaphore, "out_semaphore");
    const sync::HandleOptions options = taking_options(params, "lf_semaphore_import_fd");
    *out_semaphore = publish(ctx->context, sync::import_shared_semaphore(fd, options));
    return LF_OK;
  });
}

lf_status_t lf_semaphore_open(lf_context_t *context, const char *name, const lf_semaphore_params_t *params,
                              lf_semaphore_t **out_semaphore) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_semaphore, "out_semaphore");
    if (name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "name is NULL");
    const sync::HandleOptions options = taking_options(params, "lf_semaphore_open");
    *out_semaphore = publish(ctx->context, sync::open_shared_semaphore(ctx->context->config().base_dir, name, options));
    return LF_OK;
  });
}

lf_status_t lf_semaphore_send(const lf_semaphore_t *semaphore, int socket_fd) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_semaphore(semaphore);
    uint8_t descriptor[sync::kSemaphoreDescriptorBytes];
    sync::encode_semaphore_descriptor(s->semaphore->describe_export(), descriptor);
    core::UniqueFd fd(s->semaphore->export_fd());
    const int raw = fd.get();
    ipc::send_fds(socket_fd, descriptor, sizeof descriptor, &raw, 1);
    return LF_OK;  // our copy of the fd closes here; the receiver got its own
  });
}

lf_status_t lf_semaphore_recv(lf_context_t *context, int socket_fd, const lf_semaphore_params_t *params,
                              int32_t timeout_ms, lf_semaphore_t **out_semaphore) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = acquire_context(context);
    capi::require_out(out_semaphore, "out_semaphore");
    const sync::HandleOptions options = taking_options(params, "lf_semaphore_recv");
    uint8_t bytes[sync::kSemaphoreDescriptorBytes + 1];  // one more, to notice longer messages
    size_t size = 0;
    std::vector<core::UniqueFd> fds;
    const lf_status_t status = ipc::recv_fds(socket_fd, bytes, sizeof bytes, size, fds, 1, timeout_ms);
    if (status != LF_OK) return status;
    const sync::SemaphoreDescriptor d = sync::decode_semaphore_descriptor(std::span<const uint8_t>(bytes, size));
    if (fds.size() != 1)
      core::fail(LF_ERR_PROTOCOL, "a semaphore message carries one descriptor, this one %zu", fds.size());
    *out_semaphore = publish(ctx->context, capi::import_sent_semaphore(ctx->context, d, fds[0].get(), options));
    return LF_OK;
  });
}

lf_status_t lf_semaphore_get_vulkan_info(const lf_semaphore_t *semaphore, lf_vulkan_semaphore_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto s = acquire_semaphore(semaphore);
    capi::require_out(out_info, "out_info");
    capi::write_versioned(out_info, s->semaphore->vulkan_info(), "out_info");
    return LF_OK;
  });
}

const char *lf_semaphore_kind_name(int32_t kind) {
  switch (kind) {
    case LF_SEMAPHORE_SHARED: return "shared";
    case LF_SEMAPHORE_VULKAN: return "vulkan";
    default: return "invalid";
  }
}

}  // extern "C"

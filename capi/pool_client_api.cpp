// lf_pool_producer_* and lf_pool_consumer_*. The data calls (claim/commit/abort/publish,
// poll/wait/release) peek at the handle (the objects are externally synchronized) and go
// straight to the stream: no allocation, no system call but a wake-up or a sleep.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "pool/consumer.hpp"
#include "pool/producer.hpp"

#include <lavaflow/pool.h>

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace lavaflow;

namespace {

struct ProducerObject final : core::Object {
  ProducerObject(capi::ContextPtr c, std::unique_ptr<pool::Producer> p)
      : Object(core::HandleType::pool_producer), context(std::move(c)), producer(std::move(p)) {}
  capi::ContextPtr context;
  std::unique_ptr<pool::Producer> producer;
};

struct ConsumerObject final : core::Object {
  ConsumerObject(capi::ContextPtr c, std::unique_ptr<pool::Consumer> p)
      : Object(core::HandleType::pool_consumer), context(std::move(c)), consumer(std::move(p)) {}
  capi::ContextPtr context;
  std::unique_ptr<pool::Consumer> consumer;
};

constexpr uint64_t kProducerFields = LF_POOL_PRODUCER_PARAM_FIELD_CLIENT_ID | LF_POOL_PRODUCER_PARAM_FIELD_PROFILE |
                                     LF_POOL_PRODUCER_PARAM_FIELD_REQUIRE_HUGEPAGES |
                                     LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER |
                                     LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT | LF_POOL_PRODUCER_PARAM_FIELD_DRIVER_UID;
constexpr uint64_t kConsumerFields = LF_POOL_CONSUMER_PARAM_FIELD_CLIENT_ID | LF_POOL_CONSUMER_PARAM_FIELD_PROFILE |
                                     LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER |
                                     LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT | LF_POOL_CONSUMER_PARAM_FIELD_MODE |
                                     LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION | LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE |
                                     LF_POOL_CONSUMER_PARAM_FIELD_NOTIFY_EPOCH | LF_POOL_CONSUMER_PARAM_FIELD_SPIN_US |
                                     LF_POOL_CONSUMER_PARAM_FIELD_DRIVER_UID;

void check_mask(uint64_t mask, uint64_t known) {
  if (mask & ~known)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx", static_cast<unsigned long long>(mask & ~known));
}

// The bits of the fields producers and consumers share, in each one's field mask.
struct SharedFieldBits {
  uint64_t client_id, profile, start_driver, connect_timeout, driver_uid;
};
constexpr SharedFieldBits kProducerShared{LF_POOL_PRODUCER_PARAM_FIELD_CLIENT_ID, LF_POOL_PRODUCER_PARAM_FIELD_PROFILE,
                                          LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER,
                                          LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT,
                                          LF_POOL_PRODUCER_PARAM_FIELD_DRIVER_UID};
constexpr SharedFieldBits kConsumerShared{LF_POOL_CONSUMER_PARAM_FIELD_CLIENT_ID, LF_POOL_CONSUMER_PARAM_FIELD_PROFILE,
                                          LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER,
                                          LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT,
                                          LF_POOL_CONSUMER_PARAM_FIELD_DRIVER_UID};

// The fields producers and consumers share.
template <typename Params>
pool::SessionOptions session_options(uint32_t stream_id, const Params *params, const SharedFieldBits &bits) {
  pool::SessionOptions o;
  o.request.stream_id = stream_id;
  o.request.client_id = pool::new_client_id();
  if (params == nullptr) return o;
  const uint64_t mask = params->field_mask;
  if (mask & bits.client_id) {
    if (params->client_id == 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->client_id 0 is reserved");
    o.request.client_id = params->client_id;
  }
  if (mask & bits.profile) {
    if (params->profile == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "params->profile is NULL");
    const size_t length = std::strlen(params->profile);
    if (length == 0 || length >= pool::protocol::kProfileNameBytes)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->profile '%s' must be 1..%zu bytes", params->profile, pool::protocol::kProfileNameBytes - 1);
    o.request.profile = params->profile;
  }
  if (mask & bits.start_driver) o.start_driver = params->start_driver != 0;
  if (mask & bits.connect_timeout) {
    if (params->connect_timeout_ms < 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->connect_timeout_ms %d is negative", params->connect_timeout_ms);
    o.connect_timeout_ms = params->connect_timeout_ms;
  }
  if (mask & bits.driver_uid) o.driver_uid = static_cast<uid_t>(params->driver_uid);
  return o;
}

pool::SlotHeader header_from(const lf_pool_tensor_t &t, uint32_t bytes) {
  pool::SlotHeader h;
  h.values_len_bytes = bytes;
  h.timestamp_ns = t.timestamp_ns;
  h.meta_version = t.meta_version;
  h.dtype = static_cast<int16_t>(t.dtype);
  h.major_order = static_cast<int16_t>(t.major_order);
  h.ndims = static_cast<uint8_t>(t.ndims);
  h.progress_unit = static_cast<uint8_t>(t.progress_unit);
  h.progress_stride_bytes = t.progress_stride_bytes;
  for (uint32_t i = 0; i < LF_POOL_MAX_DIMS; ++i) {
    h.dims[i] = t.dims[i];
    h.strides[i] = t.strides[i];
  }
  return h;
}

// Values that do not survive the narrowing into the slot header are refused, not wrapped.
const char *tensor_problem(const lf_pool_tensor_t &t) {
  if (t.dtype < INT16_MIN || t.dtype > INT16_MAX) return "tensor->dtype is not an lf_dtype_t value";
  if (t.major_order < INT16_MIN || t.major_order > INT16_MAX) return "tensor->major_order is not an lf_major_order_t value";
  if (t.ndims > 255) return "tensor->ndims is above 8";
  if (t.progress_unit > 255) return "tensor->progress_unit is not 0, 1 or 2";
  return nullptr;
}

lf_pool_tensor_t tensor_from(const pool::SlotHeader &h) {
  lf_pool_tensor_t t{};
  t.dtype = h.dtype;
  t.major_order = h.major_order;
  t.ndims = h.ndims;
  for (uint32_t i = 0; i < LF_POOL_MAX_DIMS; ++i) {
    t.dims[i] = h.dims[i];
    t.strides[i] = h.strides[i];
  }
  t.timestamp_ns = h.timestamp_ns;
  t.meta_version = h.meta_version;
  t.progress_unit = h.progress_unit;
  t.progress_stride_bytes = h.progress_stride_bytes;
  return t;
}

lf_pool_stream_info_t stream_info(const pool::EpochMapping &m, uint64_t lease) {
  lf_pool_stream_info_t info{};
  const auto &a = m.announcement();
  info.stream_id = a.stream_id;
  info.epoch = a.epoch;
  info.lease_id = lease;
  info.nslots = a.nslots;
  info.pool_count = static_cast<uint32_t>(a.pools.size());
  for (size_t i = 0; i < a.pools.size(); ++i) {
    info.pool_ids[i] = a.pools[i].id;
    info.pool_strides[i] = a.pools[i].stride;
  }
  info.published = m.control().u64(pool::control_offset::published).load(std::memory_order_acquire);
  std::snprintf(info.epoch_dir, sizeof info.epoch_dir, "%s", a.epoch_dir.c_str());
  return info;
}

template <typename Call>
lf_status_t on_producer(const char *function, const lf_pool_producer_t *producer, Call call) noexcept {
  return capi::guarded(function, [&]() -> lf_status_t {
    auto &object = static_cast<ProducerObject &>(capi::peek_handle(producer, core::HandleType::pool_producer, "producer"));
    const lf_status_t status = call(*object.producer);
    if (status < 0) return capi::report(function, status, object.producer->problem());
    return status;
  });
}

template <typename Call>
lf_status_t on_consumer(const char *function, const lf_pool_consumer_t *consumer, Call call) noexcept {
  return capi::guarded(function, [&]() -> lf_status_t {
    auto &object = static_cast<ConsumerObject &>(capi::peek_handle(consumer, core::HandleType::pool_consumer, "consumer"));
    return call(*object.consumer);
  });
}

void write_view(lf_pool_view_t *out, const pool::FrameView &v, uint32_t nslots) {
  lf_pool_view_t view{};
  view.pool_id = v.header.pool_id;
  view.seq = v.seq;
  view.epoch = v.epoch;
  view.payload = v.payload;
  view.bytes = v.header.values_len_bytes;
  view.slot = static_cast<uint32_t>(v.seq & (nslots - 1));
  view.tensor = tensor_from(v.header);
  capi::write_versioned(out, view, "out_view");
}

// poll and wait: check the out struct, get the next frame, lend it as an lf_pool_view_t.
template <typename Next>
lf_status_t next_view(const char *function, const lf_pool_consumer_t *consumer, lf_pool_view_t *out_view, Next next) noexcept {
  if (out_view == nullptr) return capi::report(function, LF_ERR_INVALID_ARGUMENT, "out_view is NULL");
  if (out_view->struct_size < sizeof(lf_pool_view_t))
    return capi::report(function, LF_ERR_INVALID_ARGUMENT, "out_view->struct_size is too small: set it to sizeof(lf_pool_view_t)");
  return on_consumer(function, consumer, [&](pool::Consumer &c) {
    pool::FrameView view;
    const lf_status_t status = next(c, view);
    if (status == LF_OK) write_view(out_view, view, c.mapping()->stream().nslots);
    if (status == LF_ERR_INVALID_STATE) return capi::report(function, status, "a view is held: release it first");
    return status;
  });
}

void copy_text(char *to, size_t capacity, const std::string &from) { std::snprintf(to, capacity, "%s", from.c_str()); }

// A C text field: NUL-terminated within its array.
std::string text_field(const char *field, size_t capacity, const char *what) {
  const size_t length = strnlen(field, capacity);
  if (length == capacity) core::fail(LF_ERR_INVALID_ARGUMENT, "metadata->%s is not NUL-terminated", what);
  return std::string(field, length);
}

}  // namespace

extern "C" {

lf_status_t lf_pool_producer_attach(lf_context_t *context, uint32_t stream_id, const lf_pool_producer_params_t *params,
                                    lf_pool_producer_t **out_producer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_producer, "out_producer");
    if (params != nullptr) check_mask(params->field_mask, kProducerFields);
    pool::SessionOptions options = session_options(stream_id, params, kProducerShared);
    if (params != nullptr && (params->field_mask & LF_POOL_PRODUCER_PARAM_FIELD_REQUIRE_HUGEPAGES))
      options.request.require_hugepages = params->require_hugepages != 0;
    auto producer = std::make_unique<pool::Producer>(ctx->context, std::move(options));
    *out_producer = capi::publish_handle<lf_pool_producer_t>(std::make_shared<ProducerObject>(ctx->context, std::move(producer)));
    return LF_OK;
  });
}

lf_status_t lf_pool_producer_detach(lf_pool_producer_t *producer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(producer, core::HandleType::pool_producer, "producer");
    return LF_OK;
  });
}

lf_status_t lf_pool_producer_claim(lf_pool_producer_t *producer, uint32_t bytes, void **out_payload) {
  if (out_payload == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "out_payload is NULL");
  return on_producer(__func__, producer, [&](pool::Producer &p) {
    uint8_t *payload = nullptr;
    const lf_status_t status = p.claim(bytes, &payload);
    if (status == LF_OK) *out_payload = payload;
    return status;
  });
}

lf_status_t lf_pool_producer_commit(lf_pool_producer_t *producer, const lf_pool_tensor_t *tensor, uint32_t bytes) {
  if (tensor == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "tensor is NULL");
  if (const char *problem = tensor_problem(*tensor)) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, problem);
  return on_producer(__func__, producer, [&](pool::Producer &p) { return p.commit(header_from(*tensor, bytes)); });
}

lf_status_t lf_pool_producer_abort(lf_pool_producer_t *producer) {
  return on_producer(__func__, producer, [&](pool::Producer &p) {
    p.abandon();
    return LF_OK;
  });
}

lf_status_t lf_pool_producer_publish(lf_pool_producer_t *producer, const lf_pool_tensor_t *tensor, const void *data, uint32_t bytes) {
  if (tensor == nullptr) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "tensor is NULL");
  if (data == nullptr && bytes != 0) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, "data is NULL");
  if (const char *problem = tensor_problem(*tensor)) return capi::report(__func__, LF_ERR_INVALID_ARGUMENT, problem);
  return on_producer(__func__, producer, [&](pool::Producer &p) {
    uint8_t *payload = nullptr;
    lf_status_t status = p.claim(bytes, &payload);
    if (status != LF_OK) return status;
    if (bytes != 0) std::memcpy(payload, data, bytes);
    status = p.commit(header_from(*tensor, bytes));
    if (status != LF_OK) {
      const char *problem = p.problem();
      p.abandon();
      return capi::report("lf_pool_producer_publish", status, problem);
    }
    return status;
  });
}

lf_status_t lf_pool_producer_set_metadata(lf_pool_producer_t *producer, const lf_pool_metadata_t *metadata) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto &object = static_cast<ProducerObject &>(capi::peek_handle(producer, core::HandleType::pool_producer, "producer"));
    if (metadata == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "metadata is NULL");
    if (metadata->struct_size < sizeof(lf_pool_metadata_t))
      core::fail(LF_ERR_INVALID_ARGUMENT, "metadata->struct_size is %u; set it to sizeof(lf_pool_metadata_t)", metadata->struct_size);
    if (metadata->attribute_count > 16) core::fail(LF_ERR_INVALID_ARGUMENT, "metadata->attribute_count %u is above 16", metadata->attribute_count);
    pool::StreamMetadata meta;
    meta.name = text_field(metadata->name, sizeof metadata->name, "name");
    meta.units = text_field(metadata->units, sizeof metadata->units, "units");
    for (uint32_t i = 0; i < metadata->attribute_count; ++i)
      meta.attributes.emplace_back(text_field(metadata->attributes[i].key, sizeof metadata->attributes[i].key, "attributes[].key"),
                                   text_field(metadata->attributes[i].value, sizeof metadata->attributes[i].value, "attributes[].value"));
    object.producer->set_metadata(std::move(meta));
    return LF_OK;
  });
}

lf_status_t lf_pool_producer_get_info(lf_pool_producer_t *producer, lf_pool_stream_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto &object = static_cast<ProducerObject &>(capi::peek_handle(producer, core::HandleType::pool_producer, "producer"));
    capi::require_out(out_info, "out_info");
    // The epoch the next frame goes to: the newest the driver announced.
    uint64_t generation = 0;
    const std::shared_ptr<pool::EpochMapping> m = object.producer->session().mapping(generation);
    if (m == nullptr) core::fail(LF_ERR_INVALID_STATE, "the producer has no epoch mapped");
    capi::write_versioned(out_info, stream_info(*m, object.producer->session().lease_id()), "out_info");
    return LF_OK;
  });
}

lf_status_t lf_pool_consumer_attach(lf_context_t *context, uint32_t stream_id, const lf_pool_consumer_params_t *params,
                                    lf_pool_consumer_t **out_consumer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_consumer, "out_consumer");
    pool::ConsumerOptions options;
    if (params != nullptr) check_mask(params->field_mask, kConsumerFields);
    options.session = session_options(stream_id, params, kConsumerShared);
    if (params != nullptr) {
      const uint64_t mask = params->field_mask;
      if (mask & LF_POOL_CONSUMER_PARAM_FIELD_MODE) {
        if (params->mode < LF_POOL_MODE_STREAM || params->mode > LF_POOL_MODE_RATE_LIMITED)
          core::fail(LF_ERR_INVALID_ARGUMENT, "params->mode %d is not an lf_pool_mode_t value", params->mode);
        options.mode = static_cast<pool::Mode>(params->mode);
      }
      if (mask & LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION) {
        if (params->decimation == 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->decimation is 0");
        options.every = params->decimation;
      }
      if (mask & LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE) {
        if (!(params->max_rate_hz > 0) || !std::isfinite(params->max_rate_hz) || params->max_rate_hz > 1e9)
          core::fail(LF_ERR_INVALID_ARGUMENT, "params->max_rate_hz %g is not in (0, 1e9]", params->max_rate_hz);
        options.min_interval_ns = static_cast<uint64_t>(1e9 / params->max_rate_hz);
      }
      if (mask & LF_POOL_CONSUMER_PARAM_FIELD_NOTIFY_EPOCH) options.notify_epoch = params->notify_epoch != 0;
      if (mask & LF_POOL_CONSUMER_PARAM_FIELD_SPIN_US) options.spin_us = params->spin_us;
    }
    if (options.mode == pool::Mode::decimated && options.every == 0) options.every = 1;
    if (options.mode == pool::Mode::rate_limited && options.min_interval_ns == 0)
      core::fail(LF_ERR_INVALID_ARGUMENT, "RATE_LIMITED needs params->max_rate_hz (LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE)");
    auto consumer = std::make_unique<pool::Consumer>(ctx->context, std::move(options));
    *out_consumer = capi::publish_handle<lf_pool_consumer_t>(std::make_shared<ConsumerObject>(ctx->context, std::move(consumer)));
    return LF_OK;
  });
}

lf_status_t lf_pool_consumer_detach(lf_pool_consumer_t *consumer) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(consumer, core::HandleType::pool_consumer, "consumer");
    return LF_OK;
  });
}

lf_status_t lf_pool_consumer_poll(lf_pool_consumer_t *consumer, lf_pool_view_t *out_view) {
  return next_view(__func__, consumer, out_view, [](pool::Consumer &c, pool::FrameView &view) { return c.poll(view); });
}

lf_status_t lf_pool_consumer_wait(lf_pool_consumer_t *consumer, lf_pool_view_t *out_view, int64_t timeout_ns) {
  return next_view(__func__, consumer, out_view,
                   [timeout_ns](pool::Consumer &c, pool::FrameView &view) { return c.wait(view, timeout_ns); });
}

lf_status_t lf_pool_consumer_release(lf_pool_consumer_t *consumer) {
  return on_consumer(__func__, consumer, [&](pool::Consumer &c) {
    const lf_status_t status = c.release();
    if (status == LF_ERR_INVALID_STATE) return capi::report("lf_pool_consumer_release", status, "no view is held");
    return status;
  });
}

lf_status_t lf_pool_consumer_get_counters(lf_pool_consumer_t *consumer, lf_pool_counters_t *out_counters) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto &object = static_cast<ConsumerObject &>(capi::peek_handle(consumer, core::HandleType::pool_consumer, "consumer"));
    const pool::CursorCounters c = object.consumer->counters();
    lf_pool_counters_t counters{};
    counters.frames_read = c.read;
    counters.drops_gap = c.drops_gap;
    counters.drops_late = c.drops_late;
    counters.invalid = c.invalid;
    counters.skipped = c.skipped;
    counters.epoch = object.consumer->epoch();
    counters.epoch_changes = object.consumer->epoch_changes();
    counters.reattachments = object.consumer->session().reattachments();
    capi::write_versioned(out_counters, counters, "out_counters");
    return LF_OK;
  });
}

lf_status_t lf_pool_consumer_get_metadata(lf_pool_consumer_t *consumer, lf_pool_metadata_t *out_metadata) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto &object = static_cast<ConsumerObject &>(capi::peek_handle(consumer, core::HandleType::pool_consumer, "consumer"));
    capi::require_out(out_metadata, "out_metadata");
    const pool::StreamMetadata meta = object.consumer->metadata();
    lf_pool_metadata_t out{};
    out.version = meta.version;
    copy_text(out.name, sizeof out.name, meta.name);
    copy_text(out.units, sizeof out.units, meta.units);
    out.attribute_count = static_cast<uint32_t>(meta.attributes.size());
    for (size_t i = 0; i < meta.attributes.size(); ++i) {
      copy_text(out.attributes[i].key, sizeof out.attributes[i].key, meta.attributes[i].first);
      copy_text(out.attributes[i].value, sizeof out.attributes[i].value, meta.attributes[i].second);
    }
    capi::write_versioned(out_metadata, out, "out_metadata");
    return LF_OK;
  });
}

lf_status_t lf_pool_consumer_get_info(lf_pool_consumer_t *consumer, lf_pool_stream_info_t *out_info) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto &object = static_cast<ConsumerObject &>(capi::peek_handle(consumer, core::HandleType::pool_consumer, "consumer"));
    capi::require_out(out_info, "out_info");
    capi::write_versioned(out_info, stream_info(*object.consumer->mapping(), object.consumer->session().lease_id()),
                          "out_info");
    return LF_OK;
  });
}

}  // extern "C"

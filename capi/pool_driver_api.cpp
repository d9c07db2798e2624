// lf_pool_driver_*, lf_pool_list_streams: running a tensor pool driver in this process and
// talking to the one of a base directory.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "pool/driver.hpp"
#include "pool/driver_request.hpp"

#include <lavaflow/pool.h>

#include <cstdio>
#include <cstring>

using namespace lavaflow;

namespace {

struct DriverObject final : core::Object {
  DriverObject(capi::ContextPtr c, std::unique_ptr<pool::Driver> d)
      : Object(core::HandleType::pool_driver), context(std::move(c)), driver(std::move(d)) {}
  capi::ContextPtr context;
  std::unique_ptr<pool::Driver> driver;
};

constexpr uint64_t kDriverFields = (LF_POOL_DRIVER_PARAM_FIELD_ALLOWED_GROUP << 1) - 1;

std::string profile_name(const char *name, const char *what) {
  if (name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "%s is NULL", what);
  const size_t length = std::strlen(name);
  if (length == 0 || length >= pool::protocol::kProfileNameBytes)
    core::fail(LF_ERR_INVALID_ARGUMENT, "%s '%s' must be 1..%zu bytes", what, name, pool::protocol::kProfileNameBytes - 1);
  return name;
}

pool::DriverConfig config_from(const std::string &base_dir, const lf_pool_driver_params_t *params) {
  pool::DriverConfig config;
  config.base_dir = base_dir;
  bool use_environment = true;
  if (params != nullptr) {
    const uint64_t m = params->field_mask;
    if (m & ~kDriverFields)
      core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx", static_cast<unsigned long long>(m & ~kDriverFields));
    auto set = [&](uint64_t bit, const char *field, auto &to, auto value) {
      if (m & bit) {
        to = value;
        config.origins[field] = "params";
      }
    };
    if (m & LF_POOL_DRIVER_PARAM_FIELD_NAMESPACE) {
      if (params->namespace_name == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "params->namespace_name is NULL");
      config.namespace_name = params->namespace_name;
      config.origins["namespace"] = "params";
    }
    set(LF_POOL_DRIVER_PARAM_FIELD_ANNOUNCE_PERIOD, "announce_period_ms", config.announce_period_ms, params->announce_period_ms);
    set(LF_POOL_DRIVER_PARAM_FIELD_KEEPALIVE, "keepalive_ms", config.keepalive_ms, params->keepalive_ms);
    set(LF_POOL_DRIVER_PARAM_FIELD_EXPIRY_INTERVALS, "expiry_intervals", config.expiry_intervals, params->expiry_intervals);
    set(LF_POOL_DRIVER_PARAM_FIELD_PREFAULT, "prefault", config.prefault, params->prefault != 0);
    set(LF_POOL_DRIVER_PARAM_FIELD_MLOCK, "mlock", config.mlock, params->mlock != 0);
    set(LF_POOL_DRIVER_PARAM_FIELD_SHUTDOWN_DRAIN, "shutdown_drain_ms", config.shutdown_drain_ms, params->shutdown_drain_ms);
    set(LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS, "dynamic_streams", config.dynamic_streams, params->dynamic_streams != 0);
    set(LF_POOL_DRIVER_PARAM_FIELD_CONSUMER_ENTRIES, "consumer_entries", config.consumer_entries, params->consumer_entries);
    set(LF_POOL_DRIVER_PARAM_FIELD_MAX_STREAMS_PER_UID, "max_streams_per_uid", config.max_streams_per_uid, params->max_streams_per_uid);
    set(LF_POOL_DRIVER_PARAM_FIELD_MAX_BYTES_PER_UID, "max_bytes_per_uid", config.max_bytes_per_uid, params->max_bytes_per_uid);
    if (m & LF_POOL_DRIVER_PARAM_FIELD_ALLOWED_GROUP) {
      config.allowed_group = static_cast<gid_t>(params->allowed_gid);
      config.origins["allowed_group"] = "params";
    }
    if (m & LF_POOL_DRIVER_PARAM_FIELD_FLAGS) {
      if (params->flags & ~LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT) core::fail(LF_ERR_INVALID_ARGUMENT, "params->flags has unknown bits 0x%x", params->flags);
      use_environment = (params->flags & LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT) == 0;
    }
    if (m & LF_POOL_DRIVER_PARAM_FIELD_PROFILES) {
      if (params->profiles == nullptr && params->profile_count != 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->profiles is NULL");
      for (uint32_t i = 0; i < params->profile_count; ++i) {
        const lf_pool_profile_t &p = params->profiles[i];
        pool::StreamProfile profile;
        profile.name = profile_name(p.name, "params->profiles[].name");
        profile.header_slots = p.header_slots;
        profile.require_hugepages = p.require_hugepages != 0;
        if (p.pool_count > 15) core::fail(LF_ERR_INVALID_ARGUMENT, "profile '%s': pool_count %u is above 15", p.name, p.pool_count);
        for (uint32_t j = 0; j < p.pool_count; ++j) {
          if (p.pools[j].pool_id > 15) core::fail(LF_ERR_INVALID_ARGUMENT, "profile '%s': pool id %u is above 15", p.name, p.pools[j].pool_id);
          profile.pools.push_back({static_cast<uint16_t>(p.pools[j].pool_id), p.pools[j].stride_bytes});
        }
        if (config.profiles.count(profile.name)) core::fail(LF_ERR_INVALID_ARGUMENT, "profile '%s' is defined twice", p.name);
        config.profiles[profile.name] = profile;
      }
    }
    if (m & LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS) {
      if (!config.profiles.count("default")) config.profiles["default"] = pool::default_profile(params->header_slots);
      else config.profiles["default"].header_slots = params->header_slots;
      config.origins["header_slots"] = "params";
    }
    if (m & LF_POOL_DRIVER_PARAM_FIELD_STREAMS) {
      if (params->streams == nullptr && params->stream_count != 0) core::fail(LF_ERR_INVALID_ARGUMENT, "params->streams is NULL");
      for (uint32_t i = 0; i < params->stream_count; ++i)
        config.streams[params->streams[i].stream_id] = profile_name(params->streams[i].profile, "params->streams[].profile");
    }
  }
  pool::finish_driver_config(config, use_environment);
  return config;
}

}  // namespace

extern "C" {

lf_status_t lf_pool_driver_create(lf_context_t *context, const lf_pool_driver_params_t *params, lf_pool_driver_t **out_driver) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_driver, "out_driver");
    auto driver = std::make_unique<pool::Driver>(config_from(ctx->context->config().base_dir, params), *ctx->context->log());
    *out_driver = capi::publish_handle<lf_pool_driver_t>(std::make_shared<DriverObject>(ctx->context, std::move(driver)));
    return LF_OK;
  });
}

lf_status_t lf_pool_driver_destroy(lf_pool_driver_t *driver) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    capi::retire_handle(driver, core::HandleType::pool_driver, "driver");
    return LF_OK;
  });
}

lf_status_t lf_pool_driver_wait(lf_pool_driver_t *driver, int64_t timeout_ms) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto object = capi::acquire<DriverObject>(driver, core::HandleType::pool_driver, "driver");
    return object->driver->wait_stopped(timeout_ms) ? LF_OK : LF_TIMEOUT;
  });
}

lf_status_t lf_pool_driver_request_shutdown(lf_context_t *context, int32_t timeout_ms) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    if (timeout_ms <= 0) core::fail(LF_ERR_INVALID_ARGUMENT, "timeout_ms must be positive");
    pool::request_driver_shutdown(ctx->context->config().base_dir, timeout_ms);
    return LF_OK;
  });
}

lf_status_t lf_pool_driver_describe_config(const lf_pool_driver_params_t *params, char *buffer, size_t size, size_t *out_length) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    const std::string text = pool::describe_driver_config(config_from("", params));
    return capi::copy_text_out(text, buffer, size, out_length, "lf_pool_driver_describe_config");
  });
}

lf_status_t lf_pool_list_streams(lf_context_t *context, lf_pool_stream_status_t *out_streams, uint32_t max_streams,
                                 uint32_t *out_count) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    capi::require_out(out_count, "out_count");
    const size_t stride = capi::versioned_array_stride(out_streams, max_streams, "out_streams");
    const auto streams = pool::list_driver_streams(ctx->context->config().base_dir, 2000);
    for (size_t i = 0; i < streams.size() && i < max_streams; ++i) {
      lf_pool_stream_status_t s{};
      s.stream_id = streams[i].stream_id;
      s.epoch = streams[i].epoch;
      s.producer_pid = streams[i].producer_pid;
      s.consumers = streams[i].consumers;
      s.nslots = streams[i].nslots;
      s.bytes = streams[i].bytes;
      std::snprintf(s.epoch_dir, sizeof s.epoch_dir, "%s", streams[i].epoch_dir.c_str());
      capi::write_versioned(capi::versioned_element(out_streams, stride, i), s, "out_streams[i]");
    }
    *out_count = static_cast<uint32_t>(streams.size());
    return LF_OK;
  });
}

}  // extern "C"

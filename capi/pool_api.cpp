// lf_pool_inspect, lf_pool_read_control: reading region files from outside their stream.
#include "capi/guard.hpp"
#include "capi/handles.hpp"
#include "capi/objects.hpp"
#include "capi/out_params.hpp"
#include "context/context.hpp"
#include "ipc/user_dir.hpp"
#include "pool/inspect.hpp"

#include <lavaflow/pool.h>

using namespace lavaflow;

namespace {

lf_pool_frame_info_t frame_info(const pool::InspectedFrame &f) {
  lf_pool_frame_info_t info{};
  info.slot = f.slot;
  info.seq = f.seq;
  info.timestamp_ns = f.header.timestamp_ns;
  info.values_len_bytes = f.header.values_len_bytes;
  info.payload_slot = f.header.payload_slot;
  info.pool_id = f.header.pool_id;
  info.meta_version = f.header.meta_version;
  info.dtype = f.header.dtype;
  info.major_order = f.header.major_order;
  info.ndims = f.header.ndims;
  info.progress_unit = f.header.progress_unit;
  info.progress_stride_bytes = f.header.progress_stride_bytes;
  for (uint32_t i = 0; i < LF_POOL_MAX_DIMS; ++i) {
    info.dims[i] = f.header.dims[i];
    info.strides[i] = f.header.strides[i];
  }
  return info;
}

}  // namespace

extern "C" {

lf_status_t lf_pool_inspect(lf_context_t *context, const char *path, lf_pool_region_info_t *out_region,
                            lf_pool_frame_info_t *out_frames, uint32_t max_frames, uint32_t *out_frame_count) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    if (path == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "path is NULL");
    capi::require_out(out_region, "out_region");
    const size_t stride = capi::versioned_array_stride(out_frames, max_frames, "out_frames");
    const std::string allowed = ipc::user_dir_path(ctx->context->config().base_dir, nullptr);
    pool::Inspection found = pool::inspect_region(path, allowed, max_frames);
    lf_pool_region_info_t region{};
    const pool::Superblock &sb = found.superblock;
    region.region_type = sb.region_type;
    region.layout_version = sb.layout_version;
    region.stream_id = sb.stream_id;
    region.epoch = sb.epoch;
    region.pool_id = sb.pool_id;
    region.nslots = sb.nslots;
    region.slot_bytes = sb.slot_bytes;
    region.stride_bytes = sb.stride_bytes;
    region.pid = sb.pid;
    region.start_timestamp_ns = sb.start_timestamp_ns;
    region.activity_timestamp_ns = sb.activity_timestamp_ns;
    region.file_bytes = found.file_bytes;
    region.committed_slots = found.committed_slots;
    region.invalid_slots = found.invalid_slots;
    region.newest_seq = found.newest_seq;
    capi::write_versioned(out_region, region, "out_region");
    for (size_t i = 0; i < found.newest.size(); ++i)
      capi::write_versioned(capi::versioned_element(out_frames, stride, i), frame_info(found.newest[i]), "out_frames[i]");
    if (out_frame_count != nullptr) *out_frame_count = static_cast<uint32_t>(found.newest.size());
    return LF_OK;
  });
}

lf_status_t lf_pool_read_control(lf_context_t *context, const char *path, lf_pool_producer_qos_t *out_qos,
                                 lf_pool_consumer_entry_t *out_entries, uint32_t max_entries, uint32_t *out_count) {
  return capi::guarded(__func__, [&]() -> lf_status_t {
    auto ctx = capi::acquire<capi::ContextObject>(context, core::HandleType::context, "context");
    if (path == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "path is NULL");
    capi::require_out(out_qos, "out_qos");
    const size_t stride = capi::versioned_array_stride(out_entries, max_entries, "out_entries");
    const std::string allowed = ipc::user_dir_path(ctx->context->config().base_dir, nullptr);
    const pool::ControlSnapshot snap = pool::read_control_region(path, allowed);
    lf_pool_producer_qos_t qos{};
    qos.meta_version = snap.producer.meta_version;
    qos.stream_id = snap.superblock.stream_id;
    qos.epoch = snap.superblock.epoch;
    qos.published = snap.producer.published;
    qos.frames_published = snap.producer.frames_published;
    qos.bytes_published = snap.producer.bytes_published;
    qos.frames_refused = snap.producer.frames_refused;
    qos.last_publish_ns = snap.producer.last_publish_ns;
    qos.heartbeat_ns = snap.producer.heartbeat_ns;
    qos.pid = snap.producer.pid;
    qos.lease_id = snap.producer.lease;
    qos.waiters = snap.waiters;
    qos.consumer_entries = snap.superblock.nslots;
    capi::write_versioned(out_qos, qos, "out_qos");
    for (size_t i = 0; i < snap.consumers.size() && i < max_entries; ++i) {
      const auto &[index, e] = snap.consumers[i];
      lf_pool_consumer_entry_t entry{};
      entry.index = index;
      entry.mode = static_cast<int32_t>(e.mode);
      entry.lease_id = e.lease;
      entry.client_id = e.client_id;
      entry.pid = e.pid;
      entry.mode_arg = e.mode_arg;
      entry.next_seq = e.last_seq;
      entry.frames_read = e.frames_read;
      entry.drops_gap = e.drops_gap;
      entry.drops_late = e.drops_late;
      entry.skipped = e.skipped;
      entry.invalid = e.invalid;
      entry.heartbeat_ns = e.heartbeat_ns;
      entry.attach_ns = e.attach_ns;
      capi::write_versioned(capi::versioned_element(out_entries, stride, i), entry, "out_entries[i]");
    }
    if (out_count != nullptr) *out_count = static_cast<uint32_t>(snap.consumers.size());
    return LF_OK;
  });
}

const char *lf_dtype_name(int32_t dtype) {
  return dtype < INT16_MIN || dtype > INT16_MAX ? "invalid" : pool::dtype_name(static_cast<int16_t>(dtype));
}

}  // extern "C"

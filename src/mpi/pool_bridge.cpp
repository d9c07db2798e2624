#include "mpi/pool_bridge.hpp"

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "mpi/attachment.hpp"
#include "mpi/pool_bridge_wire.hpp"

#include <lavaflow/lavaflow.h>

#include <algorithm>
#include <cstring>
#include <ctime>

namespace lavaflow::mpi {

namespace {

// (any status but LF_OK: an attach that timed out returns LF_TIMEOUT, a positive status,
// and leaves its handle NULL)
void check(lf_status_t status, const char *what) {
  if (status != LF_OK) core::fail(status, "%s: %s", what, lf_last_error_message());
}

// The largest frame of the stream: its largest payload pool's stride.
uint32_t largest_frame(const lf_pool_stream_info_t &info) {
  uint32_t largest = 0;
  for (uint32_t i = 0; i < std::min<uint32_t>(info.pool_count, 15); ++i) largest = std::max(largest, info.pool_strides[i]);
  return largest;
}

// The channel's ring: the caller's, else one of at least 1 MiB that holds three of the
// largest messages (a ring takes messages up to half its capacity).
lf_channel_params_t bridge_ring(const lf_channel_params_t *given, size_t max_message) {
  lf_channel_params_t ring = given != nullptr ? *given : lf_channel_params_t{};
  if (!(ring.field_mask & LF_CHANNEL_PARAM_FIELD_CAPACITY)) {
    uint64_t capacity = 1u << 20;
    while (capacity / 4 < max_message + 64) capacity <<= 1;
    ring.field_mask |= LF_CHANNEL_PARAM_FIELD_CAPACITY;
    ring.capacity = capacity;
  }
  if (!(ring.field_mask & LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE)) {
    ring.field_mask |= LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE;
    ring.max_message_size = std::max<uint64_t>(max_message, kBridgeMetadataBytes);
  }
  if (ring.max_message_size < max_message)
    core::fail(LF_ERR_INVALID_ARGUMENT, "channel->max_message_size %llu cannot hold the stream's largest frame (%zu bytes with its header)",
               static_cast<unsigned long long>(ring.max_message_size), max_message);
  return ring;
}

}  // namespace

PoolBridge::PoolBridge(Attachment &attachment, lf_mpi_t *mpi, int32_t peer, uint32_t channel_id, int32_t side,
                       uint32_t stream_id, const lf_mpi_pool_bridge_params_t *params)
    : side_(side) {
  if (side != LF_MPI_POOL_BRIDGE_SOURCE && side != LF_MPI_POOL_BRIDGE_SINK)
    core::fail(LF_ERR_INVALID_ARGUMENT, "side %d is not an lf_mpi_pool_bridge_side_t value", side);
  const lf_mpi_pool_bridge_params_t none{};
  const lf_mpi_pool_bridge_params_t &p = params != nullptr ? *params : none;
  constexpr uint64_t kKnown = LF_MPI_POOL_BRIDGE_PARAM_FIELD_CONSUMER | LF_MPI_POOL_BRIDGE_PARAM_FIELD_PRODUCER |
                              LF_MPI_POOL_BRIDGE_PARAM_FIELD_CHANNEL;
  if (p.field_mask & ~kKnown)
    core::fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx",
               static_cast<unsigned long long>(p.field_mask & ~kKnown));
  const bool has_channel = (p.field_mask & LF_MPI_POOL_BRIDGE_PARAM_FIELD_CHANNEL) != 0;
  try {
    lf_pool_stream_info_t info{};
    info.struct_size = sizeof info;
    if (side == LF_MPI_POOL_BRIDGE_SOURCE) {
      const auto *consumer = (p.field_mask & LF_MPI_POOL_BRIDGE_PARAM_FIELD_CONSUMER) ? p.consumer : nullptr;
      check(lf_pool_consumer_attach(attachment.context(), stream_id, consumer, &consumer_), "lf_pool_consumer_attach");
      check(lf_pool_consumer_get_info(consumer_, &info), "lf_pool_consumer_get_info");
    } else {
      const auto *producer = (p.field_mask & LF_MPI_POOL_BRIDGE_PARAM_FIELD_PRODUCER) ? p.producer : nullptr;
      check(lf_pool_producer_attach(attachment.context(), stream_id, producer, &producer_), "lf_pool_producer_attach");
      check(lf_pool_producer_get_info(producer_, &info), "lf_pool_producer_get_info");
    }
    max_message_ = kBridgeFrameHeader + largest_frame(info);
    const lf_channel_params_t ring = bridge_ring(has_channel ? p.channel : nullptr, max_message_);
    check(lf_mpi_channel_open(mpi, peer, channel_id, side == LF_MPI_POOL_BRIDGE_SOURCE ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER,
                              &ring, has_channel ? p.mpi_channel : nullptr, &channel_),
          "lf_mpi_channel_open");
  } catch (...) {
    lf_pool_consumer_detach(consumer_);
    lf_pool_producer_detach(producer_);
    throw;
  }
}

PoolBridge::~PoolBridge() {
  lf_channel_destroy(channel_);  // (the source's close reaches the sink after what it sent)
  lf_pool_consumer_detach(consumer_);
  lf_pool_producer_detach(producer_);
}

lf_status_t PoolBridge::fail(lf_status_t status, std::string why) {
  problem_ = std::move(why);
  return status;
}

std::string PoolBridge::last_error(const char *call) { return core::format_text("%s: %s", call, lf_last_error_message()); }

lf_status_t PoolBridge::lavaflow_error(lf_status_t status, const char *call) { return fail(status, last_error(call)); }

// What is left of one call's timeout: every wait inside the call shares it.
class PoolBridge::Deadline {
 public:
  explicit Deadline(int32_t timeout_ms)
      : forever_(timeout_ms < 0), end_ns_(core::monotonic_ns() + int64_t{std::max(timeout_ms, 0)} * 1000000) {}
  int64_t remaining_ns() const noexcept { return forever_ ? -1 : std::max<int64_t>(0, end_ns_ - core::monotonic_ns()); }
  int32_t remaining_ms() const noexcept {  // (rounded up: a wait never ends before the deadline)
    const int64_t ns = remaining_ns();
    return ns < 0 ? -1 : static_cast<int32_t>((ns + 999999) / 1000000);
  }

 private:
  bool forever_;
  int64_t end_ns_;
};

lf_status_t PoolBridge::forward(uint32_t max_frames, int32_t timeout_ms, uint32_t *out_frames) {
  if (max_frames == 0) return fail(LF_ERR_INVALID_ARGUMENT, "max_frames is 0");
  uint32_t frames = 0;
  const Deadline deadline(timeout_ms);
  const lf_status_t status = side_ == LF_MPI_POOL_BRIDGE_SOURCE ? forward_source(max_frames, deadline, frames)
                                                                 : forward_sink(max_frames, deadline, frames);
  if (out_frames != nullptr) *out_frames = frames;
  return status;
}

// ---- source ----------------------------------------------------------------------------

lf_status_t PoolBridge::send_metadata(const Deadline &deadline) {
  lf_pool_metadata_t metadata{};
  metadata.struct_size = sizeof metadata;
  lf_status_t status = lf_pool_consumer_get_metadata(consumer_, &metadata);
  if (status != LF_OK) return lavaflow_error(status, "lf_pool_consumer_get_metadata");
  if (metadata.version == 0) return LF_OK;
  uint8_t message[kBridgeMetadataBytes];
  encode_bridge_metadata(message, metadata);
  status = lf_channel_send(channel_, message, sizeof message, deadline.remaining_ms());
  if (status != LF_OK) return lavaflow_error(status, "lf_channel_send");
  sent_meta_version_ = metadata.version;
  ++metadata_;
  return LF_OK;
}

lf_status_t PoolBridge::forward_source(uint32_t max_frames, const Deadline &deadline, uint32_t &frames) {
  while (frames < max_frames) {
    // Room for the largest frame first: a frame is held (and may be overwritten) only while
    // it is copied, never while the channel is full.
    void *room = nullptr;
    lf_status_t status = lf_channel_reserve(channel_, max_message_, deadline.remaining_ms(), &room);
    if (status == LF_TIMEOUT || status == LF_WOULD_BLOCK) break;
    if (status != LF_OK) return lavaflow_error(status, "lf_channel_reserve");
    lf_pool_view_t view{};
    view.struct_size = sizeof view;
    status = lf_pool_consumer_wait(consumer_, &view, deadline.remaining_ns());
    if (status == LF_TIMEOUT || status == LF_WOULD_BLOCK || status == LF_EPOCH_CHANGED) {
      lf_channel_abort(channel_);
      if (status == LF_EPOCH_CHANGED) continue;
      break;
    }
    if (status != LF_OK) {
      lf_channel_abort(channel_);
      return lavaflow_error(status, "lf_pool_consumer_wait");
    }
    if (kBridgeFrameHeader + view.bytes > max_message_) {  // (the pool validated bytes against its stride)
      lf_pool_consumer_release(consumer_);
      lf_channel_abort(channel_);
      return fail(LF_ERR_CORRUPT, "a frame larger than the stream's largest pool");
    }
    if (view.tensor.meta_version != 0 && view.tensor.meta_version != sent_meta_version_) {
      // The metadata the frame refers to goes first (rare: the frame is held meanwhile, and
      // the release below tells whether it stayed intact).
      lf_channel_abort(channel_);
      status = send_metadata(deadline);
      if (status == LF_OK) {
        status = lf_channel_reserve(channel_, max_message_, deadline.remaining_ms(), &room);
        if (status != LF_OK) lavaflow_error(status, "lf_channel_reserve");
      }
      if (status != LF_OK) {  // (the frame is given up: a drop)
        lf_pool_consumer_release(consumer_);
        ++given_up_;
        return status;
      }
    }
    auto *out = static_cast<uint8_t *>(room);
    encode_bridge_frame(out, view);
    if (view.bytes > 0) std::memcpy(out + kBridgeFrameHeader, view.payload, view.bytes);
    if (lf_pool_consumer_release(consumer_) != LF_OK) {  // torn while copied: a drop (counted by the pool)
      lf_channel_abort(channel_);
      continue;
    }
    status = lf_channel_commit(channel_, kBridgeFrameHeader + view.bytes);
    if (status != LF_OK) return lavaflow_error(status, "lf_channel_commit");
    ++frames;
    ++frames_;
    payload_bytes_ += view.bytes;
  }
  return frames > 0 ? LF_OK : fail(LF_TIMEOUT, "no frame of the stream in time");
}

// ---- sink ------------------------------------------------------------------------------

// A message the sink cannot publish stops it for good: the message is dropped and counted.
lf_status_t PoolBridge::stop(lf_status_t status, std::string why) {
  lf_channel_release(channel_);
  ++rejected_;
  stop_status_ = status;
  return fail(status, std::move(why));
}

// A producer whose lease the driver revoked (it missed keepalives: a starved process) takes
// a new one by itself, in milliseconds; meanwhile publishing says LF_ERR_CLOSED. The bridge
// waits for it within the call's deadline — at most kLeaseRetakeWaitMs of a call that waits
// forever, so that a driver gone for good cannot hang it.
lf_status_t PoolBridge::publish_through_lease_retake(const BridgeMessage &message, const Deadline &deadline) {
  constexpr int64_t kLeaseRetakeWaitMs = 10000, kRetryNs = 1000000;
  lf_status_t status = lf_pool_producer_publish(producer_, &message.tensor, message.payload, message.bytes);
  if (status != LF_ERR_CLOSED) return status;  // (the common case: no clock read)
  const int64_t give_up_ns = core::monotonic_ns() + kLeaseRetakeWaitMs * 1000000;
  for (;;) {
    const int64_t left = deadline.remaining_ns();
    if (left == 0 || core::monotonic_ns() >= give_up_ns) return status;
    const int64_t nap = left < 0 ? kRetryNs : std::min(left, kRetryNs);
    const timespec pause{0, static_cast<long>(nap)};
    nanosleep(&pause, nullptr);
    status = lf_pool_producer_publish(producer_, &message.tensor, message.payload, message.bytes);
    if (status != LF_ERR_CLOSED) return status;
  }
}

lf_status_t PoolBridge::forward_sink(uint32_t max_frames, const Deadline &deadline, uint32_t &frames) {
  if (stop_status_ != LF_OK) return fail(stop_status_, problem_);
  while (frames < max_frames) {
    const void *data = held_data_;  // (a frame an earlier call could not publish yet: still peeked)
    size_t size = held_size_;
    held_data_ = nullptr;
    lf_status_t status = LF_OK;
    if (data == nullptr) status = lf_channel_peek(channel_, deadline.remaining_ms(), &data, &size);
    if (status == LF_TIMEOUT || status == LF_WOULD_BLOCK) break;
    if (status == LF_END_OF_STREAM) {
      if (frames > 0) return LF_OK;  // (the next call says it)
      return fail(LF_END_OF_STREAM, "the source's end was destroyed; everything it sent is published");
    }
    if (status != LF_OK) return lavaflow_error(status, "lf_channel_peek");
    BridgeMessage message;
    if (const char *problem = decode_bridge_message(static_cast<const uint8_t *>(data), size, message))
      return stop(LF_ERR_PROTOCOL, core::format_text("the bridge stopped: a message from the source was rejected: %s; "
                                                     "nothing of it was published", problem));
    if (message.kind == kBridgeMetadata) {
      status = lf_pool_producer_set_metadata(producer_, &message.metadata);
      if (status != LF_OK) return stop(status, last_error("lf_pool_producer_set_metadata"));
      ++metadata_;
    } else {
      status = publish_through_lease_retake(message, deadline);
      if (status == LF_ERR_CLOSED) {
        held_data_ = data;  // kept peeked: the next call publishes it first
        held_size_ = size;
        if (frames > 0) return LF_OK;
        return fail(LF_TIMEOUT, "the sink's pool lease is being taken again (its driver revoked it) and was not back in "
                                "time; the frame is kept for the next call");
      }
      if (status != LF_OK) return stop(status, last_error("lf_pool_producer_publish"));
      ++frames;
      ++frames_;
      payload_bytes_ += message.bytes;
    }
    lf_channel_release(channel_);
  }
  return frames > 0 ? LF_OK : fail(LF_TIMEOUT, "no frame from the source in time");
}

void PoolBridge::stats(lf_mpi_pool_bridge_stats_t &out) {
  out = lf_mpi_pool_bridge_stats_t{};
  out.side = side_;
  out.frames = frames_;
  out.payload_bytes = payload_bytes_;
  out.metadata = metadata_;
  out.rejected = rejected_;
  if (consumer_ != nullptr) {
    lf_pool_counters_t counters{};
    counters.struct_size = sizeof counters;
    if (lf_pool_consumer_get_counters(consumer_, &counters) == LF_OK)
      out.source_drops = counters.drops_gap + counters.drops_late + counters.invalid + given_up_;
  }
}

}  // namespace lavaflow::mpi

#include "pool/producer.hpp"

#include "core/error.hpp"
#include "core/clock.hpp"


namespace lavaflow::pool {

Producer::Producer(std::shared_ptr<const context::Context> context, SessionOptions options) {
  options.request.role = protocol::Role::producer;
  session_ = std::make_unique<DriverSession>(std::move(context), std::move(options));
  follow_epoch();
}

void Producer::follow_epoch() noexcept {
  uint64_t generation = 0;
  std::shared_ptr<EpochMapping> next = session_->mapping(generation);  // a mutex: only when the generation moved
  generation_ = generation;
  if (next == mapping_) return;
  mapping_ = std::move(next);
  writer_.emplace(mapping_->stream());
  // A new epoch starts at sequence 0: its files are new. What consumers had not read of the old
  // one they count as dropped.
  seq_ = mapping_->control().u64(control_offset::published).load(std::memory_order_acquire);
  if (meta_) {
    try {
      write_metadata(mapping_->control(), *meta_);
    } catch (...) {
    }
  }
  const ControlView control = mapping_->control();
  control.u64(control_offset::producer_lease).store(session_->lease_id(), std::memory_order_relaxed);
}

lf_status_t Producer::claim(uint32_t bytes, uint8_t **out_payload) noexcept {
  if (writer_ && writer_->claimed()) {
    problem_ = "a frame is claimed already: commit or abort it first";
    return LF_ERR_INVALID_STATE;
  }
  if (session_->generation() != generation_) follow_epoch();
  if (session_->revoked()) {
    problem_ = "the driver revoked this producer's lease; it is being taken again (retry later)";
    return LF_ERR_CLOSED;
  }
  const lf_status_t status = writer_->claim(seq_, bytes, out_payload);
  if (status != LF_OK) {
    problem_ = "the frame is larger than every payload pool of the stream (see lf_pool_producer_get_info)";
    const ControlView control = mapping_->control();
    control.u64(control_offset::frames_refused).store(control.u64(control_offset::frames_refused).load(std::memory_order_relaxed) + 1,
                                                       std::memory_order_relaxed);
    return LF_ERR_LIMIT;
  }
  return LF_OK;
}

lf_status_t Producer::commit(SlotHeader header) noexcept {
  if (!writer_ || !writer_->claimed()) {
    problem_ = "no frame is claimed";
    return LF_ERR_INVALID_STATE;
  }
  if (header.values_len_bytes > writer_->claimed_bytes()) {
    problem_ = "the frame is longer than the claimed size";
    return LF_ERR_INVALID_ARGUMENT;
  }
  if (header.meta_version == 0 && meta_) header.meta_version = meta_->version;
  if (header.timestamp_ns == 0) header.timestamp_ns = static_cast<uint64_t>(core::monotonic_ns());
  alignas(8) uint8_t image[kSlotBytes];
  if (const char *problem = writer_->prepare(header, image)) {
    problem_ = problem;
    return LF_ERR_INVALID_ARGUMENT;
  }
  writer_->commit_prepared(image);
  const ControlView control = mapping_->control();
  namespace o = control_offset;
  // Published, then the wake word: both sequentially consistent, so that a consumer that
  // announced its sleep before checking `published` is either seen here or sees the frame.
  control.u64(o::published).store(seq_ + 1, std::memory_order_seq_cst);
  ++seq_;
  control.u64(o::frames_published).store(control.u64(o::frames_published).load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  control.u64(o::bytes_published).store(control.u64(o::bytes_published).load(std::memory_order_relaxed) + header.values_len_bytes,
                                        std::memory_order_relaxed);
  wake_sleepers(control);
  return LF_OK;
}

void Producer::abandon() noexcept {
  if (!writer_ || !writer_->claimed()) return;
  writer_->abandon();
}

void Producer::set_metadata(StreamMetadata meta) {
  validate_metadata(meta);
  meta.version = (meta_ ? meta_->version : 0) + 1;
  if (session_->generation() != generation_) follow_epoch();
  write_metadata(mapping_->control(), meta);
  meta_ = std::move(meta);
}

}  // namespace lavaflow::pool

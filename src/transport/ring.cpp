#include "transport/ring.hpp"

namespace lavaflow::transport {

lf_status_t ProducerRing::attach(const RingView &view) noexcept {
  view_ = view;
  mask_ = view.capacity - 1;
  tail_ = view.control->tail.load(std::memory_order_relaxed);
  head_cache_ = view.control->head.load(std::memory_order_acquire);
  reserved_ = false;
  ahead_first_ = ahead_count_ = 0;
  return ring_indices_possible(head_cache_, tail_, view.capacity) ? LF_OK : LF_ERR_CORRUPT;
}

lf_status_t ProducerRing::try_reserve_ahead(size_t size, void **out_data) noexcept {
  if (ahead_count_ == kMaxAhead) return LF_ERR_LIMIT;
  Reservation &slot = ahead_[(ahead_first_ + ahead_count_) % kMaxAhead];
  const lf_status_t status = find_room(ahead_count_ == 0 ? tail_ : ahead_end_, size, slot);
  if (status != LF_OK) return status;
  ahead_end_ = slot.record_at + record_bytes(size);
  ++ahead_count_;
  *out_data = view_.data + (slot.record_at & mask_) + kRecordHeaderBytes;
  return LF_OK;
}

size_t ProducerRing::commit_oldest(bool seq_cst) noexcept {
  const Reservation &oldest = ahead_[ahead_first_];
  publish(oldest, oldest.size, seq_cst, kRecordData);
  ahead_first_ = (ahead_first_ + 1) % kMaxAhead;
  --ahead_count_;
  return oldest.size;
}

lf_status_t ConsumerRing::attach(const RingView &view) noexcept {
  view_ = view;
  mask_ = view.capacity - 1;
  head_ = view.control->head.load(std::memory_order_relaxed);
  peeked_bytes_ = 0;
  ahead_ = head_;
  ahead_count_ = 0;
  // (the tail is only ever stored after the records it covers, and only we move the head)
  const uint64_t tail = view.control->tail.load(std::memory_order_acquire);
  return ring_indices_possible(head_, tail, view.capacity) ? LF_OK : LF_ERR_CORRUPT;
}

lf_status_t ConsumerRing::try_peek_ahead(const void **out_data, size_t *out_size, RecordType *out_type) noexcept {
  if (ahead_count_ == kMaxAhead) return LF_ERR_LIMIT;
  uint64_t position = ahead_count_ == 0 ? head_ : ahead_;
  uint64_t bytes = 0;
  const lf_status_t status = inspect(position, out_data, out_size, out_type, &bytes);
  if (status != LF_OK) return status;
  ahead_ = position + bytes;
  ++ahead_count_;
  return LF_OK;
}

bool ConsumerRing::take_back() noexcept {
  if (ahead_count_ != 0 || peeked_bytes_ != 0) return false;
  const void *data = nullptr;
  size_t size = 0;
  RecordType type;
  uint64_t bytes = 0;
  uint64_t position = head_;
  if (inspect(position, &data, &size, &type, &bytes) != LF_WOULD_BLOCK) return false;  // a message (or garbage) is left
  // inspect() stopped at the first position with nothing committed: past any padding.
  head_ = position;
  ahead_ = head_;
  view_.control->space_waiting.store(0, std::memory_order_relaxed);
  view_.control->producer_identity_bytes.store(0, std::memory_order_relaxed);
  view_.control->tail.store(head_, std::memory_order_relaxed);
  view_.control->head.store(head_, std::memory_order_relaxed);  // (the caller frees the slot with a release store)
  return true;
}

bool ConsumerRing::release_oldest(bool seq_cst, size_t *out_size) noexcept {
  // The oldest record was inspected when it was peeked; its header stays until head_ moves.
  const void *data = nullptr;
  RecordType type;
  uint64_t bytes = 0;
  *out_size = 0;
  if (inspect(head_, &data, out_size, &type, &bytes) == LF_OK) head_ += bytes;
  --ahead_count_;
  return publish_head(seq_cst);
}

}  // namespace lavaflow::transport

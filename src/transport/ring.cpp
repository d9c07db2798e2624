#include "transport/ring.hpp"

#include <cstring>

namespace lavaflow::transport {

namespace {

void write_header(uint8_t *at, uint32_t length, uint16_t type) noexcept {
  uint8_t header[kRecordHeaderBytes] = {};
  std::memcpy(header, &length, 4);
  std::memcpy(header + 4, &type, 2);
  std::memcpy(at, header, sizeof header);
}

}  // namespace

void ProducerRing::attach(const RingView &view) noexcept {
  view_ = view;
  mask_ = view.capacity - 1;
  tail_ = view.control->tail.load(std::memory_order_relaxed);
  head_cache_ = view.control->head.load(std::memory_order_acquire);
  reserved_ = false;
}

lf_status_t ProducerRing::try_reserve(size_t size, void **out_data) noexcept {
  const uint64_t need = record_bytes(size);
  const uint64_t offset = tail_ & mask_;
  const uint64_t contiguous = view_.capacity - offset;
  const uint64_t padding = contiguous < need ? contiguous : 0;
  const uint64_t total = padding + need;
  if (tail_ + total - head_cache_ > view_.capacity) {
    uint64_t head = view_.control->head.load(std::memory_order_seq_cst);  // Dekker pair with release()
    if (head > tail_ || tail_ - head > view_.capacity) return LF_ERR_CORRUPT;  // the consumer's head is impossible
    head_cache_ = head;
    if (tail_ + total - head_cache_ > view_.capacity) return LF_WOULD_BLOCK;
  }
  padding_from_ = tail_;
  record_at_ = tail_ + padding;
  reserved_size_ = size;
  reserved_ = true;
  *out_data = view_.data + (record_at_ & mask_) + kRecordHeaderBytes;
  return LF_OK;
}

void ProducerRing::commit(size_t size) noexcept {
  if (record_at_ != padding_from_)
    write_header(view_.data + (padding_from_ & mask_), static_cast<uint32_t>(record_at_ - padding_from_ - kRecordHeaderBytes),
                 kRecordPadding);
  write_header(view_.data + (record_at_ & mask_), static_cast<uint32_t>(size), kRecordData);
  tail_ = record_at_ + record_bytes(size);
  // Publishes header and payload. seq_cst, not just release: with the consumer's seq_cst
  // store of its waiting flag and load of `tail`, it forms the Dekker pair that lets the
  // consumer sleep without missing a message (channel.cpp, wait()).
  view_.control->tail.store(tail_, std::memory_order_seq_cst);
  reserved_ = false;
}

void ConsumerRing::attach(const RingView &view) noexcept {
  view_ = view;
  mask_ = view.capacity - 1;
  head_ = view.control->head.load(std::memory_order_relaxed);
  tail_cache_ = head_;
  peeked_bytes_ = 0;
}

lf_status_t ConsumerRing::try_peek(const void **out_data, size_t *out_size) noexcept {
  for (;;) {
    if (head_ == tail_cache_) {
      uint64_t tail = view_.control->tail.load(std::memory_order_seq_cst);  // Dekker pair with commit()
      if (tail < head_ || tail - head_ > view_.capacity) return LF_ERR_CORRUPT;  // the producer's tail is impossible
      tail_cache_ = tail;
      if (head_ == tail_cache_) return LF_WOULD_BLOCK;
    }
    const uint64_t offset = head_ & mask_;
    const uint64_t available = tail_cache_ - head_;
    if (available < kRecordHeaderBytes) return LF_ERR_CORRUPT;
    uint32_t length;
    uint16_t type;
    const uint8_t *at = view_.data + offset;
    std::memcpy(&length, at, 4);
    std::memcpy(&type, at + 4, 2);
    if (type == kRecordPadding) {
      // Padding always runs to the end of the ring.
      if (length != view_.capacity - offset - kRecordHeaderBytes || available < length + kRecordHeaderBytes)
        return LF_ERR_CORRUPT;
      head_ += length + kRecordHeaderBytes;
      continue;
    }
    const uint64_t bytes = record_bytes(length);
    if (type != kRecordData || length > view_.max_message || bytes > available || offset + bytes > view_.capacity)
      return LF_ERR_CORRUPT;
    peeked_bytes_ = bytes;
    *out_data = at + kRecordHeaderBytes;
    *out_size = length;
    return LF_OK;
  }
}

bool ConsumerRing::release() noexcept {
  head_ += peeked_bytes_;
  peeked_bytes_ = 0;
  view_.control->head.store(head_, std::memory_order_seq_cst);  // then see whether the producer sleeps
  return view_.control->space_waiting.load(std::memory_order_seq_cst) != 0;
}

}  // namespace lavaflow::transport

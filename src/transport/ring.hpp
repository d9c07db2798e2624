// One single-producer, single-consumer byte ring (layout: ring_layout.hpp). Records are
// 8-byte aligned with an 8-byte header; a record that would straddle the end is preceded by a
// padding record, so every payload is contiguous and can be handed out as a pointer.
// Hot-path calls return statuses and never throw, allocate or make system calls.
#pragma once

#include "transport/ring_layout.hpp"

#include <lavaflow/status.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::transport {

struct RingView {
  RingControl *control = nullptr;
  uint8_t *data = nullptr;
  uint64_t capacity = 0;
  uint64_t max_message = 0;
};

class ProducerRing {
 public:
  void attach(const RingView &view) noexcept;

  // Room for `size` bytes: LF_OK with a pointer, LF_WOULD_BLOCK when full, LF_ERR_CORRUPT
  // when the consumer's head is impossible.
  lf_status_t try_reserve(size_t size, void **out_data) noexcept;
  // Publishes the reserved record with its final size (<= reserved).
  void commit(size_t size) noexcept;
  void abort() noexcept { reserved_ = false; }
  bool reserved() const noexcept { return reserved_; }
  size_t reserved_size() const noexcept { return reserved_size_; }
  RingControl *control() const noexcept { return view_.control; }

 private:
  RingView view_;
  uint64_t mask_ = 0;
  uint64_t tail_ = 0;        // our published position (we are the only writer)
  uint64_t head_cache_ = 0;  // last head seen: reloaded only when the ring looks full
  uint64_t record_at_ = 0;   // where the reserved record's header goes
  uint64_t padding_from_ = 0;  // a padding record starts here (== record_at_ if none)
  size_t reserved_size_ = 0;
  bool reserved_ = false;
};

class ConsumerRing {
 public:
  void attach(const RingView &view) noexcept;

  // The next data record: LF_OK with pointer and size, LF_WOULD_BLOCK when empty,
  // LF_ERR_CORRUPT when the producer's tail or a record header is impossible.
  lf_status_t try_peek(const void **out_data, size_t *out_size) noexcept;
  // Frees the peeked record. Returns true if the producer should be woken (it may sleep).
  bool release() noexcept;
  bool empty() const noexcept { return view_.control->tail.load(std::memory_order_acquire) == head_; }
  RingControl *control() const noexcept { return view_.control; }

 private:
  RingView view_;
  uint64_t mask_ = 0;
  uint64_t head_ = 0;
  uint64_t tail_cache_ = 0;
  uint64_t peeked_bytes_ = 0;  // record size of the peeked message, 0 if none
};

}  // namespace lavaflow::transport

// One single-producer, single-consumer byte ring (layout: ring_layout.hpp). Records are
// 16-byte aligned with a 16-byte header; a record that would straddle the end is preceded by a
// padding record, so every payload is contiguous and can be handed out as a pointer.
//
// A record publishes itself: the last word the producer stores is the header's commit word
// (the record's position + 1), and the consumer polls the header at its head. A message
// therefore crosses between the cores in one cache-line transfer, not two (a separate tail
// index would need its own). Stale headers of earlier laps, and zeroed memory, can never
// carry the awaited commit word.
//
// Hot-path calls return statuses and never throw, allocate or make system calls.
#pragma once

#include "transport/ring_layout.hpp"

#include <lavaflow/status.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace lavaflow::transport {

// The header's commit word: an aligned u64 shared with the other process.
static_assert(std::atomic_ref<uint64_t>::required_alignment <= 16, "records are 16-byte aligned");
inline std::atomic_ref<uint64_t> commit_word(uint8_t *header) noexcept {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(header));
}

struct RingView {
  RingControl *control = nullptr;
  uint8_t *data = nullptr;
  uint64_t capacity = 0;
  uint64_t max_message = 0;
};

class ProducerRing {
 public:
  // Takes the ring over where the shared indices say it stands: LF_OK, or LF_ERR_CORRUPT when
  // they are impossible (ring_indices_possible), and then the ring must not be used.
  lf_status_t attach(const RingView &view) noexcept;

  // Room for `size` bytes: LF_OK with a pointer, LF_WOULD_BLOCK when full, LF_ERR_CORRUPT
  // when the consumer's head is impossible.
  lf_status_t try_reserve(size_t size, void **out_data) noexcept;
  // Publishes the reserved record with its final size (<= reserved) and its type (a message
  // record: data, buffer or forget). `seq_cst`: publish with a full barrier, for a consumer
  // that may sleep without a heavy fence (channel.cpp, wait()).
  void commit(size_t size, bool seq_cst, RecordType type = kRecordData) noexcept;
  void abort() noexcept { reserved_ = false; }

  // Reserving ahead (a bridge's add-on end, extension.h): up to kMaxAhead reservations open
  // at once, each published in order with the size it was reserved with. The add-on receives
  // several messages into the ring at once and commits each when its last chunk is in.
  lf_status_t try_reserve_ahead(size_t size, void **out_data) noexcept;
  size_t commit_oldest(bool seq_cst) noexcept;  // its size (callers check ahead_count() > 0)
  void abort_ahead() noexcept { ahead_count_ = 0; }
  uint32_t ahead_count() const noexcept { return ahead_count_; }
  static constexpr uint32_t kMaxAhead = 64;

  // Whether the consumer's head moved since we last looked (a waiting producer's spin hint).
  bool space_may_have_grown() const noexcept {
    return view_.control->head.load(std::memory_order_relaxed) != head_cache_;
  }
  // Bytes of committed records the consumer has not released yet (0: it took everything).
  uint64_t queued_bytes() const noexcept { return tail_ - view_.control->head.load(std::memory_order_acquire); }
  bool reserved() const noexcept { return reserved_; }
  size_t reserved_size() const noexcept { return reservation_.size; }
  RingControl *control() const noexcept { return view_.control; }

 private:
  struct Reservation {
    uint64_t padding_from = 0;  // a padding record starts here (== record_at if none)
    uint64_t record_at = 0;     // the record's header
    size_t size = 0;
  };
  // Room for a `size`-byte record starting at `position` (padding first if it would
  // straddle the end): LF_OK, LF_WOULD_BLOCK or LF_ERR_CORRUPT.
  lf_status_t find_room(uint64_t position, size_t size, Reservation &out) noexcept;
  void publish(const Reservation &record, size_t size, bool seq_cst, RecordType type) noexcept;

  RingView view_;
  uint64_t mask_ = 0;
  uint64_t tail_ = 0;          // where our next record goes (we are the only writer)
  uint64_t head_cache_ = 0;    // last head seen: reloaded only when the ring looks full
  Reservation reservation_;
  bool reserved_ = false;
  Reservation ahead_[kMaxAhead];  // reserved ahead, oldest at ahead_first_
  uint32_t ahead_first_ = 0, ahead_count_ = 0;
  uint64_t ahead_end_ = 0;  // after the newest reservation made ahead
};

class ConsumerRing {
 public:
  // As ProducerRing::attach: LF_ERR_CORRUPT when the shared indices are impossible.
  lf_status_t attach(const RingView &view) noexcept;

  // The next message record (padding is skipped): LF_OK with pointer, size and type,
  // LF_WOULD_BLOCK when none is committed, LF_ERR_CORRUPT when a committed header is impossible.
  lf_status_t try_peek(const void **out_data, size_t *out_size, RecordType *out_type) noexcept;
  // Frees the peeked record. Returns true if the producer should be woken (it may sleep).
  // `seq_cst` as for ProducerRing::commit.
  bool release(bool seq_cst) noexcept;

  // Peeking ahead (a bridge's add-on end, extension.h): the message after the last one
  // peeked ahead, while those stay unreleased; release_oldest() frees them in order and
  // says the freed message's size. Not mixed with try_peek()/release(). Up to kMaxAhead.
  lf_status_t try_peek_ahead(const void **out_data, size_t *out_size, RecordType *out_type) noexcept;
  bool release_oldest(bool seq_cst, size_t *out_size) noexcept;  // (callers check ahead_count() > 0)
  uint32_t ahead_count() const noexcept { return ahead_count_; }
  static constexpr uint32_t kMaxAhead = ProducerRing::kMaxAhead;

  // Whether a record is committed at our head (padding counts: it leads to one). Inline: it
  // is what a waiting consumer spins on.
  bool has_record() const noexcept {
    return commit_word(view_.data + (head_ & mask_)).load(std::memory_order_seq_cst) == head_ + 1;
  }
  RingControl *control() const noexcept { return view_.control; }

  // Makes the ring ready for a new producer after its own closed or died, once the consumer
  // has taken every message it committed: false (nothing changed) while a message is still
  // committed at the head. A padding record at the head (published just before a record that
  // never was) is passed, and the shared tail set to where the consumer stands, so that the
  // next producer continues there: positions only grow, and no stale commit word can ever
  // match one of its records. Its half-written reservation, if any, is simply overwritten.
  bool take_back() noexcept;

 private:
  // The message record at `position`, after any padding (position moves past it).
  lf_status_t inspect(uint64_t &position, const void **out_data, size_t *out_size, RecordType *out_type,
                      uint64_t *out_bytes) noexcept;
  bool publish_head(bool seq_cst) noexcept;

  RingView view_;
  uint64_t mask_ = 0;
  uint64_t head_ = 0;
  uint64_t peeked_bytes_ = 0;  // record size of the peeked message, 0 if none
  uint64_t ahead_ = 0;         // after the last record peeked ahead
  uint32_t ahead_count_ = 0;
};

// ---- the hot path, inline so that it compiles into the channel's calls ----------------

// The memory order is a template argument, not a runtime value: compilers treat a runtime
// order as seq_cst.
template <std::memory_order order>
inline void write_record_header(uint8_t *at, uint64_t position, uint32_t length, uint16_t type) noexcept {
  uint8_t rest[8] = {};
  std::memcpy(rest, &length, 4);
  std::memcpy(rest + 4, &type, 2);
  std::memcpy(at + 8, rest, sizeof rest);
  commit_word(at).store(position + 1, order);  // last: publishes the record
}

inline lf_status_t ProducerRing::find_room(uint64_t position, size_t size, Reservation &out) noexcept {
  const uint64_t need = record_bytes(size);
  const uint64_t offset = position & mask_;
  const uint64_t contiguous = view_.capacity - offset;
  const uint64_t padding = contiguous < need ? contiguous : 0;
  const uint64_t end = position + padding + need;
  if (end - head_cache_ > view_.capacity) {
    uint64_t head = view_.control->head.load(std::memory_order_seq_cst);  // Dekker pair with release()
    if (!ring_indices_possible(head, tail_, view_.capacity)) return LF_ERR_CORRUPT;  // the consumer's head is impossible
    head_cache_ = head;
    if (end - head_cache_ > view_.capacity) return LF_WOULD_BLOCK;
  }
  out.padding_from = position;
  out.record_at = position + padding;
  out.size = size;
  return LF_OK;
}

inline lf_status_t ProducerRing::try_reserve(size_t size, void **out_data) noexcept {
  const lf_status_t status = find_room(tail_, size, reservation_);
  if (status != LF_OK) return status;
  reserved_ = true;
  *out_data = view_.data + (reservation_.record_at & mask_) + kRecordHeaderBytes;
  return LF_OK;
}

inline void ProducerRing::publish(const Reservation &record, size_t size, bool seq_cst, RecordType type) noexcept {
  if (record.record_at != record.padding_from)  // published before the record it leads to
    write_record_header<std::memory_order_release>(view_.data + (record.padding_from & mask_), record.padding_from,
                                                   static_cast<uint32_t>(record.record_at - record.padding_from - kRecordHeaderBytes),
                                                   kRecordPadding);
  // With the consumer's store of its waiting flag and its load of this word, the store here
  // and the caller's load of that flag form the Dekker pair that lets the consumer sleep
  // without missing a message (channel.cpp, wait()): seq_cst, unless the consumer runs a
  // heavy fence before it sleeps.
  uint8_t *header = view_.data + (record.record_at & mask_);
  if (seq_cst)
    write_record_header<std::memory_order_seq_cst>(header, record.record_at, static_cast<uint32_t>(size), type);
  else
    write_record_header<std::memory_order_release>(header, record.record_at, static_cast<uint32_t>(size), type);
  tail_ = record.record_at + record_bytes(size);
  view_.control->tail.store(tail_, std::memory_order_relaxed);  // for monitoring only
}

inline void ProducerRing::commit(size_t size, bool seq_cst, RecordType type) noexcept {
  publish(reservation_, size, seq_cst, type);
  reserved_ = false;
}

inline lf_status_t ConsumerRing::inspect(uint64_t &position, const void **out_data, size_t *out_size,
                                         RecordType *out_type, uint64_t *out_bytes) noexcept {
  for (;;) {
    const uint64_t offset = position & mask_;
    uint8_t *at = view_.data + offset;
    // seq_cst: the Dekker pair with the producer's commit (see commit()).
    if (commit_word(at).load(std::memory_order_seq_cst) != position + 1) return LF_WOULD_BLOCK;
    uint32_t length;
    uint16_t type;
    std::memcpy(&length, at + 8, 4);
    std::memcpy(&type, at + 12, 2);
    if (type == kRecordPadding) {
      // Padding always runs to the end of the ring.
      if (length != view_.capacity - offset - kRecordHeaderBytes) return LF_ERR_CORRUPT;
      position += length + kRecordHeaderBytes;
      continue;
    }
    const uint64_t bytes = record_bytes(length);
    if ((type != kRecordData && type != kRecordBuffer && type != kRecordForget) || length > view_.max_message ||
        offset + bytes > view_.capacity)
      return LF_ERR_CORRUPT;
    *out_type = static_cast<RecordType>(type);
    *out_bytes = bytes;
    *out_data = at + kRecordHeaderBytes;
    *out_size = length;
    return LF_OK;
  }
}

inline lf_status_t ConsumerRing::try_peek(const void **out_data, size_t *out_size, RecordType *out_type) noexcept {
  return inspect(head_, out_data, out_size, out_type, &peeked_bytes_);
}

inline bool ConsumerRing::publish_head(bool seq_cst) noexcept {
  // Then see whether the producer sleeps: the same Dekker pair as in commit(), the other way.
  // (Literal orders: compilers treat a runtime order as seq_cst.)
  if (seq_cst) {
    view_.control->head.store(head_, std::memory_order_seq_cst);
    return view_.control->space_waiting.load(std::memory_order_seq_cst) != 0;
  }
  view_.control->head.store(head_, std::memory_order_release);
  std::atomic_signal_fence(std::memory_order_seq_cst);  // the compiler must not hoist the load either
  return view_.control->space_waiting.load(std::memory_order_relaxed) != 0;
}

inline bool ConsumerRing::release(bool seq_cst) noexcept {
  head_ += peeked_bytes_;
  peeked_bytes_ = 0;
  return publish_head(seq_cst);
}

}  // namespace lavaflow::transport

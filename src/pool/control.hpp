// lavaflow's control region (region_type 3; docs/wire-formats.md "Tensor pool control region"):
// one per stream epoch, next to the header ring. It carries what the spec's FrameDescriptor,
// QosProducer, QosConsumer and DataSourceMeta messages carry, as counters any process can read
// at any time: the producer's published sequence (a cache line of its own), a futex word with a
// waiter count (the producer makes a system call only when a consumer sleeps), the producer's
// QoS, the stream metadata (seqlocked), and a table of consumer entries.
//
// The driver creates the file and writes the superblock and the identity fields of consumer
// entries; the producer writes its lines and the metadata; each consumer writes only its own
// entry's counters. All shared words are accessed as aligned atomics.
#pragma once

#include "pool/wire.hpp"

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace lavaflow::pool {

namespace control_offset {
constexpr size_t published = 64;  // u64: frames published = the next sequence (its own cache line)
// u32 futex word (bit 0: a consumer sleeps or is about to; bits 1..: wake count), u32 sleeping consumers
constexpr size_t wake_word = 128, waiters = 132;
// Producer QoS line.
constexpr size_t frames_published = 192, bytes_published = 200, frames_refused = 208, last_publish_ns = 216,
                 producer_pid = 224, producer_heartbeat_ns = 232, producer_lease = 240, meta_version = 248;
// u32: the clock every timestamp of the stream's regions was read from (ClockDomain)
constexpr size_t clock_domain = 252;
// Stream metadata: seqlock word (odd while written), version, length, then the encoded record.
constexpr size_t meta_seq = 256, meta_record_version = 264, meta_bytes = 268, meta_data = 272;
constexpr size_t meta_capacity = 4096 - meta_data;
constexpr size_t consumers = 4096;  // the consumer table: nslots entries of kConsumerEntryBytes
}  // namespace control_offset

// The spec's ClockDomain: lavaflow writes MONOTONIC (the host's CLOCK_MONOTONIC).
enum ClockDomain : uint32_t { kClockMonotonic = 1, kClockRealtimeSynced = 2 };

constexpr uint32_t kConsumerEntryBytes = 128;
constexpr uint32_t kMaxConsumerEntries = 65536;
// A control region's consumer table size: a power of two up to kMaxConsumerEntries.
constexpr bool valid_entry_count(uint64_t entries) noexcept {
  return std::has_single_bit(entries) && entries <= kMaxConsumerEntries;
}
constexpr uint32_t kNoConsumerEntry = 0xFFFFFFFFu;

// One consumer entry (offsets inside the entry).
namespace consumer_offset {
constexpr size_t state = 0, mode = 4, lease = 8, client_id = 16, pid = 24, mode_arg = 32, last_seq = 40,
                 frames_read = 48, drops_gap = 56, drops_late = 64, skipped = 72, invalid = 80,
                 heartbeat_ns = 88, attach_ns = 96;
}
enum ConsumerState : uint32_t { kEntryFree = 0, kEntryAttached = 1 };

// The size of a control region with `entries` consumer entries (a power of two).
uint64_t control_region_bytes(uint32_t entries) noexcept;

// Checks a control region's superblock (already checked by validate_superblock) against the
// file's size and the stream it should belong to. Throws Error(LF_ERR_CORRUPT).
void validate_control(const Superblock &sb, uint64_t file_bytes, const std::string &what);

// Accessors over a mapped control region. Cheap to copy; does not own the mapping.
class ControlView {
 public:
  ControlView() = default;
  ControlView(uint8_t *base, uint32_t entries) noexcept : base_(base), entries_(entries) {}
  explicit operator bool() const noexcept { return base_ != nullptr; }

  std::atomic_ref<uint64_t> u64(size_t offset) const noexcept {
    return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(base_ + offset));
  }
  std::atomic_ref<uint32_t> u32(size_t offset) const noexcept {
    return std::atomic_ref<uint32_t>(*reinterpret_cast<uint32_t *>(base_ + offset));
  }
  std::atomic<uint32_t> *wake_word() const noexcept {
    return reinterpret_cast<std::atomic<uint32_t> *>(base_ + control_offset::wake_word);
  }
  uint32_t entries() const noexcept { return entries_; }
  size_t entry_offset(uint32_t index) const noexcept {
    return control_offset::consumers + size_t{index} * kConsumerEntryBytes;
  }
  uint8_t *base() const noexcept { return base_; }

 private:
  uint8_t *base_ = nullptr;
  uint32_t entries_ = 0;
};

// The wake-up protocol (an eventcount on the futex word). A consumer about to sleep sets bit 0
// (sequentially consistent), checks `published` once more, and sleeps while the word still has
// the value it set. The producer, after publishing (sequentially consistent), wakes only if
// bit 0 is set, clearing it and advancing the count — so one wake-up serves every sleeper, and
// frames published while woken consumers are still getting up make no system call.
// Returns the word value to sleep on.
uint32_t announce_sleep(const ControlView &control) noexcept;
// Producer side: wakes sleepers if any announced themselves. `force`: wake even if none did
// (an epoch change: sleepers must move to the new control region).
void wake_sleepers(const ControlView &control, bool force = false) noexcept;

// A consumer entry as a tool reads it (relaxed loads: counters may be mid-update).
struct ConsumerEntry {
  uint32_t state = 0, mode = 0;
  uint64_t lease = 0, client_id = 0, pid = 0, mode_arg = 0, last_seq = 0, frames_read = 0, drops_gap = 0,
           drops_late = 0, skipped = 0, invalid = 0, heartbeat_ns = 0, attach_ns = 0;
};
ConsumerEntry read_consumer_entry(const ControlView &control, uint32_t index) noexcept;

// The producer's QoS line, as a tool reads it.
struct ProducerQos {
  uint64_t published = 0, frames_published = 0, bytes_published = 0, frames_refused = 0, last_publish_ns = 0,
           pid = 0, heartbeat_ns = 0, lease = 0;
  uint32_t meta_version = 0;
};
ProducerQos read_producer_qos(const ControlView &control) noexcept;

}  // namespace lavaflow::pool

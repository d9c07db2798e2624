// The channel region: a header page, then one ring per producer, each a control page
// followed by its data (docs/wire-formats.md, "Channel region"). The region may be shared
// with another process: every value read from it is validated before use.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace lavaflow::transport {

constexpr uint64_t kChannelMagic = 0x314C4E4148434C46ull;  // the bytes "FLCHANL1" (F first: the value, read little-endian)
constexpr uint32_t kChannelLayoutVersion = 1;
constexpr uint64_t kPage = 4096;
constexpr uint64_t kMinCapacity = 4096;
constexpr uint64_t kMaxCapacity = uint64_t{1} << 30;
constexpr uint32_t kMaxProducers = 64;
// Record header: u64 commit (the record's ring position + 1, stored last: it publishes the
// record), u32 payload length, u16 type, u16 zero.
constexpr uint32_t kRecordHeaderBytes = 16;

// Endpoint states, in the header (consumer) and in each ring (its producer).
enum EndState : uint32_t { kFree = 0, kAttached = 1, kClosed = 2, kDead = 3 };

// Record types (u16 in the record header).
// Data and buffer records are messages; a forget record tells the consumer that the producer
// no longer refers to a buffer (channel/buffer_refs.hpp); padding leads to the ring's start.
enum RecordType : uint16_t { kRecordData = 1, kRecordPadding = 2, kRecordBuffer = 3, kRecordForget = 4 };

// What an end that may wait promises its peer, which decides from it how to publish (the
// Dekker pair in channel.cpp): kMaySleep, the peer must publish with seq_cst; kNeverSleeps
// (it busy-polls), or any other value: the fence token (core/heavy_fence.hpp) of the process
// that runs a heavy fence before it sleeps — a publisher in that same process, and only there,
// may then publish with a release store and a plain load.
enum SleepPromise : uint64_t { kMaySleep = 0, kNeverSleeps = 1 };

struct alignas(64) RegionHeader {
  // Written once by the creator before anyone else maps the region.
  uint64_t magic;
  uint32_t layout_version;
  uint32_t header_bytes;
  uint64_t region_bytes;
  uint64_t capacity;
  uint64_t max_message_size;
  uint64_t instance_id;
  uint32_t max_producers;
  uint32_t creator_pid;
  uint32_t creator_uid;
  uint32_t reserved0;
  // The consumer's line.
  alignas(64) std::atomic<uint32_t> consumer_state;
  std::atomic<uint32_t> consumer_waiting;  // 1 while the consumer may sleep on data_seq
  std::atomic<uint32_t> data_seq;          // futex: bumped by producers that saw consumer_waiting
  std::atomic<uint32_t> producers_attached;  // count of producers that ever attached
  std::atomic<uint64_t> consumer_promise;    // SleepPromise of the consumer
  // Channels in a caller's buffer (no connection socket): ends find each other here.
  std::atomic<uint32_t> attach_seq;          // futex: bumped when an end attached and wrote its identity
  std::atomic<uint32_t> consumer_identity_bytes;  // length of the consumer's identity blob at kIdentityOffset, 0: none yet
};
static_assert(sizeof(RegionHeader) <= kPage);
static_assert(offsetof(RegionHeader, consumer_promise) == 80, "docs/wire-formats.md");
static_assert(offsetof(RegionHeader, consumer_identity_bytes) == 92, "docs/wire-formats.md");

struct alignas(64) RingControl {
  std::atomic<uint64_t> tail;              // bytes published by the producer (for monitoring; records commit themselves)
  alignas(64) std::atomic<uint64_t> head;  // bytes consumed by the consumer (release)
  alignas(64) std::atomic<uint32_t> state;  // EndState of this ring's producer
  std::atomic<uint32_t> space_waiting;      // 1 while the producer may sleep on space_seq
  std::atomic<uint32_t> space_seq;          // futex: bumped by the consumer that saw space_waiting
  uint32_t producer_pid;
  std::atomic<uint64_t> producer_promise;   // SleepPromise of this ring's producer
  std::atomic<uint32_t> producer_identity_bytes;  // length of the producer's identity blob at kIdentityOffset
};
static_assert(sizeof(RingControl) <= kPage);
static_assert(offsetof(RingControl, producer_promise) == 144, "docs/wire-formats.md");
static_assert(offsetof(RingControl, producer_identity_bytes) == 152, "docs/wire-formats.md");

// Where an end's identity blob lives in its page (the header for the consumer, its ring's
// control page for a producer), for channels in a caller's buffer; at most kIdentityMaxBytes.
constexpr uint64_t kIdentityOffset = 1024;
constexpr uint32_t kIdentityMaxBytes = 3072;
static_assert(sizeof(RegionHeader) <= kIdentityOffset && sizeof(RingControl) <= kIdentityOffset);

inline uint64_t ring_stride(uint64_t capacity) noexcept { return kPage + capacity; }
inline uint64_t region_bytes(uint64_t capacity, uint32_t producers) noexcept {
  return kPage + producers * ring_stride(capacity);
}
// Records are 16-byte aligned, so that whatever is left at the end of the ring can always
// hold a padding record's header.
inline uint64_t record_bytes(uint64_t payload) noexcept { return kRecordHeaderBytes + ((payload + 15) & ~uint64_t{15}); }
inline uint64_t max_message_limit(uint64_t capacity) noexcept { return capacity / 2 - kRecordHeaderBytes; }

// Whether a ring's consumed (`head`) and published (`tail`) byte counts, read from shared
// memory a peer can write, are possible: both on a record boundary (16 bytes), and
// head <= tail <= head + capacity. Every index is checked with this before it is used to
// address the ring: a tail of `capacity - 3` would put the next record header past the ring.
inline bool ring_indices_possible(uint64_t head, uint64_t tail, uint64_t capacity) noexcept {
  return ((head | tail) & 15) == 0 && head <= tail && tail - head <= capacity;
}

// Views into a mapped region.
inline RegionHeader *header_of(void *region) noexcept { return static_cast<RegionHeader *>(region); }
inline RingControl *control_of(void *region, uint64_t capacity, uint32_t ring) noexcept {
  return reinterpret_cast<RingControl *>(static_cast<uint8_t *>(region) + kPage + ring * ring_stride(capacity));
}
inline uint8_t *data_of(void *region, uint64_t capacity, uint32_t ring) noexcept {
  return static_cast<uint8_t *>(region) + kPage + ring * ring_stride(capacity) + kPage;
}

// Fills in a fresh (zeroed) region's header. Rings start empty (zero).
void initialize_region(void *region, uint64_t capacity, uint64_t max_message, uint32_t producers, uint64_t instance_id);

// The shape of a region, as validated: what its users index with.
struct RegionGeometry {
  uint64_t capacity = 0;
  uint64_t max_message = 0;
  uint32_t producers = 0;
};

// Checks a region another process made, before any use, and returns its shape. The header is
// copied first and only the copy is checked and used: the other process may write the shared
// one at any time. Throws Error: LF_ERR_VERSION_MISMATCH (both versions in the message),
// LF_ERR_CORRUPT (what is wrong). `exact`: the mapping is the region (a memfd of its own); else
// the region may be shorter than the memory it lies in (a caller's buffer).
RegionGeometry validate_region(const void *region, uint64_t mapped_bytes, bool exact = true);

}  // namespace lavaflow::transport

// The shared semaphore's region: one page of a memfd (or named file) that every holder maps —
// the value, the futex word waiters sleep on, and the table of holder processes whose death
// wakes the waiters (docs/wire-formats.md, "Shared semaphore region").
//
// Everything here is read by processes that did not write it: validate_region() checks the
// fixed header before anything else is touched, and read_holder() checks each holder slot as
// it is read. Nothing read from the region is trusted beyond that.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lavaflow::sync {

constexpr uint32_t kRegionMagic = 0x4D53464C;  // bytes "LFSM"
constexpr uint16_t kRegionVersion = 1;
constexpr uint32_t kRegionBytes = 4096;
constexpr uint32_t kMaxHolders = 64;

// A holder slot's state word: the state in the low 2 bits, a generation above them that
// changes whenever the slot changes hands, so that a death noticed late cannot mark the
// slot's next holder dead.
enum HolderState : uint32_t { kHolderFree = 0, kHolderClaiming = 1, kHolderLive = 2, kHolderDead = 3 };
constexpr uint32_t kHolderStateMask = 3;
constexpr uint32_t kHolderGeneration = 4;  // one generation step

enum HolderFlags : uint32_t { kHolderWaitOnly = 1u << 0 };

struct Holder {  // 32 bytes
  std::atomic<uint32_t> state;           // HolderState | generation
  std::atomic<uint32_t> flags;           // HolderFlags
  std::atomic<uint32_t> pid;             // in its own pid namespace
  std::atomic<uint32_t> reserved;        // zero
  std::atomic<uint64_t> pid_namespace;   // inode of /proc/self/ns/pid, 0 if unknown
  std::atomic<uint64_t> start_time_ticks;  // field 22 of /proc/PID/stat, 0 if unknown
};

struct Region {
  // Written once by the creator (magic last, with release: a region whose magic is 0 is
  // still being created), then only read.
  std::atomic<uint32_t> magic;
  uint16_t version;
  uint16_t holder_bytes;
  uint32_t region_bytes;
  uint32_t max_holders;
  uint8_t pad0[48];
  // The value and the waiting protocol (one cache line).
  alignas(64) std::atomic<uint64_t> value;
  std::atomic<uint32_t> wake_seq;          // futex word: bumped by a signal that finds sleepers
  std::atomic<uint32_t> sleepers;          // waiters about to sleep or asleep
  std::atomic<uint32_t> dead_signallers;   // holders that could signal and died: sticky
  std::atomic<uint32_t> holder_seq;        // bumped when a holder joins or leaves
  uint8_t pad1[40];
  Holder holders[kMaxHolders];
};

static_assert(sizeof(Holder) == 32);
static_assert(offsetof(Region, value) == 64);
static_assert(offsetof(Region, holders) == 128);
static_assert(sizeof(Region) <= kRegionBytes);
static_assert(std::atomic<uint64_t>::is_always_lock_free && std::atomic<uint32_t>::is_always_lock_free);

// Writes a new region's header (magic last) and the initial value into zeroed memory.
void initialize_region(Region &region, uint64_t initial_value) noexcept;

// Whether the region is fully written: false while the magic is still 0 and nothing else was
// written either (a named region its creator is still initializing).
bool region_still_zero(std::span<const uint8_t> bytes) noexcept;

// Checks the header of a mapped region of `bytes.size()` bytes. Throws Error: LF_ERR_CORRUPT
// (wrong magic or size, impossible values), LF_ERR_VERSION_MISMATCH.
void validate_region(std::span<const uint8_t> bytes);

// One holder slot as read (a snapshot).
struct HolderView {
  uint32_t word = 0;  // state | generation
  uint32_t flags = 0;
  uint32_t pid = 0;
  uint64_t pid_namespace = 0;
  uint64_t start_time_ticks = 0;
  uint32_t state() const noexcept { return word & kHolderStateMask; }
};

// Reads slot `index` (< kMaxHolders). Throws Error(LF_ERR_CORRUPT) for a live or dead slot
// that could not have been written by lavaflow (pid 0, unknown flags).
HolderView read_holder(const Region &region, uint32_t index);

}  // namespace lavaflow::sync

// The tensor pool's data path over mapped regions (tensor-pool.md, "Commit protocol"): the
// producer claims the slot of sequence S in the header ring and the same slot of the smallest
// payload pool that fits, writes payload and header, and commits with the seqlock word; a
// consumer reads a slot only if its word says "S, committed", copies the header, reads the
// payload in place, and checks the word again when it is done (overwritten meanwhile: late).
// The producer never waits for consumers, consumers never wait for a commit.
#pragma once

#include "pool/wire.hpp"

#include <lavaflow/status.h>

#include <array>
#include <cstdint>

namespace lavaflow::pool {

constexpr uint32_t kMaxPools = 15;  // pool ids 1..15

// A mapped payload pool.
struct PoolMapping {
  uint8_t *base = nullptr;  // the file's start (superblock)
  uint32_t stride = 0;      // 0: no pool with this id
};

// A mapped stream epoch: the header ring and its payload pools, all of `nslots` slots.
struct StreamMapping {
  uint8_t *ring = nullptr;  // the header ring file's start (superblock)
  uint32_t nslots = 0;
  std::array<PoolMapping, kMaxPools + 1> pools{};  // by pool id; [0] unused

  uint8_t *slot(uint64_t seq) const noexcept { return ring + kSuperblockBytes + (seq & (nslots - 1)) * kSlotBytes; }
  uint8_t *payload(uint16_t pool_id, uint64_t seq) const noexcept {
    return pools[pool_id].base + kSuperblockBytes + (seq & (nslots - 1)) * uint64_t{pools[pool_id].stride};
  }
  SlotLimits limits() const noexcept;
};

// Producer side. Not thread-safe: one producer per stream (its lease).
class FrameWriter {
 public:
  explicit FrameWriter(const StreamMapping &stream) noexcept : stream_(stream) {}

  // Starts frame `seq` of `bytes` payload: marks the slot as being written and returns where
  // the payload goes. LF_ERR_INVALID_ARGUMENT when no pool's stride holds `bytes` (never
  // truncated). Allocation- and syscall-free.
  lf_status_t claim(uint64_t seq, uint32_t bytes, uint8_t **out_payload) noexcept;
  // Fills in what the writer decides (pool, slot, offset), encodes the header into `image`
  // (kSlotBytes, 8-aligned) and checks it as consumers will: nullptr if valid, else what is wrong.
  const char *prepare(SlotHeader &header, uint8_t *image) const noexcept;
  // Stores a prepared header whole (never relying on old contents) and commits the frame.
  void commit_prepared(const uint8_t *image) noexcept;
  // prepare() without the check, then commit_prepared().
  void commit(SlotHeader header) noexcept;
  // Gives up a claimed frame: its slot stays marked "being written" (not committed), which is
  // what readers of the frame it replaced must see anyway.
  void abandon() noexcept { claimed_ = false; }
  bool claimed() const noexcept { return claimed_; }
  uint32_t claimed_bytes() const noexcept { return bytes_; }

 private:
  StreamMapping stream_;
  bool claimed_ = false;
  uint64_t seq_ = 0;
  uint32_t bytes_ = 0;
  uint16_t pool_ = 0;
};

// The commit word of header slot `index` (acquire): `(S << 1) | 1` when frame S is committed
// there, even while one is being written. For readers that scan slots rather than sequences.
uint64_t slot_commit_word(const StreamMapping &stream, uint32_t index) noexcept;

// Consumer side: the outcome of looking at sequence `seq`.
enum class SlotState {
  committed,  // the frame is there: header copied and valid
  pending,    // not committed yet (the producer has not reached it, or is writing it)
  lapped,     // already overwritten by a newer sequence: the frame is gone
  invalid     // committed, but its header fails validation (not delivered)
};

// Reads frame `seq`'s header into `out` (and `out_problem` for an invalid one).
SlotState read_frame(const StreamMapping &stream, const SlotLimits &limits, uint64_t seq, SlotHeader &out,
                     const char **out_problem = nullptr) noexcept;

// After reading a frame's payload in place: whether it was still frame `seq` all along (the
// second seqlock check). False means it was overwritten while read: count it late.
bool frame_still_intact(const StreamMapping &stream, uint64_t seq) noexcept;

}  // namespace lavaflow::pool

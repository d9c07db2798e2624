#include "pool/frame_ring.hpp"

#include "core/seqlock.hpp"

#include <atomic>
#include <cstring>

namespace lavaflow::pool {

namespace {

// The commit word: one aligned 8-byte atomic at slot offset 0 (slots start at 64 + i * 256).
std::atomic_ref<uint64_t> commit_word(uint8_t *slot) noexcept {
  return std::atomic_ref<uint64_t>(*reinterpret_cast<uint64_t *>(slot));
}

}  // namespace

SlotLimits StreamMapping::limits() const noexcept {
  SlotLimits limits;
  limits.nslots = nslots;
  for (uint32_t id = 1; id <= kMaxPools; ++id) limits.pool_strides[id] = pools[id].base != nullptr ? pools[id].stride : 0;
  return limits;
}

lf_status_t FrameWriter::claim(uint64_t seq, uint32_t bytes, uint8_t **out_payload) noexcept {
  uint16_t best = 0;
  for (uint16_t id = 1; id <= kMaxPools; ++id) {
    const PoolMapping &p = stream_.pools[id];
    if (p.base != nullptr && p.stride >= bytes && (best == 0 || p.stride < stream_.pools[best].stride)) best = id;
  }
  if (best == 0) return LF_ERR_INVALID_ARGUMENT;
  // Mark the slot as being written before touching payload or header: a reader that copied
  // the old frame then sees the word change (late), one that comes now sees "not committed".
  commit_word(stream_.slot(seq)).store(seq << 1, std::memory_order_relaxed);
  core::seqlock_write_fence();
  claimed_ = true;
  seq_ = seq;
  bytes_ = bytes;
  pool_ = best;
  *out_payload = stream_.payload(best, seq);
  return LF_OK;
}

const char *FrameWriter::prepare(SlotHeader &header, uint8_t *image) const noexcept {
  header.values_len_bytes = header.values_len_bytes <= bytes_ ? header.values_len_bytes : bytes_;
  header.pool_id = pool_;
  header.payload_slot = static_cast<uint32_t>(seq_ & (stream_.nslots - 1));
  header.payload_offset = 0;
  write_slot_header(image, header);
  std::memset(image, 0, 8);  // the commit word is stored apart, last
  if (const char *problem = slot_header_problem(header, stream_.limits())) return problem;
  // A producer's frame must say exactly what it holds: a contiguous tensor fills its bytes.
  if (const auto span = tensor_span_bytes(header); span && contiguous(header) && *span != header.values_len_bytes)
    return "the tensor's dims and dtype describe another number of bytes than the frame has";
  return nullptr;
}

void FrameWriter::commit_prepared(const uint8_t *image) noexcept {
  uint8_t *slot = stream_.slot(seq_);
  core::store_words(reinterpret_cast<uint64_t *>(slot) + 1, reinterpret_cast<const uint64_t *>(image) + 1, kSlotBytes / 8 - 1);
  commit_word(slot).store((seq_ << 1) | 1, std::memory_order_release);
  claimed_ = false;
}

void FrameWriter::commit(SlotHeader header) noexcept {
  alignas(8) uint8_t image[kSlotBytes];
  prepare(header, image);
  commit_prepared(image);
}

uint64_t slot_commit_word(const StreamMapping &stream, uint32_t index) noexcept {
  return commit_word(stream.slot(index)).load(std::memory_order_acquire);
}

SlotState read_frame(const StreamMapping &stream, const SlotLimits &limits, uint64_t seq, SlotHeader &out,
                     const char **out_problem) noexcept {
  uint8_t *slot = stream.slot(seq);
  const uint64_t word = commit_word(slot).load(std::memory_order_acquire);
  const uint64_t at = word >> 1;
  if (at > seq) return SlotState::lapped;
  if (at < seq || (word & 1) == 0) return SlotState::pending;  // (at == seq, even: being written)
  alignas(8) uint8_t copy[kSlotBytes];
  core::load_words(reinterpret_cast<uint64_t *>(copy), reinterpret_cast<const uint64_t *>(slot), kSlotBytes / 8);
  core::seqlock_read_fence();
  if (commit_word(slot).load(std::memory_order_relaxed) != word) return SlotState::lapped;  // overwritten as we copied
  out = read_slot_header(copy);
  const char *problem = slot_header_problem(out, limits);
  if (problem == nullptr && out.payload_slot != (seq & (stream.nslots - 1))) problem = "payload_slot is not the frame's slot";
  if (out_problem != nullptr) *out_problem = problem;
  return problem == nullptr ? SlotState::committed : SlotState::invalid;
}

bool frame_still_intact(const StreamMapping &stream, uint64_t seq) noexcept {
  core::seqlock_read_fence();
  return commit_word(stream.slot(seq)).load(std::memory_order_relaxed) == ((seq << 1) | 1);
}

}  // namespace lavaflow::pool

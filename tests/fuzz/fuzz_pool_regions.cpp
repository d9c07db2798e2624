// The tensor pool's shared regions as another process wrote them (docs/wire-formats.md,
// "Tensor pool regions"): the first byte picks what the rest is — a header ring (superblock,
// then every slot read as a consumer reads it: commit word, header copy, seqlock re-read,
// every rule of the spec), a control region (superblock, consumer table, producer QoS, the
// seqlocked metadata record) or a bare metadata record — read through the functions the
// consumers, lf_pool_inspect and lf_pool_read_control use.
#include "fuzz_support.hpp"

#include "core/error.hpp"
#include "pool/control.hpp"
#include "pool/frame_ring.hpp"
#include "pool/metadata.hpp"
#include "pool/wire.hpp"

#include <vector>

using namespace lavaflow;

namespace {

void header_ring(uint8_t *bytes, size_t size) {
  const pool::Superblock sb = pool::read_superblock(bytes);
  pool::validate_superblock(sb, size, "fuzz header ring");
  if (sb.region_type != pool::kHeaderRing) return;
  pool::StreamMapping stream;
  stream.ring = bytes;
  stream.nslots = sb.nslots;
  pool::SlotLimits limits;
  limits.nslots = sb.nslots;
  limits.pool_strides[1] = 4096;  // the pools a consumer would have mapped
  limits.pool_strides[2] = 65536;
  for (uint32_t i = 0; i < sb.nslots; ++i) {
    const uint64_t word = pool::slot_commit_word(stream, i);
    pool::SlotHeader header;
    const char *problem = nullptr;
    if (pool::read_frame(stream, limits, word >> 1, header, &problem) == pool::SlotState::committed) {
      if (header.values_len_bytes > limits.pool_strides[header.pool_id]) fuzz::broken("a frame past its pool slot accepted");
      if (const auto span = pool::tensor_span_bytes(header); span && *span > header.values_len_bytes)
        fuzz::broken("a tensor past its payload accepted");
      (void)pool::frame_still_intact(stream, word >> 1);
    }
  }
}

void control_region(uint8_t *bytes, size_t size) {
  const pool::Superblock sb = pool::read_superblock(bytes);
  pool::validate_superblock(sb, size, "fuzz control region");
  if (sb.region_type != pool::kControl) return;
  pool::validate_control(sb, size, "fuzz control region");
  const pool::ControlView control(bytes, sb.nslots);
  (void)pool::read_producer_qos(control);
  for (uint32_t i = 0; i < control.entries(); ++i) (void)pool::read_consumer_entry(control, i);
  const pool::StreamMetadata meta = pool::read_metadata(control);
  pool::validate_metadata(meta);
}

void metadata_record(const uint8_t *bytes, size_t size) {
  const pool::StreamMetadata meta = pool::decode_metadata(bytes, size, 1);
  const std::vector<uint8_t> again = pool::encode_metadata(meta);
  const pool::StreamMetadata twice = pool::decode_metadata(again.data(), again.size(), 1);
  if (pool::encode_metadata(twice) != again) fuzz::broken("metadata round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Bytes in(data, size);
  const uint8_t which = in.byte() % 3;
  // An aligned copy, as a mapping is (the commit words are 8-byte atomics).
  std::vector<uint64_t> aligned((in.left() + 7) / 8 + 1);
  uint8_t *bytes = reinterpret_cast<uint8_t *>(aligned.data());
  if (in.left() > 0) std::memcpy(bytes, in.rest(), in.left());
  try {
    if (in.left() >= pool::kSuperblockBytes && which == 0) header_ring(bytes, in.left());
    if (in.left() >= pool::kSuperblockBytes && which == 1) control_region(bytes, in.left());
    if (which == 2) metadata_record(bytes, in.left());
  } catch (const core::Error &) {
    // refused
  }
  return 0;
}

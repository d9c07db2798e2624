#include "mpi/frame.hpp"

#include "core/byte_io.hpp"

namespace lavaflow::mpi {

using core::load_le;
using core::store_le;

// Offsets: magic 0, version 4, type 5, codec 6, flags 7, channel_id 8, payload_bytes 12,
// sequence 16, message_bytes 24, offset 32, raw_bytes 40, reserved 44.
void encode_header(const FrameHeader &h, uint8_t *out) noexcept {
  store_le<uint32_t>(out + 0, kFrameMagic);
  out[4] = kFrameVersion;
  out[5] = h.type;
  out[6] = h.codec;
  out[7] = h.flags;
  store_le<uint32_t>(out + 8, h.channel_id);
  store_le<uint32_t>(out + 12, h.payload_bytes);
  store_le<uint64_t>(out + 16, h.sequence);
  store_le<uint64_t>(out + 24, h.message_bytes);
  store_le<uint64_t>(out + 32, h.offset);
  store_le<uint32_t>(out + 40, h.raw_bytes);
  store_le<uint32_t>(out + 44, 0);
}

lf_status_t decode_header(const uint8_t *in, FrameHeader &h, const char **problem) noexcept {
  if (load_le<uint32_t>(in) != kFrameMagic) return *problem = "a frame without the LFM1 magic", LF_ERR_PROTOCOL;
  if (in[4] != kFrameVersion) return *problem = "a frame of another wire version", LF_ERR_VERSION_MISMATCH;
  h.type = in[5];
  h.codec = in[6];
  h.flags = in[7];
  h.channel_id = load_le<uint32_t>(in + 8);
  h.payload_bytes = load_le<uint32_t>(in + 12);
  h.sequence = load_le<uint64_t>(in + 16);
  h.message_bytes = load_le<uint64_t>(in + 24);
  h.offset = load_le<uint64_t>(in + 32);
  h.raw_bytes = load_le<uint32_t>(in + 40);
  if (load_le<uint32_t>(in + 44) != 0) return *problem = "a frame with reserved bits set", LF_ERR_PROTOCOL;
  if (h.type != kFrameData && h.type != kFrameClose) return *problem = "a frame of an unknown type", LF_ERR_PROTOCOL;
  if (h.codec > kCodecZstd) return *problem = "a frame with an unknown codec", LF_ERR_PROTOCOL;
  if (h.flags & ~(kFlagFirst | kFlagLast | kFlagInline | kFlagSeparate))
    return *problem = "a frame with unknown flags", LF_ERR_PROTOCOL;
  if (h.type == kFrameData && ((h.flags & kFlagInline) != 0) == ((h.flags & kFlagSeparate) != 0))
    return *problem = "a data frame must be exactly one of inline and separate", LF_ERR_PROTOCOL;
  return LF_OK;
}

}  // namespace lavaflow::mpi

// The MPI transport's wire format (docs/wire-formats.md, "MPI frames"): every frame starts
// with a 48-byte header and a 32-byte tag field; the header is what the tag authenticates
// along with the payload. Little-endian, fixed offsets.
#pragma once

#include <lavaflow/status.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::mpi {

constexpr uint32_t kFrameMagic = 0x314d464c;  // "LFM1"
constexpr uint8_t kFrameVersion = 1;
constexpr size_t kHeaderBytes = 48;
constexpr size_t kTagBytes = 32;  // room for the largest tag (BLAKE2b-256); AEADs use 16
constexpr size_t kFramePrefix = kHeaderBytes + kTagBytes;

// A short frame is a whole message and nothing else: what a channel without protection or
// compression sends for a message that fits inline, once both ends announced them
// (kHelloShortFrames). Its header is implied (the next sequence number, one raw chunk, the
// frame's length): the 80 bytes of a full prefix would cost more than the message on a
// shared-memory path, and even one mark byte would put a 4 KiB message past Open MPI's
// shared-memory eager limit. What tells them apart is the length: on such a channel every
// full frame is exactly kFramePrefix bytes (a chunk header or the close, never an inline
// payload), so a message of exactly that size travels as a chunk header and its payload.
// The one rule both ends apply: on such a channel, a frame of `bytes` bytes is a short one.
constexpr bool is_short_frame_length(size_t bytes) noexcept { return bytes != kFramePrefix; }

enum FrameType : uint8_t {
  kFrameData = 1,   // a message, or one chunk of one
  kFrameClose = 2,  // the producer closed: nothing follows
};

enum FrameFlag : uint8_t {
  kFlagFirst = 1u << 0,     // the message's first chunk
  kFlagLast = 1u << 1,      // its last chunk
  kFlagInline = 1u << 2,    // the payload follows the prefix in this MPI message
  kFlagSeparate = 1u << 3,  // the payload is the next MPI message on the payload tag
};

enum Codec : uint8_t { kCodecRaw = 0, kCodecLz4 = 1, kCodecZstd = 2 };

struct FrameHeader {
  uint8_t type = kFrameData;
  uint8_t flags = 0;
  uint8_t codec = kCodecRaw;
  uint32_t channel_id = 0;
  uint32_t payload_bytes = 0;  // bytes that travel (compressed, encrypted)
  uint64_t sequence = 0;       // frames of this channel direction, from 0, no gaps
  uint64_t message_bytes = 0;  // the whole message
  uint64_t offset = 0;         // of this chunk in the message
  uint32_t raw_bytes = 0;      // the chunk's bytes once decoded
};

void encode_header(const FrameHeader &header, uint8_t *out) noexcept;
// Decodes the fixed fields; LF_ERR_PROTOCOL with `problem` set for a wrong magic, version,
// type or flag combination (the caller checks sequence, lengths and the tag).
lf_status_t decode_header(const uint8_t *in, FrameHeader &header, const char **problem) noexcept;

}  // namespace lavaflow::mpi

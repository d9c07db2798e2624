// The MPI transport's frames as the receiving rank takes them (docs/wire-formats.md, "MPI
// frames"): a sequence of frames another host sent — short frames, full frames with inline
// payloads, chunk headers whose payloads travel separately, compressed (lz4, zstd) and sealed
// (XChaCha20-Poly1305, MAC-only, with a fixed key) — run through the receiver's own rules
// (FrameChecker), opened and decoded into the message as the receiver does. Input: a mode
// byte (bit 0 compression announced, bit 1 short frames, bits 2-3 cipher none/xchacha/mac, bit
// 4 reseal: the harness seals each payload itself with the key, so that the fuzzer reaches
// what comes after authentication), then frames and payloads as u16-length-prefixed records.
// Every accepted chunk must land inside the message it belongs to.
#include "fuzz_support.hpp"

#include "mpi/codec.hpp"
#include "mpi/crypto.hpp"
#include "mpi/frame_checker.hpp"

#include <lavaflow/lavaflow_mpi.h>

#include <memory>
#include <vector>

using namespace lavaflow::mpi;

namespace {

constexpr uint64_t kMaxMessage = 65536;
constexpr uint64_t kChunk = 16384;

std::unique_ptr<Sealer> sealer_for(int32_t cipher) {
  if (cipher == LF_MPI_CIPHER_NONE) return nullptr;
  Key key;
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);  // fixed: reproducible
  Salt producer{}, consumer{};
  producer[0] = 1, consumer[0] = 2;
  return std::make_unique<Sealer>(cipher, key, 5, 0, 1, producer, consumer);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Bytes in(data, size);
  const uint8_t mode = in.byte();
  const bool compressed = mode & 1;
  const int32_t ciphers[] = {LF_MPI_CIPHER_NONE, LF_MPI_CIPHER_XCHACHA20_POLY1305, LF_MPI_CIPHER_MAC_ONLY,
                             LF_MPI_CIPHER_NONE};
  const int32_t cipher = ciphers[(mode >> 2) & 3];
  const bool reseal = mode & 16;
  FrameRules rules;
  rules.channel_id = 5;
  rules.max_message = kMaxMessage;
  rules.chunk_size = kChunk;
  rules.inline_limit = static_cast<uint32_t>(kChunk);
  rules.compression = compressed;
  rules.short_frames = (mode & 2) && !compressed && cipher == LF_MPI_CIPHER_NONE;  // (the hello's rule)
  FrameChecker checker(rules);
  static CodecContexts contexts(false, true);
  const Decompressor decompressor(compressed ? LF_MPI_COMPRESSION_ADAPTIVE : LF_MPI_COMPRESSION_NONE);
  const std::unique_ptr<Sealer> sealer = sealer_for(cipher);
  std::vector<uint8_t> message(kMaxMessage);
  std::vector<uint8_t> frame, payload;
  while (in.left() > 2) {
    size_t got = 0;
    const uint8_t *bytes = in.take(in.u16(), got);
    frame.assign(bytes, bytes + got);
    FrameHeader h;
    if (checker.check(frame.data(), frame.size(), h) != nullptr) return 0;  // the receiver rejects, then discards
    if (h.type == kFrameClose) return 0;
    const bool short_frame = rules.short_frames && is_short_frame_length(frame.size());
    if (h.flags & kFlagInline) {
      payload.assign(frame.begin() + (short_frame ? 0 : static_cast<long>(kFramePrefix)), frame.end());
    } else {  // the next record is the payload, exactly payload_bytes (MPI delivers no more)
      const uint8_t *separate = in.take(in.u16(), got);
      if (got != h.payload_bytes) return 0;
      payload.assign(separate, separate + got);
    }
    if (payload.size() != h.payload_bytes) fuzz::broken("a frame accepted with a payload of another length");
    if (sealer != nullptr && !short_frame) {
      if (reseal) sealer->seal(h.sequence, frame.data(), payload.data(), payload.size(), frame.data() + kHeaderBytes);
      if (!sealer->open(h.sequence, frame.data(), payload.data(), payload.size(), frame.data() + kHeaderBytes)) return 0;
    }
    if (h.offset + h.raw_bytes > message.size()) fuzz::broken("a chunk accepted past the largest message");
    uint8_t *destination = message.data() + h.offset;
    if (h.codec != kCodecRaw) {
      const char *problem = nullptr;
      if (decompressor.decompress(static_cast<Codec>(h.codec), payload.data(), payload.size(), destination, h.raw_bytes,
                                  &problem, contexts) != LF_OK)
        return 0;
    } else if (h.raw_bytes > 0) {
      std::memcpy(destination, payload.data(), h.raw_bytes);
    }
    checker.accept(h);
  }
  return 0;
}

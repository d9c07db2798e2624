// Seeds of the MPI targets (fuzz_mpi_frames, fuzz_mpi_messages), from the transport's own
// encoders: `fuzz_make_mpi_seeds tests/fuzz/corpus`. Layouts as the targets read them.
#include "mpi/codec.hpp"
#include "mpi/frame.hpp"
#include "mpi/hello.hpp"
#include "mpi/pool_bridge_wire.hpp"
#include "seed_writer.hpp"

#include <lavaflow/lavaflow_mpi.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

using namespace lavaflow::mpi;
using seeds::Bytes;
using seeds::record;
using seeds::write;

namespace {

Bytes full_frame(FrameHeader h, const Bytes &inline_payload) {
  Bytes frame(kFramePrefix);
  encode_header(h, frame.data());
  frame.insert(frame.end(), inline_payload.begin(), inline_payload.end());
  return frame;
}

Bytes message_of(size_t n) {
  Bytes m(n);
  for (size_t i = 0; i < n; ++i) m[i] = static_cast<uint8_t>(i % 7 == 0 ? i : 'a');  // compressible
  return m;
}

FrameHeader whole_inline(uint64_t sequence, uint32_t bytes) {
  FrameHeader h;
  h.flags = kFlagFirst | kFlagLast | kFlagInline;
  h.channel_id = 5;
  h.payload_bytes = h.raw_bytes = bytes;
  h.message_bytes = bytes;
  h.sequence = sequence;
  return h;
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_mpi_seeds DIR\n");
    return 2;
  }
  seeds::directory() = argv[1];

  // plain full frames: two whole messages inline, then the close
  Bytes plain{0};
  record(plain, full_frame(whole_inline(0, 100), message_of(100)));
  record(plain, full_frame(whole_inline(1, 3000), message_of(3000)));
  FrameHeader close;
  close.type = kFrameClose;
  close.channel_id = 5;
  close.sequence = 2;
  record(plain, full_frame(close, {}));
  write("fuzz_mpi_frames", 1, plain);

  // short frames (mode bit 1)
  Bytes shorts{2};
  record(shorts, message_of(8));
  record(shorts, message_of(4096));
  write("fuzz_mpi_frames", 2, shorts);

  // a message in two chunks, each a header and a separate lz4 payload (mode bit 0)
  Bytes chunks{1};
  CodecContexts contexts(true, false);
  const Compressor lz4(LF_MPI_COMPRESSION_LZ4, 1, 0);
  const Bytes message = message_of(20000);
  for (uint64_t k = 0; k < 2; ++k) {
    const size_t offset = k * 16384, n = k == 0 ? 16384 : message.size() - 16384;
    Bytes packed(n);
    size_t packed_size = 0;
    const Codec codec = lz4.compress(message.data() + offset, n, packed.data(), &packed_size, contexts);
    FrameHeader h;
    h.flags = static_cast<uint8_t>((k == 0 ? kFlagFirst : kFlagLast) | kFlagSeparate);
    h.codec = codec;
    h.channel_id = 5;
    h.raw_bytes = static_cast<uint32_t>(n);
    h.payload_bytes = static_cast<uint32_t>(codec == kCodecRaw ? n : packed_size);
    h.message_bytes = message.size();
    h.offset = offset;
    h.sequence = k;
    record(chunks, full_frame(h, {}));
    record(chunks, codec == kCodecRaw ? Bytes(message.begin() + static_cast<long>(offset), message.begin() + static_cast<long>(offset + n))
                                      : Bytes(packed.begin(), packed.begin() + static_cast<long>(packed_size)));
  }
  write("fuzz_mpi_frames", 3, chunks);

  // sealed inline frames, resealed by the target (XChaCha20-Poly1305; MAC-only)
  for (uint8_t mode : {uint8_t(4 | 16), uint8_t(8 | 16)}) {
    Bytes sealed{mode};
    record(sealed, full_frame(whole_inline(0, 200), message_of(200)));
    record(sealed, full_frame(whole_inline(1, 64), message_of(64)));
    write("fuzz_mpi_frames", mode == (4 | 16) ? 4 : 5, sealed);
  }

  Hello hello;
  hello.role = LF_CHANNEL_CONSUMER;
  hello.channel_id = 5;
  hello.pipeline_depth = 16;
  hello.flags = kHelloShortFrames;
  hello.chunk_size = 1 << 20;
  hello.max_message = 1 << 24;
  Bytes h(kHelloBytes + 1);
  h[0] = 0;
  encode_hello(hello, h.data() + 1);
  write("fuzz_mpi_messages", 1, h);
  Bytes control(kControlBytes + 1);
  control[0] = 1;
  encode_control(kControlCredit, 8, control.data() + 1);
  write("fuzz_mpi_messages", 2, control);
  lf_pool_view_t view{};
  view.bytes = 16;
  view.seq = 3;
  view.tensor.dtype = LF_DTYPE_UINT8;
  view.tensor.major_order = LF_ORDER_ROW;
  view.tensor.ndims = 1;
  view.tensor.dims[0] = 16;
  Bytes frame(kBridgeFrameHeader + 16 + 1);
  frame[0] = 2;
  encode_bridge_frame(frame.data() + 1, view);
  write("fuzz_mpi_messages", 3, frame);
  lf_pool_metadata_t metadata{};
  metadata.struct_size = sizeof metadata;
  std::snprintf(metadata.name, sizeof metadata.name, "camera");
  Bytes meta(kBridgeMetadataBytes + 1);
  meta[0] = 2;
  encode_bridge_metadata(meta.data() + 1, metadata);
  write("fuzz_mpi_messages", 4, meta);
  std::printf("MPI seeds written to %s\n", argv[1]);
  return 0;
}

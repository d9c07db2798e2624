// Compression of the MPI transport's chunks: lz4, zstd, and adaptive (sample first, send raw
// what does not compress). A Compressor and a Decompressor hold a channel's settings and may
// be used by several threads at once; the zstd contexts are the calling thread's own
// (CodecContexts, made once: chunks allocate nothing).
#pragma once

#include "mpi/frame.hpp"

#include <lavaflow/status.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::mpi {

// Whether this build can use a codec (liblz4 / libzstd were found).
bool codec_available(int32_t compression) noexcept;

// The zstd contexts of one thread: one to compress, one to decompress, each made only when
// asked for (a context is a few hundred KiB to a few MiB).
class CodecContexts {
 public:
  CodecContexts(bool compress, bool decompress);
  ~CodecContexts();
  CodecContexts(const CodecContexts &) = delete;
  CodecContexts &operator=(const CodecContexts &) = delete;
  void *zstd_compress() const noexcept { return compress_; }      // ZSTD_CCtx, or null
  void *zstd_decompress() const noexcept { return decompress_; }  // ZSTD_DCtx, or null

 private:
  void *compress_ = nullptr;
  void *decompress_ = nullptr;
};

// Whether a channel with this compression needs zstd contexts.
bool uses_zstd(int32_t compression) noexcept;

class Compressor {
 public:
  Compressor(int32_t compression, int32_t level, uint32_t min_gain_percent)
      : compression_(compression), level_(level), min_gain_(min_gain_percent) {}

  // Compresses `size` bytes into `out` (room for `size` bytes) with the calling thread's
  // `contexts`. Returns the codec used: kCodecRaw when the channel does not compress, when
  // adaptive sampling or the result says it does not pay (then `out` holds scratch and the
  // caller sends the input as it is).
  Codec compress(const uint8_t *in, size_t size, uint8_t *out, size_t *out_size, CodecContexts &contexts) const noexcept;
  int32_t compression() const noexcept { return compression_; }

 private:
  bool pays(size_t raw, size_t packed) const noexcept { return packed * 100 <= raw * (100 - min_gain_); }

  int32_t compression_;
  int32_t level_;
  uint32_t min_gain_;
};

class Decompressor {
 public:
  // `compression`: what the sender said it would use (its hello).
  explicit Decompressor(int32_t compression) : zstd_announced_(uses_zstd(compression)) {}

  // Decodes exactly `raw_size` bytes into `out` with the calling thread's `contexts`;
  // LF_ERR_CORRUPT (or LF_ERR_PROTOCOL for a codec the sender did not announce) with
  // `problem` otherwise.
  lf_status_t decompress(Codec codec, const uint8_t *in, size_t size, uint8_t *out, size_t raw_size,
                         const char **problem, CodecContexts &contexts) const noexcept;

 private:
  bool zstd_announced_;
};

}  // namespace lavaflow::mpi

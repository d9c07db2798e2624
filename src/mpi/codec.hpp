// Compression of the MPI transport's chunks: lz4, zstd, and adaptive (sample first, send raw
// what does not compress). A Compressor and a Decompressor each belong to one thread at a
// time (each owns a zstd context, made once: chunks allocate nothing).
#pragma once

#include "mpi/frame.hpp"

#include <lavaflow/status.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::mpi {

// Whether this build can use a codec (liblz4 / libzstd were found).
bool codec_available(int32_t compression) noexcept;

class Compressor {
 public:
  Compressor(int32_t compression, int32_t level, uint32_t min_gain_percent);
  ~Compressor();
  Compressor(const Compressor &) = delete;
  Compressor &operator=(const Compressor &) = delete;

  // Compresses `size` bytes into `out` (room for `size` bytes). Returns the codec used:
  // kCodecRaw when the channel does not compress, when adaptive sampling or the result says
  // it does not pay (then `out` holds scratch and the caller sends the input as it is).
  Codec compress(const uint8_t *in, size_t size, uint8_t *out, size_t *out_size) noexcept;
  int32_t compression() const noexcept { return compression_; }

 private:
  bool pays(size_t raw, size_t packed) const noexcept { return packed * 100 <= raw * (100 - min_gain_); }

  int32_t compression_;
  int32_t level_;
  uint32_t min_gain_;
  void *zstd_ = nullptr;  // ZSTD_CCtx
};

class Decompressor {
 public:
  // `compression`: what the sender said it would use (its hello).
  explicit Decompressor(int32_t compression);
  ~Decompressor();
  Decompressor(const Decompressor &) = delete;
  Decompressor &operator=(const Decompressor &) = delete;

  // Decodes exactly `raw_size` bytes into `out`; LF_ERR_CORRUPT (or LF_ERR_PROTOCOL for a
  // codec the sender did not announce) with `problem` otherwise.
  lf_status_t decompress(Codec codec, const uint8_t *in, size_t size, uint8_t *out, size_t raw_size,
                         const char **problem) noexcept;

 private:
  void *zstd_ = nullptr;  // ZSTD_DCtx, when the sender announced zstd or adaptive
};

}  // namespace lavaflow::mpi

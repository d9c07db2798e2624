#include "mpi/codec.hpp"

#include <lavaflow/lavaflow_mpi.h>

#include <algorithm>

#ifdef LAVAFLOW_HAVE_LZ4
#include <lz4.h>
#endif
#ifdef LAVAFLOW_HAVE_ZSTD
#include <zstd.h>
#endif

namespace lavaflow::mpi {

namespace {
// Adaptive mode compresses this much of a chunk with lz4 first: a few microseconds that
// decide whether the whole chunk is worth zstd's time.
constexpr size_t kSampleBytes = 16 << 10;
}  // namespace

bool codec_available(int32_t compression) noexcept {
  switch (compression) {
    case LF_MPI_COMPRESSION_NONE: return true;
#ifdef LAVAFLOW_HAVE_LZ4
    case LF_MPI_COMPRESSION_LZ4: return true;
#endif
#ifdef LAVAFLOW_HAVE_ZSTD
    case LF_MPI_COMPRESSION_ZSTD: return true;
#endif
#if defined(LAVAFLOW_HAVE_ZSTD) && defined(LAVAFLOW_HAVE_LZ4)
    case LF_MPI_COMPRESSION_ADAPTIVE: return true;
#endif
    default: return false;
  }
}

bool uses_zstd(int32_t compression) noexcept {
  return compression == LF_MPI_COMPRESSION_ZSTD || compression == LF_MPI_COMPRESSION_ADAPTIVE;
}

CodecContexts::CodecContexts(bool compress, bool decompress) {
#ifdef LAVAFLOW_HAVE_ZSTD
  if (compress) compress_ = ZSTD_createCCtx();
  if (decompress) decompress_ = ZSTD_createDCtx();
#else
  (void)compress;
  (void)decompress;
#endif
}

CodecContexts::~CodecContexts() {
#ifdef LAVAFLOW_HAVE_ZSTD
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx *>(compress_));
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx *>(decompress_));
#endif
}

Codec Compressor::compress(const uint8_t *in, size_t size, uint8_t *out, size_t *out_size,
                           CodecContexts &contexts) const noexcept {
  (void)in;
  (void)out;
  (void)out_size;
  (void)contexts;
  if (size == 0) return kCodecRaw;
#ifdef LAVAFLOW_HAVE_LZ4
  if (compression_ == LF_MPI_COMPRESSION_LZ4) {
    const int packed = LZ4_compress_fast(reinterpret_cast<const char *>(in), reinterpret_cast<char *>(out),
                                         static_cast<int>(size), static_cast<int>(size), std::max(level_, 1));
    if (packed <= 0 || !pays(size, static_cast<size_t>(packed))) return kCodecRaw;
    *out_size = static_cast<size_t>(packed);
    return kCodecLz4;
  }
  if (compression_ == LF_MPI_COMPRESSION_ADAPTIVE && size > kSampleBytes) {
    const int sample = static_cast<int>(kSampleBytes);
    const int packed = LZ4_compress_fast(reinterpret_cast<const char *>(in), reinterpret_cast<char *>(out), sample,
                                         sample, 1);
    if (packed <= 0 || !pays(kSampleBytes, static_cast<size_t>(packed))) return kCodecRaw;
  }
#endif
#ifdef LAVAFLOW_HAVE_ZSTD
  if (compression_ == LF_MPI_COMPRESSION_ZSTD || compression_ == LF_MPI_COMPRESSION_ADAPTIVE) {
    auto *context = static_cast<ZSTD_CCtx *>(contexts.zstd_compress());
    if (context == nullptr) return kCodecRaw;  // (made for every thread that compresses zstd)
    const size_t packed = ZSTD_compressCCtx(context, out, size, in, size, level_);
    if (ZSTD_isError(packed) || !pays(size, packed)) return kCodecRaw;
    *out_size = packed;
    return kCodecZstd;
  }
#endif
  return kCodecRaw;
}

lf_status_t Decompressor::decompress(Codec codec, const uint8_t *in, size_t size, uint8_t *out, size_t raw_size,
                                     const char **problem, CodecContexts &contexts) const noexcept {
  (void)contexts;
  (void)in;
  (void)size;
  (void)out;
  (void)raw_size;
  switch (codec) {
#ifdef LAVAFLOW_HAVE_LZ4
    case kCodecLz4: {
      const int n = LZ4_decompress_safe(reinterpret_cast<const char *>(in), reinterpret_cast<char *>(out),
                                        static_cast<int>(size), static_cast<int>(raw_size));
      if (n < 0 || static_cast<size_t>(n) != raw_size) return *problem = "an lz4 chunk that does not decode to its length", LF_ERR_CORRUPT;
      return LF_OK;
    }
#endif
#ifdef LAVAFLOW_HAVE_ZSTD
    case kCodecZstd: {
      auto *context = static_cast<ZSTD_DCtx *>(contexts.zstd_decompress());
      if (!zstd_announced_ || context == nullptr)
        return *problem = "a zstd chunk on a channel whose sender did not announce zstd", LF_ERR_PROTOCOL;
      const size_t n = ZSTD_decompressDCtx(context, out, raw_size, in, size);
      if (ZSTD_isError(n) || n != raw_size) return *problem = "a zstd chunk that does not decode to its length", LF_ERR_CORRUPT;
      return LF_OK;
    }
#endif
    default: return *problem = "a chunk compressed with a codec this build lacks", LF_ERR_UNSUPPORTED;
  }
}

}  // namespace lavaflow::mpi

/**
 * @file lavaflow_mpi.hpp
 * @brief C++20 wrapper of lavaflow_mpi.h: lf::mpi (an attachment to a communicator), channels
 *        between ranks as lf::producer / lf::consumer, and lf::mpi_pool_bridge.
 *
 * Link liblavaflow_mpi (pkg-config lavaflow_mpi). The rules of lavaflow.hpp apply.
 */
#ifndef LAVAFLOW_MPI_HPP
#define LAVAFLOW_MPI_HPP

#include "lavaflow.hpp"
#include "lavaflow_mpi.h"

#include <cstdint>
#include <string>

/**
 * @addtogroup cpp
 * @{
 */

namespace lf {

/** How to make one end of a channel over MPI: each setter sets one field of ::lf_mpi_channel_params_t. */
class mpi_channel_options {
 public:
  /** Compression (::lf_mpi_compression_t) and its level (0: the default). */
  mpi_channel_options &compression(int32_t kind, int32_t level = 0) {
    p_.compression = kind;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION;
    if (level != 0) {
      p_.compression_level = level;
      p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION_LEVEL;
    }
    return *this;
  }
  /** Authenticated encryption or integrity (::lf_mpi_cipher_t) with a 32-byte key (copied by the call). */
  mpi_channel_options &cipher(int32_t kind, const uint8_t *key32 = nullptr) {
    p_.cipher = kind;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_CIPHER;
    if (key32 != nullptr) {
      p_.key = key32;
      p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_KEY;
    }
    return *this;
  }
  /** Frames in flight, 2..64. */
  mpi_channel_options &pipeline_depth(uint32_t frames) {
    p_.pipeline_depth = frames;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH;
    return *this;
  }
  /** Bytes per chunk, a power of two from 64 KiB to 16 MiB. */
  mpi_channel_options &chunk_size(uint64_t bytes) {
    p_.chunk_size = bytes;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE;
    return *this;
  }
  /** Adaptive compression: compress a chunk only if it shrinks by this many percent. */
  mpi_channel_options &adaptive_min_gain(uint32_t percent) {
    p_.adaptive_min_gain_percent = percent;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_ADAPTIVE_MIN_GAIN;
    return *this;
  }
  /** 0: by scope; LF_TRANSPORT_MPI forces MPI; LF_TRANSPORT_SHARED_MEMORY requires it. */
  mpi_channel_options &transport(int32_t transport) {
    p_.transport = transport;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT;
    return *this;
  }
  /** ::lf_mpi_channel_flag_t bits, e.g. LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS. */
  mpi_channel_options &flags(uint32_t flags) {
    p_.flags |= flags;
    p_.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_FLAGS;
    return *this;
  }
  /** The C params. */
  const lf_mpi_channel_params_t *raw() const noexcept { return &p_; }

 private:
  lf_mpi_channel_params_t p_{};
};

/** lavaflow attached to an MPI communicator (see lavaflow_mpi.h); detached on destruction. */
class mpi {
 public:
  /** Attaches to `comm` (duplicated by lavaflow); `params` nullptr for defaults. */
  mpi(const context &ctx, MPI_Comm comm, const lf_mpi_params_t *params = nullptr) {
    lf_mpi_t *raw = nullptr;
    check(lf_mpi_attach(ctx.get(), comm, params, &raw));
    handle_ = unique_handle<lf_mpi_t, lf_mpi_detach>(raw);
  }
  /** The C handle. */
  lf_mpi_t *get() const noexcept { return handle_.get(); }
  /** Rank, size, thread level, progress mode, local ranks. */
  lf_mpi_info_t info() const {
    auto info = sized<lf_mpi_info_t>();
    check(lf_mpi_get_info(get(), &info));
    return info;
  }
  /** The scope between this rank and `rank`. */
  lf_scope_info_t peer_scope(int32_t rank) const {
    auto info = sized<lf_scope_info_t>();
    check(lf_mpi_get_peer_scope(get(), rank, &info));
    return info;
  }
  /** Why that scope. */
  std::string peer_reason(int32_t rank) const {
    return borrowed_text([&](const char **t) { return lf_mpi_get_peer_reason(get(), rank, t); });
  }
  /** The producer end of channel `channel_id` to `peer_rank` (shared memory when the scope allows, else MPI). */
  producer open_producer(int32_t peer_rank, uint32_t channel_id, const channel_options &options = {},
                         const mpi_channel_options &mpi_options = {}) {
    return producer(open(peer_rank, channel_id, LF_CHANNEL_PRODUCER, options, mpi_options));
  }
  /** The consumer end of channel `channel_id` from `peer_rank`. */
  consumer open_consumer(int32_t peer_rank, uint32_t channel_id, const channel_options &options = {},
                         const mpi_channel_options &mpi_options = {}) {
    return consumer(open(peer_rank, channel_id, LF_CHANNEL_CONSUMER, options, mpi_options));
  }
  /** The MPI statistics of an end this attachment opened. */
  lf_mpi_channel_stats_t stats(const detail::channel_end &end) const {
    auto stats = sized<lf_mpi_channel_stats_t>();
    check(lf_mpi_channel_get_stats(get(), end.get(), &stats));
    return stats;
  }
  /** Moves data now (caller progress mode). */
  void progress() { check(lf_mpi_progress(get())); }

 private:
  lf_channel_t *open(int32_t peer_rank, uint32_t channel_id, int32_t role, const channel_options &options,
                     const mpi_channel_options &mpi_options) {
    const lf_channel_params_t params = options.raw(role);
    lf_channel_t *raw = nullptr;
    check(lf_mpi_channel_open(get(), peer_rank, channel_id, role, &params, mpi_options.raw(), &raw));
    return raw;
  }
  unique_handle<lf_mpi_t, lf_mpi_detach> handle_;
};

/** One end of a tensor pool stream bridged between hosts over an MPI channel. */
class mpi_pool_bridge {
 public:
  /** The source (LF_MPI_POOL_BRIDGE_SOURCE) or sink end for `stream_id`; `params` nullptr for defaults. */
  mpi_pool_bridge(mpi &attachment, int32_t peer_rank, uint32_t channel_id, int32_t side, uint32_t stream_id,
                  const lf_mpi_pool_bridge_params_t *params = nullptr) {
    lf_mpi_pool_bridge_t *raw = nullptr;
    check(lf_mpi_pool_bridge_create(attachment.get(), peer_rank, channel_id, side, stream_id, params, &raw));
    handle_ = unique_handle<lf_mpi_pool_bridge_t, lf_mpi_pool_bridge_destroy>(raw);
  }
  /** The C handle. */
  lf_mpi_pool_bridge_t *get() const noexcept { return handle_.get(); }
  /**
   * Forwards up to `max_frames` (>= 1) within `wait` and gives how many moved; a timeout with
   * none moved is the value 0; the sink's end of the stream is lf::result::end_of_stream().
   */
  result<uint32_t> forward(uint32_t max_frames, lf::timeout wait = no_wait) {
    uint32_t frames = 0;
    const lf_status_t status = check(lf_mpi_pool_bridge_forward(get(), max_frames, wait.milliseconds(), &frames));
    if (status == LF_END_OF_STREAM) return result<uint32_t>::none(status);
    return result<uint32_t>(frames);
  }
  /** Frames, bytes, metadata, drops. */
  lf_mpi_pool_bridge_stats_t stats() const {
    auto stats = sized<lf_mpi_pool_bridge_stats_t>();
    check(lf_mpi_pool_bridge_get_stats(get(), &stats));
    return stats;
  }

 private:
  unique_handle<lf_mpi_pool_bridge_t, lf_mpi_pool_bridge_destroy> handle_;
};

/** liblavaflow_mpi's optional features (::lf_feature bits). */
inline uint64_t mpi_build_features() noexcept { return lf_mpi_build_features(); }
/** The MPI library liblavaflow_mpi runs with (MPI_Get_library_version()). */
inline std::string mpi_library_version() { return lf_mpi_library_version(); }
/** A compression's name. */
inline std::string mpi_compression_name(int32_t kind) { return lf_mpi_compression_name(kind); }
/** A cipher's name. */
inline std::string mpi_cipher_name(int32_t kind) { return lf_mpi_cipher_name(kind); }

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_MPI_HPP */

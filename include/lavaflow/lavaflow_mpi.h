/**
 * @file lavaflow_mpi.h
 * @brief Channels between MPI ranks: shared memory on one host, MPI point-to-point across
 *        hosts, with chunked pipelining, compression and authenticated encryption.
 *
 * Link with `pkg-config --cflags --libs lavaflow_mpi` (liblavaflow_mpi; liblavaflow itself
 * never depends on MPI). The application initialises MPI; lavaflow never calls MPI_Init or
 * MPI_Finalize unless asked (`LF_MPI_FLAG_INIT_MPI`).
 *
 * lf_mpi_attach() is collective over a communicator: the ranks exchange their identities
 * (one MPI_Allgather) and decide the scope between every pair (scope.h). A channel between
 * two ranks (lf_mpi_channel_open(), called by both) is then an ordinary ::lf_channel_t:
 * - same host (scope `HOST` or closer): a shared-memory ring, exactly as lf_channel_create()
 *   / lf_channel_open() would make (zero copy, no MPI on the data path);
 * - isolated or remote: the MPI transport, on a duplicate of the communicator (lavaflow's
 *   messages never match the application's). `LAVAFLOW_SCOPE_OVERRIDE=remote` (or the
 *   context's `scope_override`) forces it between ranks of one host, for tests.
 * lf_channel_get_info() reports the transport (`LF_TRANSPORT_MPI`), lf_channel_get_reason()
 * why.
 *
 * **The MPI transport.** A message of up to `chunk_size` bytes travels as one frame; a
 * larger one is split into chunks that flow through a bounded pipeline (read, compress,
 * encrypt, send; and the reverse), `pipeline_depth` chunks in flight per channel. The sender
 * never has more frames outstanding than the receiver granted (credits), so no side buffers
 * without bound, and a full consumer slows its producer down instead of losing data.
 * Compression (per channel): none, lz4, zstd (level), or adaptive — each chunk is sampled and
 * sent raw when it does not compress. Protection (per channel): none, XChaCha20-Poly1305,
 * AES-256-GCM (when the CPU supports it), or integrity only (keyed BLAKE2b). Every frame's
 * header (channel id, sequence, flags, lengths) is authenticated; a tampered, replayed,
 * reordered, truncated or wrong-key frame is never delivered: the consumer receives
 * everything before it, then `LF_ERR_AUTH` with the reason. Keys: 32 bytes from the params,
 * or from the file named by `LAVAFLOW_KEY_FILE` (mode 0600, 32 raw bytes or 64 hex digits).
 * Each channel direction derives a fresh key from the master key and random salts of both
 * ranks, so a nonce (the frame's sequence number) never repeats for a key.
 *
 * **Progress.** With `MPI_THREAD_MULTIPLE`, a lavaflow thread moves the data (default). At
 * lower thread levels the data moves only inside lavaflow calls: a channel's waits and
 * commits, and lf_mpi_progress() (a release makes no pass: the room it frees and the credits
 * it earns move with the next call). Those calls then count as MPI calls for the thread
 * level: with `MPI_THREAD_FUNNELED` make them from the main thread; with
 * `MPI_THREAD_SERIALIZED` never concurrently with the application's own MPI calls.
 *
 * **Peer failure.** A rank that dies is noticed by its process (ranks of one kernel) or by
 * missing heartbeats (a rank with a progress thread sends one every 250 ms; the default
 * timeout is 10 s): the survivor's end returns `LF_ERR_PEER_DEAD` after what was delivered.
 * mpirun aborts the whole job when a rank dies unless started with `--enable-recovery`.
 */
#ifndef LAVAFLOW_MPI_H
#define LAVAFLOW_MPI_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "context.h"
#include "export.h"
#include "pool.h"
#include "scope.h"
#include "status.h"

/**
 * @addtogroup mpi
 * @{
 */

/** A communicator attached to a context (opaque handle). */
typedef struct lf_mpi lf_mpi_t;

/** Who moves the data of the MPI transport (::lf_mpi_params_t::progress). */
typedef enum lf_mpi_progress_mode {
  LF_MPI_PROGRESS_AUTO = 0,   /**< a thread with `MPI_THREAD_MULTIPLE`, else the caller */
  LF_MPI_PROGRESS_THREAD = 1, /**< a lavaflow thread (needs `MPI_THREAD_MULTIPLE`) */
  LF_MPI_PROGRESS_CALLER = 2  /**< only lavaflow calls on this thread: lowest latency, no extra thread */
} lf_mpi_progress_mode_t;

/** Bits of ::lf_mpi_params_t::flags. */
enum lf_mpi_flag {
  LF_MPI_FLAG_INIT_MPI = 1u << 0 /**< call MPI_Init_thread if MPI is not initialised, and MPI_Finalize at detach */
};

/** Bits of ::lf_mpi_params_t::field_mask. */
enum lf_mpi_param_field {
  LF_MPI_PARAM_FIELD_PROGRESS = 1u << 0,     /**< `progress` */
  LF_MPI_PARAM_FIELD_PEER_TIMEOUT = 1u << 1, /**< `peer_timeout_ms` */
  LF_MPI_PARAM_FIELD_FLAGS = 1u << 2,        /**< `flags` */
  LF_MPI_PARAM_FIELD_WORKER_THREADS = 1u << 3 /**< `worker_threads` */
};

/**
 * Parameters of lf_mpi_attach(). Zeroed (or NULL) means: automatic progress, peers declared
 * dead after 10 s without a heartbeat, MPI initialised by the application, worker threads
 * as the cores allow.
 *
 * Worker threads compress, seal, open and decompress chunks of at least 64 KiB of channels
 * with a codec or a cipher, while the thread that drives MPI keeps frames moving (several
 * chunks at once, in order on the wire). Without the field: the cores this process may run
 * on, divided by the ranks of this host, minus one (for the rank itself), at most 4 — none
 * when the ranks fill the cores (then that work runs on the progress path, as with 0).
 * Environment: LAVAFLOW_MPI_WORKERS (0..16) overrides both.
 */
typedef struct lf_mpi_params {
  uint64_t field_mask;     /**< bitwise OR of ::lf_mpi_param_field; unknown bits are rejected */
  int32_t progress;        /**< an ::lf_mpi_progress_mode_t value */
  int32_t peer_timeout_ms; /**< heartbeat silence after which a peer is dead; -1 never (environment: LAVAFLOW_MPI_PEER_TIMEOUT_MS) */
  uint32_t flags;          /**< bitwise OR of ::lf_mpi_flag values */
  uint32_t worker_threads; /**< 0..16 codec and cipher workers; 0 none (with ::LF_MPI_PARAM_FIELD_WORKER_THREADS) */
} lf_mpi_params_t;

/** What an attachment is. Set `struct_size = sizeof(lf_mpi_info_t)` before the call. */
typedef struct lf_mpi_info {
  uint32_t struct_size;  /**< in: sizeof(lf_mpi_info_t) as the caller knows it */
  int32_t rank;          /**< this rank in the communicator */
  int32_t size;          /**< ranks in the communicator */
  int32_t thread_level;  /**< MPI_THREAD_* as MPI_Query_thread reports it */
  int32_t progress;      /**< the ::lf_mpi_progress_mode_t in effect (never AUTO) */
  int32_t local_ranks;   /**< ranks (this one included) that share memory with this one */
  uint32_t channels;     /**< channels over MPI open now */
  uint32_t worker_threads; /**< codec and cipher worker threads running (::lf_mpi_params_t::worker_threads) */
} lf_mpi_info_t;

/** Compression of a channel's MPI frames (::lf_mpi_channel_params_t::compression). */
typedef enum lf_mpi_compression {
  LF_MPI_COMPRESSION_NONE = 0,    /**< send bytes as they are */
  LF_MPI_COMPRESSION_LZ4 = 1,     /**< lz4: fast, modest ratio */
  LF_MPI_COMPRESSION_ZSTD = 2,    /**< zstd at `compression_level` (default 1) */
  LF_MPI_COMPRESSION_ADAPTIVE = 3 /**< zstd, but each chunk is sampled first and sent raw when it does not compress */
} lf_mpi_compression_t;

/** Protection of a channel's MPI frames (::lf_mpi_channel_params_t::cipher). */
typedef enum lf_mpi_cipher {
  LF_MPI_CIPHER_NONE = 0,              /**< no authentication, no encryption */
  LF_MPI_CIPHER_XCHACHA20_POLY1305 = 1, /**< authenticated encryption (libsodium) */
  LF_MPI_CIPHER_AES256_GCM = 2,        /**< authenticated encryption with AES-NI (`LF_ERR_UNSUPPORTED` without it) */
  LF_MPI_CIPHER_MAC_ONLY = 3           /**< integrity only: keyed BLAKE2b-256, bytes travel in clear */
} lf_mpi_cipher_t;

/** Bits of ::lf_mpi_channel_params_t::field_mask. */
enum lf_mpi_channel_param_field {
  LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION = 1u << 0,       /**< `compression` */
  LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION_LEVEL = 1u << 1, /**< `compression_level` */
  LF_MPI_CHANNEL_PARAM_FIELD_CIPHER = 1u << 2,            /**< `cipher` */
  LF_MPI_CHANNEL_PARAM_FIELD_KEY = 1u << 3,               /**< `key` */
  LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE = 1u << 4,        /**< `chunk_size` */
  LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH = 1u << 5,    /**< `pipeline_depth` */
  LF_MPI_CHANNEL_PARAM_FIELD_ADAPTIVE_MIN_GAIN = 1u << 6, /**< `adaptive_min_gain_percent` */
  LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT = 1u << 7,         /**< `transport` */
  LF_MPI_CHANNEL_PARAM_FIELD_FLAGS = 1u << 8              /**< `flags` */
};

/** Bits of ::lf_mpi_channel_params_t::flags. */
typedef enum lf_mpi_channel_flag {
  /**
   * Sends with no timeout copy a large message into the ring, as every send with a timeout
   * does, and return as soon as it has room — instead of sending it straight from the
   * caller's buffer and returning when the consumer's rank has taken it (the default on a
   * channel without codec or cipher, like MPI_Send: see "Zero-copy" in docs/mpi.md). For a
   * producer whose consumer rank, with caller progress, makes no lavaflow call for a while
   * and must not hold the producer up meanwhile.
   */
  LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS = 1u << 0
} lf_mpi_channel_flag_t;

/**
 * Parameters of lf_mpi_channel_open() for the MPI transport (ignored on shared memory).
 * Zeroed (or NULL) means: no compression, no protection, 1 MiB chunks, adaptive compression
 * keeps a chunk only if it saves at least 10 %, transport by scope, and 16 frames in flight
 * (enough for four worker threads; fewer credit messages than smaller windows, which a
 * ping-pong pays for). The consumer's `chunk_size` and `pipeline_depth` bind both ends
 * (lf_mpi_channel_get_stats() reports them).
 * Both ranks must pass the same `cipher` (and key); compression is the sender's choice.
 */
typedef struct lf_mpi_channel_params {
  uint64_t field_mask;                /**< bitwise OR of ::lf_mpi_channel_param_field; unknown bits are rejected */
  int32_t compression;                /**< an ::lf_mpi_compression_t value */
  int32_t compression_level;          /**< zstd level 1..19 (lz4: acceleration 1..65537) */
  int32_t cipher;                     /**< an ::lf_mpi_cipher_t value */
  uint32_t pipeline_depth;            /**< frames in flight per channel, 2..64 (with compression each end holds this many chunk-sized buffers) */
  const uint8_t *key;                 /**< 32 bytes (borrowed, copied); without it, LAVAFLOW_KEY_FILE */
  uint64_t chunk_size;                /**< bytes per chunk, a power of two from 64 KiB to 16 MiB */
  uint32_t adaptive_min_gain_percent; /**< 0..90: a chunk is sent compressed only if it shrinks by this much */
  int32_t transport;                  /**< 0: by scope; `LF_TRANSPORT_MPI` forces MPI; `LF_TRANSPORT_SHARED_MEMORY` requires it */
  uint32_t flags;                     /**< bitwise OR of ::lf_mpi_channel_flag_t values (this end's) */
} lf_mpi_channel_params_t;

/** Counters of a channel over MPI. Set `struct_size = sizeof(lf_mpi_channel_stats_t)`. */
typedef struct lf_mpi_channel_stats {
  uint32_t struct_size;       /**< in: sizeof(lf_mpi_channel_stats_t) as the caller knows it */
  int32_t cipher;             /**< the ::lf_mpi_cipher_t in use */
  int32_t compression;        /**< this side's ::lf_mpi_compression_t (a sender's choice) */
  int32_t peer_rank;          /**< the other rank */
  uint64_t messages;          /**< messages sent or received over MPI */
  uint64_t payload_bytes;     /**< their bytes before compression */
  uint64_t wire_bytes;        /**< frame bytes that crossed MPI (headers included) */
  uint64_t frames;            /**< frames sent or received */
  uint64_t compressed_chunks; /**< chunks sent or received compressed */
  uint64_t raw_chunks;        /**< chunks sent raw because they did not compress (adaptive) */
  uint64_t auth_failures;     /**< frames rejected (at most 1: the channel stops there) */
  uint64_t credit_stalls;     /**< times a sender had data but waited for the receiver (credits, or frames not yet taken) */
  uint64_t worker_chunks;     /**< chunks compressed and sealed, or opened and decompressed, on a worker thread */
  uint64_t chunk_size;        /**< bytes per chunk in use (the consumer's choice) */
  uint32_t pipeline_depth;    /**< frames in flight in use (the consumer's choice) */
  uint32_t reserved0;         /**< 0 */
  uint64_t zero_copy_messages; /**< large messages that went straight between the caller's buffer and MPI, past the ring (a send with no timeout on a channel without codec or cipher, a receive with no timeout on a channel without codec: see "Zero-copy" in docs/mpi.md) */
} lf_mpi_channel_stats_t;

LF_EXTERN_C_BEGIN

/**
 * Attach a communicator: duplicate it, exchange identities (collective over `comm`), decide
 * the scope to every rank, and start the progress thread if there is one.
 * If the program left SIGPIPE at its default action, it is ignored from here on: Open MPI's
 * TCP transport can write to a dead peer's socket, which would end this rank instead of
 * giving it `LF_ERR_PEER_DEAD` (a handler or disposition the program set is kept).
 * Environment (read here): LAVAFLOW_MPI_PROGRESS (`auto`, `thread`, `caller`),
 * LAVAFLOW_MPI_WORKERS, LAVAFLOW_MPI_PEER_TIMEOUT_MS, and LAVAFLOW_MPI_DIRECT=0, which makes
 * every message of the channels opened on this attachment go through the rings (no shortcut
 * for a small message sent or received while nothing is queued: docs/mpi.md).
 * @param context the context (borrowed; the attachment keeps it alive)
 * @param comm the communicator (borrowed; lavaflow works on its own duplicate)
 * @param params NULL for defaults (borrowed)
 * @param[out] out_mpi returned: destroy with lf_mpi_detach(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` (MPI not initialised and `LF_MPI_FLAG_INIT_MPI`
 *         not set, or already finalized); `LF_ERR_UNSUPPORTED` (a progress thread without
 *         `MPI_THREAD_MULTIPLE`); `LF_ERR_INVALID_ARGUMENT`; `LF_ERR_SYSTEM` (an MPI call
 *         failed: the message names it).
 * @threadsafety Collective over `comm`: call it from one thread per rank, as MPI's thread level
 * allows.
 */
LF_API lf_status_t lf_mpi_attach(lf_context_t *context, MPI_Comm comm, const lf_mpi_params_t *params,
                                     lf_mpi_t **out_mpi);

/**
 * lf_mpi_attach() for Fortran: the communicator as its integer handle (MPI_Comm_f2c).
 * @param context the context (borrowed)
 * @param comm a Fortran communicator handle, e.g. MPI_COMM_WORLD of `use mpi`
 * @param params NULL for defaults (borrowed)
 * @param[out] out_mpi returned: destroy with lf_mpi_detach()
 * @return as lf_mpi_attach(); `LF_ERR_INVALID_STATE` when MPI is not initialised.
 * @threadsafety As lf_mpi_attach().
 */
LF_API lf_status_t lf_mpi_attach_f(lf_context_t *context, MPI_Fint comm, const lf_mpi_params_t *params,
                                       lf_mpi_t **out_mpi);

/**
 * Stop the progress thread, drop what is still in flight on channels over MPI (their ends
 * then report `LF_ERR_CLOSED`), free the duplicate communicator. NULL is a no-op.
 * Channels on shared memory are not affected. Call before MPI_Finalize.
 * If a progress pass is inside an MPI call that does not return (MPI hung — Open MPI's TCP
 * transport can spin for good after a peer died), this does not wait for it forever: once
 * no pass has ended for the peer timeout (`peer_timeout_ms`, at least 1 s; -1: wait forever)
 * it returns `LF_ERR_BUSY`, the handle is gone, and the attachment, its threads and its
 * communicator are left behind (never freed, since that thread still uses them). MPI is then
 * not to be relied on in this process: end it without MPI_Finalize, which would wait too.
 * @param mpi the attachment, or NULL
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`; `LF_ERR_BUSY` (MPI hung, above).
 * @threadsafety One thread, once per attachment, when no other call on it or its channels is
 * running; it makes MPI calls, as MPI's thread level allows.
 */
LF_API lf_status_t lf_mpi_detach(lf_mpi_t *mpi);

/**
 * What the attachment is.
 * @param mpi the attachment (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_mpi_get_info(const lf_mpi_t *mpi, lf_mpi_info_t *out_info);

/**
 * The scope between this rank and `rank`, as decided at attach.
 * @param mpi the attachment (borrowed)
 * @param rank 0..size-1 (this rank itself gives `LF_SCOPE_PROCESS`)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (no such rank); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_mpi_get_peer_scope(const lf_mpi_t *mpi, int32_t rank, lf_scope_info_t *out_info);

/**
 * Why that scope, and which transport a channel to `rank` takes, in one line.
 * @param mpi the attachment (borrowed)
 * @param rank 0..size-1
 * @param[out] out_text borrowed; valid while the attachment lives
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (no such rank, NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_mpi_get_peer_reason(const lf_mpi_t *mpi, int32_t rank, const char **out_text);

/**
 * Open one end of a channel to `peer_rank`; the peer opens the other end with the same
 * `channel_id` and the other role. Blocks until the peer's end answers (the channel params'
 * `connect_timeout_ms`, default 30 s). On shared memory the consumer's ring shape applies to
 * both; over MPI each rank's ring is made from its own params (the producer's messages must
 * fit the consumer's `max_message_size`: larger ones fail with `LF_ERR_INVALID_ARGUMENT`).
 * Only single-producer channels: `max_producers` must be 1.
 * @param mpi the attachment (borrowed; the channel keeps it alive)
 * @param peer_rank the other end's rank, not this one
 * @param channel_id 0..(MPI_TAG_UB / 4): unique per pair of ranks among open channels
 * @param role this end: an ::lf_channel_role_t value
 * @param channel_params the ring (borrowed; NULL for defaults); `role` is ignored
 * @param mpi_params NULL for defaults (borrowed)
 * @param[out] out_channel returned: destroy with lf_channel_destroy(); written on success
 * @return `LF_OK`; `LF_TIMEOUT` (the peer did not answer); `LF_ERR_PROTOCOL` (the peer asked
 *         for the same role, another cipher or another id); `LF_ERR_UNSUPPORTED` (a codec or
 *         cipher this build or CPU lacks, or shared memory required but impossible);
 *         `LF_ERR_PERMISSION` (the key file is readable by others); `LF_ERR_INVALID_ARGUMENT`.
 * @threadsafety Any thread, concurrently, as the MPI thread level allows (lavaflow_mpi.h,
 * "Progress": below `MPI_THREAD_MULTIPLE` with caller progress it makes MPI calls).
 */
LF_API lf_status_t lf_mpi_channel_open(lf_mpi_t *mpi, int32_t peer_rank, uint32_t channel_id, int32_t role,
                                           const lf_channel_params_t *channel_params,
                                           const lf_mpi_channel_params_t *mpi_params, lf_channel_t **out_channel);

/**
 * Counters of a channel that runs over MPI.
 * @param mpi the attachment the channel was opened on (borrowed)
 * @param channel the user's end (borrowed)
 * @param[out] out_stats caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` (the channel does not run over MPI on this attachment).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_mpi_channel_get_stats(const lf_mpi_t *mpi, const lf_channel_t *channel,
                                                lf_mpi_channel_stats_t *out_stats);

/**
 * Move data on every channel over MPI of this attachment: post and complete what can be
 * without waiting. Needed only with caller progress, by a rank that makes no other lavaflow
 * call for a while (e.g. one that only computes, while its channels should keep flowing).
 * @param mpi the attachment (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently, as the MPI thread level allows (lavaflow_mpi.h,
 * "Progress": below `MPI_THREAD_MULTIPLE` with caller progress it makes MPI calls). One caller
 * progresses at a time: another returns at once.
 */
LF_API lf_status_t lf_mpi_progress(lf_mpi_t *mpi);

/**
 * @name Tensor pool bridge
 * Forwards a tensor pool stream (pool.h) to a pool on another rank's host: on the *source*
 * rank a pool consumer of the stream reads frames and sends each (its header fields and
 * payload) and the stream's metadata over a channel to the *sink* rank, whose pool producer
 * publishes them into a stream of its host's pool (through that host's driver, embedded or
 * standalone). The channel is an lf_mpi_channel_open() channel: shared memory between ranks
 * of one host, the MPI transport (compression, encryption) across hosts.
 *
 * The pool never waits for a consumer, and neither does the bridge's source: a frame the
 * source has not read before the producer reuses its slot is a drop (the source's pool
 * counters), and so is one torn while it was copied. The channel between the two ranks is
 * lossless and ordered. Frames keep their header fields (dtype, shape, strides, timestamp,
 * progress fields); the sink's stream numbers them itself (its own sequence and epochs) and
 * gives each metadata record its own version, which its frames carry.
 *
 * Data moves inside lf_mpi_pool_bridge_forward(): call it in a loop on both ranks (from a
 * thread of your own where the MPI thread level allows). Not thread-safe per bridge.
 * @{
 */

/** Which side of a pool bridge this rank is. */
typedef enum lf_mpi_pool_bridge_side {
  LF_MPI_POOL_BRIDGE_SOURCE = 0, /**< reads the stream from this host's pool and sends it */
  LF_MPI_POOL_BRIDGE_SINK = 1    /**< publishes what arrives into a stream of this host's pool */
} lf_mpi_pool_bridge_side_t;

/** A pool bridge's end on this rank. */
typedef struct lf_mpi_pool_bridge lf_mpi_pool_bridge_t;

/** Bits of ::lf_mpi_pool_bridge_params_t::field_mask. */
enum lf_mpi_pool_bridge_param_field {
  LF_MPI_POOL_BRIDGE_PARAM_FIELD_CONSUMER = 1u << 0, /**< `consumer` */
  LF_MPI_POOL_BRIDGE_PARAM_FIELD_PRODUCER = 1u << 1, /**< `producer` */
  LF_MPI_POOL_BRIDGE_PARAM_FIELD_CHANNEL = 1u << 2   /**< `channel` and `mpi_channel` */
};

/** How to make a pool bridge's end. Zeroed (or NULL) means all defaults. */
typedef struct lf_mpi_pool_bridge_params {
  uint64_t field_mask;                          /**< bitwise OR of ::lf_mpi_pool_bridge_param_field */
  const lf_pool_consumer_params_t *consumer;    /**< source: how to attach to the stream (default: STREAM mode) */
  const lf_pool_producer_params_t *producer;    /**< sink: how to attach to its stream (default: defaults) */
  const lf_channel_params_t *channel;           /**< both: the channel's ring and open timeout (default: a ring of at least 1 MiB that holds three of the stream's largest frames; capacity and max_message_size given here must hold one) */
  const lf_mpi_channel_params_t *mpi_channel;   /**< both: compression, cipher, key (as for lf_mpi_channel_open()) */
} lf_mpi_pool_bridge_params_t;

/** What a pool bridge's end has done. */
typedef struct lf_mpi_pool_bridge_stats {
  uint32_t struct_size;     /**< in: sizeof(lf_mpi_pool_bridge_stats_t) as the caller knows it */
  int32_t side;             /**< an ::lf_mpi_pool_bridge_side_t value */
  uint64_t frames;          /**< frames sent (source) or published (sink) */
  uint64_t payload_bytes;   /**< their payload bytes */
  uint64_t metadata;        /**< metadata records sent or published */
  uint64_t source_drops;    /**< source: frames of the stream not forwarded (drops_gap + drops_late + invalid of its pool consumer) */
  uint64_t rejected;        /**< sink: messages that failed validation (the bridge stopped at the first) */
} lf_mpi_pool_bridge_stats_t;

/**
 * Make this rank's end of a pool bridge; the peer rank makes the other side with the same
 * `channel_id` (the two calls meet, as lf_mpi_channel_open() calls do).
 * @param mpi the attachment (borrowed; the bridge's channel keeps what it needs alive)
 * @param peer_rank the other side's rank
 * @param channel_id the bridge's channel id (as for lf_mpi_channel_open())
 * @param side an ::lf_mpi_pool_bridge_side_t value
 * @param stream_id source: the stream to read; sink: the stream to publish into
 * @param params NULL for defaults (borrowed)
 * @param[out] out_bridge returned: destroy with lf_mpi_pool_bridge_destroy()
 * @return `LF_OK`; `LF_TIMEOUT` (the peer did not come); `LF_ERR_PROTOCOL` (both asked for the
 *         same side); the errors of lf_pool_consumer_attach(), lf_pool_producer_attach() and
 *         lf_mpi_channel_open(); `LF_ERR_INVALID_ARGUMENT`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently, as the MPI thread level allows (lavaflow_mpi.h,
 * "Progress": below `MPI_THREAD_MULTIPLE` with caller progress it makes MPI calls).
 */
LF_API lf_status_t lf_mpi_pool_bridge_create(lf_mpi_t *mpi, int32_t peer_rank, uint32_t channel_id, int32_t side,
                                                 uint32_t stream_id, const lf_mpi_pool_bridge_params_t *params,
                                                 lf_mpi_pool_bridge_t **out_bridge);

/**
 * Forward frames: the source waits for frames of its stream and sends them (and the
 * metadata before the first frame that refers to a new version); the sink receives and
 * publishes them. Returns after `max_frames` frames, or once `timeout_ms` has passed (with the
 * frames forwarded until then): every wait of one call — for channel room, for a frame —
 * shares that one deadline. A sink whose pool lease the driver revoked (a starved process
 * misses keepalives) waits within that deadline — at most 10 s of a call without one — for
 * its producer to take a new lease; if it is not back in time the call returns `LF_TIMEOUT`
 * and the frame waits for the next call (nothing is lost or reordered).
 * @param bridge the bridge's end
 * @param max_frames at most this many frames (>= 1)
 * @param timeout_ms how long the call may wait in all (negative: forever; 0: only what is ready)
 * @param[out] out_frames optional: frames forwarded by this call
 * @return `LF_OK` (at least one frame); `LF_TIMEOUT` (none in time); `LF_END_OF_STREAM` (sink:
 *         the source's end was destroyed and everything it sent is published);
 *         `LF_ERR_CLOSED` (source: the sink's end was destroyed); `LF_ERR_PROTOCOL` (sink: a
 *         message failed validation; nothing of it was published); `LF_ERR_PEER_DEAD`;
 *         `LF_ERR_AUTH`; the pool's errors; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per bridge (externally synchronized), as MPI's thread
 * level allows.
 */
LF_API lf_status_t lf_mpi_pool_bridge_forward(lf_mpi_pool_bridge_t *bridge, uint32_t max_frames, int32_t timeout_ms,
                                                  uint32_t *out_frames);

/**
 * The bridge's counters.
 * @param bridge the bridge's end (borrowed)
 * @param[out] out_stats caller-provided, `struct_size` set
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per bridge (externally synchronized), with its other
 * calls.
 */
LF_API lf_status_t lf_mpi_pool_bridge_get_stats(const lf_mpi_pool_bridge_t *bridge,
                                                    lf_mpi_pool_bridge_stats_t *out_stats);

/**
 * Destroy this rank's end: the source's channel closes after what was sent (the sink's
 * forward then returns `LF_END_OF_STREAM`); the pool consumer or producer detaches.
 * NULL is a no-op.
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Not while another thread is inside a call on this bridge.
 */
LF_API lf_status_t lf_mpi_pool_bridge_destroy(lf_mpi_pool_bridge_t *bridge);

/** @} */

/**
 * Which optional features this build of liblavaflow_mpi contains: ::LF_FEATURE_MPI, and
 * ::LF_FEATURE_ZSTD, ::LF_FEATURE_LZ4 and ::LF_FEATURE_SODIUM when it was built with them (a
 * codec or cipher without its library answers `LF_ERR_UNSUPPORTED`).
 * @return a bitwise OR of ::lf_feature_t values (version.h).
 * @threadsafety Any thread, concurrently.
 */
LF_API uint64_t lf_mpi_build_features(void);

/**
 * The MPI library liblavaflow_mpi runs with, as it names itself (`MPI_Get_library_version`,
 * which MPI allows before `MPI_Init`), e.g. "Open MPI v4.1.4, package: ...".
 * @return static text, read on the first call (borrowed; never NULL, never freed).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_mpi_library_version(void);

/**
 * The name of a compression ("none", "lz4", "zstd", "adaptive"); "invalid" otherwise.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_mpi_compression_name(int32_t compression);

/**
 * The name of a cipher ("none", "xchacha20-poly1305", "aes256-gcm", "mac-only"); "invalid" otherwise.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_mpi_cipher_name(int32_t cipher);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_MPI_H */

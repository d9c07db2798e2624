/**
 * @file pool.h
 * @brief The tensor pool: shared-memory frame streams with seqlock slots, consumer modes,
 *        drop accounting, QoS counters, and a lease-granting driver.
 *
 * A producer publishes a stream of frames (tensors: dtype, up to 8 dims, strides, payload)
 * into shared memory; any number of consumers on the host read them in place, at their own
 * pace, and never slow the producer down: it overwrites, and a consumer that falls behind
 * counts what it missed. A stream (a `uint32_t` id) is a set of region files the **driver**
 * owns: a header ring of 256-byte slot headers, payload pools of fixed-stride slots (the
 * smallest that fits a frame is used), and lavaflow's control region (published sequence,
 * wake-up word, QoS counters, metadata, consumer table). Layouts: docs/wire-formats.md.
 *
 * The driver grants leases (one producer per stream, any number of consumers), expires them
 * when keepalives stop, revokes them at once when a client's process dies, and moves a stream
 * to a new **epoch** (new files) when its producer changes; producers and consumers follow
 * epochs transparently. A process that attaches and finds no driver starts one on a thread
 * (embedded, unless ::LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER says not to); `lavaflow driver` runs one
 * standalone from a TOML file. docs/tensor-pool.md is the user guide.
 *
 * Threads: attach, detach and the driver calls are thread-safe. The data calls of one producer
 * (claim/commit/abort/publish) and of one consumer (poll/wait/release) are externally
 * synchronized: one thread at a time per handle. They allocate nothing and make no system call,
 * except commit waking a sleeping consumer and wait sleeping.
 */
#ifndef LAVAFLOW_POOL_H
#define LAVAFLOW_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "status.h"

/**
 * @addtogroup pool
 * @{
 */

/** The most dimensions a frame has. */
#define LF_POOL_MAX_DIMS 8

/** Region types (::lf_pool_region_info_t::region_type). */
typedef enum lf_pool_region_type {
  LF_POOL_REGION_HEADER_RING = 1,  /**< slot headers */
  LF_POOL_REGION_PAYLOAD_POOL = 2, /**< payload slots of one stride */
  LF_POOL_REGION_CONTROL = 3       /**< lavaflow's control region (published sequence, QoS) */
} lf_pool_region_type_t;

/** Element types (::lf_pool_frame_info_t::dtype), the wire spec's values. */
typedef enum lf_dtype {
  LF_DTYPE_UNKNOWN = 0, /**< unknown */
  LF_DTYPE_UINT8 = 1,   /**< uint8 */
  LF_DTYPE_INT8 = 2,    /**< int8 */
  LF_DTYPE_UINT16 = 3,  /**< uint16 */
  LF_DTYPE_INT16 = 4,   /**< int16 */
  LF_DTYPE_UINT32 = 5,  /**< uint32 */
  LF_DTYPE_INT32 = 6,   /**< int32 */
  LF_DTYPE_UINT64 = 7,  /**< uint64 */
  LF_DTYPE_INT64 = 8,   /**< int64 */
  LF_DTYPE_FLOAT32 = 9, /**< float32 */
  LF_DTYPE_FLOAT64 = 10, /**< float64 */
  LF_DTYPE_BOOLEAN = 11, /**< boolean, one byte */
  LF_DTYPE_BYTES = 13,   /**< opaque bytes */
  LF_DTYPE_BIT = 14      /**< packed bits */
} lf_dtype_t;

/** Element order (::lf_pool_frame_info_t::major_order). */
typedef enum lf_major_order {
  LF_ORDER_UNKNOWN = 0, /**< unknown (strides must then be 0: contiguous) */
  LF_ORDER_ROW = 1,     /**< row-major (C) */
  LF_ORDER_COLUMN = 2   /**< column-major (Fortran) */
} lf_major_order_t;

/**
 * A region's superblock. Set `struct_size = sizeof(lf_pool_region_info_t)` before the call.
 */
typedef struct lf_pool_region_info {
  uint32_t struct_size;           /**< in: sizeof(lf_pool_region_info_t) as the caller knows it */
  int32_t region_type;            /**< an ::lf_pool_region_type_t value */
  uint32_t layout_version;        /**< 1 */
  uint32_t stream_id;             /**< the stream */
  uint64_t epoch;                 /**< the epoch the file belongs to */
  uint32_t pool_id;               /**< payload pools: their id (1..); 0 for the header ring */
  uint32_t nslots;                /**< slots (a power of two) */
  uint32_t slot_bytes;            /**< header ring: 256 */
  uint32_t stride_bytes;          /**< payload pools: bytes per slot */
  uint64_t pid;                   /**< the producer's pid (informational) */
  uint64_t start_timestamp_ns;    /**< when the region was created (CLOCK_MONOTONIC ns) */
  uint64_t activity_timestamp_ns; /**< refreshed by a live producer (CLOCK_MONOTONIC ns): stale means presumed dead */
  uint64_t file_bytes;            /**< the file's size */
  uint32_t committed_slots;       /**< header ring: slots holding a committed, valid frame */
  uint32_t invalid_slots;         /**< header ring: committed slots whose header fails validation */
  uint64_t newest_seq;            /**< header ring: the highest committed sequence (if any committed) */
} lf_pool_region_info_t;

/**
 * One frame's slot header, decoded and validated. Set `struct_size` before the call.
 */
typedef struct lf_pool_frame_info {
  uint32_t struct_size;            /**< in: sizeof(lf_pool_frame_info_t) as the caller knows it */
  uint32_t slot;                   /**< the header slot */
  uint64_t seq;                    /**< the frame's sequence number */
  uint64_t timestamp_ns;           /**< the producer's timestamp */
  uint32_t values_len_bytes;       /**< payload bytes */
  uint32_t payload_slot;           /**< its slot in the payload pool (= slot) */
  uint32_t pool_id;                /**< the payload pool */
  uint32_t meta_version;           /**< the stream metadata version the frame refers to */
  int32_t dtype;                   /**< an ::lf_dtype_t value */
  int32_t major_order;             /**< an ::lf_major_order_t value */
  uint32_t ndims;                  /**< 1..8 */
  uint32_t progress_unit;          /**< 0 none, 1 rows, 2 columns */
  uint32_t progress_stride_bytes;  /**< bytes per progress unit */
  int32_t dims[LF_POOL_MAX_DIMS];    /**< extents; zero beyond ndims */
  int32_t strides[LF_POOL_MAX_DIMS]; /**< byte strides; all 0 = contiguous */
} lf_pool_frame_info_t;

LF_EXTERN_C_BEGIN

/**
 * Validate a tensor pool region file and read its superblock and (header rings) its newest
 * committed frames, newest first. The path must be absolute, inside
 * `<base>/lavaflow-<uid>/` of the context's base directory, reached without symlinks, and name a
 * regular file of ours, mode 0600, of the size its superblock describes; it is mapped read-only
 * and only then. Slots are read with the seqlock protocol: a slot being written is skipped.
 * @param context the context (borrowed): its base directory bounds the path
 * @param path the region file (borrowed)
 * @param[out] out_region caller-provided, `struct_size` set; written on success
 * @param[out] out_frames an array of `max_frames` with `struct_size` set in each, or NULL
 * @param max_frames its length (0 with NULL)
 * @param[out] out_frame_count how many were written (may be NULL)
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (relative path, "." or ".."); `LF_ERR_PERMISSION`
 *         (outside the base, a symlink, not a regular file, another owner, loose mode);
 *         `LF_ERR_NOT_FOUND`; `LF_ERR_CORRUPT` (a superblock field, with its name; the size);
 *         `LF_ERR_VERSION_MISMATCH`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_inspect(lf_context_t *context, const char *path, lf_pool_region_info_t *out_region,
                                   lf_pool_frame_info_t *out_frames, uint32_t max_frames, uint32_t *out_frame_count);

/**
 * The name of an element type ("float32"), "invalid" for an unknown value. Static text.
 * @param dtype an ::lf_dtype_t value
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_dtype_name(int32_t dtype);

/* ---- producer and consumer ----------------------------------------------------------- */

/** A stream's producer (one per stream, granted by the driver). */
typedef struct lf_pool_producer lf_pool_producer_t;
/** A stream's consumer. */
typedef struct lf_pool_consumer lf_pool_consumer_t;

/** Consumer modes (::lf_pool_consumer_params_t::mode). */
typedef enum lf_pool_mode {
  LF_POOL_MODE_STREAM = 0,      /**< every frame in order; frames lost by lagging count as drops_gap */
  LF_POOL_MODE_LATEST = 1,      /**< always the newest frame; older ones count as skipped */
  LF_POOL_MODE_DECIMATED = 2,   /**< every N-th sequence (::lf_pool_consumer_params_t::decimation) */
  LF_POOL_MODE_RATE_LIMITED = 3 /**< the newest frame, at most max_rate_hz times a second (each poll reads the monotonic clock) */
} lf_pool_mode_t;

/** What a frame holds: the slot header fields the producer sets. */
typedef struct lf_pool_tensor {
  int32_t dtype;                    /**< an ::lf_dtype_t value */
  int32_t major_order;              /**< an ::lf_major_order_t value */
  uint32_t ndims;                   /**< 1..8 */
  int32_t dims[LF_POOL_MAX_DIMS];   /**< extents, >= 0; zero beyond ndims */
  int32_t strides[LF_POOL_MAX_DIMS]; /**< byte strides, all 0 = contiguous */
  uint64_t timestamp_ns;            /**< the producer's timestamp; 0: lavaflow stamps CLOCK_MONOTONIC (a clock read: the vDSO, or a system call where there is none) */
  uint32_t meta_version;            /**< 0: the stream's current metadata version */
  uint32_t progress_unit;           /**< 0 none, 1 rows, 2 columns */
  uint32_t progress_stride_bytes;   /**< bytes per progress unit */
} lf_pool_tensor_t;

/**
 * Bits of ::lf_pool_producer_params_t::field_mask. (The values are those 0.1.0 gave its
 * shared bits, so programs built against it keep working.)
 */
enum lf_pool_producer_param_field {
  LF_POOL_PRODUCER_PARAM_FIELD_CLIENT_ID = 1u << 0,         /**< `client_id` */
  LF_POOL_PRODUCER_PARAM_FIELD_PROFILE = 1u << 1,           /**< `profile` */
  LF_POOL_PRODUCER_PARAM_FIELD_REQUIRE_HUGEPAGES = 1u << 2, /**< `require_hugepages` */
  LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER = 1u << 3,      /**< `start_driver` */
  LF_POOL_PRODUCER_PARAM_FIELD_CONNECT_TIMEOUT = 1u << 4,   /**< `connect_timeout_ms` */
  LF_POOL_PRODUCER_PARAM_FIELD_DRIVER_UID = 1u << 10        /**< `driver_uid` */
};

/** Bits of ::lf_pool_consumer_params_t::field_mask (values as in 0.1.0, see the producer's). */
enum lf_pool_consumer_param_field {
  LF_POOL_CONSUMER_PARAM_FIELD_CLIENT_ID = 1u << 0,       /**< `client_id` */
  LF_POOL_CONSUMER_PARAM_FIELD_PROFILE = 1u << 1,         /**< `profile` */
  LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER = 1u << 3,    /**< `start_driver` */
  LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT = 1u << 4, /**< `connect_timeout_ms` */
  LF_POOL_CONSUMER_PARAM_FIELD_MODE = 1u << 5,            /**< `mode` */
  LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION = 1u << 6,      /**< `decimation` */
  LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE = 1u << 7,        /**< `max_rate_hz` */
  LF_POOL_CONSUMER_PARAM_FIELD_NOTIFY_EPOCH = 1u << 8,    /**< `notify_epoch` */
  LF_POOL_CONSUMER_PARAM_FIELD_SPIN_US = 1u << 9,         /**< `spin_us` */
  LF_POOL_CONSUMER_PARAM_FIELD_DRIVER_UID = 1u << 10      /**< `driver_uid` */
};

/** How to attach a producer. A zeroed struct means all defaults. */
typedef struct lf_pool_producer_params {
  uint64_t field_mask;         /**< ::lf_pool_producer_param_field bits of the fields set */
  uint64_t client_id;          /**< unique among attached clients (default: pid and a counter); 0 is refused */
  const char *profile;         /**< the driver's stream profile (borrowed; default: the stream's or "default") */
  int32_t require_hugepages;   /**< nonzero: huge-page backed regions or LF_ERR_UNSUPPORTED (never downgraded) */
  int32_t start_driver;        /**< nonzero (default): start an embedded driver if none listens; 0: LF_ERR_NOT_FOUND */
  int32_t connect_timeout_ms;  /**< for reaching a driver (default 5000) */
  uint32_t driver_uid;         /**< attach to this user's driver, shared with a group we are in (its allowed_group; default: our own) */
} lf_pool_producer_params_t;

/** How to attach a consumer. A zeroed struct means all defaults (STREAM mode). */
typedef struct lf_pool_consumer_params {
  uint64_t field_mask;         /**< ::lf_pool_consumer_param_field bits of the fields set */
  uint64_t client_id;          /**< as for producers */
  const char *profile;         /**< the profile used if this attach creates the stream (borrowed) */
  int32_t start_driver;        /**< as for producers */
  int32_t connect_timeout_ms;  /**< as for producers */
  int32_t mode;                /**< an ::lf_pool_mode_t value */
  uint32_t decimation;         /**< DECIMATED: read sequences that are multiples of this (>= 1) */
  double max_rate_hz;          /**< RATE_LIMITED: at most this many frames a second (> 0) */
  int32_t notify_epoch;        /**< nonzero: poll/wait return LF_EPOCH_CHANGED once after each epoch change */
  uint32_t spin_us;            /**< wait: spin this long before sleeping (default 20) */
  uint32_t driver_uid;         /**< as for producers */
  uint32_t reserved;           /**< zero */
} lf_pool_consumer_params_t;

/** A consumer's view of one frame, valid until lf_pool_consumer_release(). */
typedef struct lf_pool_view {
  uint32_t struct_size;      /**< in: sizeof(lf_pool_view_t) as the caller knows it */
  uint32_t pool_id;          /**< the payload pool */
  uint64_t seq;              /**< the frame's sequence in its epoch */
  uint64_t epoch;            /**< the epoch */
  const void *payload;       /**< the payload in shared memory (borrowed, read-only) */
  uint32_t bytes;            /**< payload bytes */
  uint32_t slot;             /**< the slot */
  lf_pool_tensor_t tensor;   /**< the header fields */
} lf_pool_view_t;

/** A consumer's counters: every frame published since it attached is counted once. */
typedef struct lf_pool_counters {
  uint32_t struct_size;   /**< in: sizeof(lf_pool_counters_t) as the caller knows it */
  uint32_t reserved;      /**< zero */
  uint64_t frames_read;   /**< read intact */
  uint64_t drops_gap;     /**< wanted but overwritten before they were read (lagging, epoch change) */
  uint64_t drops_late;    /**< overwritten while they were read */
  uint64_t invalid;       /**< their header failed validation (not delivered) */
  uint64_t skipped;       /**< passed over by choice (LATEST, DECIMATED, RATE_LIMITED) */
  uint64_t epoch;         /**< the current epoch */
  uint64_t epoch_changes; /**< epochs followed since attaching */
  uint64_t reattachments; /**< times the driver went away and the lease was taken again */
} lf_pool_counters_t;

/** The stream's metadata record (the spec's DataSourceMeta). */
typedef struct lf_pool_metadata {
  uint32_t struct_size;     /**< in: sizeof(lf_pool_metadata_t) as the caller knows it */
  uint32_t version;         /**< out: 0 when none was set; frames carry it as meta_version */
  char name[64];            /**< NUL-terminated, at most 63 bytes */
  char units[32];           /**< NUL-terminated, at most 31 bytes */
  uint32_t attribute_count; /**< 0..16 */
  uint32_t reserved;        /**< zero */
  struct {
    char key[32];    /**< NUL-terminated, 1..31 bytes */
    char value[128]; /**< NUL-terminated, at most 127 bytes */
  } attributes[16];  /**< free-form key/value attributes */
} lf_pool_metadata_t;

/** A stream as a producer or consumer sees it. */
typedef struct lf_pool_stream_info {
  uint32_t struct_size;     /**< in: sizeof(lf_pool_stream_info_t) */
  uint32_t stream_id;       /**< the stream */
  uint64_t epoch;           /**< the current epoch */
  uint64_t lease_id;        /**< this handle's lease */
  uint32_t nslots;          /**< header slots */
  uint32_t pool_count;      /**< payload pools */
  uint32_t pool_ids[15];    /**< their ids */
  uint32_t pool_strides[15]; /**< their strides: the largest is the largest frame */
  uint64_t published;       /**< frames published in this epoch */
  char epoch_dir[256];      /**< where the epoch's files are */
} lf_pool_stream_info_t;

/**
 * Attach as the producer of stream `stream_id`: connects to the driver (starting an embedded
 * one if none listens and the params allow), takes the stream's producer lease and maps the
 * epoch the driver creates for it.
 * @param context the context (borrowed; kept alive by the producer): its base directory names the driver
 * @param stream_id the stream
 * @param params NULL for defaults (borrowed)
 * @param[out] out_producer the producer (returned; lf_pool_producer_detach() releases it)
 * @return `LF_OK`; `LF_ERR_BUSY` (the stream has a producer); `LF_ERR_EXISTS` (client id in
 *         use); `LF_ERR_NOT_FOUND` (no such stream or profile, no driver and none may start);
 *         `LF_ERR_LIMIT` (a quota); `LF_ERR_UNSUPPORTED` (huge pages required, not available);
 *         `LF_ERR_PROTOCOL`, `LF_ERR_CORRUPT`, `LF_ERR_PERMISSION` (what the driver sent fails
 *         validation); `LF_TIMEOUT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_producer_attach(lf_context_t *context, uint32_t stream_id, const lf_pool_producer_params_t *params,
                                           lf_pool_producer_t **out_producer);

/**
 * Release the lease (the driver moves the stream to a new epoch) and the handle. NULL is a no-op.
 * @param producer the producer (destroyed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_pool_producer_detach(lf_pool_producer_t *producer);

/**
 * Claim the next frame's slot for `bytes` of payload, in the smallest pool that takes it.
 * Externally synchronized; no allocation, no system call.
 * @param producer the producer
 * @param bytes the payload size
 * @param[out] out_payload where to write the payload (borrowed until commit or abort)
 * @return `LF_OK`; `LF_ERR_LIMIT` (larger than every pool: never truncated);
 *         `LF_ERR_INVALID_STATE` (a frame is claimed already); `LF_ERR_CLOSED` (the driver
 *         revoked the lease; it is being taken again: retry later).
 * @threadsafety One thread at a time per producer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_producer_claim(lf_pool_producer_t *producer, uint32_t bytes, void **out_payload);

/**
 * Commit the claimed frame: its header is written whole and the seqlock word published.
 * @param producer the producer
 * @param tensor the frame's description (borrowed; validated as consumers will)
 * @param bytes the payload bytes written, at most the claimed size
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (the description; the claim stays open);
 *         `LF_ERR_INVALID_STATE` (nothing claimed).
 * @threadsafety One thread at a time per producer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_producer_commit(lf_pool_producer_t *producer, const lf_pool_tensor_t *tensor, uint32_t bytes);

/**
 * Give up the claimed frame (nothing is published). No-op without a claim.
 * @param producer the producer
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per producer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_producer_abort(lf_pool_producer_t *producer);

/**
 * Claim, copy `bytes` from `data`, commit: one call.
 * @param producer the producer
 * @param tensor the frame's description (borrowed)
 * @param data the payload (borrowed)
 * @param bytes its size
 * @return as lf_pool_producer_claim() and lf_pool_producer_commit().
 * @threadsafety One thread at a time per producer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_producer_publish(lf_pool_producer_t *producer, const lf_pool_tensor_t *tensor, const void *data,
                                            uint32_t bytes);

/**
 * Publish the stream's metadata; its version is bumped and later frames refer to it. Kept
 * and republished in later epochs. Externally synchronized with the data calls.
 * @param producer the producer
 * @param metadata the record (borrowed; `version` is ignored)
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (an over-long or unterminated text, > 16 attributes).
 * @threadsafety One thread at a time per producer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_producer_set_metadata(lf_pool_producer_t *producer, const lf_pool_metadata_t *metadata);

/**
 * The stream as this producer sees it.
 * @param producer the producer
 * @param[out] out_info caller-provided, `struct_size` set
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per producer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_producer_get_info(lf_pool_producer_t *producer, lf_pool_stream_info_t *out_info);

/**
 * Attach as a consumer of stream `stream_id` (created with the params' profile when the
 * driver has dynamic streams and it does not exist yet). Frames published before the attach
 * are not this consumer's.
 * @param context the context (borrowed; kept alive by the consumer)
 * @param stream_id the stream
 * @param params NULL for defaults (borrowed)
 * @param[out] out_consumer the consumer (returned; lf_pool_consumer_detach() releases it)
 * @return as lf_pool_producer_attach(), without `LF_ERR_BUSY`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_consumer_attach(lf_context_t *context, uint32_t stream_id, const lf_pool_consumer_params_t *params,
                                           lf_pool_consumer_t **out_consumer);

/**
 * Release the lease and the handle (a view still held is released). NULL is a no-op.
 * @param consumer the consumer (destroyed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_pool_consumer_detach(lf_pool_consumer_t *consumer);

/**
 * The next frame by the consumer's mode, if one is due. Externally synchronized; no
 * allocation, no system call.
 * @param consumer the consumer
 * @param[out] out_view caller-provided, `struct_size` set; written on LF_OK
 * @return `LF_OK` (release the view when done); `LF_WOULD_BLOCK`; `LF_EPOCH_CHANGED` (asked
 *         for: the stream moved to a new epoch, poll again); `LF_ERR_INVALID_STATE` (a view
 *         is held).
 * @threadsafety One thread at a time per consumer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_consumer_poll(lf_pool_consumer_t *consumer, lf_pool_view_t *out_view);

/**
 * Like lf_pool_consumer_poll(), waiting up to `timeout_ns` (negative: forever; 0: poll):
 * spins briefly, then sleeps on the stream's futex (the producer wakes it).
 * @param consumer the consumer
 * @param[out] out_view as for poll
 * @param timeout_ns nanoseconds
 * @return as poll, `LF_TIMEOUT` instead of `LF_WOULD_BLOCK`.
 * @threadsafety One thread at a time per consumer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_consumer_wait(lf_pool_consumer_t *consumer, lf_pool_view_t *out_view, int64_t timeout_ns);

/**
 * End the view: the seqlock is checked again.
 * @param consumer the consumer
 * @return `LF_OK` (the frame stayed intact: what was read is good); `LF_OVERWRITTEN` (the
 *         producer reused the slot while it was read: discard it; counted in drops_late);
 *         `LF_ERR_INVALID_STATE` (no view held).
 * @threadsafety One thread at a time per consumer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_consumer_release(lf_pool_consumer_t *consumer);

/**
 * The consumer's counters (also published in the control region for tools).
 * @param consumer the consumer
 * @param[out] out_counters caller-provided, `struct_size` set
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per consumer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_consumer_get_counters(lf_pool_consumer_t *consumer, lf_pool_counters_t *out_counters);

/**
 * The stream's current metadata (`version` 0: none set).
 * @param consumer the consumer
 * @param[out] out_metadata caller-provided, `struct_size` set
 * @return `LF_OK`; `LF_ERR_CORRUPT` (the record fails validation); `LF_ERR_BUSY` (it kept changing).
 * @threadsafety One thread at a time per consumer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_consumer_get_metadata(lf_pool_consumer_t *consumer, lf_pool_metadata_t *out_metadata);

/**
 * The stream as this consumer sees it.
 * @param consumer the consumer
 * @param[out] out_info caller-provided, `struct_size` set
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per consumer (externally synchronized); other handles
 * concurrently.
 */
LF_API lf_status_t lf_pool_consumer_get_info(lf_pool_consumer_t *consumer, lf_pool_stream_info_t *out_info);

/* ---- the driver ---------------------------------------------------------------------- */

/** A driver run by this process. */
typedef struct lf_pool_driver lf_pool_driver_t;

/** One payload pool of a profile. */
typedef struct lf_pool_stride {
  uint32_t pool_id;      /**< 1..15 */
  uint32_t stride_bytes; /**< a power-of-two multiple of 64 */
} lf_pool_stride_t;

/** A stream profile: the shape of a stream's epochs. */
typedef struct lf_pool_profile {
  const char *name;                  /**< borrowed; "default" replaces the default profile */
  uint32_t header_slots;             /**< a power of two */
  uint32_t pool_count;               /**< 1..15 */
  lf_pool_stride_t pools[15];        /**< the pools */
  int32_t require_hugepages;         /**< nonzero: huge pages or refuse */
  int32_t reserved;                  /**< zero */
} lf_pool_profile_t;

/** A configured stream. */
typedef struct lf_pool_stream_config {
  uint32_t stream_id; /**< the stream */
  uint32_t reserved;  /**< zero */
  const char *profile; /**< its profile's name (borrowed) */
} lf_pool_stream_config_t;

/** Bits of ::lf_pool_driver_params_t::field_mask. */
enum lf_pool_driver_param_field {
  LF_POOL_DRIVER_PARAM_FIELD_NAMESPACE = 1u << 0,            /**< `namespace_name` */
  LF_POOL_DRIVER_PARAM_FIELD_ANNOUNCE_PERIOD = 1u << 1,      /**< `announce_period_ms` */
  LF_POOL_DRIVER_PARAM_FIELD_KEEPALIVE = 1u << 2,            /**< `keepalive_ms` */
  LF_POOL_DRIVER_PARAM_FIELD_EXPIRY_INTERVALS = 1u << 3,     /**< `expiry_intervals` */
  LF_POOL_DRIVER_PARAM_FIELD_PREFAULT = 1u << 4,             /**< `prefault` */
  LF_POOL_DRIVER_PARAM_FIELD_MLOCK = 1u << 5,                /**< `mlock` */
  LF_POOL_DRIVER_PARAM_FIELD_SHUTDOWN_DRAIN = 1u << 6,       /**< `shutdown_drain_ms` */
  LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS = 1u << 7,      /**< `dynamic_streams` */
  LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS = 1u << 8,         /**< `header_slots` */
  LF_POOL_DRIVER_PARAM_FIELD_CONSUMER_ENTRIES = 1u << 9,     /**< `consumer_entries` */
  LF_POOL_DRIVER_PARAM_FIELD_MAX_STREAMS_PER_UID = 1u << 10, /**< `max_streams_per_uid` */
  LF_POOL_DRIVER_PARAM_FIELD_MAX_BYTES_PER_UID = 1u << 11,   /**< `max_bytes_per_uid` */
  LF_POOL_DRIVER_PARAM_FIELD_PROFILES = 1u << 12,            /**< `profiles, profile_count` */
  LF_POOL_DRIVER_PARAM_FIELD_STREAMS = 1u << 13,             /**< `streams, stream_count` */
  LF_POOL_DRIVER_PARAM_FIELD_FLAGS = 1u << 14,               /**< `flags` */
  LF_POOL_DRIVER_PARAM_FIELD_ALLOWED_GROUP = 1u << 15        /**< `allowed_gid` */
};

/** Bits of ::lf_pool_driver_params_t::flags. */
enum lf_pool_driver_flag {
  LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT = 1u << 0 /**< ignore the LAVAFLOW_DRIVER_* variables */
};

/**
 * A driver's configuration; a zeroed struct means the defaults of tensor-pool.md (announce
 * and keepalive 1000 ms, expiry after 3, 1024 header slots, pools of 4 KiB and 64 KiB,
 * prefault on, mlock off, drain 2000 ms, dynamic streams off). LAVAFLOW_DRIVER_<FIELD>
 * variables override these unless ::LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT.
 */
typedef struct lf_pool_driver_params {
  uint64_t field_mask;               /**< ::lf_pool_driver_param_field bits of the fields set */
  const char *namespace_name;        /**< the directory under `<base>/lavaflow-<uid>/` (borrowed; default "default") */
  uint32_t announce_period_ms;       /**< staleness and garbage collection period */
  uint32_t keepalive_ms;             /**< clients' keepalive interval */
  uint32_t expiry_intervals;         /**< a lease expires after this many missed keepalives */
  int32_t prefault;                  /**< nonzero: populate region pages at creation */
  int32_t mlock;                     /**< nonzero: lock region pages in memory */
  uint32_t shutdown_drain_ms;        /**< how long a shutdown waits for clients to leave */
  int32_t dynamic_streams;           /**< nonzero: unconfigured streams are created on first attach */
  uint32_t header_slots;             /**< the default profile's slot count */
  uint32_t consumer_entries;         /**< consumer table entries per control region (a power of two; default 64) */
  uint32_t max_streams_per_uid;      /**< quota (default 64) */
  uint64_t max_bytes_per_uid;        /**< quota on region bytes (default 16 GiB) */
  const lf_pool_profile_t *profiles; /**< borrowed array */
  uint32_t profile_count;            /**< its length */
  uint32_t stream_count;             /**< length of `streams` */
  const lf_pool_stream_config_t *streams; /**< borrowed array: configured streams */
  uint32_t flags;                    /**< LF_POOL_DRIVER_FLAG_* */
  uint32_t allowed_gid;              /**< group sharing (opt-in): processes of this group may attach (the user directory becomes 0710 and the socket 0660 of this group; region files stay 0600) */
} lf_pool_driver_params_t;

/**
 * Start a driver for the context's base directory on a thread of this process.
 * @param context the context (borrowed; kept alive)
 * @param params NULL for defaults (borrowed)
 * @param[out] out_driver the driver (returned; lf_pool_driver_destroy() stops it)
 * @return `LF_OK`; `LF_ERR_EXISTS` (a driver runs for this base directory already);
 *         `LF_ERR_INVALID_ARGUMENT` (a field or variable, named); `LF_ERR_PERMISSION`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_driver_create(lf_context_t *context, const lf_pool_driver_params_t *params, lf_pool_driver_t **out_driver);

/**
 * Stop the driver gracefully: clients get a shutdown notice and up to shutdown_drain_ms to
 * leave; they keep their mapped regions and re-attach to the next driver. NULL is a no-op.
 * @param driver the driver (destroyed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_pool_driver_destroy(lf_pool_driver_t *driver);

/**
 * Wait until the driver stops serving (a shutdown request was honoured).
 * @param driver the driver
 * @param timeout_ms milliseconds; negative: forever
 * @return `LF_OK` (stopped); `LF_TIMEOUT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_driver_wait(lf_pool_driver_t *driver, int64_t timeout_ms);

/**
 * Ask the driver of the context's base directory to shut down, proving the right to with the
 * token it wrote to `<base>/lavaflow-<uid>/pool-driver.token` (0600).
 * @param context the context (borrowed)
 * @param timeout_ms for the answer
 * @return `LF_OK` (it is shutting down); `LF_ERR_NOT_FOUND` (no driver); `LF_ERR_PERMISSION`
 *         (the token was refused); `LF_TIMEOUT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_driver_request_shutdown(lf_context_t *context, int32_t timeout_ms);

/** A stream, as the driver lists it. */
typedef struct lf_pool_stream_status {
  uint32_t struct_size;  /**< in: sizeof(lf_pool_stream_status_t) */
  uint32_t stream_id;    /**< the stream */
  uint64_t epoch;        /**< its current epoch */
  uint32_t producer_pid; /**< 0: no producer */
  uint32_t consumers;    /**< attached consumers */
  uint32_t nslots;       /**< header slots */
  uint32_t reserved;     /**< zero */
  uint64_t bytes;        /**< the epoch's region files */
  char epoch_dir[256];   /**< the epoch's directory */
} lf_pool_stream_status_t;

/**
 * List the streams of the driver of the context's base directory (does not start one).
 * @param context the context (borrowed)
 * @param[out] out_streams caller array, `struct_size` set in each (may be NULL with 0)
 * @param max_streams its length
 * @param[out] out_count how many streams there are (may exceed max_streams)
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` (no driver listening); `LF_TIMEOUT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_list_streams(lf_context_t *context, lf_pool_stream_status_t *out_streams, uint32_t max_streams,
                                        uint32_t *out_count);

/**
 * Describe the configuration a driver created with these params would run with, after
 * LAVAFLOW_DRIVER_* overrides, as TOML text with the origin of each value in a comment.
 * Starts nothing. Text output rule: the length (without NUL) is always reported; the text is
 * copied with its NUL only if it fits, else `LF_ERR_BUFFER_TOO_SMALL`.
 * @param params NULL for defaults (borrowed)
 * @param[out] buffer caller's buffer, or NULL with size 0 to ask for the length
 * @param size its size
 * @param[out] out_length the text's length (may be NULL)
 * @return `LF_OK`; `LF_ERR_BUFFER_TOO_SMALL`; `LF_ERR_INVALID_ARGUMENT` (a field or variable, named).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_driver_describe_config(const lf_pool_driver_params_t *params, char *buffer, size_t size,
                                                  size_t *out_length);

/* ---- supervision: the control region ------------------------------------------------- */

/** A stream epoch's producer QoS, from its control region. */
typedef struct lf_pool_producer_qos {
  uint32_t struct_size;       /**< in: sizeof(lf_pool_producer_qos_t) */
  uint32_t meta_version;      /**< the current metadata version */
  uint64_t stream_id;         /**< the stream */
  uint64_t epoch;             /**< the epoch */
  uint64_t published;         /**< frames published in this epoch (the next sequence) */
  uint64_t frames_published;  /**< the same, counted by the producer */
  uint64_t bytes_published;   /**< payload bytes published */
  uint64_t frames_refused;    /**< claims refused (larger than every pool) */
  uint64_t last_publish_ns;   /**< CLOCK_MONOTONIC when the driver last saw `published` move (0: never) */
  uint64_t heartbeat_ns;      /**< CLOCK_MONOTONIC of the producer's last keepalive (0: none) */
  uint64_t pid;               /**< the producer's pid (0: none yet) */
  uint64_t lease_id;          /**< the producer's lease */
  uint32_t waiters;           /**< consumers asleep now */
  uint32_t consumer_entries;  /**< the table's size */
} lf_pool_producer_qos_t;

/** One attached consumer's entry in a control region. */
typedef struct lf_pool_consumer_entry {
  uint32_t struct_size;  /**< in: sizeof(lf_pool_consumer_entry_t) */
  uint32_t index;        /**< its entry */
  int32_t mode;          /**< an ::lf_pool_mode_t value */
  uint32_t reserved;     /**< zero */
  uint64_t lease_id;     /**< its lease */
  uint64_t client_id;    /**< its client id */
  uint64_t pid;          /**< its process */
  uint64_t mode_arg;     /**< DECIMATED: N; RATE_LIMITED: the minimum interval in ns */
  uint64_t next_seq;     /**< the next sequence it will consider: `published - next_seq` is its lag */
  uint64_t frames_read;  /**< counters, as lf_pool_counters_t */
  uint64_t drops_gap;    /**< as lf_pool_counters_t */
  uint64_t drops_late;   /**< as lf_pool_counters_t */
  uint64_t skipped;      /**< as lf_pool_counters_t */
  uint64_t invalid;      /**< as lf_pool_counters_t */
  uint64_t heartbeat_ns; /**< CLOCK_MONOTONIC of its last keepalive */
  uint64_t attach_ns;    /**< CLOCK_MONOTONIC of its attach */
} lf_pool_consumer_entry_t;

/**
 * Read a control region's producer QoS and attached consumers, as any supervisor may (the
 * counters are in shared memory: no driver involved). The path is checked as for
 * lf_pool_inspect() and mapped read-only.
 * @param context the context (borrowed): its base directory bounds the path
 * @param path `<epoch_dir>/control` (borrowed; lf_pool_list_streams() gives epoch_dir)
 * @param[out] out_qos caller-provided, `struct_size` set
 * @param[out] out_entries caller array with `struct_size` set in each, or NULL with 0
 * @param max_entries its length
 * @param[out] out_count how many consumers are attached (may exceed max_entries; may be NULL)
 * @return as lf_pool_inspect(); `LF_ERR_INVALID_ARGUMENT` if the file is not a control region.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_pool_read_control(lf_context_t *context, const char *path, lf_pool_producer_qos_t *out_qos,
                                        lf_pool_consumer_entry_t *out_entries, uint32_t max_entries, uint32_t *out_count);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_POOL_H */

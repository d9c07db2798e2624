/**
 * @file pool.h
 * @brief The tensor pool: shared-memory frame streams (region inspection; the rest in progress).
 *
 * A tensor pool stream is a set of region files the pool's driver owns: a header ring of
 * 256-byte slot headers (dtype, dims, strides, timestamp, seqlock commit word) and payload pools
 * of fixed-stride slots, each file starting with a 64-byte superblock (layout: the SHM Tensor
 * Pool Wire Spec v1.2; docs/wire-formats.md, "Tensor pool regions").
 *
 * In this release only inspection is built: lf_pool_inspect() validates a region file and
 * reads its newest committed frames, as `lavaflow pool inspect` does. The producer and consumer
 * API and the driver are not built yet.
 */
#ifndef LAVAFLOW_POOL_H
#define LAVAFLOW_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "status.h"

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
  uint64_t start_timestamp_ns;    /**< when the region was created (CLOCK_REALTIME ns) */
  uint64_t activity_timestamp_ns; /**< refreshed by a live producer: stale means presumed dead */
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
 */
LF_API lf_status_t lf_pool_inspect(lf_context_t *context, const char *path, lf_pool_region_info_t *out_region,
                                   lf_pool_frame_info_t *out_frames, uint32_t max_frames, uint32_t *out_frame_count);

/**
 * The name of an element type ("float32"), "invalid" for an unknown value. Static text.
 * @param dtype an ::lf_dtype_t value
 */
LF_API const char *lf_dtype_name(int32_t dtype);

LF_EXTERN_C_END

#endif /* LAVAFLOW_POOL_H */

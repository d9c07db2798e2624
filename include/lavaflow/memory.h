/**
 * @file memory.h
 * @brief One buffer type for host, NUMA-bound, huge-page, shared and Vulkan device memory.
 *
 * An ::lf_buffer_t is memory lavaflow allocated (or imported) and tracks: its kind, where it
 * lives, its host address when it has one, and what was obtained compared with what was
 * asked for. Every automatic choice is reported (lf_buffer_get_info() flags and
 * lf_buffer_get_reason()); a `REQUIRE` that cannot be met fails instead of being silently
 * downgraded.
 *
 * | kind | backing | crosses processes |
 * |---|---|---|
 * | `LF_MEMORY_HOST` | anonymous private memory | no |
 * | `LF_MEMORY_SHARED` | a sealed memfd (optionally also a named file in the base directory) | as an fd, or by name |
 * | `LF_MEMORY_DEVICE` | Vulkan device memory exported as an opaque fd | as an fd (Vulkan, CUDA, OpenCL importers) |
 *
 * Buffers keep their context alive. All functions are thread-safe; the memory itself is the
 * caller's to synchronize.
 */
#ifndef LAVAFLOW_MEMORY_H
#define LAVAFLOW_MEMORY_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "identity.h"
#include "status.h"

/**
 * @addtogroup memory
 * @{
 */

/** A buffer (opaque handle). */
typedef struct lf_buffer lf_buffer_t;
/** A cache of same-size buffers (opaque handle). */
typedef struct lf_buffer_pool lf_buffer_pool_t;

/** Kinds of memory. */
typedef enum lf_memory_kind {
  LF_MEMORY_HOST = 1,   /**< private host memory of this process */
  LF_MEMORY_SHARED = 2, /**< host memory other processes can map */
  LF_MEMORY_DEVICE = 3  /**< Vulkan device memory */
} lf_memory_kind_t;

/** Where host memory is placed (NUMA policy). */
typedef enum lf_placement {
  LF_PLACEMENT_DEFAULT = 0,     /**< the operating system's default (first touch) */
  LF_PLACEMENT_NUMA_NODE = 1,   /**< bound to `numa_node` (OS index) */
  LF_PLACEMENT_LOCAL = 2,       /**< bound to the NUMA node(s) of the calling thread's binding */
  LF_PLACEMENT_INTERLEAVE = 3,  /**< interleaved page by page across all NUMA nodes */
  LF_PLACEMENT_NEAR_DEVICE = 4, /**< bound to the NUMA node of the selected Vulkan device */
  LF_PLACEMENT_NEAR_PEER = 5    /**< bound to the NUMA node(s) of `peer` (a scope-layer identity) */
} lf_placement_t;

/** Huge-page policy. */
typedef enum lf_huge_pages {
  LF_HUGE_PAGES_NONE = 0,   /**< normal pages */
  LF_HUGE_PAGES_PREFER = 1, /**< hugetlbfs pages if reserved, else transparent huge pages, else normal; reported */
  LF_HUGE_PAGES_REQUIRE = 2 /**< hugetlbfs pages or failure (`LF_ERR_UNSUPPORTED` / `LF_ERR_NO_MEMORY`) */
} lf_huge_pages_t;

/** Bits of ::lf_buffer_params_t::field_mask. */
enum lf_buffer_param_field {
  LF_BUFFER_PARAM_FIELD_KIND = 1u << 0,       /**< `kind` */
  LF_BUFFER_PARAM_FIELD_PLACEMENT = 1u << 1,  /**< `placement` (and `numa_node`) */
  LF_BUFFER_PARAM_FIELD_ALIGNMENT = 1u << 2,  /**< `alignment` */
  LF_BUFFER_PARAM_FIELD_HUGE_PAGES = 1u << 3, /**< `huge_pages` */
  LF_BUFFER_PARAM_FIELD_FLAGS = 1u << 4,      /**< `flags` */
  LF_BUFFER_PARAM_FIELD_FALLBACK = 1u << 5,   /**< `fallback` */
  LF_BUFFER_PARAM_FIELD_PEER = 1u << 6,       /**< `peer` */
  LF_BUFFER_PARAM_FIELD_DEVICE = 1u << 7,     /**< `device_index` or `device_uuid` */
  LF_BUFFER_PARAM_FIELD_NAME = 1u << 8        /**< `name` */
};

/** Bits of ::lf_buffer_params_t::flags. */
enum lf_buffer_flag {
  LF_BUFFER_FLAG_ZERO = 1u << 0,         /**< the contents start as zero bytes */
  LF_BUFFER_FLAG_PREFAULT = 1u << 1,     /**< touch every page now, so placement happens at allocation */
  LF_BUFFER_FLAG_HOST_VISIBLE = 1u << 2, /**< device memory: host-visible (mappable) instead of device-local */
  /**
   * Host or shared memory: also map it into the Vulkan device (`device_index` / `device_uuid`)
   * with `VK_EXT_external_memory_host`, so that the GPU reads and writes these pages with no
   * staging copy (pinned host memory for DMA). lf_buffer_get_vulkan_info() then gives the
   * `VkDeviceMemory` to bind buffers to. Sizes are rounded up to whole pages. Where the device
   * cannot, `LF_ERR_UNSUPPORTED` says why.
   */
  LF_BUFFER_FLAG_DEVICE_MAPPED = 1u << 3
};

/** Bits of ::lf_buffer_params_t::fallback: what may be done instead when the first choice fails. */
enum lf_fallback {
  LF_FALLBACK_DEVICE_TO_HOST = 1u << 0 /**< device memory unavailable or exhausted: allocate shared host memory */
};

/**
 * Parameters of lf_buffer_create() and lf_buffer_pool_create(). Zeroed (or NULL) means:
 * host memory, default placement, page alignment, no huge pages, no fallback.
 */
typedef struct lf_buffer_params {
  uint64_t field_mask; /**< bitwise OR of ::lf_buffer_param_field; unknown bits are rejected */
  int32_t kind;        /**< an ::lf_memory_kind_t value */
  int32_t placement;   /**< an ::lf_placement_t value */
  uint32_t numa_node;  /**< for `LF_PLACEMENT_NUMA_NODE`: the node's OS index */
  int32_t huge_pages;  /**< an ::lf_huge_pages_t value */
  uint64_t alignment;  /**< a power of two up to 1 GiB; default: 16 (what malloc gives) for host memory; shared and device memory are page-aligned */
  uint64_t flags;      /**< bitwise OR of ::lf_buffer_flag values */
  uint64_t fallback;   /**< bitwise OR of ::lf_fallback values */
  const lf_identity_t *peer; /**< for `LF_PLACEMENT_NEAR_PEER` (borrowed) */
  int32_t device_index;      /**< Vulkan device by index in lf_device_get_info() order (default 0) */
  uint32_t reserved0;        /**< zero */
  const uint8_t *device_uuid; /**< or by its 16-byte UUID (borrowed); takes precedence over the index */
  /**
   * Shared memory only: also publish the buffer as `<base>/lavaflow-<uid>/buffers/<name>`
   * (mode 0600) so that processes of the same user can lf_buffer_open() it. The name is
   * 1..63 bytes of `[A-Za-z0-9._-]`, not starting with a dot. The file is removed when this
   * buffer is destroyed.
   */
  const char *name;
} lf_buffer_params_t;

/** Bits of ::lf_buffer_info_t::flags: what was obtained. */
enum lf_buffer_info_flag {
  LF_BUFFER_NUMA_BOUND = 1u << 0,   /**< bound to `numa_node` (strict policy) */
  LF_BUFFER_INTERLEAVED = 1u << 1,  /**< interleaved across NUMA nodes */
  LF_BUFFER_HUGETLB = 1u << 2,      /**< backed by hugetlbfs pages of `page_size` bytes */
  LF_BUFFER_THP = 1u << 3,          /**< transparent huge pages requested (madvise) */
  LF_BUFFER_FELL_BACK = 1u << 4,    /**< another kind than requested (see the reason) */
  LF_BUFFER_SEALED = 1u << 5,       /**< shared: the size is sealed (cannot grow or shrink) */
  LF_BUFFER_NAMED = 1u << 6,        /**< shared: published under a name */
  LF_BUFFER_IMPORTED = 1u << 7,     /**< imported from another process */
  LF_BUFFER_EXPORTABLE = 1u << 8,   /**< lf_buffer_export_fd() works */
  LF_BUFFER_HOST_VISIBLE = 1u << 9, /**< has a host address (`host_pointer`) */
  LF_BUFFER_ZEROED = 1u << 10,      /**< contents were zero at creation */
  LF_BUFFER_POOLED = 1u << 11,      /**< came from an ::lf_buffer_pool_t */
  LF_BUFFER_READ_ONLY = 1u << 12,   /**< mapped read-only */
  LF_BUFFER_DEVICE_MAPPED = 1u << 13 /**< host or shared memory a Vulkan device also maps (`device_index`) */
};

/**
 * What a buffer is. Set `struct_size = sizeof(lf_buffer_info_t)` before the call; the
 * library fills in at most that many bytes.
 */
typedef struct lf_buffer_info {
  uint32_t struct_size;   /**< in: sizeof(lf_buffer_info_t) as the caller knows it */
  int32_t kind;           /**< the ::lf_memory_kind_t obtained */
  int32_t requested_kind; /**< the kind asked for */
  uint32_t flags;         /**< bitwise OR of ::lf_buffer_info_flag values */
  uint64_t size;          /**< usable bytes, as requested (for a received buffer: as its sender requested) */
  uint64_t mapped_size;   /**< bytes reserved (rounded up to whole pages) */
  uint64_t page_size;     /**< size of the pages backing it */
  uint64_t alignment;     /**< alignment of `host_pointer` */
  void *host_pointer;     /**< host address, or NULL (device-local memory) */
  uint32_t numa_node;     /**< OS index of the node it is bound to, or ::LF_TOPOLOGY_INDEX_NONE */
  int32_t device_index;   /**< Vulkan device index (device memory, or memory a device maps), or -1 */
} lf_buffer_info_t;

LF_EXTERN_C_BEGIN

/**
 * Allocate a buffer.
 * @param context the context (borrowed); the buffer keeps it alive
 * @param size bytes, at least 1
 * @param params NULL for defaults (borrowed)
 * @param[out] out_buffer returned: destroy with lf_buffer_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (bad params, unknown NUMA node (`LF_ERR_NOT_FOUND`),
 *         bad name); `LF_ERR_NO_MEMORY`; `LF_ERR_UNSUPPORTED` (a required feature is missing:
 *         the message says which); `LF_ERR_EXISTS` (the name is taken); `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_create(lf_context_t *context, size_t size, const lf_buffer_params_t *params,
                                    lf_buffer_t **out_buffer);

/**
 * Release a buffer: unmap and free it, or return it to its pool. Mappings other processes
 * made of shared or device memory stay valid until they release theirs.
 * @param buffer the buffer, or NULL (a no-op)
 * @return `LF_OK` or `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_buffer_destroy(lf_buffer_t *buffer);

/**
 * What a buffer is and what was obtained.
 * @param buffer the buffer (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_get_info(const lf_buffer_t *buffer, lf_buffer_info_t *out_info);

/**
 * The host address and size of a buffer (the fast accessor).
 * @param buffer the buffer (borrowed)
 * @param[out] out_pointer the host address (valid until the buffer is destroyed)
 * @param[out] out_size usable bytes (may be NULL)
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` for device-local memory (no host address).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_get_data(const lf_buffer_t *buffer, void **out_pointer, size_t *out_size);

/**
 * Why the buffer is what it is, in one line, e.g. "host memory, 4 MiB; huge pages
 * preferred: hugetlbfs has no free 2 MiB pages (nr_hugepages 0); got transparent huge pages
 * (madvise)".
 * @param buffer the buffer (borrowed)
 * @param[out] out_text borrowed; valid while the buffer lives
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_get_reason(const lf_buffer_t *buffer, const char **out_text);

/**
 * A new file descriptor for a shared or device buffer, to give to another process (over
 * lf_buffer_send() or your own channel) or to another API (Vulkan, CUDA
 * `cuImportExternalMemory`, OpenCL).
 * @param buffer the buffer (borrowed)
 * @param[out] out_fd returned: a new descriptor (close-on-exec) the caller owns and must
 *             close(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` for host memory (not exportable); `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_export_fd(const lf_buffer_t *buffer, int *out_fd);

/** Bits of ::lf_buffer_import_params_t::field_mask. */
enum lf_buffer_import_param_field {
  LF_BUFFER_IMPORT_PARAM_FIELD_SIZE = 1u << 0, /**< `size`: the exact size expected */
  LF_BUFFER_IMPORT_PARAM_FIELD_FLAGS = 1u << 1 /**< `flags` */
};

/** Bits of ::lf_buffer_import_params_t::flags. */
enum lf_buffer_import_flag {
  LF_BUFFER_IMPORT_READ_ONLY = 1u << 0 /**< map read-only */
};

/** Parameters of lf_buffer_import_fd() and lf_buffer_open(). Zeroed (or NULL) means defaults. */
typedef struct lf_buffer_import_params {
  uint64_t field_mask; /**< bitwise OR of ::lf_buffer_import_param_field */
  uint64_t size;       /**< the exact size expected; refused if different */
  uint64_t flags;      /**< bitwise OR of ::lf_buffer_import_flag values */
} lf_buffer_import_params_t;

/**
 * Map shared memory another process exported as an fd (a memfd). Before mapping, lavaflow
 * checks that the fd is a regular memory file, that its size is sealed against shrinking and
 * growing (so its owner cannot truncate it under us) and, if given, that the size matches.
 * @param context the context (borrowed)
 * @param fd borrowed: lavaflow duplicates it; the caller still owns `fd` and closes it
 * @param params NULL for defaults (borrowed)
 * @param[out] out_buffer returned: destroy with lf_buffer_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (not an open fd, not a memory file, unsealed,
 *         wrong size); `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_import_fd(lf_context_t *context, int fd, const lf_buffer_import_params_t *params,
                                       lf_buffer_t **out_buffer);

/**
 * Map a named shared buffer of this user (see ::lf_buffer_params_t::name). The path is built
 * under the canonical base directory, opened without following symlinks, and must be a
 * regular file owned by this user, of mode 0600, and (if given) of the expected size.
 * @param context the context (borrowed)
 * @param name the buffer's name (borrowed)
 * @param params NULL for defaults (borrowed)
 * @param[out] out_buffer returned: destroy with lf_buffer_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_NOT_FOUND`; `LF_ERR_INVALID_ARGUMENT` (bad name, wrong size);
 *         `LF_ERR_PERMISSION` (wrong owner or mode, a symlink, not a regular file).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_open(lf_context_t *context, const char *name, const lf_buffer_import_params_t *params,
                                  lf_buffer_t **out_buffer);

/**
 * Send a shared or device buffer to another process over a connected Unix socket: a 64-byte
 * descriptor (kind, size, and for device memory its Vulkan memory type and device and driver
 * UUIDs; docs/wire-formats.md) and the fd, in one message (SCM_RIGHTS). Use a
 * `SOCK_SEQPACKET` (or `SOCK_DGRAM`) socket so that messages keep their boundaries; on a
 * `SOCK_STREAM` socket send nothing else while a buffer message is in flight.
 * @param buffer the buffer (borrowed)
 * @param socket_fd a connected `AF_UNIX` socket (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` (host memory); `LF_ERR_CLOSED`; `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_send(const lf_buffer_t *buffer, int socket_fd);

/**
 * Receive a buffer sent with lf_buffer_send() and map (or import) it, validating the
 * descriptor and the fd as lf_buffer_import_fd() does.
 * @param context the context (borrowed)
 * @param socket_fd a connected `AF_UNIX` socket (borrowed)
 * @param timeout_ms -1 to wait forever, 0 to poll
 * @param[out] out_buffer returned: destroy with lf_buffer_destroy(); written on success
 * @return `LF_OK`; `LF_TIMEOUT`; `LF_ERR_CLOSED` (the peer closed); `LF_ERR_PROTOCOL` (not a
 *         buffer message); `LF_ERR_CORRUPT`, `LF_ERR_INVALID_ARGUMENT` (validation failed);
 *         `LF_ERR_UNSUPPORTED` (device memory without Vulkan).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_recv(lf_context_t *context, int socket_fd, int32_t timeout_ms, lf_buffer_t **out_buffer);

/** Bits of ::lf_buffer_pool_params_t::field_mask. */
enum lf_buffer_pool_param_field {
  LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED = 1u << 0, /**< `max_cached` */
  LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE = 1u << 1 /**< `preallocate` */
};

/** Parameters of lf_buffer_pool_create(). Zeroed (or NULL) means: cache up to 16, preallocate none. */
typedef struct lf_buffer_pool_params {
  uint64_t field_mask;  /**< bitwise OR of ::lf_buffer_pool_param_field */
  uint32_t max_cached;  /**< free buffers kept for reuse (beyond that, released ones are freed) */
  uint32_t preallocate; /**< buffers allocated at creation (at most `max_cached`) */
} lf_buffer_pool_params_t;

/**
 * Create a pool of same-size buffers: lf_buffer_pool_acquire() reuses a cached one when it
 * can (well under a microsecond), and lf_buffer_destroy() on a pooled buffer returns it to
 * the pool instead of freeing it. Shared and device allocations cost tens of microseconds;
 * a pool makes repeated ones cheap.
 * @param context the context (borrowed); the pool keeps it alive
 * @param buffer_size bytes of every buffer
 * @param buffer_params how each buffer is allocated (borrowed; copied; a `name` is refused)
 * @param pool_params NULL for defaults (borrowed)
 * @param[out] out_pool returned: destroy with lf_buffer_pool_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (a size of 0, bad params, unknown field bits); the
 *        errors of lf_buffer_create() when `preallocate` buffers are made at once;
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_pool_create(lf_context_t *context, size_t buffer_size,
                                         const lf_buffer_params_t *buffer_params,
                                         const lf_buffer_pool_params_t *pool_params, lf_buffer_pool_t **out_pool);

/**
 * Take a buffer from the pool (or allocate one if none is cached). Its contents are
 * whatever the last user left, unless the pool's params ask for `LF_BUFFER_FLAG_ZERO`.
 * @param pool the pool (borrowed)
 * @param[out] out_buffer returned: give it back with lf_buffer_destroy(); written on success
 * @return `LF_OK`; the errors of lf_buffer_create() when a new buffer is needed;
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_buffer_pool_acquire(lf_buffer_pool_t *pool, lf_buffer_t **out_buffer);

/**
 * Release the pool. Buffers still acquired stay valid and are freed when destroyed.
 * @param pool the pool, or NULL (a no-op)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_buffer_pool_destroy(lf_buffer_pool_t *pool);

/**
 * Per-context memory statistics. Set `struct_size = sizeof(lf_memory_stats_t)` before the
 * call; the library fills in at most that many bytes.
 */
typedef struct lf_memory_stats {
  uint32_t struct_size;           /**< in: sizeof(lf_memory_stats_t) as the caller knows it */
  uint32_t reserved0;             /**< zero */
  uint64_t live_bytes[4];         /**< live bytes by ::lf_memory_kind_t (index 0 unused) */
  uint64_t live_count[4];         /**< live buffers by kind (index 0 unused) */
  uint64_t live_bytes_by_node[64]; /**< live bytes bound to NUMA nodes 0..63 */
  uint64_t high_water_bytes;      /**< most bytes live at once */
  uint64_t allocations;           /**< buffers created (including imports and pool misses) */
  uint64_t fallbacks;             /**< allocations that fell back to another kind */
  uint64_t pool_hits;             /**< pool acquisitions served from the cache */
  uint64_t pool_misses;           /**< pool acquisitions that had to allocate */
  uint64_t pooled_bytes;          /**< bytes cached in pools (free, not live) */
} lf_memory_stats_t;

/**
 * The context's memory statistics. Buffers still alive when lf_context_destroy() is called
 * are reported there as a warning (a leak report).
 * @param context the context (borrowed)
 * @param[out] out_stats caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_context_get_memory_stats(const lf_context_t *context, lf_memory_stats_t *out_stats);

/**
 * The name of a memory kind ("host", "shared", "device"), or "invalid". Static text.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_memory_kind_name(int32_t kind);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_MEMORY_H */

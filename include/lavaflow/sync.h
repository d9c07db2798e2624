/**
 * @file sync.h
 * @brief Timeline semaphores: a 64-bit value that only grows, shared between threads,
 *        processes and GPU APIs.
 *
 * A semaphore holds a 64-bit value. lf_semaphore_signal() raises it to N; lf_semaphore_wait()
 * returns once it is at least N (wait-before-signal works: a wait for a value nobody has
 * signalled yet simply waits). It is the CPU side of Vulkan's timeline semaphores, and of
 * CUDA's and OpenCL's imports of them: "this buffer is ready when the semaphore reaches N".
 *
 * | kind | value lives in | crosses processes | GPU queues can wait on it |
 * |---|---|---|---|
 * | `LF_SEMAPHORE_SHARED` | a sealed memfd (optionally a named file), waits spin then sleep on a futex | as an fd, by name, over a socket | no |
 * | `LF_SEMAPHORE_VULKAN` | a Vulkan timeline `VkSemaphore` exported as an opaque fd | as an fd, over a socket (Vulkan, CUDA, OpenCL importers) | yes |
 *
 * The Vulkan kind needs `VK_KHR_external_semaphore_fd` with timeline semaphores; where the
 * driver lacks it (Mesa's lavapipe does) creation fails with `LF_ERR_UNSUPPORTED` saying so,
 * or, with `LF_SEMAPHORE_FALLBACK_TO_SHARED`, gives a shared semaphore and reports that
 * (`LF_SEMAPHORE_FELL_BACK`, lf_semaphore_get_reason()).
 *
 * Every process holding a shared semaphore is listed in it. When a holder's process dies
 * without destroying its handle, every wait for a value not yet reached returns
 * `LF_ERR_PEER_DEAD` — waiters already asleep are woken at once (the process's pidfd is
 * watched, as channels watch their peers) — and so does every later such wait: the value the
 * dead process was to signal will never come. Open a semaphore with
 * `LF_SEMAPHORE_FLAG_WAIT_ONLY` in a process that never signals, so that its death does not
 * count. A holder in another pid namespace cannot be watched; the info says so
 * (`LF_SEMAPHORE_DEATH_UNWATCHED`). Vulkan semaphores have no such tracking (the driver's
 * object has no notion of holders): their waits end at the timeout.
 *
 * Semaphores keep their context alive. All functions are thread-safe, except that a handle
 * must not be destroyed while another thread is inside a call on it.
 */
#ifndef LAVAFLOW_SYNC_H
#define LAVAFLOW_SYNC_H

#include <stdint.h>

#include "channel.h"
#include "context.h"
#include "export.h"
#include "status.h"

/**
 * @addtogroup sync
 * @{
 */

/** A timeline semaphore (opaque handle). */
typedef struct lf_semaphore lf_semaphore_t;

/** Kinds of semaphores. */
typedef enum lf_semaphore_kind {
  LF_SEMAPHORE_SHARED = 1, /**< the value in shared memory: threads and processes of one host */
  LF_SEMAPHORE_VULKAN = 2  /**< a Vulkan timeline semaphore, exportable as an opaque fd */
} lf_semaphore_kind_t;

/** Bits of ::lf_semaphore_params_t::field_mask. */
enum lf_semaphore_param_field {
  LF_SEMAPHORE_PARAM_FIELD_KIND = 1u << 0,          /**< `kind` */
  LF_SEMAPHORE_PARAM_FIELD_INITIAL_VALUE = 1u << 1, /**< `initial_value` */
  LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE = 1u << 2,     /**< `wait_mode` */
  LF_SEMAPHORE_PARAM_FIELD_SPIN_US = 1u << 3,       /**< `spin_us` */
  LF_SEMAPHORE_PARAM_FIELD_FLAGS = 1u << 4,         /**< `flags` */
  LF_SEMAPHORE_PARAM_FIELD_FALLBACK = 1u << 5,      /**< `fallback` */
  LF_SEMAPHORE_PARAM_FIELD_DEVICE = 1u << 6,        /**< `device_index` or `device_uuid` */
  LF_SEMAPHORE_PARAM_FIELD_NAME = 1u << 7           /**< `name` */
};

/** Bits of ::lf_semaphore_params_t::flags. */
enum lf_semaphore_flag {
  /** This handle never signals: lf_semaphore_signal() on it is refused, and its process's
   *  death does not wake waiters with `LF_ERR_PEER_DEAD`. */
  LF_SEMAPHORE_FLAG_WAIT_ONLY = 1u << 0
};

/** Bits of ::lf_semaphore_params_t::fallback. */
enum lf_semaphore_fallback {
  LF_SEMAPHORE_FALLBACK_TO_SHARED = 1u << 0 /**< no exportable Vulkan timeline semaphore: make a shared one */
};

/**
 * Parameters of lf_semaphore_create(), and of the calls that take a semaphore from elsewhere
 * (lf_semaphore_import_fd(), lf_semaphore_open(), lf_semaphore_recv()), where only
 * `wait_mode`, `spin_us` and `flags` apply. Zeroed (or NULL) means: a shared semaphore at 0,
 * adaptive waiting with 50 µs of spinning, no fallback.
 */
typedef struct lf_semaphore_params {
  uint64_t field_mask;     /**< bitwise OR of ::lf_semaphore_param_field; unknown bits are rejected */
  int32_t kind;            /**< an ::lf_semaphore_kind_t value */
  int32_t wait_mode;       /**< an ::lf_wait_mode_t value (how CPU waits on this handle wait) */
  uint64_t initial_value;  /**< the value at creation */
  uint32_t spin_us;        /**< adaptive waiting: how long to spin before sleeping */
  int32_t device_index;    /**< Vulkan kind: the device by index in lf_device_get_info() order (default 0) */
  const uint8_t *device_uuid; /**< or by its 16-byte UUID (borrowed); takes precedence over the index */
  uint64_t flags;          /**< bitwise OR of ::lf_semaphore_flag values */
  uint64_t fallback;       /**< bitwise OR of ::lf_semaphore_fallback values */
  /**
   * Shared kind only: also publish the semaphore as `<base>/lavaflow-<uid>/semaphores/<name>`
   * (mode 0600) so that processes of the same user can lf_semaphore_open() it. 1..63 bytes of
   * `[A-Za-z0-9._-]`, not starting with a dot; removed when the creator destroys its handle.
   */
  const char *name;
} lf_semaphore_params_t;

/** Bits of ::lf_semaphore_info_t::flags. */
enum lf_semaphore_info_flag {
  LF_SEMAPHORE_FELL_BACK = 1u << 0,       /**< another kind than requested (see the reason) */
  LF_SEMAPHORE_IMPORTED = 1u << 1,        /**< imported from an fd, a name or a socket */
  LF_SEMAPHORE_NAMED = 1u << 2,           /**< published under (or opened by) a name */
  LF_SEMAPHORE_EXPORTABLE = 1u << 3,      /**< lf_semaphore_export_fd() works */
  LF_SEMAPHORE_WAIT_ONLY = 1u << 4,       /**< this handle was made with `LF_SEMAPHORE_FLAG_WAIT_ONLY` */
  LF_SEMAPHORE_PEER_DEAD = 1u << 5,       /**< a holder that may signal died: unreached values never come */
  LF_SEMAPHORE_DEATH_UNWATCHED = 1u << 6  /**< a holder is in another pid namespace: its death is not detected */
};

/**
 * What a semaphore is. Set `struct_size = sizeof(lf_semaphore_info_t)` before the call; the
 * library fills in at most that many bytes.
 */
typedef struct lf_semaphore_info {
  uint32_t struct_size;   /**< in: sizeof(lf_semaphore_info_t) as the caller knows it */
  int32_t kind;           /**< the ::lf_semaphore_kind_t obtained */
  int32_t requested_kind; /**< the kind asked for */
  uint32_t flags;         /**< bitwise OR of ::lf_semaphore_info_flag values */
  uint64_t value;         /**< the value when the call read it */
  uint32_t holders;       /**< shared kind: processes holding it (live and dead); Vulkan kind: 0 (unknown) */
  uint32_t dead_holders;  /**< shared kind: holders whose process died without releasing it */
  int32_t wait_mode;      /**< this handle's ::lf_wait_mode_t */
  uint32_t spin_us;       /**< this handle's spin before sleeping */
  int32_t device_index;   /**< Vulkan kind: the device's index; otherwise -1 */
  uint32_t reserved0;     /**< zero */
  uint64_t sleeps;        /**< times this handle's waits slept on a futex */
  uint64_t wakes;         /**< futex wake-ups this handle's signals issued */
} lf_semaphore_info_t;

/**
 * The Vulkan objects behind a Vulkan semaphore, for the application's own queue submissions
 * (`VkTimelineSemaphoreSubmitInfo`). Set `struct_size = sizeof(lf_vulkan_semaphore_info_t)`
 * before the call. The handles are borrowed: lavaflow owns them and they stay valid while the
 * semaphore lives. Submit on queues of `device`.
 */
typedef struct lf_vulkan_semaphore_info {
  uint32_t struct_size;     /**< in: sizeof(lf_vulkan_semaphore_info_t) as the caller knows it */
  uint32_t handle_types;    /**< `VkExternalSemaphoreHandleTypeFlags` it can be exported as */
  void *instance;           /**< `VkInstance` */
  void *physical_device;    /**< `VkPhysicalDevice` */
  void *device;             /**< `VkDevice` */
  uint64_t semaphore;       /**< `VkSemaphore` (of type `VK_SEMAPHORE_TYPE_TIMELINE`) */
  uint8_t device_uuid[16];  /**< the device's UUID */
  uint8_t driver_uuid[16];  /**< the driver's UUID (an opaque fd imports only into the same driver) */
} lf_vulkan_semaphore_info_t;

LF_EXTERN_C_BEGIN

/**
 * Create a semaphore.
 * @param context the context (borrowed); the semaphore keeps it alive
 * @param params NULL for defaults (borrowed)
 * @param[out] out_semaphore returned: destroy with lf_semaphore_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (bad params, bad name); `LF_ERR_EXISTS` (the name
 *         is taken); `LF_ERR_UNSUPPORTED` (Vulkan kind: no Vulkan, no timeline semaphores or
 *         no semaphore export on the device, and no fallback allowed: the message says which);
 *         `LF_ERR_NOT_FOUND` (no such device); `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_create(lf_context_t *context, const lf_semaphore_params_t *params,
                                       lf_semaphore_t **out_semaphore);

/**
 * Release a semaphore handle. Other holders (other handles, other processes) keep the
 * semaphore; a named one's name is removed when its creator's handle goes.
 * @param semaphore the semaphore, or NULL (a no-op)
 * @return `LF_OK` or `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, but not while another thread is inside a call on the same handle
 *               (as with `sem_destroy`): signal, wait and get_value take no reference, so that
 *               they cost no atomic read-modify-write of their own.
 */
LF_API lf_status_t lf_semaphore_destroy(lf_semaphore_t *semaphore);

/**
 * Raise the value to `value` and wake the waiters it satisfies.
 * @param semaphore the semaphore (borrowed)
 * @param value greater than the current value
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (not greater than the current value: values only
 *         grow); `LF_ERR_INVALID_STATE` (a wait-only handle); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently (of two racing signals, a lower one that comes second
 *               is refused).
 */
LF_API lf_status_t lf_semaphore_signal(lf_semaphore_t *semaphore, uint64_t value);

/**
 * Wait until the value is at least `value`.
 * @param semaphore the semaphore (borrowed)
 * @param value the value to wait for
 * @param timeout_ns nanoseconds; negative waits forever, 0 only checks
 * @return `LF_OK`; `LF_TIMEOUT` (also for a 0 timeout that found the value lower);
 *         `LF_ERR_PEER_DEAD` (a holder that may signal died before the value was reached);
 *         `LF_ERR_CORRUPT` (the shared region was damaged); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_wait(lf_semaphore_t *semaphore, uint64_t value, int64_t timeout_ns);

/**
 * The current value.
 * @param semaphore the semaphore (borrowed)
 * @param[out] out_value written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_get_value(const lf_semaphore_t *semaphore, uint64_t *out_value);

/**
 * What a semaphore is, its value, its holders and its counters.
 * @param semaphore the semaphore (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *         `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_get_info(const lf_semaphore_t *semaphore, lf_semaphore_info_t *out_info);

/**
 * Why the semaphore is what it is, in one line, e.g. "shared semaphore (memfd, futex waits);
 * Vulkan requested: device 0 (llvmpipe) cannot export semaphores (no
 * VK_KHR_external_semaphore_fd)".
 * @param semaphore the semaphore (borrowed)
 * @param[out] out_text borrowed; valid while the semaphore lives
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_get_reason(const lf_semaphore_t *semaphore, const char **out_text);

/**
 * A new file descriptor for the semaphore: for a shared one its memfd (for
 * lf_semaphore_import_fd() in another process), for a Vulkan one an opaque fd (for
 * `vkImportSemaphoreFdKHR`, CUDA `cuImportExternalSemaphore` with
 * `CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD`, OpenCL
 * `cl_khr_external_semaphore_opaque_fd`).
 * @param semaphore the semaphore (borrowed)
 * @param[out] out_fd returned: a new descriptor (close-on-exec) the caller owns and must
 *             close(); written on success
 * @return `LF_OK`; `LF_ERR_SYSTEM`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_export_fd(const lf_semaphore_t *semaphore, int *out_fd);

/**
 * Take a shared semaphore another process exported with lf_semaphore_export_fd(). The fd must
 * be a memfd sealed against shrinking and growing, holding a valid semaphore region; this
 * process is added to its holders. (A Vulkan semaphore's opaque fd is received with
 * lf_semaphore_recv(), which learns its device from the sender.)
 * @param context the context (borrowed)
 * @param fd borrowed: lavaflow duplicates it; the caller still owns `fd` and closes it
 * @param params NULL for defaults (borrowed; only `wait_mode`, `spin_us`, `flags`)
 * @param[out] out_semaphore returned: destroy with lf_semaphore_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (not a sealed memfd, bad params);
 *         `LF_ERR_CORRUPT` / `LF_ERR_VERSION_MISMATCH` (not a semaphore region of this
 *         version); `LF_ERR_LIMIT` (every holder slot is taken); `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_import_fd(lf_context_t *context, int fd, const lf_semaphore_params_t *params,
                                          lf_semaphore_t **out_semaphore);

/**
 * Open a named shared semaphore of this user (see ::lf_semaphore_params_t::name). The file is
 * opened without following symlinks and must be a regular file owned by this user, of mode
 * 0600, holding a valid semaphore region.
 * @param context the context (borrowed)
 * @param name the semaphore's name (borrowed)
 * @param params NULL for defaults (borrowed; only `wait_mode`, `spin_us`, `flags`)
 * @param[out] out_semaphore returned: destroy with lf_semaphore_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_NOT_FOUND`; `LF_ERR_INVALID_ARGUMENT` (bad name);
 *         `LF_ERR_PERMISSION` (wrong owner or mode, a symlink, not a regular file);
 *         `LF_ERR_CORRUPT` / `LF_ERR_VERSION_MISMATCH`; `LF_ERR_LIMIT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_open(lf_context_t *context, const char *name, const lf_semaphore_params_t *params,
                                     lf_semaphore_t **out_semaphore);

/**
 * Send a semaphore to another process over a connected Unix socket: a 64-byte descriptor
 * (kind, value at sending, and for a Vulkan one its device and driver UUIDs;
 * docs/wire-formats.md) and the fd, in one message (SCM_RIGHTS). Use a `SOCK_SEQPACKET` socket,
 * as for lf_buffer_send().
 * @param semaphore the semaphore (borrowed)
 * @param socket_fd a connected `AF_UNIX` socket (borrowed)
 * @return `LF_OK`; `LF_ERR_CLOSED`; `LF_ERR_SYSTEM`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_send(const lf_semaphore_t *semaphore, int socket_fd);

/**
 * Receive a semaphore sent with lf_semaphore_send(), validating the descriptor and the fd (a
 * shared one as lf_semaphore_import_fd() does; a Vulkan one is imported into the device with
 * the same UUIDs).
 * @param context the context (borrowed)
 * @param socket_fd a connected `AF_UNIX` socket (borrowed)
 * @param params NULL for defaults (borrowed; only `wait_mode`, `spin_us`, `flags`)
 * @param timeout_ms -1 to wait forever, 0 to poll
 * @param[out] out_semaphore returned: destroy with lf_semaphore_destroy(); written on success
 * @return `LF_OK`; `LF_TIMEOUT`; `LF_ERR_CLOSED` (the peer closed); `LF_ERR_PROTOCOL` (not a
 *         semaphore message); `LF_ERR_CORRUPT`, `LF_ERR_VERSION_MISMATCH`,
 *         `LF_ERR_INVALID_ARGUMENT` (validation failed); `LF_ERR_UNSUPPORTED` (a Vulkan
 *         semaphore where this process has no such device or no semaphore import).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_recv(lf_context_t *context, int socket_fd, const lf_semaphore_params_t *params,
                                     int32_t timeout_ms, lf_semaphore_t **out_semaphore);

/**
 * The Vulkan objects behind a Vulkan semaphore.
 * @param semaphore a Vulkan semaphore (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` for a shared semaphore; `LF_ERR_INVALID_ARGUMENT`;
 *         `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_semaphore_get_vulkan_info(const lf_semaphore_t *semaphore, lf_vulkan_semaphore_info_t *out_info);

/**
 * @name Buffer messages that carry semaphores
 * A buffer message (lf_channel_send_buffer()) may also say when its bytes are ready — "when
 * `ready` reaches `ready_value`" — and what the consumer signals when it is done with them —
 * "`done` at `done_value`" — so that a GPU producer and a GPU consumer order their work with no
 * CPU round trip: the producer submits its write and a signal of `ready_value` and sends at once;
 * the consumer's queue waits for `ready_value` (the Vulkan handles of lf_semaphore_get_vulkan_info(),
 * or CUDA's import of lf_semaphore_export_fd()) or its CPU does (lf_semaphore_wait()), and signals
 * `done_value` when finished, after which the producer may reuse the buffer. Each semaphore is
 * sent to the consumer once per channel, as buffers are, and pinned by the producer's end (they
 * count toward its 256 pinned buffers, until the end is destroyed); the consumer's handles
 * belong to its channel end.
 * @{
 */

/** What a buffer message says about its semaphores. */
typedef struct lf_buffer_sync {
  lf_semaphore_t *ready; /**< the bytes are ready when this reaches `ready_value`; NULL: ready now */
  uint64_t ready_value;  /**< the value to wait for */
  lf_semaphore_t *done;  /**< the consumer signals this when done with the bytes; NULL: nothing to signal */
  uint64_t done_value;   /**< the value to signal */
} lf_buffer_sync_t;

/**
 * Producer: lf_channel_send_buffer() with semaphores: the message refers to `length` bytes at
 * `offset` of `buffer`, ready when `sync->ready` reaches `sync->ready_value`, with `size` bytes of
 * inline data. The first message naming a semaphore sends it to the consumer (its fd over the
 * connection, as for buffers).
 * @param channel a producer (borrowed)
 * @param buffer shared or device memory (borrowed; the channel pins it until forgotten)
 * @param offset where the referred bytes start in the buffer
 * @param length how many bytes are referred to
 * @param sync the semaphores and values (borrowed; the semaphores are pinned by the channel)
 * @param data the inline bytes (borrowed), or NULL when `size` is 0
 * @param size 0..max_message_size - 48
 * @param timeout_ms as for lf_channel_send_buffer()
 * @return as lf_channel_send_buffer(); `LF_ERR_INVALID_ARGUMENT` (`sync` NULL, or naming
 *         neither semaphore); `LF_ERR_INVALID_HANDLE` (a semaphore handle).
 * @threadsafety One thread at a time per channel end (externally synchronized).
 */
LF_API lf_status_t lf_channel_send_buffer_sync(lf_channel_t *channel, lf_buffer_t *buffer, uint64_t offset,
                                               uint64_t length, const lf_buffer_sync_t *sync, const void *data,
                                               size_t size, int32_t timeout_ms);

/**
 * Consumer: the semaphores the peeked buffer message names, and their values. A message without
 * them (a plain message, or a buffer message sent without semaphores) gives NULLs and zeros.
 * The first time a semaphore appears, this imports it.
 * @param channel the consumer with a peeked message (borrowed)
 * @param[out] out_sync the consumer's own handles (owned by the channel end, like its buffers:
 *             do not destroy them) and the values; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` (nothing is peeked); `LF_ERR_PROTOCOL` (a semaphore
 *         never announced, or an announcement that is not a semaphore); the import's errors
 *         (`LF_ERR_CORRUPT`, `LF_ERR_UNSUPPORTED` for a Vulkan semaphore of another device).
 * @threadsafety One thread at a time per channel end (externally synchronized).
 */
LF_API lf_status_t lf_channel_peeked_sync(lf_channel_t *channel, lf_buffer_sync_t *out_sync);

/** @} */

/**
 * The name of a semaphore kind ("shared", "vulkan"), or "invalid". Static text.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_semaphore_kind_name(int32_t kind);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_SYNC_H */

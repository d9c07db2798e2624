/**
 * @file scope.h
 * @brief Where is my peer, and what can we share? Scope detection between two identities.
 *
 * The scope of two endpoints is the closest level they share:
 *
 * | level      | meaning                                                                    |
 * |------------|----------------------------------------------------------------------------|
 * | `PROCESS`  | the same process: pointers can be handed over                              |
 * | `NUMA`     | one host, both cpusets inside the same single NUMA node                    |
 * | `PACKAGE`  | one host, both cpusets inside the same single package                      |
 * | `HOST`     | one host (same kernel) with a common shared-memory directory               |
 * | `ISOLATED` | same kernel, but no common shared-memory directory (e.g. a container with its own IPC and mount namespaces): treated as remote |
 * | `REMOTE`   | another kernel (different boot id), or nothing proves the same one         |
 *
 * The hostname is never evidence: containers share it across hosts, or change it on one.
 * Alongside the level, a decision lists which mechanisms work between the two endpoints
 * (::lf_mechanism_t) and, in an ::lf_scope_t, a one-line reason for the level and for
 * every mechanism ruled out. docs/scope.md explains every rule.
 *
 * `LAVAFLOW_SCOPE_OVERRIDE=<level>` (or the context's `scope_override`) forces a more
 * distant level for tests; the reason then says so.
 */
#ifndef LAVAFLOW_SCOPE_H
#define LAVAFLOW_SCOPE_H

#include <stdint.h>

#include "context.h"
#include "export.h"
#include "identity.h"
#include "status.h"

/**
 * @addtogroup scope
 * @{
 */

/** Scope levels, from closest to most distant. */
typedef enum lf_scope_level {
  LF_SCOPE_UNKNOWN = 0,  /**< not decided (only in ::lf_scope_info_t::hardware_level) */
  LF_SCOPE_PROCESS = 1,  /**< same process */
  LF_SCOPE_NUMA = 2,     /**< same host, same NUMA node */
  LF_SCOPE_PACKAGE = 3,  /**< same host, same package */
  LF_SCOPE_HOST = 4,     /**< same host, can share memory */
  LF_SCOPE_ISOLATED = 5, /**< same kernel, cannot share memory */
  LF_SCOPE_REMOTE = 6    /**< another host */
} lf_scope_level_t;

/** Mechanisms that may work between two endpoints (bits of ::lf_scope_info_t::mechanisms). */
typedef enum lf_mechanism {
  LF_MECHANISM_ADDRESS_SPACE = 1u << 0,   /**< one address space: pass pointers */
  LF_MECHANISM_SHARED_MEMORY = 1u << 1,   /**< map the same memory (memfd or base-directory files) */
  LF_MECHANISM_FD_PASSING = 1u << 2,      /**< pass file descriptors over a Unix socket */
  LF_MECHANISM_CMA = 1u << 3,             /**< single-copy process_vm_readv/writev */
  LF_MECHANISM_VULKAN_MEMORY = 1u << 4,   /**< share Vulkan device memory exported as an fd */
  LF_MECHANISM_NETWORK = 1u << 5          /**< a network transport (MPI) */
} lf_mechanism_t;

/** All mechanism bits. */
#define LF_MECHANISM_ALL 0x3fu

/** Bits of ::lf_scope_info_t::flags. */
enum lf_scope_flag {
  LF_SCOPE_FLAG_OVERRIDDEN = 1u << 0,       /**< the level was forced by an override */
  LF_SCOPE_FLAG_OVERRIDE_IGNORED = 1u << 1, /**< an override asked for a closer level and was ignored */
  LF_SCOPE_FLAG_TOPOLOGIES_DIFFER = 1u << 2 /**< the identities were taken on different topologies */
};

/**
 * A scope decision. Set `struct_size = sizeof(lf_scope_info_t)` before the call; the
 * library fills in at most that many bytes.
 */
typedef struct lf_scope_info {
  uint32_t struct_size;   /**< in: sizeof(lf_scope_info_t) as the caller knows it */
  int32_t level;          /**< the decided ::lf_scope_level_t */
  int32_t detected_level; /**< the level before any override */
  /**
   * How close the two cpusets are on the hardware when both endpoints are on one host:
   * `LF_SCOPE_NUMA`, `LF_SCOPE_PACKAGE` or `LF_SCOPE_HOST`, also for two endpoints of the
   * same process (two threads); `LF_SCOPE_UNKNOWN` across hosts or topologies.
   */
  int32_t hardware_level;
  uint32_t mechanisms;    /**< bitwise OR of the ::lf_mechanism_t values that work */
  uint32_t flags;         /**< bitwise OR of ::lf_scope_flag values */
} lf_scope_info_t;

/** A scope decision with its reasons (opaque handle). */
typedef struct lf_scope lf_scope_t;

LF_EXTERN_C_BEGIN

/**
 * Decide the scope of two identities, without the reasons. Makes no system call and no
 * allocation; for repeated decisions on a hot path. Symmetric in `a` and `b`.
 * @param context supplies the scope override, if any (borrowed)
 * @param a one endpoint (borrowed)
 * @param b the other endpoint (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`, `LF_ERR_INVALID_HANDLE`, `LF_ERR_INVALID_ARGUMENT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_scope_decide(const lf_context_t *context, const lf_identity_t *a,
                                   const lf_identity_t *b, lf_scope_info_t *out_info);

/**
 * Decide the scope of two identities and keep the decision with its reasons.
 * @param context supplies the scope override, if any (borrowed); the scope keeps it alive
 * @param a one endpoint (borrowed)
 * @param b the other endpoint (borrowed)
 * @param[out] out_scope returned: destroy with lf_scope_destroy(); written on success
 * @return `LF_OK`, `LF_ERR_INVALID_HANDLE`, `LF_ERR_INVALID_ARGUMENT`, `LF_ERR_NO_MEMORY`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_scope_create(lf_context_t *context, const lf_identity_t *a,
                                   const lf_identity_t *b, lf_scope_t **out_scope);

/**
 * Release a scope decision. NULL is a no-op. @return `LF_OK` or `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_scope_destroy(lf_scope_t *scope);

/**
 * The decision.
 * @param scope the scope (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_scope_get_info(const lf_scope_t *scope, lf_scope_info_t *out_info);

/**
 * Why this level, in one line, e.g. "host: same boot id, same base directory /dev/shm
 * (dev 0:27 ino 1); cpusets 0-1 and 2-3 are in different packages".
 * @param scope the scope (borrowed)
 * @param[out] out_text borrowed; valid while the scope lives
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_scope_get_reason(const lf_scope_t *scope, const char **out_text);

/**
 * Why one mechanism works or is ruled out, in one line.
 * @param scope the scope (borrowed)
 * @param mechanism exactly one ::lf_mechanism_t bit
 * @param[out] out_text borrowed; valid while the scope lives
 * @return `LF_OK`, `LF_ERR_INVALID_ARGUMENT` (not exactly one known bit), `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_scope_get_mechanism_reason(const lf_scope_t *scope, uint32_t mechanism,
                                                 const char **out_text);

/**
 * The lower-case name of a level ("process", "numa", "package", "host", "isolated",
 * "remote", "unknown"); "invalid" for other values. Static text.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_scope_level_name(int32_t level);

/**
 * Parse a level name as lf_scope_level_name() writes it (case-insensitive).
 * @return `LF_OK`, or `LF_ERR_INVALID_ARGUMENT` for anything else.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_scope_level_from_name(const char *name, int32_t *out_level);

/**
 * The lower-case name of one mechanism bit ("address_space", "shared_memory", "fd_passing",
 * "cma", "vulkan_memory", "network"); "invalid" otherwise. Static text.
 * @return static text (borrowed; never NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_mechanism_name(uint32_t mechanism);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_SCOPE_H */

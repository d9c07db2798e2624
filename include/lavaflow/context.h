/**
 * @file context.h
 * @brief The context: the root object that owns the topology and configuration.
 *
 * Every other lavaflow object is created from a context and keeps it alive: a context
 * may be destroyed before its children, and is freed with the last of them.
 * Contexts are thread-safe.
 *
 * Configuration comes from the params struct and from `LAVAFLOW_*` environment
 * variables; a variable that is set overrides the params field (so that a test harness
 * can force a behaviour without changing the program), unless the context is created
 * with `LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT`. An environment variable with an invalid value
 * makes lf_context_create() fail with a message naming it.
 *
 * | params field       | environment variable        | default        |
 * |--------------------|-----------------------------|----------------|
 * | `topology`         | `LAVAFLOW_TOPOLOGY`         | `"system"`     |
 * | `base_dir`         | `LAVAFLOW_BASE_DIR`         | `"/dev/shm"`   |
 * | `scope_override`   | `LAVAFLOW_SCOPE_OVERRIDE`   | none           |
 * | `log_level`        | (`LAVAFLOW_LOG`, see log.h) | see log.h      |
 */
#ifndef LAVAFLOW_CONTEXT_H
#define LAVAFLOW_CONTEXT_H

#include <stdint.h>

#include "export.h"
#include "log.h"
#include "status.h"

/**
 * @addtogroup context
 * @{
 */

/** A lavaflow context (opaque handle). */
typedef struct lf_context lf_context_t;

/** Bits of ::lf_context_params_t::field_mask: which optional fields are set. */
enum lf_context_param_field {
  LF_CONTEXT_PARAM_FIELD_FLAGS = 1u << 0,          /**< `flags` */
  LF_CONTEXT_PARAM_FIELD_TOPOLOGY = 1u << 1,       /**< `topology` */
  LF_CONTEXT_PARAM_FIELD_BASE_DIR = 1u << 2,       /**< `base_dir` */
  LF_CONTEXT_PARAM_FIELD_LOG_CALLBACK = 1u << 3,   /**< `log_callback` and `log_user_data` */
  LF_CONTEXT_PARAM_FIELD_LOG_LEVEL = 1u << 4,      /**< `log_level` */
  LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE = 1u << 5, /**< `scope_override` */
  LF_CONTEXT_PARAM_FIELD_NAME = 1u << 6            /**< `name` */
};

/** Bits of ::lf_context_params_t::flags. */
enum lf_context_flag {
  /** Ignore every `LAVAFLOW_*` environment variable except `LAVAFLOW_LOG`. */
  LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT = 1u << 0
};

/**
 * Parameters of lf_context_create(). Zero the struct and set `field_mask` bits for the
 * fields you fill in; a zeroed struct (or a NULL pointer) means "all defaults".
 * Strings are borrowed: copied during the call.
 */
typedef struct lf_context_params {
  /** Bitwise OR of ::lf_context_param_field values; unknown bits are rejected. */
  uint64_t field_mask;
  /** Bitwise OR of ::lf_context_flag values. */
  uint64_t flags;
  /**
   * Where the hardware topology comes from:
   * - `"system"`: this machine, as hwloc discovers it (the default);
   * - `"synthetic:DESCRIPTION"`: an hwloc synthetic description, e.g.
   *   `"synthetic:pack:2 numa:2 core:2 pu:2"`, to test NUMA and package scopes anywhere;
   * - `"xml:PATH"`: an hwloc XML export (absolute path, a regular file).
   */
  const char *topology;
  /**
   * The shared-memory base directory (absolute path to an existing directory, default
   * `"/dev/shm"`). Peers can share memory only if their base directories are the same
   * filesystem object; it is part of every identity.
   */
  const char *base_dir;
  /** Log callback for messages that concern this context (see log.h); NULL = global. */
  lf_log_fn log_callback;
  /** Passed to `log_callback` (borrowed; must outlive the context). */
  void *log_user_data;
  /** Log threshold for this context, an ::lf_log_level_t value. */
  int32_t log_level;
  /**
   * Force scope decisions made with this context to an ::lf_scope_level_t value (see
   * scope.h). A forced level can only be more distant than the detected one.
   */
  int32_t scope_override;
  /** A name for this context, used in log messages (at most 63 bytes). */
  const char *name;
} lf_context_params_t;

LF_EXTERN_C_BEGIN

/**
 * Create a context: load the topology and read the configuration.
 * @param params NULL for all defaults, or the parameters (borrowed)
 * @param[out] out_context the new context (returned: destroy it with lf_context_destroy()),
 *             written only on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` for a bad params field, unknown field_mask bits or
 *         a bad environment variable; `LF_ERR_NOT_FOUND` for a missing XML file or base
 *         directory; `LF_ERR_CORRUPT` for an XML file or synthetic description hwloc rejects.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_context_create(const lf_context_params_t *params, lf_context_t **out_context);

/**
 * Release the caller's reference to a context. Objects created from it stay valid and keep
 * it alive; the context is freed with the last of them. Calls still running on other
 * threads with this handle finish normally.
 * @param context the context, or NULL (a no-op)
 * @return `LF_OK`, or `LF_ERR_INVALID_HANDLE` for a destroyed, foreign or wrong-type handle.
 * @threadsafety Any thread; calls already running with the handle on other threads finish
 * first.
 */
LF_API lf_status_t lf_context_destroy(lf_context_t *context);

/**
 * The context's name (from params; `"lavaflow"` by default).
 * @param context the context (borrowed)
 * @param[out] out_name static per context (borrowed): valid while the context lives
 * @return `LF_OK` or `LF_ERR_INVALID_HANDLE` / `LF_ERR_INVALID_ARGUMENT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_context_get_name(const lf_context_t *context, const char **out_name);

/**
 * The canonical shared-memory base directory in effect (params, `LAVAFLOW_BASE_DIR` or the
 * default; the choice is logged at `LF_LOG_INFO`).
 * @param context the context (borrowed)
 * @param[out] out_base_dir the canonical absolute path (borrowed; valid while the context lives)
 * @return `LF_OK` or `LF_ERR_INVALID_HANDLE` / `LF_ERR_INVALID_ARGUMENT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_context_get_base_dir(const lf_context_t *context, const char **out_base_dir);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_CONTEXT_H */

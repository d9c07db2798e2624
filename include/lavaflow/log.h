/**
 * @file log.h
 * @brief Routing lavaflow's own log messages.
 *
 * lavaflow is silent by default: it never prints unless asked. A message of a given level
 * goes to the first of:
 * 1. the callback of the context it concerns (::lf_context_params_t::log_callback);
 * 2. the global callback set with lf_log_set_callback();
 * 3. standard error, only when the environment variable `LAVAFLOW_LOG` (read once, at the
 *    first message) is set to
 *    `error`, `warn`, `info`, `debug` or `trace`.
 *
 * The threshold is, in order: the context's `log_level` param when given; the level set
 * with lf_log_set_level(); the level in `LAVAFLOW_LOG`; `LF_LOG_WARN` when a callback is
 * installed; otherwise `LF_LOG_OFF`.
 */
#ifndef LAVAFLOW_LOG_H
#define LAVAFLOW_LOG_H

#include <stdint.h>

#include "export.h"
#include "status.h"

/**
 * @addtogroup basics
 * @{
 */

/** Log levels, from silent to most verbose. */
typedef enum lf_log_level {
  LF_LOG_OFF = 0,   /**< nothing */
  LF_LOG_ERROR = 1, /**< something failed that the caller may not see as a status */
  LF_LOG_WARN = 2,  /**< a fallback was taken, a resource leaked, a peer misbehaved */
  LF_LOG_INFO = 3,  /**< decisions: topology source, scope, transport, memory kind */
  LF_LOG_DEBUG = 4, /**< every failing call with its message, setup details */
  LF_LOG_TRACE = 5  /**< very verbose */
} lf_log_level_t;

/**
 * A log callback.
 * @param level     an ::lf_log_level_t value (never `LF_LOG_OFF`)
 * @param message   one line of UTF-8 text without a trailing newline (borrowed: valid
 *                  only during the call)
 * @param user_data the pointer given when the callback was installed
 *
 * It may be called from any thread, including lavaflow's own, concurrently; it must not
 * install or remove log callbacks itself.
 */
typedef void (*lf_log_fn)(int32_t level, const char *message, void *user_data);

LF_EXTERN_C_BEGIN

/**
 * Install the global log callback, used for messages of contexts without their own
 * callback and for messages that concern no context.
 * @param callback  the callback, or NULL to remove it (messages then go to stderr only if
 *                  `LAVAFLOW_LOG` is set)
 * @param user_data passed back to the callback (borrowed; must stay valid while installed)
 * @return `LF_OK`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_log_set_callback(lf_log_fn callback, void *user_data);

/**
 * Set the global log threshold (overrides `LAVAFLOW_LOG`).
 * @param level an ::lf_log_level_t value
 * @return `LF_OK`, or `LF_ERR_INVALID_ARGUMENT` for a value outside `LF_LOG_OFF..LF_LOG_TRACE`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_log_set_level(int32_t level);

/**
 * The name of a level ("off", "error", "warn", "info", "debug", "trace").
 * @return static text; "unknown" for other values.
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_log_level_name(int32_t level);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_LOG_H */

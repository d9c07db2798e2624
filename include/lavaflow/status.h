/**
 * @file status.h
 * @brief Status codes and the thread-local error detail.
 *
 * Every lavaflow function that can fail returns an ::lf_status_t:
 * - `LF_OK` (zero) on success;
 * - a positive value for an outcome that is not an error (the call did nothing because
 *   it would have had to wait, a timeout expired, the stream ended);
 * - a negative value for an error, grouped by what is broken: the arguments (-1..-19),
 *   the handle (-20..-39), a resource (-40..-59), the peer (-60..-79), the data
 *   (-80..-99), a missing feature (-100..-119) or lavaflow itself (-120..).
 *
 * When a call returns an error, lf_last_error_message() on the same thread explains it:
 * which argument, which path, which system call and errno. Sizes and statuses are never
 * mixed in one return value: sizes come back through output parameters.
 */
#ifndef LAVAFLOW_STATUS_H
#define LAVAFLOW_STATUS_H

#include <stdint.h>

#include "export.h"

/**
 * @addtogroup basics
 * @{
 */

/** The return type of every fallible lavaflow function; values are ::lf_status_code. */
typedef int32_t lf_status_t;

/** Status codes. New codes are only ever added, inside their group. */
enum lf_status_code {
  LF_OK = 0, /**< success */

  /* Outcomes that are not errors. */
  LF_WOULD_BLOCK = 1,   /**< a non-blocking call could not proceed without waiting */
  LF_TIMEOUT = 2,       /**< the timeout expired before the call could proceed */
  LF_END_OF_STREAM = 3, /**< the peer closed and everything it sent has been consumed */
  LF_OVERWRITTEN = 4,   /**< a tensor pool frame was overwritten while it was read: discard what was read */
  LF_EPOCH_CHANGED = 5, /**< a tensor pool stream moved to a new epoch (reported when asked for) */

  /* Errors in the arguments. */
  LF_ERR_INVALID_ARGUMENT = -1, /**< an argument or params field is invalid */
  LF_ERR_BUFFER_TOO_SMALL = -2, /**< an output buffer is too small; the needed size is reported */

  /* Errors in the handle. */
  LF_ERR_INVALID_HANDLE = -20, /**< NULL, destroyed, foreign or wrong-type handle */
  LF_ERR_INVALID_STATE = -21,  /**< the object is not in a state that allows this call */

  /* Errors in a resource. */
  LF_ERR_NO_MEMORY = -40,  /**< an allocation failed */
  LF_ERR_NOT_FOUND = -41,  /**< the named object, file, node or device does not exist */
  LF_ERR_EXISTS = -42,     /**< the object to create already exists */
  LF_ERR_PERMISSION = -43, /**< the operating system or a policy refused access */
  LF_ERR_LIMIT = -44,      /**< a configured limit or quota would be exceeded */
  LF_ERR_SYSTEM = -45,     /**< a system call failed (the message names it and its errno) */
  LF_ERR_BUSY = -46,       /**< the resource is in use by someone else */

  /* Errors of the peer. */
  LF_ERR_PEER_DEAD = -60, /**< the peer process died */
  LF_ERR_CLOSED = -61,    /**< the peer or the object was closed */
  LF_ERR_PROTOCOL = -62,  /**< the peer sent something the protocol does not allow */

  /* Errors in the data. */
  LF_ERR_CORRUPT = -80,          /**< data (a blob, a region, a message) failed validation */
  LF_ERR_VERSION_MISMATCH = -81, /**< a layout or protocol version is not the one expected */
  LF_ERR_AUTH = -82,             /**< authentication of received data failed */

  /* A missing feature. */
  LF_ERR_UNSUPPORTED = -100, /**< not supported by this build, machine or driver (see the message) */

  /* A bug in lavaflow. */
  LF_ERR_INTERNAL = -120 /**< an internal error; please report it with the message */
};

LF_EXTERN_C_BEGIN

/**
 * A short description of a status ("invalid handle", "timed out").
 * @return static text (borrowed; never NULL). Unknown values give "unknown status".
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_status_string(lf_status_t status);

/**
 * The identifier of a status ("LF_ERR_INVALID_HANDLE"), for logs and bindings.
 * @return static text (borrowed; never NULL). Unknown values give "LF_UNKNOWN_STATUS".
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_status_name(lf_status_t status);

/**
 * Detail of the last error returned to this thread.
 *
 * Only failing calls (negative status) set it; successful calls and positive outcomes
 * leave it alone.
 * @return NUL-terminated UTF-8 text owned by lavaflow (borrowed), valid until the next
 *         lavaflow call on this thread that fails. Never NULL: "" when no call has failed
 *         on this thread since the last lf_last_error_clear().
 * @threadsafety Any thread; it concerns the calling thread's own error only.
 */
LF_API const char *lf_last_error_message(void);

/**
 * The status of the last error returned to this thread, or `LF_OK` if none.
 * @return the status, or `LF_OK`.
 * @threadsafety Any thread; it concerns the calling thread's own error only.
 */
LF_API lf_status_t lf_last_error_status(void);

/**
 * Forget this thread's last error.
 * @threadsafety Any thread; it concerns the calling thread's own error only.
 */
LF_API void lf_last_error_clear(void);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_STATUS_H */

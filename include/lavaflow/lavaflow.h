/**
 * @file lavaflow.h
 * @brief lavaflow: move data between threads, processes, GPUs and hosts, always over the
 *        fastest path the two endpoints' scope allows.
 *
 * Include this one header to get the whole stable C API. Conventions (docs/c-api.md):
 * - functions are `lf_<object>_<verb>` and return an ::lf_status_t (0 = `LF_OK`, positive =
 *   an outcome that is not an error, negative = an error explained by
 *   lf_last_error_message() on the same thread);
 * - objects are opaque handles created and destroyed by lavaflow; `lf_x_destroy(NULL)` is a
 *   no-op; a destroyed, foreign or wrong-type handle gives `LF_ERR_INVALID_HANDLE`;
 *   children keep their parents alive, so destruction order never matters;
 * - params structs start with `uint64_t field_mask`; a zeroed struct means defaults;
 * - output parameters come last and are written only on success;
 * - every pointer and fd is documented as borrowed, transferred or returned;
 * - thread safety is stated per function.
 *
 * This build needs a 64-bit Linux system.
 */
#ifndef LAVAFLOW_H
#define LAVAFLOW_H

#include "export.h"
#include "version.h"
#include "status.h"
#include "log.h"
#include "context.h"
#include "topology.h"
#include "identity.h"
#include "scope.h"
#include "memory.h"
#include "device.h"
#include "channel.h"
#include "pool.h"
#include "sync.h"

#endif /* LAVAFLOW_H */

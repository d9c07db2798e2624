/**
 * @file experimental.h
 * @brief Experimental calls and test hooks: they may change or disappear in any release.
 *
 * Define `LF_EXPERIMENTAL` before including this header to use them; without it the header
 * declares nothing. Nothing here is covered by the ABI promise (docs/c-api.md, "Stable and
 * experimental") or bound in the language bindings, and the ABI check leaves it out.
 *
 * - Unix-socket helpers that send and receive bytes with file descriptors (SCM_RIGHTS), as
 *   liblavaflow does internally. They are general socket plumbing, not data movement; they
 *   stay here until a user shows they need them from lavaflow rather than from their own code.
 * - A test hook on the MPI transport's wire (exported by liblavaflow_mpi; link it), with
 *   which lavaflow's tests tamper with, drop, duplicate and reorder frames.
 */
#ifndef LAVAFLOW_EXPERIMENTAL_H
#define LAVAFLOW_EXPERIMENTAL_H

#include <stddef.h>
#include <stdint.h>

#include "export.h"
#include "status.h"

/**
 * @addtogroup experimental
 * @{
 */

#if defined(LF_EXPERIMENTAL)

/* (struct lf_mpi is lavaflow_mpi.h's lf_mpi_t; named by its tag so that this header does not
   need <mpi.h>.) */
struct lf_mpi;

/** What the wire hook does with a frame (testing only, see lf_mpi_set_wire_hook()). */
typedef enum lf_mpi_wire_action {
  LF_MPI_WIRE_PASS = 0,      /**< send it (possibly modified) */
  LF_MPI_WIRE_DROP = 1,      /**< do not send it */
  LF_MPI_WIRE_DUPLICATE = 2, /**< send it twice */
  LF_MPI_WIRE_HOLD = 3       /**< send it after the next frame */
} lf_mpi_wire_action_t;

/**
 * A test hook on the sending side of the wire: sees each frame (header, tag and any inline
 * payload) after it was sealed, may change its bytes and shorten it, and picks an
 * ::lf_mpi_wire_action_t. `sequence` is the frame's sequence number on its channel.
 */
typedef int32_t (*lf_mpi_wire_hook_fn)(void *user_data, uint32_t channel_id, uint64_t sequence, uint8_t *frame,
                                       size_t *frame_size);

LF_EXTERN_C_BEGIN

/**
 * Send bytes and file descriptors in one message over a Unix socket (SCM_RIGHTS).
 * @param socket_fd a connected `AF_UNIX` socket (borrowed)
 * @param data the bytes (borrowed), at least 1 byte
 * @param size number of bytes
 * @param fds descriptors to send (borrowed: the caller keeps its own)
 * @param fd_count number of descriptors, at most 16
 * @return `LF_OK`; `LF_ERR_CLOSED`; `LF_ERR_INVALID_ARGUMENT`; `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_socket_send_fds(int socket_fd, const void *data, size_t size, const int *fds, uint32_t fd_count);

/**
 * Receive one message of bytes and file descriptors (SCM_RIGHTS). Received descriptors are
 * close-on-exec. If the message carries more descriptors than `fd_capacity`, or its bytes
 * do not fit, every received descriptor is closed and the call fails: nothing leaks.
 * @param socket_fd a connected `AF_UNIX` socket (borrowed)
 * @param data where the bytes go (caller-owned)
 * @param capacity bytes available at `data`
 * @param[out] out_size bytes received
 * @param[out] fds returned descriptors: the caller owns them and must close() them
 * @param fd_capacity entries available at `fds`, at most 16
 * @param[out] out_fd_count descriptors received
 * @param timeout_ms -1 to wait forever, 0 to poll
 * @return `LF_OK`; `LF_TIMEOUT`; `LF_ERR_CLOSED`; `LF_ERR_PROTOCOL` (truncated message or too many
 *         descriptors); `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_socket_recv_fds(int socket_fd, void *data, size_t capacity, size_t *out_size, int *fds,
                                      uint32_t fd_capacity, uint32_t *out_fd_count, int32_t timeout_ms);

/**
 * Testing only: install (or with NULL remove) a hook that sees every frame this rank sends
 * on channels over MPI, to tamper with, drop, duplicate or reorder them.
 * @param mpi the attachment (borrowed)
 * @param hook the hook, or NULL
 * @param user_data passed to the hook (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`.
 * @threadsafety Any thread; the hook runs on whichever thread sends frames (the progress thread
 * or a caller), one frame at a time.
 */
LF_API lf_status_t lf_mpi_set_wire_hook(struct lf_mpi *mpi, lf_mpi_wire_hook_fn hook, void *user_data);

LF_EXTERN_C_END

#endif /* LF_EXPERIMENTAL */

/** @} */

#endif /* LAVAFLOW_EXPERIMENTAL_H */

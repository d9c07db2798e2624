/**
 * @file extension.h
 * @brief Building blocks for transports that live outside liblavaflow.
 *
 * lavaflow's add-on libraries (liblavaflow_mpi, see lavaflow_mpi.h) carry channel data over
 * engines that liblavaflow itself must not depend on. They hand the user an ordinary
 * ::lf_channel_t whose other end, the *bridge end*, they drive themselves: a producer's
 * messages land in an in-process ring that the add-on reads and forwards; a consumer's
 * messages are written into such a ring by the add-on as they arrive. The user's end keeps
 * every property of a channel (zero-copy reserve/commit and peek/release, timeouts, wait
 * modes, ordering, bounded memory) and reports the add-on's transport, scope and reason.
 *
 * **An add-on interface, not part of the stable API.** Applications do not need this header,
 * and it is left out of the ABI promise and of the language bindings: it is shaped for the
 * add-ons lavaflow ships and will change when the transport seam is reworked. An add-on uses
 * it only with the liblavaflow of its own release (as zstd's static-linking-only section):
 * define `LF_ADDON_INTERFACE` before including it (without that it declares nothing), require
 * the exact version in pkg-config, and check lf_version_number() against `LF_VERSION_NUMBER`
 * at run time, as liblavaflow_mpi does (`LF_ERR_VERSION_MISMATCH` otherwise).
 */
#ifndef LAVAFLOW_EXTENSION_H
#define LAVAFLOW_EXTENSION_H

#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "context.h"
#include "export.h"
#include "status.h"

/**
 * @addtogroup addon
 * @{
 */

#if defined(LF_ADDON_INTERFACE)

/**
 * Moves an add-on's data forward: called by the user's end while it waits, and after each
 * commit (not after a release: what the freed room allows waits for the next call or the
 * add-on's thread, so that a reply is not held up behind it; nor after a send the add-on took
 * through ::lf_bridge_send_fn; and a receive that polls through ::lf_bridge_recv_fn calls that
 * instead). Without `LF_BRIDGE_FLAG_PROGRESS_HELPS` the add-on has no thread of
 * its own and the user's end, while it waits, calls this in a loop and never sleeps. With the
 * flag the add-on has a thread too, and this only saves that thread's wake-up: the user's end
 * calls it while it spins, then sleeps as any end does (the add-on's thread wakes it). It
 * must not block (return at once when another thread is at it), and it must not call the
 * user's end. It may be called from any thread that uses the user's end.
 */
typedef void (*lf_bridge_progress_fn)(void *arg);

/**
 * A shortcut past the ring for a message the user sends while nothing is queued: the user's
 * lf_channel_send() calls this, when the ring is empty (the add-on has taken and released
 * every message committed before), with the message itself. `LF_OK`: the add-on took it (it
 * sent or copied it before returning; the user's call returns `LF_OK` and counts it);
 * anything else, usually `LF_WOULD_BLOCK`: not now, and the message goes through the ring as
 * any other. It must not block and must not call the user's end; taking a message here keeps
 * the order, since the add-on has nothing older of this channel to send. `user_end` tells
 * the add-on's channels apart when they share `arg`.
 */
typedef lf_status_t (*lf_bridge_send_fn)(void *arg, lf_channel_t *user_end, const void *data, size_t size);

/**
 * A shortcut past the ring for the message the user receives next: while lf_channel_recv()
 * on the user's end finds its ring empty, it calls this instead of the progress function.
 * The add-on makes its progress pass and, if the channel's next message arrives in it, may
 * write that message straight into `buffer` (up to `capacity` bytes) instead of the ring —
 * only when lf_bridge_queued() says the ring holds nothing, so that the order is kept.
 * `LF_OK`: `*out_size` bytes are in `buffer`, the message is delivered (the user's call
 * returns it); anything else, usually `LF_WOULD_BLOCK`: nothing was written there (what
 * arrived went into the ring, and the user's end takes it from there). Same rules as
 * ::lf_bridge_progress_fn. Not used on an end with `LF_BRIDGE_FLAG_PROGRESS_HELPS`, nor by
 * lf_channel_peek() or lf_channel_recv_buffer().
 */
typedef lf_status_t (*lf_bridge_recv_fn)(void *arg, lf_channel_t *user_end, void *buffer, size_t capacity,
                                         size_t *out_size);

/**
 * The shortcuts of a call that has no timeout (`timeout_ms` -1), which may wait: when set,
 * lf_channel_send() and lf_channel_recv() without a timeout call these instead of
 * ::lf_bridge_send_fn and ::lf_bridge_recv_fn, under the same conditions and with the same
 * results and rules, except that they may block — so that an add-on can move a large
 * message straight between the caller's buffer and its engine, as MPI_Send and MPI_Recv do,
 * where the non-blocking shortcuts could only take messages it copies at once:
 * - a send may wait until its message has left `data` (`LF_OK`: nothing refers to the
 *   buffer any more). It returns anything else only before it sent any of the message, or
 *   after the channel failed (lf_bridge_fail(): the user's call then reports that verdict,
 *   and the consumer never receives part of a message);
 * - a receive may wait, once it began writing a message into `buffer`, until that message
 *   is complete (`LF_OK`). If the channel fails first it returns `LF_WOULD_BLOCK` and the
 *   user's call reports the verdict; `buffer` may then hold part of the lost message.
 * Both use `direct_arg`. The user's end calls them only when its call could wait forever.
 */
typedef lf_bridge_send_fn lf_bridge_waiting_send_fn;
/** See ::lf_bridge_waiting_send_fn. */
typedef lf_bridge_recv_fn lf_bridge_waiting_recv_fn;

/** Bits of ::lf_bridge_params_t::field_mask. */
enum lf_bridge_param_field {
  LF_BRIDGE_PARAM_FIELD_USER_ROLE = 1u << 0, /**< `user_role` */
  LF_BRIDGE_PARAM_FIELD_TRANSPORT = 1u << 1, /**< `transport` */
  LF_BRIDGE_PARAM_FIELD_SCOPE = 1u << 2,     /**< `scope` */
  LF_BRIDGE_PARAM_FIELD_REASON = 1u << 3,    /**< `reason` */
  LF_BRIDGE_PARAM_FIELD_PROGRESS = 1u << 4,  /**< `progress` and `progress_arg` */
  LF_BRIDGE_PARAM_FIELD_FLAGS = 1u << 5,     /**< `flags` */
  LF_BRIDGE_PARAM_FIELD_DIRECT = 1u << 6,    /**< `direct_send`, `direct_recv` and `direct_arg` */
  LF_BRIDGE_PARAM_FIELD_WAITING = 1u << 7    /**< `waiting_send` and `waiting_recv` (with `direct_arg`) */
};

/** Bits of ::lf_bridge_params_t::flags. */
enum lf_bridge_flag {
  /** The add-on moves data on its own thread; its progress function only speeds that up. */
  LF_BRIDGE_FLAG_PROGRESS_HELPS = 1u << 0
};

/**
 * How a bridged channel presents itself. Zeroed means: the user's end is the producer, and
 * reports transport `LF_TRANSPORT_NONE`, scope `LF_SCOPE_UNKNOWN`, an empty reason, and no
 * progress function.
 */
typedef struct lf_bridge_params {
  uint64_t field_mask;            /**< bitwise OR of ::lf_bridge_param_field; unknown bits are rejected */
  int32_t user_role;              /**< the user's end: an ::lf_channel_role_t value */
  int32_t transport;              /**< what the user's end reports: an ::lf_transport_t value */
  int32_t scope;                  /**< the ::lf_scope_level_t it reports */
  uint32_t flags;                 /**< bitwise OR of ::lf_bridge_flag values */
  const char *reason;             /**< its lf_channel_get_reason() text (borrowed, copied) */
  lf_bridge_progress_fn progress; /**< NULL: the add-on moves data on its own thread */
  void *progress_arg;             /**< passed to `progress` (borrowed) */
  lf_bridge_send_fn direct_send;  /**< NULL: every message the user sends goes through the ring */
  lf_bridge_recv_fn direct_recv;  /**< NULL: every message the user receives comes through the ring */
  void *direct_arg;               /**< passed to the shortcuts (borrowed) */
  lf_bridge_waiting_send_fn waiting_send; /**< NULL: a send with no timeout takes `direct_send` too */
  lf_bridge_waiting_recv_fn waiting_recv; /**< NULL: a receive with no timeout takes `direct_recv` too */
} lf_bridge_params_t;

LF_EXTERN_C_BEGIN

/**
 * Make a single-producer channel of two ends in this process: one for the user, one for the
 * add-on (the other role). The ring's shape comes from `channel_params` as for
 * lf_channel_create() (`role`, `max_producers` and `connect_timeout_ms` do not apply; the
 * wait mode applies to the user's end). The ring is private memory of this process (it
 * cannot be exported), on transparent huge pages where the system has them: whole ones where
 * they fit, under one huge page a block of one shared with lavaflow's other small buffers.
 * @param context the context (borrowed; both ends keep it alive)
 * @param channel_params NULL for defaults (borrowed)
 * @param bridge_params how the user's end presents itself; NULL for defaults (borrowed)
 * @param[out] out_user_end returned: the user destroys it with lf_channel_destroy()
 * @param[out] out_bridge_end returned: the add-on destroys it with lf_channel_destroy()
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT`; `LF_ERR_NO_MEMORY`; `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_bridge_create(lf_context_t *context, const lf_channel_params_t *channel_params,
                                    const lf_bridge_params_t *bridge_params, lf_channel_t **out_user_end,
                                    lf_channel_t **out_bridge_end);

/**
 * The add-on gives up the channel: after what was already delivered, the user's end returns
 * `status` with `message` (a consumer once the ring is drained, a producer at once) instead
 * of `LF_END_OF_STREAM` or `LF_ERR_CLOSED`. The bridge end is closed. The first failure
 * stands; later calls change nothing.
 * @param bridge_end the add-on's end (borrowed)
 * @param status a negative ::lf_status_t, e.g. `LF_ERR_AUTH` or `LF_ERR_PEER_DEAD`
 * @param message one line (borrowed, copied)
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (status not negative, message NULL);
 *         `LF_ERR_INVALID_HANDLE`; `LF_ERR_INVALID_STATE` (not a bridge end).
 * @threadsafety Only the thread that drives the add-on's end (externally synchronized).
 */
LF_API lf_status_t lf_bridge_fail(lf_channel_t *bridge_end, lf_status_t status, const char *message);

/**
 * Reports the add-on's verdict to the user's end at once, from any thread — for a thread
 * that watches the peer while the thread that drives the bridge end cannot get to it (stuck
 * in its engine): the user's end sees its peer as dead (`LF_CHANNEL_PEER_DEAD`), a waiting
 * call on it wakes, and after what was delivered it returns `status` with `message`, as after
 * lf_bridge_fail(). Unlike lf_bridge_fail() this does not close the bridge end, so it is safe
 * while another thread uses that end (which should still call lf_bridge_fail() when it gets to
 * it: the first verdict stands). A message the add-on end commits after this is still
 * delivered, in order, to a user that asks again.
 * @param bridge_end the add-on's end (borrowed; it must not be destroyed during the call)
 * @param status a negative ::lf_status_t, usually `LF_ERR_PEER_DEAD`
 * @param message one line (borrowed, copied)
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (status not negative, message NULL);
 *         `LF_ERR_INVALID_HANDLE`; `LF_ERR_INVALID_STATE` (not a bridge end).
 * @threadsafety Any thread, concurrently with the thread that drives the add-on's end: that is
 * its purpose.
 */
LF_API lf_status_t lf_bridge_raise(lf_channel_t *bridge_end, lf_status_t status, const char *message);

/**
 * @name Several messages open at once on the add-on's end
 * A transport that moves several messages at a time (sends them, or receives them, while
 * the user's end goes on) keeps them in the ring instead of copying them out: the add-on's
 * consumer end peeks ahead and releases in order, its producer end reserves ahead and commits
 * in order. Up to 64 are open at once. None of these calls waits: `LF_WOULD_BLOCK` means
 * "not now". They are not mixed with lf_channel_peek()/lf_channel_reserve() on the same end
 * (those return `LF_ERR_INVALID_STATE` while messages are open ahead, and these while one is
 * open there); lf_channel_abort() drops every reservation made ahead.
 * @{
 */

/**
 * The add-on's consumer end: the message after the last one peeked ahead (the oldest
 * unreleased one if none is). It stays in the ring, unchanged and readable (and writable: the
 * add-on may encrypt it in place), until lf_bridge_release_oldest() frees it.
 * @param bridge_end the add-on's end (borrowed)
 * @param[out] out_data returned: the message's bytes, valid until released
 * @param[out] out_size returned: its size
 * @return `LF_OK`; `LF_WOULD_BLOCK` (no further message yet); `LF_END_OF_STREAM` (the user
 *         closed, every message was peeked and released); `LF_ERR_LIMIT` (64 are open);
 *         `LF_ERR_INVALID_ARGUMENT`;
 *         `LF_ERR_INVALID_HANDLE`; `LF_ERR_INVALID_STATE` (not a bridge's consumer end, or a
 *         lf_channel_peek() pending); `LF_ERR_CLOSED` (this end was closed); `LF_ERR_CORRUPT`.
 * @threadsafety Only the thread that drives the add-on's end (externally synchronized).
 */
LF_API lf_status_t lf_bridge_peek_ahead(lf_channel_t *bridge_end, const void **out_data, size_t *out_size);

/**
 * Frees the oldest message peeked ahead: its room goes back to the user's end.
 * @param bridge_end the add-on's end (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`; `LF_ERR_INVALID_STATE` (nothing peeked ahead, or
 *         not a bridge's add-on end).
 * @threadsafety Only the thread that drives the add-on's end (externally synchronized).
 */
LF_API lf_status_t lf_bridge_release_oldest(lf_channel_t *bridge_end);

/**
 * The add-on's producer end: room for a message of exactly `size` bytes after the ones
 * already reserved ahead. The user's end sees it only when it is the oldest and
 * lf_bridge_commit_oldest() commits it, with that size.
 * @param bridge_end the add-on's end (borrowed)
 * @param size the message's size, at most the channel's `max_message_size`
 * @param[out] out_data returned: where its bytes go
 * @return `LF_OK`; `LF_WOULD_BLOCK` (the ring is full); `LF_ERR_LIMIT` (64 are open);
 *         `LF_ERR_INVALID_ARGUMENT` (too large, NULL); `LF_ERR_INVALID_HANDLE`;
 *         `LF_ERR_INVALID_STATE` (not a bridge's producer end, or an lf_channel_reserve()
 *         pending); `LF_ERR_CLOSED` (the user closed its end, or this end was closed).
 * @threadsafety Only the thread that drives the add-on's end (externally synchronized).
 */
LF_API lf_status_t lf_bridge_reserve_ahead(lf_channel_t *bridge_end, size_t size, void **out_data);

/**
 * The add-on's producer end: how much the user's end has yet to take — the bytes (record
 * headers included) of the messages committed to the ring and not yet released by the
 * user's end. 0: it took everything, and a message handed over by ::lf_bridge_recv_fn
 * comes after all of them.
 * @param bridge_end the add-on's end (borrowed)
 * @param[out] out_bytes returned: the bytes still queued for the user
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`;
 *         `LF_ERR_INVALID_STATE` (not a bridge's producer end).
 * @threadsafety Only the thread that drives the add-on's end (externally synchronized).
 */
LF_API lf_status_t lf_bridge_queued(lf_channel_t *bridge_end, uint64_t *out_bytes);

/**
 * Publishes the oldest message reserved ahead to the user's end.
 * @param bridge_end the add-on's end (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`; `LF_ERR_INVALID_STATE` (nothing reserved ahead,
 *         or not a bridge's add-on end).
 * @threadsafety Only the thread that drives the add-on's end (externally synchronized).
 */
LF_API lf_status_t lf_bridge_commit_oldest(lf_channel_t *bridge_end);

/** @} */

/**
 * Another handle to the same context, for an add-on object that must keep the context alive
 * and usable whatever the user destroys first: destroying either handle leaves the other
 * valid.
 * @param context the context (borrowed)
 * @param[out] out_context returned: destroy with lf_context_destroy()
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE`; `LF_ERR_INVALID_ARGUMENT`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_extension_share_context(lf_context_t *context, lf_context_t **out_context);

/**
 * Record an add-on's error for this thread, as lavaflow's own calls do: afterwards
 * lf_last_error_status() returns `status` and lf_last_error_message() "function: message".
 * @param function the add-on's entry point (borrowed)
 * @param status the status the add-on returns
 * @param message the detail (borrowed, copied)
 * @return `status`, so that an add-on can write `return lf_extension_report(...)`.
 * @threadsafety Any thread; it concerns the calling thread's own error only.
 */
LF_API lf_status_t lf_extension_report(const char *function, lf_status_t status, const char *message);

LF_EXTERN_C_END

#endif /* LF_ADDON_INTERFACE */

/** @} */

#endif /* LAVAFLOW_EXTENSION_H */

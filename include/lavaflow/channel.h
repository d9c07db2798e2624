/**
 * @file channel.h
 * @brief Ordered, bounded message channels between threads and processes.
 *
 * A channel carries byte messages from producers to one consumer, in order (per producer),
 * exactly once, or not at all when the channel is closed or a peer died — never torn, never
 * duplicated. One side creates it under a name; the other opens it. They exchange identities
 * (scope.h) and the scope picks the transport:
 *
 * | scope | transport |
 * |---|---|
 * | same process | an in-process ring: pointer hand-off, no system call |
 * | numa, package, host | a shared-memory ring mapped by both processes |
 * | isolated, remote | the MPI transport of liblavaflow_mpi (lavaflow_mpi.h): channels between MPI ranks; lf_channel_open() by name answers `LF_ERR_UNSUPPORTED` |
 *
 * Rings are bounded: a full ring makes a send wait, time out, or return `LF_WOULD_BLOCK`, as
 * the caller asks with `timeout_ms` (-1 forever, 0 never, > 0 that many milliseconds). Waiting
 * spins briefly, then sleeps on a futex; a producer makes a system call only when the consumer
 * sleeps. The zero-copy calls (reserve/commit, peek/release) hand out pointers into the ring;
 * the copy calls (send, recv) copy once.
 *
 * A channel handle is used by one thread at a time (externally synchronized): in particular it
 * must not be destroyed while another thread is inside a call on it (the data calls validate
 * the handle without reference counting, to stay cheap). Different channels, and the producer
 * and consumer ends, may be used concurrently.
 */
#ifndef LAVAFLOW_CHANNEL_H
#define LAVAFLOW_CHANNEL_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "export.h"
#include "memory.h"
#include "status.h"

/**
 * @addtogroup channels
 * @{
 */

/** One end of a channel (opaque handle). */
typedef struct lf_channel lf_channel_t;

/** The end a handle is. */
typedef enum lf_channel_role {
  LF_CHANNEL_CONSUMER = 1, /**< receives; a channel has exactly one */
  LF_CHANNEL_PRODUCER = 2  /**< sends; one (SPSC) or up to `max_producers` (MPSC) */
} lf_channel_role_t;

/** How a blocked call waits. */
typedef enum lf_wait_mode {
  LF_WAIT_ADAPTIVE = 0, /**< spin for `spin_us`, then sleep on a futex (default) */
  LF_WAIT_SPIN = 1,     /**< never sleep: lowest latency, burns a core while waiting */
  LF_WAIT_SLEEP = 2     /**< sleep at once: no CPU while waiting, a wake-up costs tens of µs */
} lf_wait_mode_t;

/** Transports (::lf_channel_info_t::transport). */
typedef enum lf_transport {
  LF_TRANSPORT_NONE = 0,          /**< not connected yet */
  LF_TRANSPORT_IN_PROCESS = 1,    /**< a ring in this process's memory */
  LF_TRANSPORT_SHARED_MEMORY = 2, /**< a ring in memory shared by two processes */
  LF_TRANSPORT_MPI = 3            /**< MPI point-to-point between ranks (lavaflow_mpi.h) */
} lf_transport_t;

/** Bits of ::lf_channel_params_t::field_mask. */
enum lf_channel_param_field {
  LF_CHANNEL_PARAM_FIELD_ROLE = 1u << 0,             /**< `role` */
  LF_CHANNEL_PARAM_FIELD_CAPACITY = 1u << 1,         /**< `capacity` */
  LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE = 1u << 2, /**< `max_message_size` */
  LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS = 1u << 3,    /**< `max_producers` */
  LF_CHANNEL_PARAM_FIELD_WAIT_MODE = 1u << 4,        /**< `wait_mode` */
  LF_CHANNEL_PARAM_FIELD_SPIN_US = 1u << 5,          /**< `spin_us` */
  LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT = 1u << 6   /**< `connect_timeout_ms` */
};

/**
 * Parameters of lf_channel_create() and lf_channel_open(). Zeroed (or NULL) means: the
 * creator is the consumer and the opener a producer, 1 MiB rings, messages up to 256 KiB,
 * one producer, adaptive waiting with 50 µs of spinning, and an open that fails at once if
 * nobody created the channel.
 */
typedef struct lf_channel_params {
  uint64_t field_mask;        /**< bitwise OR of ::lf_channel_param_field; unknown bits are rejected */
  int32_t role;               /**< an ::lf_channel_role_t value */
  int32_t wait_mode;          /**< an ::lf_wait_mode_t value */
  uint64_t capacity;          /**< create: bytes per producer ring, a power of two from 4 KiB to 1 GiB */
  uint64_t max_message_size;  /**< create: the largest message, at most capacity / 2 - 16 */
  uint32_t max_producers;     /**< create: 1 for SPSC, up to 64 for MPSC */
  uint32_t spin_us;           /**< adaptive waiting: how long to spin before sleeping */
  int32_t connect_timeout_ms; /**< open: how long to wait for the channel to be created (-1 forever) */
  uint32_t reserved0;         /**< zero */
} lf_channel_params_t;

/** Bits of ::lf_channel_info_t::flags. */
enum lf_channel_info_flag {
  LF_CHANNEL_CLOSED = 1u << 0,      /**< this end was closed */
  LF_CHANNEL_PEER_CLOSED = 1u << 1, /**< the peer (or, for a consumer, every producer) closed */
  LF_CHANNEL_PEER_DEAD = 1u << 2    /**< a peer process died */
};

/**
 * The state of one end. Set `struct_size = sizeof(lf_channel_info_t)` before the call; the
 * library fills in at most that many bytes.
 */
typedef struct lf_channel_info {
  uint32_t struct_size;       /**< in: sizeof(lf_channel_info_t) as the caller knows it */
  int32_t role;               /**< ::lf_channel_role_t */
  int32_t transport;          /**< ::lf_transport_t */
  int32_t scope;              /**< ::lf_scope_level_t between the two ends (for a consumer: with its first producer) */
  uint32_t flags;             /**< bitwise OR of ::lf_channel_info_flag values */
  uint32_t max_producers;     /**< producer slots */
  uint32_t producers;         /**< producers attached now */
  uint32_t producer_index;    /**< a producer's slot, 0..max_producers-1 */
  uint64_t capacity;          /**< ring bytes per producer */
  uint64_t max_message_size;  /**< the largest message */
  uint64_t messages;          /**< messages this end sent or received */
  uint64_t bytes;             /**< payload bytes this end sent or received */
  uint64_t sleeps;            /**< times this end slept on a futex */
  uint64_t wakes;             /**< futex wake-ups this end issued */
} lf_channel_info_t;

LF_EXTERN_C_BEGIN

/**
 * Create a channel under a name and wait for peers to open it.
 * @param context the context (borrowed); the channel keeps it alive
 * @param name 1..63 bytes of `[A-Za-z0-9._-]`, unique per user and base directory (borrowed)
 * @param params NULL for defaults (borrowed)
 * @param[out] out_channel returned: destroy with lf_channel_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_EXISTS` (the name is in use by a live channel);
 *         `LF_ERR_INVALID_ARGUMENT`; `LF_ERR_SYSTEM`.
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_channel_create(lf_context_t *context, const char *name, const lf_channel_params_t *params,
                                     lf_channel_t **out_channel);

/**
 * Open a channel another thread or process created: exchange identities, check the peer's
 * credentials (same user), decide the scope and connect over the transport it allows.
 * @param context the context (borrowed); the channel keeps it alive
 * @param name the channel's name (borrowed)
 * @param params NULL for defaults (borrowed); only `role`, `wait_mode`, `spin_us` and
 *        `connect_timeout_ms` apply
 * @param[out] out_channel returned: destroy with lf_channel_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` (nobody created it); `LF_TIMEOUT`; `LF_ERR_PERMISSION`
 *         (another user); `LF_ERR_BUSY` (no free producer slot, or the consumer exists);
 *         `LF_ERR_UNSUPPORTED` (the scope needs a transport this release lacks, with the reason);
 *         `LF_ERR_VERSION_MISMATCH` / `LF_ERR_CORRUPT` (the shared region failed validation).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_channel_open(lf_context_t *context, const char *name, const lf_channel_params_t *params,
                                   lf_channel_t **out_channel);

/**
 * @name Channels in a caller's buffer
 * Instead of a name, a channel can live in an lf_buffer_t the caller allocated and shares as
 * it likes (lf_buffer_send() over its own socket, a named shared buffer, or simply threads of
 * one process): for example memory bound to the consumer's NUMA node, or a buffer that is
 * already part of the application's own handshake. One side lays the channel out with
 * lf_channel_create_in_buffer(), the other opens it with lf_channel_open_buffer() on its
 * mapping of the same memory. The ends write their identities into the region; the opener
 * checks the creator's (same user) and decides the scope from it. Each end watches its peers'
 * processes with a pidfd (a small thread waits for peers to attach), so a peer's death is
 * reported as for named channels — except for a peer in another pid namespace, which the log
 * mentions at `LF_LOG_WARN`. Buffer references (lf_channel_send_buffer()) need the connection
 * that only named channels have: `LF_ERR_UNSUPPORTED` here.
 * @{
 */

/**
 * The bytes a channel of `max_producers` rings of `capacity` bytes needs in a buffer.
 * @param capacity bytes per producer ring: a power of two from 4 KiB to 1 GiB
 * @param max_producers 1..64
 * @param[out] out_size the size; allocate at least this much (shared memory, page-aligned)
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (a shape lf_channel_create() would refuse, NULL).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_channel_buffer_size(uint64_t capacity, uint32_t max_producers, uint64_t *out_size);

/**
 * Lay a new channel out at the start of `buffer` (overwriting lf_channel_buffer_size() bytes)
 * and take the creator's role, as lf_channel_create() does.
 * @param context the context (borrowed); the channel keeps it alive
 * @param buffer shared memory for ends in several processes, or host memory for threads of
 *        this process (borrowed; the channel keeps it alive)
 * @param params NULL for defaults (borrowed); `connect_timeout_ms` does not apply; without
 *        `capacity`, the rings are the largest that fit in the buffer
 * @param[out] out_channel returned: destroy with lf_channel_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (the buffer is too small, has no host address,
 *         or the params are bad); `LF_ERR_UNSUPPORTED` (device memory).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_channel_create_in_buffer(lf_context_t *context, lf_buffer_t *buffer,
                                               const lf_channel_params_t *params, lf_channel_t **out_channel);

/**
 * Open the channel another thread or process laid out in `buffer` (this process's mapping
 * of the same memory), validating the region first.
 * @param context the context (borrowed); the channel keeps it alive
 * @param buffer the buffer (borrowed; the channel keeps it alive)
 * @param params NULL for defaults (borrowed); only `role`, `wait_mode` and `spin_us` apply
 * @param[out] out_channel returned: destroy with lf_channel_destroy(); written on success
 * @return `LF_OK`; `LF_ERR_CORRUPT` / `LF_ERR_VERSION_MISMATCH` (no valid channel in the
 *         buffer); `LF_ERR_NOT_FOUND` (the creator's end is not there);
 *         `LF_ERR_PERMISSION` (another user created it); `LF_ERR_BUSY` (the role is taken).
 * @threadsafety Any thread, concurrently.
 */
LF_API lf_status_t lf_channel_open_buffer(lf_context_t *context, lf_buffer_t *buffer, const lf_channel_params_t *params,
                                          lf_channel_t **out_channel);

/** @} */

/**
 * Close this end: a producer's messages already committed are still delivered, then its
 * consumer sees `LF_END_OF_STREAM`; a closed consumer makes its producers' sends fail with
 * `LF_ERR_CLOSED`. Idempotent.
 * @param channel the channel (borrowed)
 * @return `LF_OK` (also when already closed); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_close(lf_channel_t *channel);

/**
 * Close (if not closed) and release this end. NULL is a no-op.
 * @param channel the channel, or NULL
 * @return `LF_OK`; `LF_ERR_INVALID_HANDLE` (destroyed, forged or of another type).
 * @threadsafety Not while another thread is inside a call on this end: the data calls do not
 * reference-count it; other ends concurrently.
 */
LF_API lf_status_t lf_channel_destroy(lf_channel_t *channel);

/**
 * Producer: reserve room for a message of up to `size` bytes and get a pointer to write it in
 * place. Follow with exactly one lf_channel_commit() or lf_channel_abort().
 * @param channel a producer (borrowed)
 * @param size bytes, 0..max_message_size
 * @param timeout_ms -1 wait forever, 0 never wait, > 0 wait that long
 * @param[out] out_data where to write: valid until commit or abort
 * @return `LF_OK`; `LF_WOULD_BLOCK` / `LF_TIMEOUT` (the ring is full); `LF_ERR_INVALID_ARGUMENT`
 *         (size above the maximum); `LF_ERR_INVALID_STATE` (a reservation is pending);
 *         `LF_ERR_CLOSED`; `LF_ERR_PEER_DEAD`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_reserve(lf_channel_t *channel, size_t size, int32_t timeout_ms, void **out_data);

/**
 * Producer: publish the reserved message, `size` bytes long (at most what was reserved).
 * @param channel a producer with a pending reservation (borrowed)
 * @param size the message's final length
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` (no reservation pending); `LF_ERR_INVALID_ARGUMENT`
 *        (`size` above what was reserved); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_commit(lf_channel_t *channel, size_t size);

/**
 * Producer: drop the pending reservation; nothing is sent.
 * @param channel a producer with a pending reservation (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` (no reservation pending); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_abort(lf_channel_t *channel);

/**
 * Producer: copy a message into the channel (reserve, copy, commit).
 * @param channel a producer (borrowed)
 * @param data the bytes (borrowed)
 * @param size their number, 0..max_message_size
 * @param timeout_ms as for lf_channel_reserve()
 * @return as lf_channel_reserve(): `LF_OK`; `LF_WOULD_BLOCK` / `LF_TIMEOUT` (the ring is full);
 *        `LF_ERR_INVALID_ARGUMENT` (size above the maximum, `data` NULL with a size);
 *        `LF_ERR_INVALID_STATE`; `LF_ERR_CLOSED`; `LF_ERR_PEER_DEAD`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_send(lf_channel_t *channel, const void *data, size_t size, int32_t timeout_ms);

/**
 * Consumer: wait for the next message and get a pointer to it in the ring, valid until
 * lf_channel_release().
 * @param channel the consumer (borrowed)
 * @param timeout_ms -1 wait forever, 0 never wait, > 0 wait that long
 * @param[out] out_data the message (read-only, borrowed)
 * @param[out] out_size its length
 * @return `LF_OK`; `LF_WOULD_BLOCK` / `LF_TIMEOUT`; `LF_END_OF_STREAM` (every producer closed
 *         and everything they sent was consumed); `LF_ERR_PEER_DEAD` (a producer died; what it
 *         had committed was delivered first); `LF_ERR_INVALID_STATE` (a message is already
 *         peeked); `LF_ERR_CORRUPT` (the shared ring failed validation).
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_peek(lf_channel_t *channel, int32_t timeout_ms, const void **out_data, size_t *out_size);

/**
 * Consumer: release the peeked message; its room goes back to the producer.
 * @param channel the consumer with a peeked message (borrowed)
 * @return `LF_OK`; `LF_ERR_INVALID_STATE` (nothing is peeked); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_release(lf_channel_t *channel);

/**
 * Consumer: copy the next message out (peek, copy, release). A message larger than
 * `capacity` is not consumed: the call returns `LF_ERR_BUFFER_TOO_SMALL` with its length in
 * `*out_size`, and the message stays queued. So does a message that refers to a buffer
 * (`LF_ERR_INVALID_STATE`: receive it with lf_channel_recv_buffer()).
 * @param channel the consumer (borrowed)
 * @param buffer where to copy (caller-owned)
 * @param capacity bytes available at `buffer`
 * @param[out] out_size the message's length (also on `LF_ERR_BUFFER_TOO_SMALL`)
 * @param timeout_ms as for lf_channel_peek()
 * @return as lf_channel_peek(), and `LF_ERR_BUFFER_TOO_SMALL` (the message stays queued,
 *        `*out_size` says how long it is), `LF_ERR_INVALID_STATE` (a buffer message:
 *        lf_channel_recv_buffer()).
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_recv(lf_channel_t *channel, void *buffer, size_t capacity, size_t *out_size,
                                   int32_t timeout_ms);

/**
 * @name Buffer references
 * A message may refer to an lf_buffer_t (shared or device memory) instead of carrying its
 * bytes: the consumer gets the same memory mapped (or imported) in its own process. The first
 * message that refers to a buffer passes its fd to the consumer, once; the consumer caches
 * the import, so later messages that refer to the buffer cost no more than a small send.
 * Large payloads and GPU buffers thus move without a copy: write into the buffer, send a
 * reference, and let the consumer read it in place. The two sides agree on who writes when
 * (for example, the producer reuses a buffer only after the consumer answered).
 *
 * A producer pins (keeps alive) each buffer it sent until lf_channel_forget_buffer() or until
 * its end is destroyed, at most 256 at a time. The consumer's lf_buffer_t for it is owned by
 * its channel end: do not destroy it; it stays valid until the consumer has received past the
 * producer's forget, or until the consumer's end is destroyed.
 * @{
 */

/**
 * Producer: send a message that refers to `length` bytes at `offset` of `buffer`, with `size`
 * bytes of inline data (a header of your own: a frame number, a shape; may be 0).
 * @param channel a producer (borrowed)
 * @param buffer shared or device memory (borrowed; the channel pins it until forgotten)
 * @param offset where the referred bytes start in the buffer
 * @param length how many bytes are referred to (offset + length <= the buffer's size)
 * @param data the inline bytes (borrowed), or NULL when `size` is 0
 * @param size 0..max_message_size - 24
 * @param timeout_ms as for lf_channel_reserve(); it also bounds waiting for a consumer to
 *        connect, the first time a buffer is sent on a channel the producer created
 * @return `LF_OK`; `LF_WOULD_BLOCK` / `LF_TIMEOUT`; `LF_ERR_UNSUPPORTED` (the buffer cannot
 *         leave this process: private host memory); `LF_ERR_LIMIT` (256 buffers pinned);
 *         `LF_ERR_INVALID_ARGUMENT` (range outside the buffer, inline data too large);
 *         `LF_ERR_CLOSED`; `LF_ERR_PEER_DEAD`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_send_buffer(lf_channel_t *channel, lf_buffer_t *buffer, uint64_t offset, uint64_t length,
                                          const void *data, size_t size, int32_t timeout_ms);

/**
 * Producer: stop referring to `buffer`. The channel unpins it, and the consumer releases its
 * import when it receives past this point (a small record in the ring, in order with the
 * messages). Sending the buffer again announces it anew.
 * @param channel a producer (borrowed)
 * @param buffer a buffer sent on this channel (borrowed)
 * @param timeout_ms as for lf_channel_reserve() (the record needs room in the ring)
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` (not sent here, or already forgotten);
 *         `LF_WOULD_BLOCK` / `LF_TIMEOUT`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_forget_buffer(lf_channel_t *channel, lf_buffer_t *buffer, int32_t timeout_ms);

/**
 * Consumer: the buffer the peeked message refers to. lf_channel_peek() gives its inline data.
 * The first time a buffer appears, this imports it (a system call or two).
 * @param channel the consumer with a peeked message (borrowed)
 * @param[out] out_buffer the buffer, owned by the channel (see above)
 * @param[out] out_offset where the referred bytes start (may be NULL)
 * @param[out] out_length how many bytes (may be NULL)
 * @return `LF_OK`; `LF_ERR_NOT_FOUND` (the message refers to no buffer); `LF_ERR_INVALID_STATE`
 *         (nothing is peeked); `LF_ERR_PROTOCOL` (the producer never announced the buffer);
 *         the import's errors (`LF_ERR_CORRUPT`, `LF_ERR_UNSUPPORTED` for device memory
 *         of another device).
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_peeked_buffer(lf_channel_t *channel, lf_buffer_t **out_buffer, uint64_t *out_offset,
                                            uint64_t *out_length);

/**
 * Consumer: receive the next message, whether or not it refers to a buffer (lf_channel_recv()
 * leaves a buffer message queued and says so). The inline data is copied to `data`.
 * @param channel the consumer (borrowed)
 * @param[out] out_buffer the buffer, owned by the channel, or NULL for a plain message
 * @param[out] out_offset where the referred bytes start, 0 for a plain message (may be NULL)
 * @param[out] out_length how many bytes, 0 for a plain message (may be NULL)
 * @param data where to copy the inline data (caller-owned)
 * @param capacity bytes available at `data`
 * @param[out] out_size the inline data's length (also on `LF_ERR_BUFFER_TOO_SMALL`)
 * @param timeout_ms as for lf_channel_peek()
 * @return as lf_channel_recv() and lf_channel_peeked_buffer(); on an error the message stays
 *         queued.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_recv_buffer(lf_channel_t *channel, lf_buffer_t **out_buffer, uint64_t *out_offset,
                                          uint64_t *out_length, void *data, size_t capacity, size_t *out_size,
                                          int32_t timeout_ms);

/** @} */

/**
 * The state of this end.
 * @param channel the channel (borrowed)
 * @param[out] out_info caller-provided struct with `struct_size` set; written on success
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL, `struct_size` too small);
 *        `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_get_info(const lf_channel_t *channel, lf_channel_info_t *out_info);

/**
 * Why this transport, in one line, e.g. "shared-memory ring: scope numa: same kernel ...".
 * On the creator's end: how it was created until the first peer connects, then the transport
 * to that peer and why (later peers may differ: see lf_channel_info_t of their ends).
 * @param channel the channel (borrowed)
 * @param[out] out_text borrowed; valid while the channel lives
 * @return `LF_OK`; `LF_ERR_INVALID_ARGUMENT` (NULL); `LF_ERR_INVALID_HANDLE`.
 * @threadsafety One thread at a time per channel end (externally synchronized); different ends,
 * the producer and consumer ends of one channel included, concurrently.
 */
LF_API lf_status_t lf_channel_get_reason(const lf_channel_t *channel, const char **out_text);

/**
 * The name of a transport ("none", "in_process", "shared_memory", "mpi"). Static text.
 * @return static text (borrowed; never NULL); "invalid" for other values.
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_transport_name(int32_t transport);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_CHANNEL_H */

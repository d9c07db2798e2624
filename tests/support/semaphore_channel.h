/* A buffer and two semaphores through a channel, between this process (the producer) and
 * lf_semaphore_helper (the consumer, "channel-sync NAME ROUNDS"): for each round k the producer
 * sends a buffer message saying "ready when `ready` reaches k, signal `done` at k" before the
 * bytes are written, then writes them and signals k; the consumer waits for k, checks the
 * bytes, writes their complement into the second half and signals done k; the producer waits
 * for done k and checks the complement. */
#ifndef LF_TEST_SEMAPHORE_CHANNEL_H
#define LF_TEST_SEMAPHORE_CHANNEL_H

#include <lavaflow/lavaflow.h>

/* Runs `rounds` rounds with a buffer of `buffer_params` (host-visible: shared, or host-visible
 * device memory). Fails the test on any error. */
void semaphore_channel_rounds(lf_context_t *context, const lf_buffer_params_t *buffer_params, uint32_t rounds);

#endif

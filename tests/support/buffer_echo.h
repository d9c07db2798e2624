/* Drives `lf_test_helper channel-buffer-echo` (or a thread doing the same): sends buffer
 * messages over a fresh channel, cycling through the given buffers, forgetting buffer 0
 * halfway and sending it anew, and checks that every ack arrives and that the receiver's
 * writes show in our own mapping. Fails the running cmocka test on any problem. */
#ifndef LF_TEST_BUFFER_ECHO_H
#define LF_TEST_BUFFER_ECHO_H

#include <lavaflow/lavaflow.h>

#include <stdint.h>

/* In another process (the helper). Buffers must have host pointers; count <= 8. */
void buffer_echo_with_helper(lf_context_t *context, lf_buffer_t *const *buffers, uint32_t count, uint32_t rounds);

/* In this process: the echo runs on a thread (the in-process transport). */
void buffer_echo_with_thread(lf_context_t *context, lf_buffer_t *const *buffers, uint32_t count, uint32_t rounds);

#endif

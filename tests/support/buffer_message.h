/* The inline header of the buffer messages the tests send (lf_channel_send_buffer): which
 * message, which of the sender's buffers, the byte its referred range holds, and whether the
 * buffer was forgotten and is sent anew. The receiver checks the range, overwrites it with
 * the byte's complement (so that the sender sees the memory is shared both ways) and acks. */
#ifndef LF_TEST_BUFFER_MESSAGE_H
#define LF_TEST_BUFFER_MESSAGE_H

#include <lavaflow/lavaflow.h>

#include <stdint.h>

typedef struct {
  uint32_t seq;
  uint32_t buffer_index; /* < BUFFER_MESSAGE_MAX_BUFFERS */
  uint8_t pattern;
  uint8_t fresh; /* 1: forgotten before, so the receiver's earlier handle must be gone */
  uint8_t reserved[2];
} BufferMessage;

#define BUFFER_MESSAGE_MAX_BUFFERS 8

/* Receives buffer messages on `in` until the end of the stream: checks each one (its range
 * holds the pattern; a buffer is imported again only after it was forgotten, and its old
 * handle is then gone), writes the complement and acks the seq on `ack`. 0 when all was
 * right, else nonzero after a line on stderr. */
int buffer_echo_loop(lf_channel_t *in, lf_channel_t *ack);

#endif

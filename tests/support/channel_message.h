/* Self-checking channel messages for the tests: a header (producer id, sequence number, size)
 * and contents derived from them, of a pseudo-random size per (id, sequence). A receiver can
 * verify every byte without knowing anything else. */
#ifndef LF_TEST_CHANNEL_MESSAGE_H
#define LF_TEST_CHANNEL_MESSAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CHANNEL_MESSAGE_MAX 1024

static inline uint32_t channel_message_mix(uint32_t id, uint32_t seq) {
  uint32_t x = id * 0x9E3779B9u ^ seq * 0x85EBCA6Bu;
  x ^= x >> 15;
  x *= 0x2C1B3C6Du;
  x ^= x >> 12;
  return x;
}

/* Writes message (id, seq) into `out` (CHANNEL_MESSAGE_MAX bytes); returns its size (12..1024). */
static inline size_t channel_message_fill(uint8_t *out, uint32_t id, uint32_t seq) {
  uint32_t size = 12 + channel_message_mix(id, seq) % (CHANNEL_MESSAGE_MAX - 11);
  memcpy(out, &id, 4);
  memcpy(out + 4, &seq, 4);
  memcpy(out + 8, &size, 4);
  for (uint32_t i = 12; i < size; ++i) out[i] = (uint8_t)(channel_message_mix(id, seq) >> (i % 24));
  return size;
}

/* 0 if `data` is exactly message (id, seq); else the first bad byte's offset + 1. */
static inline size_t channel_message_check(const uint8_t *data, size_t size, uint32_t *out_id, uint32_t *out_seq) {
  uint8_t expected[CHANNEL_MESSAGE_MAX];
  if (size < 12) return 1;
  uint32_t id, seq;
  memcpy(&id, data, 4);
  memcpy(&seq, data + 4, 4);
  *out_id = id;
  *out_seq = seq;
  size_t want = channel_message_fill(expected, id, seq);
  if (want != size) return 9;
  for (size_t i = 0; i < size; ++i)
    if (data[i] != expected[i]) return i + 1;
  return 0;
}

#endif

/* Channels between MPI ranks through lavaflow_mpi.h, as an MPI application uses them. Ranks
 * pair up (0-1, 2-3, ...): the lower rank produces, the higher one consumes; with the argument
 * "both-pairs" (a multiple of 4 ranks) they then pair up again as 0-2, 1-3, ... Run with
 * LAVAFLOW_SCOPE_OVERRIDE=remote (the MPI transport) or without (the scope decides: shared
 * memory between ranks on one host, MPI between hosts), with LAVAFLOW_MPI_PROGRESS=thread or
 * caller. The scope of every pair is checked against the ranks' processor names.
 *   correctness  every compression x cipher: messages of 0 B .. 5 MiB, random and structured
 *                (float ramps), each byte checked; the transport and stats as expected
 *   backpressure a producer far ahead of a slow consumer with small rings: nothing lost
 *   zero-copy    (MPI transport only) sends and receives with no timeout move large messages
 *                straight between the callers' buffers (counted), the others through the rings
 *   close        the producer's close ends the stream; the consumer's close stops the producer
 *   wire         (MPI transport only) tampered, replayed, reordered, dropped, truncated and
 *                wrong-key frames: what came before is delivered, then LF_ERR_AUTH
 *   key file     (MPI transport only) LAVAFLOW_KEY_FILE: raw and hex keys work; a file others can
 *                read, of another owner, of a wrong length, not hex, a link, a directory or
 *                missing is refused
 *   huge         one 256 MiB message (argument "huge", instead of the cases above) */
#define _GNU_SOURCE
#include "mpi_check.h"

#include <lavaflow/lavaflow.h>

#define LF_EXPERIMENTAL /* lf_mpi_set_wire_hook */
#include <lavaflow/experimental.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int g_rank, g_size, g_peer, g_producer;
static lf_context_t *g_context;
static lf_mpi_t *g_mpi;
static int g_sigpipe_was_default;  /* before lf_mpi_attach */
static int g_remote;  /* channels to the peer run over MPI */
static char (*g_names)[MPI_MAX_PROCESSOR_NAME];  /* every rank's processor (host) name */
static uint32_t g_next_id = 1;
static int g_workers_asked = -1;  /* "workers=N"; -1: as the cores allow */
static uint32_t g_workers;        /* worker threads running */

static const uint8_t g_key[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t g_other_key[32] = {9};

/* Message `seq` of a run: random bytes (xorshift from the seed) or a float ramp. */
static void fill(uint8_t *out, size_t size, uint64_t seq, int structured) {
  if (structured) {
    size_t i = 0;
    for (; i + 4 <= size; i += 4) {
      float value = (float)((seq * 7 + i / 4) % 1024) * 0.25f;
      memcpy(out + i, &value, 4);
    }
    for (; i < size; ++i) out[i] = (uint8_t)i;
    return;
  }
  uint64_t x = seq * 0x9e3779b97f4a7c15ull + 1;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    out[i] = (uint8_t)x;
  }
}

static lf_channel_t *open_channel(uint32_t id, const lf_channel_params_t *ring, const lf_mpi_channel_params_t *params) {
  lf_channel_t *channel = NULL;
  MPI_OK(lf_mpi_channel_open(g_mpi, g_peer, id, g_producer ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER, ring, params,
                             &channel));
  lf_channel_info_t info = {.struct_size = sizeof info};
  MPI_OK(lf_channel_get_info(channel, &info));
  MPI_CHECK(info.transport == (g_remote ? LF_TRANSPORT_MPI : LF_TRANSPORT_SHARED_MEMORY));
  return channel;
}

static const size_t g_sizes[] = {0, 1, 100, 4096, 16384, 16385, 65536, (1u << 20) + 3, 5u << 20};
enum { SIZES = sizeof g_sizes / sizeof g_sizes[0] };

static void run_transfer(int32_t compression, int32_t cipher, int structured) {
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                              .capacity = 16u << 20, .max_message_size = 6u << 20};
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION | LF_MPI_CHANNEL_PARAM_FIELD_CIPHER |
                                                  LF_MPI_CHANNEL_PARAM_FIELD_KEY | LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE,
                                    .compression = compression, .cipher = cipher, .key = g_key, .chunk_size = 256u << 10};
  lf_channel_t *channel = open_channel(g_next_id++, &ring, &params);
  uint8_t *expected = malloc(5u << 20);
  for (uint32_t round = 0; round < 3; ++round) {
    for (uint32_t k = 0; k < SIZES; ++k) {
      const uint64_t seq = round * SIZES + k;
      const size_t size = g_sizes[k];
      fill(expected, size, seq, structured);
      if (g_producer) {
        MPI_OK(lf_channel_send(channel, expected, size, 30000));
      } else {
        const void *data = NULL;
        size_t got = 0;
        MPI_OK(lf_channel_peek(channel, 30000, &data, &got));
        if (got != size || memcmp(data, expected, size) != 0) {
          fprintf(stderr, "rank %d: message %llu (%s %s, %s): %zu bytes, expected %zu%s\n", g_rank,
                  (unsigned long long)seq, lf_mpi_compression_name(compression), lf_mpi_cipher_name(cipher),
                  structured ? "structured" : "random", got, size, got == size ? ", bytes differ" : "");
          MPI_CHECK(0);
        }
        MPI_OK(lf_channel_release(channel));
      }
    }
  }
  if (g_producer) MPI_OK(lf_channel_close(channel));
  else {
    size_t got = 0;
    MPI_EXPECT(LF_END_OF_STREAM, lf_channel_recv(channel, expected, 1, &got, 30000));
  }
  mpi_barrier_progressing(g_mpi);  /* the consumer saw the end: the producer's side sent everything */
  if (g_remote) {
    lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
    MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
    MPI_CHECK(stats.messages == 3 * SIZES);
    MPI_CHECK(stats.cipher == cipher && stats.auth_failures == 0);
    if (compression == LF_MPI_COMPRESSION_ZSTD || compression == LF_MPI_COMPRESSION_LZ4)
      MPI_CHECK(structured ? stats.compressed_chunks > 0 && stats.wire_bytes < stats.payload_bytes : 1);
    if (compression == LF_MPI_COMPRESSION_ADAPTIVE && g_producer)
      MPI_CHECK(structured ? stats.compressed_chunks > 0 : stats.raw_chunks > 0 && stats.compressed_chunks == 0);
    /* With workers, the large chunks were compressed and sealed (opened and decoded) there:
       on the consumer, chunks that travel raw and clear have nothing to decode. */
    const int work_here = g_producer ? compression != LF_MPI_COMPRESSION_NONE || cipher != LF_MPI_CIPHER_NONE
                                     : cipher != LF_MPI_CIPHER_NONE || (structured && compression != LF_MPI_COMPRESSION_NONE);
    if (g_workers > 0 && work_here) MPI_CHECK(stats.worker_chunks > 0);
    if (g_workers == 0 || !work_here) MPI_CHECK(stats.worker_chunks == 0);
    /* The consumer's choices bind both ends; its depth by default is 16, whatever the workers. */
    MPI_CHECK(stats.chunk_size == (256u << 10));
    MPI_CHECK(stats.pipeline_depth == 16 && stats.reserved0 == 0);
  } else {
    lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
    MPI_EXPECT(LF_ERR_NOT_FOUND, lf_mpi_channel_get_stats(g_mpi, channel, &stats));
  }
  MPI_OK(lf_channel_destroy(channel));
  free(expected);
}

static void test_correctness(void) {
  const int32_t compressions[] = {LF_MPI_COMPRESSION_NONE, LF_MPI_COMPRESSION_LZ4, LF_MPI_COMPRESSION_ZSTD,
                                  LF_MPI_COMPRESSION_ADAPTIVE};
  const int32_t ciphers[] = {LF_MPI_CIPHER_NONE, LF_MPI_CIPHER_XCHACHA20_POLY1305, LF_MPI_CIPHER_AES256_GCM,
                             LF_MPI_CIPHER_MAC_ONLY};
  for (int c = 0; c < 4; ++c)
    for (int k = 0; k < 4; ++k)
      for (int structured = 0; structured < 2; ++structured) run_transfer(compressions[c], ciphers[k], structured);
}

/* What travels for small and just-too-large messages: a channel without protection or
   compression sends each message that fits inline as a short frame (the message alone) except
   one of exactly 80 bytes (that length marks a full frame there: a header frame and a separate
   payload), a protected one always the 80-byte prefix, and a message beyond the inline limit
   (16 KiB here) is a header frame and a separate payload. Counted on the consumer, exactly. */
static void run_frame_sizes(int32_t compression, int32_t cipher) {
  static const size_t sizes[] = {0, 1, 79, 80, 16384, 16385};
  enum { COUNT = sizeof sizes / sizeof sizes[0] };
  static uint8_t message[16385], expected[16385];
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION | LF_MPI_CHANNEL_PARAM_FIELD_CIPHER |
                                                  LF_MPI_CHANNEL_PARAM_FIELD_KEY,
                                    .compression = compression, .cipher = cipher, .key = g_key};
  lf_channel_t *channel = open_channel(g_next_id++, NULL, &params);
  uint64_t wire = 0, payload = 0;
  for (uint32_t k = 0; k < COUNT; ++k) {
    fill(expected, sizes[k], k, 0);
    const int is_short = sizes[k] <= 16384 && sizes[k] != 80 && compression == LF_MPI_COMPRESSION_NONE &&
                         cipher == LF_MPI_CIPHER_NONE;
    wire += (is_short ? 0 : 80) + sizes[k];
    payload += sizes[k];
    if (g_producer) {
      /* An empty message may come without a buffer (the API allows it), sealed or not. */
      MPI_OK(lf_channel_send(channel, sizes[k] == 0 ? NULL : expected, sizes[k], 30000));
    } else {
      size_t got = 0;
      MPI_OK(lf_channel_recv(channel, message, sizeof message, &got, 30000));
      MPI_CHECK(got == sizes[k] && memcmp(message, expected, got) == 0);
    }
  }
  /* Both ends count every message, frame and byte, the shortcuts' included (after the
     barrier: the consumer has every frame, so the producer sent them all). */
  mpi_barrier_progressing(g_mpi);
  {
    lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
    MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
    MPI_CHECK(stats.messages == COUNT && stats.frames == COUNT && stats.payload_bytes == payload);
    if (compression == LF_MPI_COMPRESSION_NONE) {
      if (stats.wire_bytes != wire)
        fprintf(stderr, "rank %d: %s channel: %llu bytes on the wire, expected %llu\n", g_rank, lf_mpi_cipher_name(cipher),
                (unsigned long long)stats.wire_bytes, (unsigned long long)wire);
      MPI_CHECK(stats.wire_bytes == wire);
    } else {
      MPI_CHECK(stats.wire_bytes >= 80 * COUNT);  /* a full prefix on every frame, whatever the codec made of it */
    }
  }
  MPI_OK(lf_channel_destroy(channel));
  mpi_barrier_progressing(g_mpi);
}

static void test_frame_sizes(void) {
  run_frame_sizes(LF_MPI_COMPRESSION_NONE, LF_MPI_CIPHER_NONE);
  run_frame_sizes(LF_MPI_COMPRESSION_NONE, LF_MPI_CIPHER_XCHACHA20_POLY1305);
  run_frame_sizes(LF_MPI_COMPRESSION_LZ4, LF_MPI_CIPHER_NONE);
}

static void test_backpressure(void) {
  /* (a ring that holds more messages than the receiver grants credits for: the sender keeps
   * the ones in flight in the ring, so a smaller one would hold the user back first) */
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY, .capacity = 4u << 20};
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH, .pipeline_depth = 2};
  lf_channel_t *channel = open_channel(g_next_id++, &ring, &params);
  enum { COUNT = 400 };
  uint8_t message[65536];
  for (uint32_t i = 0; i < COUNT; ++i) {
    if (g_producer) {
      fill(message, sizeof message, i, 0);
      MPI_OK(lf_channel_send(channel, message, sizeof message, 30000));
    } else {
      if (i % 100 == 0) usleep(100000);  /* fall behind: the producer must wait, not lose */
      size_t got = 0;
      MPI_OK(lf_channel_recv(channel, message, sizeof message, &got, 30000));
      uint8_t expected[65536];
      fill(expected, sizeof expected, i, 0);
      MPI_CHECK(got == sizeof message && memcmp(message, expected, got) == 0);
    }
  }
  if (g_producer && g_remote) {
    lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
    MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
    MPI_CHECK(stats.credit_stalls > 0);  /* the receiver's credits held it back */
    MPI_CHECK(stats.pipeline_depth == 2);  /* as asked */
  }
  MPI_OK(lf_channel_destroy(channel));
}

/* Zero-copy (MPI transport): a send and a receive with no timeout move a large message of a
 * channel without codec or cipher straight between the callers' buffers, past the rings (a
 * cipher's receive too); with a timeout, a too-small buffer, or LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS
 * (or a cipher, for the send) the rings carry it. Lock-step (an acknowledgement after each message), so that every message
 * meets an idle consumer and the counts are exact (open_lock_step_ack: one before the first
 * message too): the stats count what went zero-copy. */
enum { ZC_MESSAGES = 6 * 4 };

/* Whether this attachment takes the shortcuts past the rings at all (LAVAFLOW_MPI_DIRECT=0:
   none), and whether a waiting receive may then take a large message zero-copy: only with
   caller progress (a progress thread does not know the user's buffer). */
static int shortcuts_on(void) {
  const char *direct = getenv("LAVAFLOW_MPI_DIRECT");
  return !(direct != NULL && strcmp(direct, "0") == 0);
}
static int receives_zero_copy(void) {
  lf_mpi_info_t info = {.struct_size = sizeof info};
  MPI_OK(lf_mpi_get_info(g_mpi, &info));
  return shortcuts_on() && info.progress == LF_MPI_PROGRESS_CALLER;
}

/* The acknowledgement channel of a lock-step test (consumer to producer), opened after the data
   channel, and a first acknowledgement through it before any message: opening a channel runs a
   progress pass, which takes a message already on its way into the ring when the consumer is not
   yet waiting for it, so message 0 would not meet a waiting consumer. */
static lf_channel_t *open_lock_step_ack(void) {
  lf_channel_t *ack = NULL;
  MPI_OK(lf_mpi_channel_open(g_mpi, g_peer, g_next_id++, g_producer ? LF_CHANNEL_CONSUMER : LF_CHANNEL_PRODUCER, NULL,
                             NULL, &ack));
  uint8_t byte = 0;
  size_t got = 0;
  if (g_producer) MPI_OK(lf_channel_recv(ack, &byte, 1, &got, -1));
  else MPI_OK(lf_channel_send(ack, &byte, 1, -1));
  return ack;
}

static void run_zero_copy(int32_t cipher, uint32_t flags) {
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                              .capacity = 16u << 20, .max_message_size = 6u << 20};
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE | LF_MPI_CHANNEL_PARAM_FIELD_CIPHER |
                                                  LF_MPI_CHANNEL_PARAM_FIELD_KEY | LF_MPI_CHANNEL_PARAM_FIELD_FLAGS,
                                    .chunk_size = 64u << 10, .cipher = cipher, .key = g_key, .flags = flags};
  lf_channel_t *channel = open_channel(g_next_id++, &ring, &params);
  lf_channel_t *ack = open_lock_step_ack();
  /* (just past the inline limit, one chunk, a chunk and a byte, many chunks, one byte) */
  static const size_t sizes[6] = {16385, 65536, 65537, (1u << 20) + 3, 5u << 20, 1};
  const size_t largest = 5u << 20;
  uint8_t *message = malloc(largest + 64), *expected = malloc(largest);
  uint64_t sent_zero_copy = 0, received_zero_copy = 0;
  for (uint32_t i = 0; i < ZC_MESSAGES; ++i) {
    const size_t size = sizes[i % 6];
    const uint32_t mode = i / 6;  /* 0: both wait; 1: the consumer has a timeout; 2: the producer
                                     has one; 3: the consumer's first buffer is too small */
    const int large = size > 16384;
    fill(expected, size, i, i & 1);
    uint8_t byte = 0;
    size_t got = 0;
    if (g_producer) {
      MPI_OK(lf_channel_send(channel, expected, size, mode == 2 ? 30000 : -1));
      sent_zero_copy += large && mode != 2;
      MPI_OK(lf_channel_recv(ack, &byte, 1, &got, -1));
    } else {
      memset(message, 0xee, largest + 64);
      if (mode == 3 && size > 1) {
        MPI_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_channel_recv(channel, message, size - 1, &got, -1));
        MPI_CHECK(message[0] == 0xee);  /* nothing of it written there; it stays queued */
      } else {
        received_zero_copy += large && mode != 1;
      }
      MPI_OK(lf_channel_recv(channel, message, size + 64, &got, mode == 1 ? 30000 : -1));
      MPI_CHECK(got == size && memcmp(message, expected, size) == 0 && message[size] == 0xee);
      MPI_OK(lf_channel_send(ack, &byte, 1, -1));
    }
  }
  mpi_barrier_progressing(g_mpi);
  lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
  MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
  MPI_CHECK(stats.messages == ZC_MESSAGES);
  /* Only a channel without codec or cipher sends zero-copy (sealing writes), and only where
     the shortcuts are on; a sealed chunk is received zero-copy too (opened in the caller's
     buffer). Receiving zero-copy takes caller progress (with a progress thread the user's
     receive does not drive MPI). */
  if (g_producer)
    MPI_CHECK(stats.zero_copy_messages == (shortcuts_on() && cipher == LF_MPI_CIPHER_NONE && !flags ? sent_zero_copy : 0));
  else MPI_CHECK(stats.zero_copy_messages == (receives_zero_copy() ? received_zero_copy : 0));
  if (g_rank == 0)
    printf("zero-copy (%s%s): %llu of %d messages sent zero-copy\n", lf_mpi_cipher_name(cipher),
           flags ? ", buffered sends" : "", (unsigned long long)stats.zero_copy_messages, ZC_MESSAGES);
  MPI_OK(lf_channel_destroy(channel));
  MPI_OK(lf_channel_destroy(ack));
  free(message);
  free(expected);
}

static void test_zero_copy(void) {
  run_zero_copy(LF_MPI_CIPHER_NONE, 0);
  run_zero_copy(LF_MPI_CIPHER_NONE, LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS);
  run_zero_copy(LF_MPI_CIPHER_XCHACHA20_POLY1305, 0);
  run_zero_copy(LF_MPI_CIPHER_MAC_ONLY, 0);
  /* Unknown flags are refused. */
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_FLAGS, .flags = 1u << 7};
  lf_channel_t *channel = NULL;
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_channel_open(g_mpi, g_peer, g_next_id++, LF_CHANNEL_PRODUCER, NULL, &params, &channel));
  MPI_CHECK(strstr(lf_last_error_message(), "flags") != NULL);
}

static void test_consumer_close_stops_the_producer(void) {
  lf_channel_t *channel = open_channel(g_next_id++, NULL, NULL);
  if (g_producer) {
    lf_status_t status = LF_OK;
    for (int i = 0; i < 100000 && status == LF_OK; ++i) {
      status = lf_channel_send(channel, "x", 1, 1000);
      if (status == LF_TIMEOUT) status = LF_OK;
    }
    MPI_CHECK(status == LF_ERR_CLOSED);
  } else {
    char byte = 0;
    size_t got = 0;
    MPI_OK(lf_channel_recv(channel, &byte, 1, &got, 30000));
    MPI_OK(lf_channel_close(channel));
  }
  MPI_OK(lf_channel_destroy(channel));
  mpi_barrier_progressing(g_mpi);
}

/* The wire hook: acts once, on frame `target`. */
static int32_t g_action;
static size_t g_truncate;
static uint64_t g_target;
static int g_tamper;
static int g_forge_short;  /* turn the frame into a short frame (which a protected channel never sends) */
static int g_forge_codec;  /* mark a chunk's header frame lz4-compressed (no cipher: nothing notices but the receiver's rules) */

static int32_t hook(void *user_data, uint32_t channel_id, uint64_t sequence, uint8_t *frame, size_t *frame_size) {
  (void)user_data, (void)channel_id;
  if (sequence != g_target) return LF_MPI_WIRE_PASS;
  if (g_tamper) frame[*frame_size - 1] ^= 0x40;
  if (g_forge_codec) frame[6] = 1;  /* the codec byte (docs/wire-formats.md "MPI frames") */
  if (g_forge_short) memcpy(frame, "abcd", 4), *frame_size = 4;  /* a short frame: 4 bytes of message alone */
  if (g_truncate) *frame_size -= g_truncate;
  return g_action;
}

/* `delivered`: messages the consumer gets before LF_ERR_AUTH; each of `message_size` bytes
   (at least 4: a number from 0 first). Large messages travel as header frames and separate
   payloads, opened on workers when there are any. */
static void run_wire_case(const char *what, int32_t action, int tamper, size_t truncate, int wrong_key, uint32_t delivered,
                          size_t message_size) {
  static uint32_t message[(200u << 10) / 4];
  MPI_CHECK(message_size >= 4 && message_size <= sizeof message);
  g_action = action, g_tamper = tamper, g_truncate = truncate, g_target = 3;
  if (g_producer) MPI_OK(lf_mpi_set_wire_hook(g_mpi, hook, NULL));
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_CIPHER | LF_MPI_CHANNEL_PARAM_FIELD_KEY,
                                    .cipher = LF_MPI_CIPHER_XCHACHA20_POLY1305,
                                    .key = wrong_key && g_producer ? g_other_key : g_key};
  lf_channel_t *channel = open_channel(g_next_id++, NULL, &params);
  if (g_producer) {
    lf_status_t status = LF_OK;
    /* Keep sending until the consumer's verdict arrives (within 30 s). */
    const double until = MPI_Wtime() + 30;
    memset(message, 0x5a, message_size);  /* (readable on the wire with MAC-only) */
    for (uint32_t i = 0; status == LF_OK && MPI_Wtime() < until; ++i) {
      message[0] = i;
      status = lf_channel_send(channel, message, message_size, 10000);
    }
    if (status != LF_ERR_AUTH) fprintf(stderr, "wire case %s: producer got %s\n", what, lf_status_name(status));
    MPI_CHECK(status == LF_ERR_AUTH);  /* the consumer told us it stopped */
    MPI_OK(lf_mpi_set_wire_hook(g_mpi, NULL, NULL));
  } else {
    for (uint32_t i = 0; i < delivered; ++i) {
      size_t size = 0;
      MPI_OK(lf_channel_recv(channel, message, sizeof message, &size, 30000));
      MPI_CHECK(size == message_size && message[0] == i && (message_size == 4 || ((uint8_t *)message)[message_size - 1] == 0x5a));
    }
    size_t size = 0;
    memset(message, 0xee, sizeof message);
    lf_status_t status = lf_channel_recv(channel, message, sizeof message, &size, 30000);
    if (status != LF_ERR_AUTH) fprintf(stderr, "wire case %s: %s\n", what, lf_status_name(status));
    MPI_CHECK(status == LF_ERR_AUTH);
    /* Nothing of the rejected message reached the buffer (a call with a timeout: the ring, or
       an inline frame copied there only once it opened). */
    const uint8_t *bytes = (const uint8_t *)message;
    for (size_t i = 0; i < message_size; ++i) MPI_CHECK(bytes[i] == 0xee);
    MPI_CHECK(strstr(lf_last_error_message(), "rejected") != NULL);
    if (g_forge_short) MPI_CHECK(strstr(lf_last_error_message(), "shorter than a frame header") != NULL);
    lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
    MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
    MPI_CHECK(stats.auth_failures == 1);
  }
  MPI_OK(lf_channel_destroy(channel));
  mpi_barrier_progressing(g_mpi);
}

/* A tampered sealed message that a consumer waiting as long as it takes received zero-copy
   (opened in its buffer) is wiped from the buffer: no ciphertext, no unauthenticated bytes are
   left there. Lock-step, so that the message meets the waiting consumer (as in run_zero_copy):
   message 0 arrives, message 1 is tampered. */
static void run_wire_zero_copy(int32_t cipher) {
  enum { SIZE = 200u << 10 };
  static uint8_t message[SIZE];
  g_action = LF_MPI_WIRE_PASS, g_tamper = 1, g_truncate = 0, g_target = 1;
  if (g_producer) MPI_OK(lf_mpi_set_wire_hook(g_mpi, hook, NULL));
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_CIPHER | LF_MPI_CHANNEL_PARAM_FIELD_KEY,
                                    .cipher = cipher, .key = g_key};
  lf_channel_t *channel = open_channel(g_next_id++, NULL, &params);
  lf_channel_t *ack = open_lock_step_ack();
  uint8_t byte = 0;
  size_t got = 0;
  if (g_producer) {
    memset(message, 0x5a, SIZE);
    MPI_OK(lf_channel_send(channel, message, SIZE, -1));
    MPI_OK(lf_channel_recv(ack, &byte, 1, &got, -1));
    MPI_OK(lf_channel_send(channel, message, SIZE, -1));  /* (tampered on the way) */
    MPI_OK(lf_channel_recv(ack, &byte, 1, &got, -1));
    lf_status_t status = LF_OK;
    for (const double until = MPI_Wtime() + 30; status == LF_OK && MPI_Wtime() < until;)
      status = lf_channel_send(channel, message, SIZE, 10000);
    MPI_CHECK(status == LF_ERR_AUTH);  /* the consumer's verdict */
    MPI_OK(lf_mpi_set_wire_hook(g_mpi, NULL, NULL));
  } else {
    MPI_OK(lf_channel_recv(channel, message, SIZE, &got, -1));
    MPI_CHECK(got == SIZE && message[0] == 0x5a && message[SIZE - 1] == 0x5a);
    memset(message, 0xee, SIZE);
    MPI_OK(lf_channel_send(ack, &byte, 1, -1));
    MPI_EXPECT(LF_ERR_AUTH, lf_channel_recv(channel, message, SIZE, &got, -1));
    lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
    MPI_OK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
    const int zero_copy = receives_zero_copy();
    MPI_CHECK(stats.zero_copy_messages == (zero_copy ? 2u : 0u) && stats.auth_failures == 1);
    /* zero-copy: wiped; else the ring took it and the buffer is untouched */
    const uint8_t left = zero_copy ? 0 : 0xee;
    for (size_t i = 0; i < SIZE; ++i) MPI_CHECK(message[i] == left);
    MPI_OK(lf_channel_send(ack, &byte, 1, -1));
  }
  g_tamper = 0;
  MPI_OK(lf_channel_destroy(channel));
  MPI_OK(lf_channel_destroy(ack));
  mpi_barrier_progressing(g_mpi);
}

/* A frame that claims a codec its sender never announced (a plain channel) is refused by the
   receiver's rules before any payload lands: LF_ERR_PROTOCOL after the frames before it. The
   messages are larger than the inline limit, so each is one chunk with a full header frame
   (smaller ones travel as short frames, which have no codec field). */
static void test_wire_codec_not_announced(void) {
  g_action = LF_MPI_WIRE_PASS, g_tamper = 0, g_truncate = 0, g_target = 3, g_forge_codec = 1;
  if (g_producer) MPI_OK(lf_mpi_set_wire_hook(g_mpi, hook, NULL));
  lf_channel_t *channel = open_channel(g_next_id++, NULL, NULL);
  static uint32_t message[(20u << 10) / 4];
  if (g_producer) {
    lf_status_t status = LF_OK;
    const double until = MPI_Wtime() + 30;
    for (uint32_t i = 0; status == LF_OK && MPI_Wtime() < until; ++i) {
      message[0] = i;
      status = lf_channel_send(channel, message, sizeof message, 10000);
    }
    if (status != LF_ERR_PROTOCOL) fprintf(stderr, "codec not announced: producer got %s\n", lf_status_name(status));
    MPI_CHECK(status == LF_ERR_PROTOCOL);  /* the consumer rejected it and stopped */
    MPI_OK(lf_mpi_set_wire_hook(g_mpi, NULL, NULL));
  } else {
    size_t size = 0;
    for (uint32_t i = 0; i < 3; ++i) {
      MPI_OK(lf_channel_recv(channel, message, sizeof message, &size, 30000));
      MPI_CHECK(size == sizeof message && message[0] == i);
    }
    MPI_EXPECT(LF_ERR_PROTOCOL, lf_channel_recv(channel, message, sizeof message, &size, 30000));
    MPI_CHECK(strstr(lf_last_error_message(), "announced no compression") != NULL);
  }
  g_forge_codec = 0;
  MPI_OK(lf_channel_destroy(channel));
  mpi_barrier_progressing(g_mpi);
}

static void test_wire(void) {
  run_wire_case("tamper", LF_MPI_WIRE_PASS, 1, 0, 0, 3, 4);
  run_wire_case("replay", LF_MPI_WIRE_DUPLICATE, 0, 0, 0, 4, 4);  /* frame 3 itself is genuine */
  run_wire_case("reorder", LF_MPI_WIRE_HOLD, 0, 0, 0, 3, 4);
  run_wire_case("drop", LF_MPI_WIRE_DROP, 0, 0, 0, 3, 4);
  run_wire_case("truncate", LF_MPI_WIRE_PASS, 0, 1, 0, 3, 4);
  run_wire_case("wrong key", LF_MPI_WIRE_PASS, 0, 0, 1, 0, 4);
  g_forge_short = 1;
  run_wire_case("short frame on a protected channel", LF_MPI_WIRE_PASS, 0, 0, 0, 3, 4);
  g_forge_short = 0;
  /* The same on chunks with separate payloads (the tag is the header frame's last byte). */
  run_wire_case("tamper, 200 KiB", LF_MPI_WIRE_PASS, 1, 0, 0, 3, 200u << 10);
  run_wire_case("reorder, 200 KiB", LF_MPI_WIRE_HOLD, 0, 0, 0, 3, 200u << 10);
  run_wire_case("wrong key, 200 KiB", LF_MPI_WIRE_PASS, 0, 0, 1, 0, 200u << 10);
  run_wire_zero_copy(LF_MPI_CIPHER_XCHACHA20_POLY1305);
  run_wire_zero_copy(LF_MPI_CIPHER_MAC_ONLY);  /* (its bytes travel readable) */
}

/* A key file named by LAVAFLOW_KEY_FILE, of `size` bytes and `mode`; returns its path. */
static char *write_key_file(const void *bytes, size_t size, mode_t mode) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/lavaflow-test-key-XXXXXX");
  const int fd = mkstemp(path);
  MPI_CHECK(fd >= 0 && write(fd, bytes, size) == (ssize_t)size && fchmod(fd, mode) == 0);
  close(fd);
  MPI_CHECK(setenv("LAVAFLOW_KEY_FILE", path, 1) == 0);
  return path;
}

/* A channel whose producer takes its key from the key file and whose consumer takes g_key
 * from its params (or the file too): messages arrive only if the file was read right. */
static void run_key_file_channel(int consumer_uses_file) {
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_CIPHER, .cipher = LF_MPI_CIPHER_XCHACHA20_POLY1305};
  if (!g_producer && !consumer_uses_file) params.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_KEY, params.key = g_key;
  lf_channel_t *channel = open_channel(g_next_id++, NULL, &params);
  for (uint32_t i = 0; i < 3; ++i) {
    if (g_producer) {
      MPI_OK(lf_channel_send(channel, &i, sizeof i, 30000));
    } else {
      uint32_t got = 0;
      size_t size = 0;
      MPI_OK(lf_channel_recv(channel, &got, sizeof got, &size, 30000));
      MPI_CHECK(got == i && size == sizeof got);
    }
  }
  mpi_barrier_progressing(g_mpi);
  MPI_OK(lf_channel_destroy(channel));
}

/* Opening refuses the key file, or the lack of a key (locally, before any message to the
 * peer); the message names LAVAFLOW_KEY_FILE. */
static void expect_key_file_refused(lf_status_t expected, const char *why) {
  /* (xchacha20-poly1305: the cipher every CPU has, so that only the key can be refused) */
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_CIPHER,
                                    .cipher = LF_MPI_CIPHER_XCHACHA20_POLY1305};
  lf_channel_t *channel = NULL;
  const lf_status_t status = lf_mpi_channel_open(g_mpi, g_peer, 999, g_producer ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER,
                                                 NULL, &params, &channel);
  if (status != expected) fprintf(stderr, "key file %s: %s (%s)\n", why, lf_status_name(status), lf_last_error_message());
  MPI_CHECK(status == expected && channel == NULL);
  MPI_CHECK(strstr(lf_last_error_message(), "LAVAFLOW_KEY_FILE") != NULL);
}

static void test_key_file(void) {
  char hex[66];
  for (int i = 0; i < 32; ++i) snprintf(hex + 2 * i, 3, "%02x", g_key[i]);
  hex[64] = '\n';
  /* Accepted: 32 raw bytes, or 64 hex digits (a newline after them is fine). */
  char *path = write_key_file(g_key, sizeof g_key, 0600);
  run_key_file_channel(0);
  unlink(path);
  path = write_key_file(hex, 65, 0400);
  run_key_file_channel(1);
  unlink(path);
  /* Refused: readable by others, another owner, a wrong length, not hex, not a regular file,
   * a symbolic link, missing. */
  path = write_key_file(g_key, sizeof g_key, 0640);
  expect_key_file_refused(LF_ERR_PERMISSION, "mode 0640");
  if (geteuid() == 0) {
    MPI_CHECK(chmod(path, 0600) == 0 && chown(path, 65534, 65534) == 0);
    expect_key_file_refused(LF_ERR_PERMISSION, "owned by nobody");
  }
  unlink(path);
  path = write_key_file(g_key, 31, 0600);
  expect_key_file_refused(LF_ERR_CORRUPT, "31 bytes");
  unlink(path);
  hex[10] = 'x';
  path = write_key_file(hex, 65, 0600);
  expect_key_file_refused(LF_ERR_CORRUPT, "not hex");
  char link[80];
  snprintf(link, sizeof link, "%s.link", path);
  MPI_CHECK(symlink(path, link) == 0 && setenv("LAVAFLOW_KEY_FILE", link, 1) == 0);
  expect_key_file_refused(LF_ERR_PERMISSION, "a symbolic link");
  unlink(link);
  unlink(path);
  expect_key_file_refused(LF_ERR_NOT_FOUND, "missing");
  MPI_CHECK(setenv("LAVAFLOW_KEY_FILE", "/tmp", 1) == 0);
  expect_key_file_refused(LF_ERR_PERMISSION, "a directory");
  unsetenv("LAVAFLOW_KEY_FILE");
  expect_key_file_refused(LF_ERR_INVALID_ARGUMENT, "unset, and no key in the params");
  mpi_barrier_progressing(g_mpi);
}

static void test_huge(void) {
  const size_t size = 256u << 20;
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                              .capacity = 1u << 30, .max_message_size = size};
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION | LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE,
                                    .compression = LF_MPI_COMPRESSION_ADAPTIVE, .chunk_size = 4u << 20};
  lf_channel_t *channel = open_channel(g_next_id++, &ring, &params);
  uint8_t *expected = malloc(size);
  fill(expected, size, 42, 1);
  if (g_producer) {
    void *room = NULL;
    MPI_OK(lf_channel_reserve(channel, size, 60000, &room));
    memcpy(room, expected, size);
    MPI_OK(lf_channel_commit(channel, size));
  } else {
    const void *data = NULL;
    size_t got = 0;
    MPI_OK(lf_channel_peek(channel, 120000, &data, &got));
    MPI_CHECK(got == size && memcmp(data, expected, size) == 0);
    MPI_OK(lf_channel_release(channel));
  }
  mpi_barrier_progressing(g_mpi);
  MPI_OK(lf_channel_destroy(channel));
  free(expected);
}

/* Whether rank `r` should be out of shared-memory reach: forced, or on another host. */
static int expect_remote(int r) {
  const char *override = getenv("LAVAFLOW_SCOPE_OVERRIDE");
  if (r == g_rank) return 0;
  return (override != NULL && strcmp(override, "remote") == 0) || strcmp(g_names[r], g_names[g_rank]) != 0;
}

static void on_sigpipe(int signal_number) { (void)signal_number; }

static void test_attachment(void) {
  /* liblavaflow_mpi's features: the transport, and only its own kinds. */
  const uint64_t features = lf_mpi_build_features();
  MPI_CHECK((features & LF_FEATURE_MPI) != 0);
  MPI_CHECK((features & ~(uint64_t)(LF_FEATURE_MPI | LF_FEATURE_ZSTD | LF_FEATURE_LZ4 | LF_FEATURE_SODIUM)) == 0);
  {
    char expected[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    MPI_Get_library_version(expected, &length);
    const char *text = lf_mpi_library_version();
    MPI_CHECK(text != NULL && text[0] != '\0' && strncmp(expected, text, strlen(text)) == 0);
    MPI_CHECK(text == lf_mpi_library_version()); /* read once, kept */
  }
  lf_mpi_info_t info = {.struct_size = sizeof info};
  MPI_OK(lf_mpi_get_info(g_mpi, &info));
  MPI_CHECK(info.rank == g_rank && info.size == g_size);
  MPI_CHECK(info.progress == LF_MPI_PROGRESS_THREAD || info.progress == LF_MPI_PROGRESS_CALLER);
  int local = 0;
  for (int r = 0; r < g_size; ++r) {
    lf_scope_info_t scope = {.struct_size = sizeof scope};
    MPI_OK(lf_mpi_get_peer_scope(g_mpi, r, &scope));
    const char *reason = NULL;
    MPI_OK(lf_mpi_get_peer_reason(g_mpi, r, &reason));
    MPI_CHECK(reason != NULL && reason[0] != '\0');
    if (r == g_rank) MPI_CHECK(scope.level == LF_SCOPE_PROCESS);
    else if (expect_remote(r)) MPI_CHECK(scope.level >= LF_SCOPE_ISOLATED);
    else MPI_CHECK(scope.level <= LF_SCOPE_HOST);
    local += !expect_remote(r);
  }
  MPI_CHECK(info.local_ranks == local);
  const char *forced = getenv("LAVAFLOW_MPI_WORKERS");
  if (forced != NULL && forced[0] == '\0') forced = NULL;  /* set empty = unset (as lavaflow reads it) */
  if (forced != NULL) MPI_CHECK(info.worker_threads == (uint32_t)atoi(forced));
  else if (g_workers_asked >= 0) MPI_CHECK(info.worker_threads == (uint32_t)g_workers_asked);
  else MPI_CHECK(info.worker_threads <= 4);  /* as the cores allow */
  g_workers = info.worker_threads;
  /* Too many workers are refused. */
  lf_mpi_params_t too_many = {.field_mask = LF_MPI_PARAM_FIELD_WORKER_THREADS, .worker_threads = 17};
  lf_mpi_t *other = NULL;
  if (forced == NULL) MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_attach(g_context, MPI_COMM_WORLD, &too_many, &other));
  /* SIGPIPE (a write to a dead peer's socket inside Open MPI) cannot end a survivor: ignored
     if the program left it at its default, a program's own handler kept. */
  struct sigaction now, mine = {.sa_handler = on_sigpipe}, restore;
  MPI_CHECK(sigaction(SIGPIPE, NULL, &now) == 0);
  if (g_sigpipe_was_default) MPI_CHECK(now.sa_handler == SIG_IGN);
  MPI_CHECK(sigaction(SIGPIPE, &mine, &restore) == 0);
  MPI_OK(lf_mpi_attach(g_context, MPI_COMM_WORLD, NULL, &other));
  MPI_CHECK(sigaction(SIGPIPE, NULL, &now) == 0 && now.sa_handler == on_sigpipe);
  MPI_OK(lf_mpi_detach(other));
  MPI_CHECK(sigaction(SIGPIPE, &restore, NULL) == 0);
  /* Bad arguments are refused, never crash. */
  lf_scope_info_t scope = {.struct_size = sizeof scope};
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_get_peer_scope(g_mpi, g_size, &scope));
  lf_channel_t *channel = NULL;
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_channel_open(g_mpi, g_rank, 99, LF_CHANNEL_PRODUCER, NULL, NULL, &channel));
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_channel_open(g_mpi, g_peer, 99, 7, NULL, NULL, &channel));
  lf_mpi_channel_params_t bad = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE, .chunk_size = 1000};
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_channel_open(g_mpi, g_peer, 99, LF_CHANNEL_PRODUCER, NULL, &bad, &channel));
  const uint32_t bad_depths[] = {0, 1, 65};
  for (size_t i = 0; i < sizeof bad_depths / sizeof bad_depths[0]; ++i) {
    bad = (lf_mpi_channel_params_t){.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH, .pipeline_depth = bad_depths[i]};
    MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_channel_open(g_mpi, g_peer, 99, LF_CHANNEL_PRODUCER, NULL, &bad, &channel));
  }
  MPI_EXPECT(LF_ERR_INVALID_HANDLE, lf_mpi_get_info((lf_mpi_t *)&info, &info));
  /* Versioned structs: an older program's smaller struct gets the fields it knows (nothing
     past them is written), a newer program's larger one those this library has. */
  lf_mpi_info_t older;
  memset(&older, 0xab, sizeof older);
  older.struct_size = offsetof(lf_mpi_info_t, worker_threads);
  MPI_OK(lf_mpi_get_info(g_mpi, &older));
  MPI_CHECK(older.rank == g_rank && older.size == g_size && older.worker_threads == 0xababababu);
  struct { lf_mpi_info_t info; uint32_t added_later[4]; } newer;
  memset(&newer, 0, sizeof newer);
  newer.info.struct_size = sizeof newer;
  MPI_OK(lf_mpi_get_info(g_mpi, &newer.info));
  MPI_CHECK(newer.info.rank == g_rank && newer.info.worker_threads == info.worker_threads && newer.added_later[0] == 0);
  lf_mpi_info_t tiny = {.struct_size = 2};
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_get_info(g_mpi, &tiny));
  MPI_EXPECT(LF_ERR_INVALID_HANDLE, lf_mpi_progress(NULL));
  MPI_OK(lf_mpi_detach(NULL));
  MPI_CHECK(strcmp(lf_mpi_cipher_name(LF_MPI_CIPHER_AES256_GCM), "aes256-gcm") == 0);
  MPI_CHECK(strcmp(lf_mpi_compression_name(99), "invalid") == 0);
}

int main(int argc, char **argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
  MPI_Comm_size(MPI_COMM_WORLD, &g_size);
  if (g_size % 2 != 0) {
    if (g_rank == 0) fprintf(stderr, "run with an even number of ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  int huge = 0, both_pairs = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "huge") == 0) huge = 1;
    else if (strcmp(argv[i], "both-pairs") == 0) both_pairs = 1;
    else if (strncmp(argv[i], "workers=", 8) == 0) g_workers_asked = atoi(argv[i] + 8);
  }
  if (both_pairs && g_size % 4 != 0) {
    if (g_rank == 0) fprintf(stderr, "both-pairs needs a multiple of 4 ranks\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  g_names = calloc((size_t)g_size, sizeof *g_names);
  int name_length = 0;
  MPI_Get_processor_name(g_names[g_rank], &name_length);
  MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, g_names, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, MPI_COMM_WORLD);
  lf_context_params_t params = {0};
  MPI_OK(lf_context_create(&params, &g_context));
  lf_mpi_params_t mpi_params = {.field_mask = LF_MPI_PARAM_FIELD_WORKER_THREADS, .worker_threads = (uint32_t)g_workers_asked};
  struct sigaction before;
  MPI_CHECK(sigaction(SIGPIPE, NULL, &before) == 0);
  g_sigpipe_was_default = !(before.sa_flags & SA_SIGINFO) && before.sa_handler == SIG_DFL;
  MPI_OK(lf_mpi_attach(g_context, MPI_COMM_WORLD, g_workers_asked >= 0 ? &mpi_params : NULL, &g_mpi));
  g_peer = g_rank ^ 1;
  test_attachment();
  int transports = 0;  /* bit 0: shared memory, bit 1: MPI, over all pairs of all ranks */
  for (int pairing = 0; pairing < (both_pairs ? 2 : 1); ++pairing) {
    g_peer = g_rank ^ (1 << pairing);
    g_producer = g_rank < g_peer;
    lf_scope_info_t scope = {.struct_size = sizeof scope};
    MPI_OK(lf_mpi_get_peer_scope(g_mpi, g_peer, &scope));
    g_remote = scope.level > LF_SCOPE_HOST;
    MPI_CHECK(g_remote == expect_remote(g_peer));
    transports |= g_remote ? 2 : 1;
    if (huge) {
      test_huge();
    } else {
      test_correctness();
      test_backpressure();
      test_consumer_close_stops_the_producer();
      if (g_remote) test_frame_sizes(), test_zero_copy(), test_wire(), test_wire_codec_not_announced(), test_key_file();
    }
  }
  mpi_barrier_progressing(g_mpi);
  MPI_OK(lf_mpi_detach(g_mpi));
  MPI_OK(lf_context_destroy(g_context));
  MPI_Allreduce(MPI_IN_PLACE, &transports, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD);
  if (g_rank == 0)
    printf("ok: %d ranks on %s, %s%s%s, %s\n", g_size, strcmp(g_names[0], g_names[g_size - 1]) ? "two hosts" : "one host",
           transports & 1 ? "shared memory" : "", transports == 3 ? " and " : "", transports & 2 ? "MPI transport" : "",
           huge ? "256 MiB message" : "all cases");
  free(g_names);
  MPI_Finalize();
  return 0;
}

/* bench_mpi: channels between two MPI ranks over lavaflow's MPI transport against raw MPI
 * (MPI_Send/MPI_Recv on MPI_COMM_WORLD) measured in the same run: each lavaflow row runs
 * interleaved with its baseline, and the ratio is the median of the pairs' ratios.
 *   latency    ping-pong, 8 B and 4 KiB (round trip / 2): lf_channel_send/recv on two
 *              channels vs MPI_Send/MPI_Recv, and the floor of a non-blocking transport
 *              (raw MPI built the way lavaflow's short frames are)
 *   bandwidth  streaming 64 KiB, 1 MiB and 16 MiB messages: zero-copy reserve/commit and
 *              peek/release (neither side touches the bytes, as MPI_Send of a ready buffer
 *              does not) through the smallest ring that holds the message, vs
 *              MPI_Send/MPI_Recv of one buffer (cache-hot) and of a buffer as large as the
 *              ring, cycled through as the ring is; and lf_channel_send/recv with no timeout
 *              of one buffer (zero-copy between the callers' buffers) vs raw of one buffer;
 *              no codec, no cipher
 *   codec      effective throughput (payload bytes / s) of 4 MiB messages of compressible
 *              float32 data (a smooth field with noise, quantized to 1/4: zstd -1 ratio
 *              about 3.4) and of random bytes, compression none/lz4/zstd/adaptive vs raw
 *              MPI; meant for a slow link (RATE=1gbit with tests/mpi/two_hosts.sh)
 *   crypto     streaming 1 MiB messages with each cipher vs libsodium's single-core speed
 *              (the same primitive over the same buffer, in this process) and vs plaintext
 *   bridge     the tensor pool bridge: 64 KiB and 1 MiB frames published into rank 0's pool,
 *              forwarded, published into rank 1's pool and read there (every frame checked),
 *              vs MPI_Send/MPI_Recv of the same bytes; each host runs a pool driver of its
 *              own in a fresh base directory
 * The channels always use the MPI transport (forced, also between ranks of one host).
 *
 *   mpirun -np 2 bench_mpi [--quick] [--depth N] [--chunk BYTES] [--section latency|bandwidth|codec|crypto|bridge]...
 *   tests/mpi/two_hosts.sh mpirun -np 2 -- bench_mpi ...        (ranks on two hosts)
 *   RATE=1gbit tests/mpi/two_hosts.sh mpirun -np 2 -- bench_mpi --section codec
 * LAVAFLOW_MPI_PROGRESS=thread|caller picks lavaflow's progress (see docs/mpi.md). */
#define _GNU_SOURCE
#include "bench_common.h"
#include "mpi_world.h" /* (tests/mpi: what the MPI programs share) */

#include <lavaflow/lavaflow.h>
#include <lavaflow/lavaflow_mpi.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef LAVAFLOW_HAVE_SODIUM
#include <sodium.h>
#endif

static int g_rank;
static int g_quick;
static uint32_t g_depth; /* --depth: the channels' pipeline_depth (0: lavaflow's default) */
static uint64_t g_chunk; /* --chunk: the channels' chunk_size (0: lavaflow's default) */
static lf_mpi_t *g_mpi;
static uint32_t g_next_id = 1;
static const uint8_t g_key[32] = {7, 7, 7};

#define CHECK(call)                                                                                    \
  do {                                                                                                 \
    lf_status_t check_status_ = (call);                                                                \
    if (check_status_ != LF_OK) {                                                                      \
      fprintf(stderr, "bench_mpi rank %d: %s: %s (%s)\n", g_rank, #call, lf_status_name(check_status_), \
              lf_last_error_message());                                                                \
      MPI_Abort(MPI_COMM_WORLD, 1);                                                                    \
    }                                                                                                  \
  } while (0)

/* The smallest ring that holds a `max_message`-byte message (a ring takes messages up to
 * half its capacity, less a record header). */
static uint64_t smallest_ring(size_t max_message) {
  uint64_t capacity = 4096;
  while (capacity / 2 < max_message + 64) capacity <<= 1;
  return capacity;
}

/* A channel over MPI from rank `producer` to the other rank, its rings `capacity` bytes
 * (0: at least 4 MiB and 4 messages). */
static lf_channel_t *open_channel(int producer, size_t max_message, uint64_t capacity, int32_t compression, int32_t cipher) {
  if (capacity == 0) capacity = 4u << 20;
  while (capacity / 4 < max_message + 64) capacity <<= 1;
  lf_channel_params_t ring = {.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE,
                              .capacity = capacity, .max_message_size = max_message};
  lf_mpi_channel_params_t params = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT | LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION |
                                                  LF_MPI_CHANNEL_PARAM_FIELD_CIPHER | LF_MPI_CHANNEL_PARAM_FIELD_KEY,
                                    .transport = LF_TRANSPORT_MPI, .compression = compression, .cipher = cipher, .key = g_key};
  if (g_depth != 0) {
    params.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH;
    params.pipeline_depth = g_depth;
  }
  if (g_chunk != 0) {
    params.field_mask |= LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE;
    params.chunk_size = g_chunk;
  }
  lf_channel_t *channel = NULL;
  CHECK(lf_mpi_channel_open(g_mpi, g_rank ^ 1, g_next_id++, g_rank == producer ? LF_CHANNEL_PRODUCER : LF_CHANNEL_CONSUMER,
                            &ring, &params, &channel));
  return channel;
}

/* ---- latency ------------------------------------------------------------------------- */

static double raw_latency(char *buffer, size_t size, int rounds) {
  MPI_Barrier(MPI_COMM_WORLD);
  double start = 0;
  for (int i = -rounds / 10; i < rounds; ++i) {
    if (i == 0) start = MPI_Wtime();
    if (g_rank == 0) {
      MPI_Send(buffer, (int)size, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
      MPI_Recv(buffer, (int)size, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(buffer, (int)size, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buffer, (int)size, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
  }
  return (MPI_Wtime() - start) * 1e9 / rounds / 2;
}

/* The floor of a transport that must not block, built as lavaflow's short frames are: the
 * receive is posted ahead and tested in a loop, posted again only after the reply went out;
 * the send is non-blocking and tested until done; the message is copied into the frame and
 * out of it (a short frame is the message alone). */
static double nonblocking_latency(char *buffer, size_t size, int rounds) {
  static char frame[4096], in[4096];
  const int bytes = (int)size;
  MPI_Request receive;
  int repost = 0; /* the receive taken, to be posted again after the reply */
  MPI_Irecv(in, bytes, MPI_BYTE, g_rank ^ 1, 1, MPI_COMM_WORLD, &receive);
  MPI_Barrier(MPI_COMM_WORLD);
  double start = 0;
  for (int i = -rounds / 10; i < rounds; ++i) {
    if (i == 0) start = MPI_Wtime();
    for (int half = 0; half < 2; ++half) {
      if ((g_rank == 0) == (half == 0)) {
        memcpy(frame, buffer, size);
        MPI_Request send;
        int done = 0;
        MPI_Isend(frame, bytes, MPI_BYTE, g_rank ^ 1, 1, MPI_COMM_WORLD, &send);
        while (!done) MPI_Test(&send, &done, MPI_STATUS_IGNORE);
        if (repost) MPI_Irecv(in, bytes, MPI_BYTE, g_rank ^ 1, 1, MPI_COMM_WORLD, &receive);
        repost = 0;
      } else {
        int done = 0;
        while (!done) MPI_Test(&receive, &done, MPI_STATUS_IGNORE);
        memcpy(buffer, in, size);
        repost = 1;
      }
    }
  }
  const double ns = (MPI_Wtime() - start) * 1e9 / rounds / 2;
  if (repost) MPI_Irecv(in, bytes, MPI_BYTE, g_rank ^ 1, 1, MPI_COMM_WORLD, &receive);
  MPI_Cancel(&receive);
  MPI_Wait(&receive, MPI_STATUS_IGNORE);
  MPI_Barrier(MPI_COMM_WORLD);
  return ns;
}

static double lavaflow_latency(lf_channel_t *out, lf_channel_t *in, char *buffer, size_t size, int rounds) {
  double start = 0;
  size_t got = 0;
  for (int i = -rounds / 10; i < rounds; ++i) {
    if (i == 0) start = MPI_Wtime();
    if (g_rank == 0) {
      CHECK(lf_channel_send(out, buffer, size, -1));
      CHECK(lf_channel_recv(in, buffer, size, &got, -1));
    } else {
      CHECK(lf_channel_recv(in, buffer, size, &got, -1));
      CHECK(lf_channel_send(out, buffer, size, -1));
    }
  }
  return (MPI_Wtime() - start) * 1e9 / rounds / 2;
}

static void bench_latency(void) {
  if (g_rank == 0) bench_table_header("One-way latency over MPI (round trip / 2)");
  const size_t sizes[] = {8, 4096};
  const int pairs = g_quick ? 1 : 9;
  static char buffer[4096];
  for (int s = 0; s < 2; ++s) {
    /* Rounds for about a quarter of a second per run (a slow network gets fewer), agreed by
     * both ranks. */
    int rounds = g_quick ? 500 : 20000;
    const double probe_ns = raw_latency(buffer, sizes[s], 50);
    if (probe_ns * 2 * rounds > 0.25e9) rounds = (int)(0.25e9 / (probe_ns * 2)) + 50;
    MPI_Bcast(&rounds, 1, MPI_INT, 0, MPI_COMM_WORLD);
    lf_channel_t *from0 = open_channel(0, sizes[s], 0, 0, 0), *from1 = open_channel(1, sizes[s], 0, 0, 0);
    lf_channel_t *out = g_rank == 0 ? from0 : from1, *in = g_rank == 0 ? from1 : from0;
    double raw[9], lf[9], ratio[9], floor_ns[9], floor_ratio[9];
    for (int p = 0; p < pairs; ++p) {
      raw[p] = raw_latency(buffer, sizes[s], rounds);
      lf[p] = lavaflow_latency(out, in, buffer, sizes[s], rounds);
      floor_ns[p] = nonblocking_latency(buffer, sizes[s], rounds);
      ratio[p] = lf[p] / raw[p];
      floor_ratio[p] = floor_ns[p] / raw[p];
    }
    if (g_rank == 0) {
      char name[64];
      snprintf(name, sizeof name, "raw MPI_Send/MPI_Recv, %zu B", sizes[s]);
      bench_table_row(name, bench_median(raw, pairs), NULL, 0);
      snprintf(name, sizeof name, "raw MPI, posted Irecv + Isend, %zu B", sizes[s]);
      bench_table_row_ratio(name, bench_median(floor_ns, pairs), "raw MPI, same size", bench_median(floor_ratio, pairs));
      snprintf(name, sizeof name, "lavaflow channel over MPI, %zu B", sizes[s]);
      bench_table_row_ratio(name, bench_median(lf, pairs), "raw MPI, same size", bench_median(ratio, pairs));
    }
    CHECK(lf_channel_destroy(out));
    CHECK(lf_channel_destroy(in));
    MPI_Barrier(MPI_COMM_WORLD);
  }
}

/* ---- streaming ------------------------------------------------------------------------ */

/* Rank 0 sends `count` messages of `size` bytes from `data`, rank 1 receives them into
 * `sink`, each cycling through its first `span` bytes (`size`: one buffer); returns payload
 * bytes per second, timed on rank 0 until rank 1's acknowledgement. */
static double raw_stream(const char *data, char *sink, size_t span, size_t size, int count) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  char ack = 0;
  size_t offset = 0;
  for (int i = 0; i < count; ++i, offset = offset + 2 * size > span ? 0 : offset + size) {
    if (g_rank == 0) MPI_Send(data + offset, (int)size, MPI_BYTE, 1, 1, MPI_COMM_WORLD);
    else MPI_Recv(sink + offset, (int)size, MPI_BYTE, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
  if (g_rank == 0) MPI_Recv(&ack, 1, MPI_BYTE, 1, 2, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  else MPI_Send(&ack, 1, MPI_BYTE, 0, 2, MPI_COMM_WORLD);
  return (double)size * count / (MPI_Wtime() - start);
}

/* The same through a lavaflow channel: copied in and out with lf_channel_send/recv when
 * `data` is given, else zero-copy (reserve/commit, peek/release, bytes untouched). The
 * acknowledgement comes back on `ack` (a lavaflow channel too, so caller progress works). */
static double lavaflow_stream(lf_channel_t *channel, lf_channel_t *ack, const char *data, size_t data_size, char *sink,
                              size_t size, int count) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  char byte = 0;
  size_t got = 0, offset = 0;
  for (int i = 0; i < count; ++i, offset = data_size ? (offset + size) % data_size : 0) {
    if (g_rank == 0 && data != NULL) {
      CHECK(lf_channel_send(channel, data + offset, size, -1));
    } else if (g_rank == 0) {
      void *room = NULL;
      CHECK(lf_channel_reserve(channel, size, -1, &room));
      CHECK(lf_channel_commit(channel, size));
    } else if (data != NULL) {
      CHECK(lf_channel_recv(channel, sink, size, &got, -1));
    } else {
      const void *message = NULL;
      CHECK(lf_channel_peek(channel, -1, &message, &got));
      CHECK(lf_channel_release(channel));
    }
  }
  if (g_rank == 0) CHECK(lf_channel_recv(ack, &byte, 1, &got, -1));
  else CHECK(lf_channel_send(ack, &byte, 1, -1));
  return (double)size * count / (MPI_Wtime() - start);
}

/* The stream's count for `total` bytes of `size`-byte messages. */
static int stream_count(size_t total, size_t size) {
  const size_t count = total / size;
  return count < 4 ? 4 : (int)count;
}

static void print_stream_row(const char *name, double bytes_per_s, const char *baseline, double ratio) {
  if (baseline == NULL) printf("| %-52s | %10.3f | %-26s | %8s |\n", name, bytes_per_s / 1e9, "(baseline)", "");
  else printf("| %-52s | %10.3f | %-26s | %7.2fx |\n", name, bytes_per_s / 1e9, baseline, ratio);
}

static void print_stream_header(const char *title) {
  printf("\n%s\n| %-52s | %10s | %-26s | %8s |\n|%.*s|%.*s|%.*s|%.*s|\n", title, "operation", "GB/s", "baseline", "ratio", 54,
         "------------------------------------------------------", 12, "------------", 28,
         "----------------------------", 10, "----------");
}

/* The system's transparent huge page mode, under the table ("always [madvise] never"). */
static void print_thp_mode(void) {
  char mode[128] = "unknown";
  FILE *file = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (file != NULL) {
    if (fgets(mode, sizeof mode, file) == NULL) snprintf(mode, sizeof mode, "unknown");
    fclose(file);
  }
  mode[strcspn(mode, "\n")] = '\0';
  printf("(transparent huge pages: %s; malloc's buffers get them only in mode \"always\")\n", mode);
}

/* `size` bytes on transparent huge pages where the system grants them (2 MiB-aligned,
 * MADV_HUGEPAGE): raw MPI as it runs where THP is "always", or with buffers so advised.
 * `*mapping` is what to munmap (`size` + 2 MiB bytes). */
enum { kHugePage = 2u << 20 };
static char *alloc_huge(size_t size, void **mapping) {
  *mapping = mmap(NULL, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (*mapping == MAP_FAILED) {
    perror("bench_mpi: mmap");
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  char *aligned = (char *)(((uintptr_t)*mapping + kHugePage - 1) & ~(uintptr_t)(kHugePage - 1));
  madvise(aligned, size, MADV_HUGEPAGE);
  memset(aligned, 0x5a, size);
  return aligned;
}

static void bench_bandwidth(void) {
  if (g_rank == 0) print_stream_header("Streaming bandwidth over MPI (payload GB/s; ratio: lavaflow / raw, higher is better)");
  const size_t sizes[] = {64u << 10, 1u << 20, 16u << 20};
  const int pairs = g_quick ? 1 : 5;
  const size_t total = g_quick ? 32u << 20 : 1u << 30;
  const size_t largest_ring = smallest_ring(16u << 20);
  char *data = malloc(largest_ring), *sink = malloc(largest_ring);
  memset(data, 0x5a, largest_ring);
  memset(sink, 0, largest_ring);
  void *huge_mappings[2];
  char *huge_data = alloc_huge(largest_ring, &huge_mappings[0]), *huge_sink = alloc_huge(largest_ring, &huge_mappings[1]);
  for (int s = 0; s < 3; ++s) {
    /* Each rank's ring is `ring` bytes: the raw rows' second and third baselines cycle
       through as many (malloc's pages, then huge pages; lavaflow's ring takes huge pages
       where whole ones fit: from 4 MiB rings on). */
    const uint64_t ring = smallest_ring(sizes[s]);
    lf_channel_t *channel = open_channel(0, sizes[s], ring, 0, 0);
    lf_channel_t *ack = open_channel(1, 1, 0, 0, 0);
    const int count = stream_count(total, sizes[s]);
    double raw[3][5], lf[5], ratio[3][5], copied[5], copied_ratio[5];
    for (int p = 0; p < pairs; ++p) {
      raw[0][p] = raw_stream(data, sink, sizes[s], sizes[s], count);
      raw[1][p] = raw_stream(data, sink, ring, sizes[s], count);
      raw[2][p] = raw_stream(huge_data, huge_sink, ring, sizes[s], count);
      lf[p] = lavaflow_stream(channel, ack, NULL, 0, sink, sizes[s], count);
      copied[p] = lavaflow_stream(channel, ack, data, sizes[s], sink, sizes[s], count);
      for (int b = 0; b < 3; ++b) ratio[b][p] = lf[p] / raw[b][p];
      copied_ratio[p] = copied[p] / raw[0][p];
    }
    if (g_rank == 0) {
      char names[3][80], baselines[3][40], name[80];
      snprintf(names[0], sizeof names[0], "raw MPI_Send/Recv, %zu KiB, one buffer", sizes[s] >> 10);
      snprintf(names[1], sizeof names[1], "raw MPI_Send/Recv, %zu KiB, over %llu KiB", sizes[s] >> 10,
               (unsigned long long)(ring >> 10));
      snprintf(names[2], sizeof names[2], "raw MPI_Send/Recv, %zu KiB, over %llu KiB, THP", sizes[s] >> 10,
               (unsigned long long)(ring >> 10));
      snprintf(baselines[0], sizeof baselines[0], "raw, one buffer");
      snprintf(baselines[1], sizeof baselines[1], "raw over %llu KiB", (unsigned long long)(ring >> 10));
      snprintf(baselines[2], sizeof baselines[2], "raw over %llu KiB, THP", (unsigned long long)(ring >> 10));
      for (int b = 0; b < 3; ++b) print_stream_row(names[b], bench_median(raw[b], pairs), NULL, 0);
      snprintf(name, sizeof name, "lavaflow zero-copy, %zu KiB, %llu KiB rings", sizes[s] >> 10,
               (unsigned long long)(ring >> 10));
      for (int b = 0; b < 3; ++b) print_stream_row(name, bench_median(lf, pairs), baselines[b], bench_median(ratio[b], pairs));
      snprintf(name, sizeof name, "lavaflow send/recv, %zu KiB, one buffer", sizes[s] >> 10);
      print_stream_row(name, bench_median(copied, pairs), baselines[0], bench_median(copied_ratio, pairs));
    }
    CHECK(lf_channel_destroy(channel));
    CHECK(lf_channel_destroy(ack));
    MPI_Barrier(MPI_COMM_WORLD);
  }
  if (g_rank == 0) print_thp_mode();
  free(data);
  free(sink);
  for (int m = 0; m < 2; ++m) munmap(huge_mappings[m], largest_ring + kHugePage);
}

/* ---- compression ---------------------------------------------------------------------- */

/* A float32 field as simulations and sensors write it: smooth, noisy, stored with a
 * quantum of 1/4. zstd -1 shrinks it about 3.4 times. */
static void fill_floats(char *out, size_t size) {
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i + 4 <= size; i += 4) {
    const size_t row = i / 4 / 1024, col = i / 4 % 1024;
    const double smooth = sin((double)col * 0.02 + (double)row * 0.001) * cos((double)row * 0.013) * 100.0;
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    const double noise = (double)(x >> 11) / 9007199254740992.0 - 0.5;
    const float value = (float)(round((smooth + noise) * 4) / 4);
    memcpy(out + i, &value, 4);
  }
}

static void fill_random(char *out, size_t size) {
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    memcpy(out + i, &x, 8);
  }
}

static void bench_codec(void) {
  if (g_rank == 0)
    print_stream_header("Compression over MPI: effective throughput (payload GB/s) of 4 MiB messages; wire ratio = payload / wire bytes");
  const size_t size = 4u << 20, data_size = 64u << 20;
  const size_t total = g_quick ? 32u << 20 : 256u << 20;
  const int pairs = g_quick ? 1 : 3, count = stream_count(total, size);
  char *data = malloc(data_size), *sink = malloc(data_size);
  const int32_t compressions[] = {LF_MPI_COMPRESSION_NONE, LF_MPI_COMPRESSION_LZ4, LF_MPI_COMPRESSION_ZSTD,
                                  LF_MPI_COMPRESSION_ADAPTIVE};
  for (int kind = 0; kind < 2; ++kind) {
    const char *what = kind == 0 ? "float32 field" : "random bytes";
    if (kind == 0) fill_floats(data, data_size);
    else fill_random(data, data_size);
    /* The raw row is the median of every run paired with a lavaflow row; it is printed
     * first, so the lavaflow rows wait in `rows`. */
    double raw[4 * 3];
    struct {
      char name[96];
      double speed, ratio;
    } rows[4];
    for (int c = 0; c < 4; ++c) {
      lf_channel_t *channel = open_channel(0, size, 0, compressions[c], 0);
      lf_channel_t *ack = open_channel(1, 1, 0, 0, 0);
      double lf[3], ratio[3];
      for (int p = 0; p < pairs; ++p) {
        raw[c * pairs + p] = raw_stream(data, sink, data_size, size, count);
        lf[p] = lavaflow_stream(channel, ack, data, data_size, sink, size, count);
        ratio[p] = lf[p] / raw[c * pairs + p];
      }
      lf_mpi_channel_stats_t stats = {.struct_size = sizeof stats};
      CHECK(lf_mpi_channel_get_stats(g_mpi, channel, &stats));
      snprintf(rows[c].name, sizeof rows[c].name, "lavaflow %s, %s (wire ratio %.2f)", lf_mpi_compression_name(compressions[c]),
               what, (double)stats.payload_bytes / (double)stats.wire_bytes);
      rows[c].speed = bench_median(lf, pairs);
      rows[c].ratio = bench_median(ratio, pairs);
      CHECK(lf_channel_destroy(channel));
      CHECK(lf_channel_destroy(ack));
      MPI_Barrier(MPI_COMM_WORLD);
    }
    if (g_rank != 0) continue;
    char name[80];
    snprintf(name, sizeof name, "raw MPI_Send/MPI_Recv, %s", what);
    print_stream_row(name, bench_median(raw, 4 * pairs), NULL, 0);
    for (int c = 0; c < 4; ++c) print_stream_row(rows[c].name, rows[c].speed, "raw MPI, same data", rows[c].ratio);
  }
  free(data);
  free(sink);
}

/* ---- encryption ----------------------------------------------------------------------- */

#ifdef LAVAFLOW_HAVE_SODIUM
/* libsodium alone, one core: the primitive lavaflow uses for `cipher`, over `size` bytes
 * of one buffer, `count` times; bytes per second. */
static double sodium_speed(int32_t cipher, unsigned char *buffer, size_t size, int count) {
  unsigned char tag[32], nonce[24] = {0}, header[48] = {0};
  const double start = MPI_Wtime();
  for (int i = 0; i < count; ++i) {
    nonce[0] = (unsigned char)i;
    if (cipher == LF_MPI_CIPHER_XCHACHA20_POLY1305)
      crypto_aead_xchacha20poly1305_ietf_encrypt_detached(buffer, tag, NULL, buffer, size, header, sizeof header, NULL,
                                                          nonce, g_key);
    else if (cipher == LF_MPI_CIPHER_AES256_GCM)
      crypto_aead_aes256gcm_encrypt_detached(buffer, tag, NULL, buffer, size, header, sizeof header, NULL, nonce, g_key);
    else
      crypto_generichash(tag, 32, buffer, size, g_key, sizeof g_key);
  }
  return (double)size * count / (MPI_Wtime() - start);
}
#endif

static void bench_crypto(void) {
#ifdef LAVAFLOW_HAVE_SODIUM
  if (sodium_init() < 0) return;
  if (g_rank == 0)
    print_stream_header("Encryption over MPI: streaming 1 MiB messages (payload GB/s) vs libsodium on one core and vs plaintext");
  const size_t size = 1u << 20;
  const size_t total = g_quick ? 16u << 20 : 512u << 20;
  const int pairs = g_quick ? 1 : 3, count = stream_count(total, size);
  char *data = malloc(size), *sink = malloc(size);
  fill_random(data, size);
  const int32_t ciphers[] = {LF_MPI_CIPHER_NONE, LF_MPI_CIPHER_XCHACHA20_POLY1305, LF_MPI_CIPHER_AES256_GCM,
                             LF_MPI_CIPHER_MAC_ONLY};
  double plain = 0;
  for (int c = 0; c < 4; ++c) {
    if (ciphers[c] == LF_MPI_CIPHER_AES256_GCM && !crypto_aead_aes256gcm_is_available()) continue;
    lf_channel_t *channel = open_channel(0, size, 0, 0, ciphers[c]);
    lf_channel_t *ack = open_channel(1, 1, 0, 0, 0);
    double lf[3], sodium[3], ratio[3];
    for (int p = 0; p < pairs; ++p) {
      lf[p] = lavaflow_stream(channel, ack, data, size, sink, size, count);
      MPI_Barrier(MPI_COMM_WORLD);
      sodium[p] = ciphers[c] == LF_MPI_CIPHER_NONE ? 0 : sodium_speed(ciphers[c], (unsigned char *)sink, size, count / 4 + 1);
      ratio[p] = sodium[p] > 0 ? lf[p] / sodium[p] : 0;
    }
    if (g_rank == 0) {
      char name[80];
      const double speed = bench_median(lf, pairs);
      if (ciphers[c] == LF_MPI_CIPHER_NONE) {
        plain = speed;
        print_stream_row("lavaflow over MPI, no cipher (plaintext)", speed, NULL, 0);
      } else {
        snprintf(name, sizeof name, "libsodium %s, one core", lf_mpi_cipher_name(ciphers[c]));
        print_stream_row(name, bench_median(sodium, pairs), NULL, 0);
        snprintf(name, sizeof name, "lavaflow over MPI, %s", lf_mpi_cipher_name(ciphers[c]));
        print_stream_row(name, speed, "libsodium, one core", bench_median(ratio, pairs));
        print_stream_row(name, speed, "lavaflow plaintext", speed / plain);
      }
    }
    CHECK(lf_channel_destroy(channel));
    CHECK(lf_channel_destroy(ack));
    MPI_Barrier(MPI_COMM_WORLD);
  }
  free(data);
  free(sink);
#else
  if (g_rank == 0) printf("\n(encryption: this build has no libsodium)\n");
#endif
}

/* ---- tensor pool bridge ------------------------------------------------------------------ */

enum { BRIDGE_SOURCE_STREAM = 7, BRIDGE_SINK_STREAM = 9 };

/* Rank 0 publishes `count` float32 frames of `bytes` into its pool and its bridge end forwards
 * each; rank 1's end publishes them into its pool, where a pool consumer reads each. Payload
 * bytes per second, timed on rank 0 until rank 1's acknowledgement. */
static double bridge_stream(lf_context_t *context, const char *data, uint32_t bytes, int count) {
  const int source = g_rank == 0;
  lf_mpi_channel_params_t mpi_channel = {.field_mask = LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT, .transport = LF_TRANSPORT_MPI};
  lf_mpi_pool_bridge_params_t params = {.field_mask = LF_MPI_POOL_BRIDGE_PARAM_FIELD_CHANNEL, .mpi_channel = &mpi_channel};
  lf_pool_producer_t *producer = NULL;
  lf_pool_consumer_t *consumer = NULL;
  if (source) CHECK(lf_pool_producer_attach(context, BRIDGE_SOURCE_STREAM, NULL, &producer));
  lf_mpi_pool_bridge_t *bridge = NULL;
  CHECK(lf_mpi_pool_bridge_create(g_mpi, g_rank ^ 1, g_next_id++, source ? LF_MPI_POOL_BRIDGE_SOURCE : LF_MPI_POOL_BRIDGE_SINK,
                                  source ? BRIDGE_SOURCE_STREAM : BRIDGE_SINK_STREAM, &params, &bridge));
  if (!source) CHECK(lf_pool_consumer_attach(context, BRIDGE_SINK_STREAM, NULL, &consumer));
  lf_channel_t *ack = open_channel(1, 1, 0, 0, 0);
  lf_pool_tensor_t tensor = {.dtype = LF_DTYPE_FLOAT32, .major_order = LF_ORDER_ROW, .ndims = 2,
                             .dims = {(int32_t)(bytes / 1024), 256}};
  MPI_Barrier(MPI_COMM_WORLD);
  const double start = MPI_Wtime();
  uint32_t forwarded = 0;
  for (int k = 0; k < count; ++k) {
    tensor.timestamp_ns = (uint64_t)k + 1;
    if (source) CHECK(lf_pool_producer_publish(producer, &tensor, data, bytes));
    CHECK(lf_mpi_pool_bridge_forward(bridge, 1, -1, &forwarded));
    if (!source) {
      lf_pool_view_t view = {.struct_size = sizeof view};
      lf_status_t status;
      while ((status = lf_pool_consumer_poll(consumer, &view)) == LF_WOULD_BLOCK) {}
      CHECK(status);
      if (view.bytes != bytes || view.tensor.timestamp_ns != (uint64_t)k + 1) {
        fprintf(stderr, "bench_mpi: bridge frame %d arrived as %u bytes, timestamp %llu\n", k, view.bytes,
                (unsigned long long)view.tensor.timestamp_ns);
        MPI_Abort(MPI_COMM_WORLD, 1);
      }
      CHECK(lf_pool_consumer_release(consumer));
    }
  }
  char byte = 0;
  size_t got = 0;
  if (source) CHECK(lf_channel_recv(ack, &byte, 1, &got, -1));
  else CHECK(lf_channel_send(ack, &byte, 1, -1));
  const double seconds = MPI_Wtime() - start;
  lf_mpi_pool_bridge_stats_t stats = {.struct_size = sizeof stats};
  CHECK(lf_mpi_pool_bridge_get_stats(bridge, &stats));
  if (stats.frames != (uint64_t)count || stats.source_drops != 0 || stats.rejected != 0) {
    fprintf(stderr, "bench_mpi rank %d: the bridge moved %llu of %d frames (%llu dropped)\n", g_rank,
            (unsigned long long)stats.frames, count, (unsigned long long)stats.source_drops);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  CHECK(lf_channel_destroy(ack));
  CHECK(lf_mpi_pool_bridge_destroy(bridge));
  if (consumer != NULL) CHECK(lf_pool_consumer_detach(consumer));
  if (producer != NULL) CHECK(lf_pool_producer_detach(producer));
  MPI_Barrier(MPI_COMM_WORLD);
  return (double)bytes * count / seconds;
}

static void bench_bridge(lf_context_t *context) {
  if (g_rank == 0)
    print_stream_header("Tensor pool bridge over MPI: frames published on rank 0, read from rank 1's pool (payload GB/s)");
  const uint32_t sizes[] = {64u << 10, 1u << 20};
  const int pairs = g_quick ? 1 : 3;
  char *data = malloc(1u << 20), *sink = malloc(1u << 20);
  fill_random(data, 1u << 20);
  for (int s = 0; s < 2; ++s) {
    const int count = stream_count(g_quick ? 16u << 20 : 256u << 20, sizes[s]);
    double raw[3], bridge[3], ratio[3];
    for (int p = 0; p < pairs; ++p) {
      raw[p] = raw_stream(data, sink, sizes[s], sizes[s], count);
      bridge[p] = bridge_stream(context, data, sizes[s], count);
      ratio[p] = bridge[p] / raw[p];
    }
    if (g_rank == 0) {
      char name[80];
      snprintf(name, sizeof name, "raw MPI_Send/MPI_Recv, %u KiB, one buffer", sizes[s] >> 10);
      print_stream_row(name, bench_median(raw, pairs), NULL, 0);
      snprintf(name, sizeof name, "pool bridge, %u KiB frames (%.0f frames/s)", sizes[s] >> 10,
               bench_median(bridge, pairs) / sizes[s]);
      print_stream_row(name, bench_median(bridge, pairs), "raw MPI, same bytes", bench_median(ratio, pairs));
    }
  }
  free(data);
  free(sink);
}

/* One pool per host for the bridge section: a fresh base directory (the same path on both
 * hosts) with a driver of this run's own. */
static lf_pool_driver_t *start_bridge_driver(lf_context_t *context) {
  static lf_pool_profile_t profile = {.name = "default", .header_slots = 64, .pool_count = 2,
                                      .pools = {{.pool_id = 1, .stride_bytes = 64u << 10}, {.pool_id = 2, .stride_bytes = 1u << 20}}};
  lf_pool_driver_params_t params = {.field_mask = LF_POOL_DRIVER_PARAM_FIELD_PROFILES | LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS |
                                                  LF_POOL_DRIVER_PARAM_FIELD_FLAGS,
                                    .profiles = &profile, .profile_count = 1, .dynamic_streams = 1,
                                    .flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT};
  lf_pool_driver_t *driver = NULL;
  CHECK(lf_pool_driver_create(context, &params, &driver));
  return driver;
}

int main(int argc, char **argv) {
  g_rank = mpi_world_start_pair(&argc, &argv, "bench_mpi");
  int sections = 0;  /* bits: 1 latency, 2 bandwidth, 4 codec, 8 crypto, 16 bridge */
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
    else if (strcmp(argv[i], "--depth") == 0 && i + 1 < argc) g_depth = (uint32_t)strtoul(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--chunk") == 0 && i + 1 < argc) g_chunk = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--section") == 0 && i + 1 < argc) {
      const char *name = argv[++i];
      sections |= strcmp(name, "latency") == 0 ? 1 : strcmp(name, "bandwidth") == 0 ? 2 : strcmp(name, "codec") == 0 ? 4
                : strcmp(name, "crypto") == 0 ? 8 : strcmp(name, "bridge") == 0 ? 16 : 0;
    }
  }
  if (sections == 0) sections = 31;
  /* A base directory of this run's own (the same path on both hosts): the bridge section
     runs a pool driver per host in it. */
  char base[] = "/dev/shm/lf-bench-mpi-XXXXXX";
  const int two_hosts = mpi_world_host_dir(base, sizeof base);
  lf_context_params_t context_params = {.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR, .base_dir = base};
  lf_context_t *context = NULL;
  CHECK(lf_context_create(&context_params, &context));
  CHECK(lf_mpi_attach(context, MPI_COMM_WORLD, NULL, &g_mpi));
  lf_pool_driver_t *driver = (sections & 16) && (g_rank == 0 || two_hosts) ? start_bridge_driver(context) : NULL;
  MPI_Barrier(MPI_COMM_WORLD);  /* (the driver listens before the other rank of its host attaches) */
  lf_mpi_info_t info = {.struct_size = sizeof info};
  CHECK(lf_mpi_get_info(g_mpi, &info));
  const char *reason = NULL;
  CHECK(lf_mpi_get_peer_reason(g_mpi, g_rank ^ 1, &reason));
  if (g_rank == 0)
    printf("bench_mpi: 2 ranks, %s progress, %u worker threads (LAVAFLOW_MPI_WORKERS), pipeline depth %s, chunk size %s, peer: %s\n",
           info.progress == LF_MPI_PROGRESS_THREAD ? "thread" : "caller", info.worker_threads,
           g_depth != 0 ? "set by --depth" : "lavaflow's default", g_chunk != 0 ? "set by --chunk" : "lavaflow's default", reason);
  if (sections & 1) bench_latency();
  if (sections & 2) bench_bandwidth();
  if (sections & 4) bench_codec();
  if (sections & 8) bench_crypto();
  if (sections & 16) bench_bridge(context);
  MPI_Barrier(MPI_COMM_WORLD);  /* (every pool client detached before its driver goes) */
  if (driver != NULL) CHECK(lf_pool_driver_destroy(driver));
  CHECK(lf_mpi_detach(g_mpi));
  CHECK(lf_context_destroy(context));
  mpi_world_remove_host_dir(base, two_hosts);
  MPI_Finalize();
  return 0;
}

/* bench_channel: channel latency and bandwidth between two processes, against raw baselines
 * measured in the same run on the same two pinned cores:
 *   - a shared-memory atomic ping-pong (flag only; with a 64 B and a 4 KiB memcpy each way),
 *   - a futex sleep/wake ping-pong,
 *   - a raw two-copy shared-memory ring (bandwidth),
 *   - a Unix socketpair (latency and bandwidth).
 * Latency is the round trip divided by two. The lavaflow side uses the shared-memory transport
 * (the peer is another process), busy-polling (LF_WAIT_SPIN) or sleeping (LF_WAIT_SLEEP).
 *
 *   bench_channel [--quick] [--latency-only | --bandwidth-only] [--verbose]   (--verbose: every run, on stderr)
 */
#define _GNU_SOURCE
#include "bench_common.h"

#include <lavaflow/lavaflow.h>

#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_quick;
static char g_self[4096];

static void die(const char *what) {
  fprintf(stderr, "bench_channel: %s: %s\n", what, lf_last_error_message());
  exit(1);
}

/* ---- raw baselines (bench_raw_pingpong in bench_common.c; a socketpair here) ----------- */

static double socket_pingpong(size_t size, int rounds) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  static unsigned char buffer[65536];
  pid_t pid = fork();
  if (pid == 0) {
    bench_pin(1);
    for (int i = 0; i < rounds; ++i) {
      size_t got = 0;
      while (got < size) got += (size_t)read(sv[1], buffer + got, size - got);
      if (write(sv[1], buffer, size) != (ssize_t)size) _exit(1);
    }
    _exit(0);
  }
  bench_pin(0);
  uint64_t start = 0;
  const int warm = rounds / 10;
  for (int i = 0; i < rounds; ++i) {
    if (i == warm) start = bench_now_ns();
    if (write(sv[0], buffer, size) != (ssize_t)size) exit(1);
    size_t got = 0;
    while (got < size) got += (size_t)read(sv[0], buffer + got, size - got);
  }
  double ns = (double)(bench_now_ns() - start) / (double)(rounds - warm) / 2.0;
  waitpid(pid, NULL, 0);
  close(sv[0]);
  close(sv[1]);
  return ns;
}

/* The ring size for streaming `size`-byte messages, for the raw ring and lavaflow alike: a
 * power of two of at least 4 MiB that holds at least four messages with their headers. */
static uint64_t stream_capacity(size_t size) {
  uint64_t capacity = 4u << 20;
  while (capacity / 4 < size + 64) capacity <<= 1;
  return capacity;
}

/* A raw two-copy SPSC ring in shared memory: stream_capacity(size) bytes of `size`-byte slots. */
typedef struct {
  _Alignas(64) atomic_ulong head;
  _Alignas(64) atomic_ulong tail;
  _Alignas(64) unsigned char data[];
} RawRing;

static double raw_ring_bandwidth(size_t size, uint64_t messages) {
  const uint64_t slots = stream_capacity(size) / size;
  const size_t bytes = sizeof(RawRing) + slots * size;
  RawRing *r = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  unsigned char *scratch = malloc(size);
  memset(scratch, 1, size);
  pid_t pid = fork();
  if (pid == 0) {
    bench_pin(1);
    for (uint64_t i = 0; i < messages; ++i) {
      while (atomic_load_explicit(&r->tail, memory_order_acquire) == i) {
      }
      memcpy(scratch, r->data + (i % slots) * size, size);
      atomic_store_explicit(&r->head, i + 1, memory_order_release);
    }
    _exit(0);
  }
  bench_pin(0);
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < messages; ++i) {
    while (i - atomic_load_explicit(&r->head, memory_order_acquire) >= slots) {
    }
    memcpy(r->data + (i % slots) * size, scratch, size);
    atomic_store_explicit(&r->tail, i + 1, memory_order_release);
  }
  waitpid(pid, NULL, 0);
  double gbps = (double)(size * messages) / (double)(bench_now_ns() - start);
  munmap(r, bytes);
  free(scratch);
  return gbps;
}

static double socket_bandwidth(size_t size, uint64_t messages) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  unsigned char *buffer = malloc(size);
  memset(buffer, 1, size);
  pid_t pid = fork();
  if (pid == 0) {
    bench_pin(1);
    uint64_t total = size * messages, got = 0;
    while (got < total) {
      ssize_t n = read(sv[1], buffer, size);
      if (n <= 0) _exit(1);
      got += (uint64_t)n;
    }
    _exit(0);
  }
  bench_pin(0);
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < messages; ++i) {
    size_t sent = 0;
    while (sent < size) sent += (size_t)write(sv[0], buffer + sent, size - sent);
  }
  waitpid(pid, NULL, 0);
  double gbps = (double)(size * messages) / (double)(bench_now_ns() - start);
  close(sv[0]);
  close(sv[1]);
  free(buffer);
  return gbps;
}

/* ---- lavaflow ------------------------------------------------------------------------- */

enum { MODE_COPY = 0, MODE_ZERO_COPY = 1 };

static lf_channel_params_t params_for(int32_t role, int32_t wait, uint64_t capacity, uint64_t max_message) {
  lf_channel_params_t p = {.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_WAIT_MODE |
                                         LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT,
                           .role = role, .wait_mode = wait, .connect_timeout_ms = 10000};
  if (capacity) {
    p.field_mask |= LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE;
    p.capacity = capacity;
    p.max_message_size = max_message;
  }
  return p;
}

/* Moves one message: copy (send/recv) or zero-copy (reserve/commit without writing the
 * payload; peek/release without reading it: the hand-off alone). */
static void put(lf_channel_t *c, const void *data, size_t size, int mode) {
  if (mode == MODE_COPY) {
    if (lf_channel_send(c, data, size, -1) != LF_OK) die("send");
    return;
  }
  void *slot;
  if (lf_channel_reserve(c, size, -1, &slot) != LF_OK) die("reserve");
  memcpy(slot, data, size < 8 ? size : 8); /* a header's worth */
  if (lf_channel_commit(c, size) != LF_OK) die("commit");
}

static size_t take(lf_channel_t *c, void *buffer, size_t capacity, int mode) {
  size_t size = 0;
  if (mode == MODE_COPY) {
    if (lf_channel_recv(c, buffer, capacity, &size, -1) != LF_OK) die("recv");
    return size;
  }
  const void *data;
  if (lf_channel_peek(c, -1, &data, &size) != LF_OK) die("peek");
  if (lf_channel_release(c) != LF_OK) die("release");
  return size;
}

/* The echo peer: exec'd as `bench_channel --echo NAME WAIT MODE ROUNDS`. */
static int echo_peer(const char *name, int32_t wait, int mode, int rounds) {
  bench_pin(1);
  lf_context_t *context;
  if (lf_context_create(NULL, &context) != LF_OK) die("context");
  char ping[96], pong[96];
  snprintf(ping, sizeof ping, "%s-ping", name);
  snprintf(pong, sizeof pong, "%s-pong", name);
  lf_channel_params_t as_consumer = params_for(LF_CHANNEL_CONSUMER, wait, 0, 0);
  lf_channel_params_t as_producer = params_for(LF_CHANNEL_PRODUCER, wait, 0, 0);
  lf_channel_t *in, *out;
  if (lf_channel_open(context, ping, &as_consumer, &in) != LF_OK) die("open ping");
  if (lf_channel_open(context, pong, &as_producer, &out) != LF_OK) die("open pong");
  static unsigned char buffer[256 << 10];
  for (int i = 0; i < rounds; ++i) put(out, buffer, take(in, buffer, sizeof buffer, mode), mode);
  lf_channel_destroy(out);
  lf_channel_destroy(in);
  lf_context_destroy(context);
  return 0;
}

static pid_t spawn_self(char *const args[]) {
  pid_t pid = fork();
  if (pid == 0) {
    execv(g_self, args);
    _exit(127);
  }
  return pid;
}

static double lf_pingpong(size_t size, int32_t wait, int mode, int rounds) {
  static int counter;
  char name[64], ping[96], pong[96], wait_text[8], mode_text[8], rounds_text[16];
  snprintf(name, sizeof name, "bench-%d-%d", (int)getpid(), ++counter);
  snprintf(ping, sizeof ping, "%s-ping", name);
  snprintf(pong, sizeof pong, "%s-pong", name);
  lf_context_t *context;
  if (lf_context_create(NULL, &context) != LF_OK) die("context");
  lf_channel_params_t as_producer = params_for(LF_CHANNEL_PRODUCER, wait, 0, 0);
  lf_channel_params_t as_consumer = params_for(LF_CHANNEL_CONSUMER, wait, 0, 0);
  lf_channel_t *out, *in;
  if (lf_channel_create(context, ping, &as_producer, &out) != LF_OK) die("create ping");
  if (lf_channel_create(context, pong, &as_consumer, &in) != LF_OK) die("create pong");
  snprintf(wait_text, sizeof wait_text, "%d", wait);
  snprintf(mode_text, sizeof mode_text, "%d", mode);
  snprintf(rounds_text, sizeof rounds_text, "%d", rounds);
  char *args[] = {g_self, "--echo", name, wait_text, mode_text, rounds_text, NULL};
  pid_t pid = spawn_self(args);
  bench_pin(0);
  static unsigned char buffer[256 << 10];
  uint64_t start = 0;
  const int warm = rounds / 10;
  for (int i = 0; i < rounds; ++i) {
    if (i == warm) start = bench_now_ns();
    put(out, buffer, size, mode);
    take(in, buffer, sizeof buffer, mode);
  }
  double ns = (double)(bench_now_ns() - start) / (double)(rounds - warm) / 2.0;
  waitpid(pid, NULL, 0);
  lf_channel_destroy(out);
  lf_channel_destroy(in);
  lf_context_destroy(context);
  return ns;
}

/* The streaming sink: exec'd as `bench_channel --sink NAME MODE MESSAGES`. */
static int sink_peer(const char *name, int mode, uint64_t messages) {
  bench_pin(1);
  lf_context_t *context;
  if (lf_context_create(NULL, &context) != LF_OK) die("context");
  lf_channel_params_t as_consumer = params_for(LF_CHANNEL_CONSUMER, LF_WAIT_ADAPTIVE, 0, 0);
  lf_channel_t *in;
  if (lf_channel_open(context, name, &as_consumer, &in) != LF_OK) die("open sink");
  unsigned char *buffer = malloc(16u << 20);
  for (uint64_t i = 0; i < messages; ++i) take(in, buffer, 16u << 20, mode);
  free(buffer);
  lf_channel_destroy(in);
  lf_context_destroy(context);
  return 0;
}

static double lf_bandwidth(size_t size, int mode, uint64_t messages) {
  static int counter;
  char name[64], mode_text[8], messages_text[24];
  snprintf(name, sizeof name, "bench-stream-%d-%d", (int)getpid(), ++counter);
  lf_context_t *context;
  if (lf_context_create(NULL, &context) != LF_OK) die("context");
  const uint64_t capacity = stream_capacity(size);
  lf_channel_params_t as_producer = params_for(LF_CHANNEL_PRODUCER, LF_WAIT_ADAPTIVE, capacity, capacity / 2 - 16);
  lf_channel_t *out;
  if (lf_channel_create(context, name, &as_producer, &out) != LF_OK) die("create stream");
  snprintf(mode_text, sizeof mode_text, "%d", mode);
  snprintf(messages_text, sizeof messages_text, "%llu", (unsigned long long)messages);
  char *args[] = {g_self, "--sink", name, mode_text, messages_text, NULL};
  pid_t pid = spawn_self(args);
  bench_pin(0);
  unsigned char *data = malloc(size);
  memset(data, 1, size);
  /* wait until the sink is attached, so connecting is not timed */
  lf_channel_info_t info = {.struct_size = sizeof info};
  do lf_channel_get_info(out, &info);
  while (info.scope == 0);
  uint64_t start = bench_now_ns();
  for (uint64_t i = 0; i < messages; ++i) {
    if (mode == MODE_COPY) {
      if (lf_channel_send(out, data, size, -1) != LF_OK) die("send");
    } else { /* zero-copy: the producer writes the payload in place (one copy in all) */
      void *slot;
      if (lf_channel_reserve(out, size, -1, &slot) != LF_OK) die("reserve");
      memcpy(slot, data, size);
      if (lf_channel_commit(out, size) != LF_OK) die("commit");
    }
  }
  waitpid(pid, NULL, 0);
  double gbps = (double)(size * messages) / (double)(bench_now_ns() - start);
  free(data);
  lf_channel_destroy(out);
  lf_context_destroy(context);
  return gbps;
}

/* ---- measurement ------------------------------------------------------------------------
 * On a shared 2-core VM the hypervisor moves the virtual CPUs between physical cores (and
 * sometimes onto two hyperthreads of one core) while the benchmark runs: one run is easily off
 * by 30%, and a baseline measured a minute before its subject says little. So every ratio comes
 * from pairs: a baseline run and a subject run back to back, g_reps times; the table shows the
 * median of the subject's runs and the median of the pairs' ratios. */
enum { KIND_RAW, KIND_SOCKET, KIND_LAVAFLOW };

typedef struct {
  int kind;
  size_t size;
  int32_t wait; /* KIND_RAW: 1 = futex sleep/wake; KIND_LAVAFLOW: the wait mode */
  int mode;
} LatencyCase;

static int g_reps = 11;
static int g_verbose;

static double run_latency(LatencyCase c, int rounds) {
  if (c.kind == KIND_RAW) return bench_raw_pingpong(c.size, c.wait, rounds);
  if (c.kind == KIND_SOCKET) return socket_pingpong(c.size, rounds);
  return lf_pingpong(c.size, c.wait, c.mode, rounds);
}

static double median_latency(LatencyCase c, int rounds) {
  double runs[32];
  for (int r = 0; r < g_reps; ++r) runs[r] = run_latency(c, rounds);
  return bench_median(runs, g_reps);
}

static void paired_latency_row(const char *name, LatencyCase subject, const char *baseline_name, LatencyCase baseline,
                               int rounds) {
  double runs[32], ratios[32];
  for (int r = 0; r < g_reps; ++r) {
    double base = run_latency(baseline, rounds);
    runs[r] = run_latency(subject, rounds);
    ratios[r] = runs[r] / base;
    if (g_verbose) fprintf(stderr, "  %s: baseline %.1f, subject %.1f\n", name, base, runs[r]);
  }
  bench_table_row_ratio(name, bench_median(runs, g_reps), baseline_name, bench_median(ratios, g_reps));
}

typedef struct {
  double raw, socket, copy, zero, copy_ratio, zero_ratio;
} StreamRow;

static StreamRow measure_stream(size_t size, uint64_t messages) {
  double raw[32], copy[32], zero[32], copy_ratio[32], zero_ratio[32];
  const int reps = g_reps < 5 ? g_reps : 5;
  for (int r = 0; r < reps; ++r) {
    raw[r] = raw_ring_bandwidth(size, messages);
    copy[r] = lf_bandwidth(size, MODE_COPY, messages);
    zero[r] = lf_bandwidth(size, MODE_ZERO_COPY, messages);
    copy_ratio[r] = copy[r] / raw[r];
    zero_ratio[r] = zero[r] / raw[r];
    if (g_verbose) fprintf(stderr, "  stream %zu B: raw %.2f, copy %.2f, zero-copy %.2f GB/s\n", size, raw[r], copy[r], zero[r]);
  }
  StreamRow row = {bench_median(raw, reps), socket_bandwidth(size, messages / (size == 64 ? 8 : 1)), bench_median(copy, reps),
                   bench_median(zero, reps), bench_median(copy_ratio, reps), bench_median(zero_ratio, reps)};
  return row;
}

static void latency_tables(int rounds, int sleep_rounds);
static void bandwidth_table(void);

int main(int argc, char **argv) {
  ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
  if (n > 0) g_self[n] = '\0';
  if (argc == 6 && strcmp(argv[1], "--echo") == 0) return echo_peer(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
  if (argc == 5 && strcmp(argv[1], "--sink") == 0) return sink_peer(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 10));
  int latency_only = 0, bandwidth_only = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
    else if (strcmp(argv[i], "--latency-only") == 0) latency_only = 1;
    else if (strcmp(argv[i], "--bandwidth-only") == 0) bandwidth_only = 1;
    else if (strcmp(argv[i], "--verbose") == 0) g_verbose = 1;
    else {
      fprintf(stderr, "usage: bench_channel [--quick] [--latency-only | --bandwidth-only] [--verbose]\n");
      return 2;
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (g_quick) g_reps = 1;
  const int rounds = g_quick ? 2000 : 40000;
  const int sleep_rounds = g_quick ? 200 : 4000;

  printf("lavaflow %s, two processes pinned to CPUs 0 and 1, %s\n", lf_version_string(),
         g_quick ? "quick run (numbers not meaningful)"
                 : "11 baseline/subject pairs per latency row, 5 per bandwidth row; medians of runs and of ratios");
  if (!bandwidth_only) latency_tables(rounds, sleep_rounds);
  if (!latency_only) bandwidth_table();
  return 0;
}

static void latency_tables(int rounds, int sleep_rounds) {
  const LatencyCase flag = {KIND_RAW, 0, 0, 0}, raw64 = {KIND_RAW, 64, 0, 0}, raw4k = {KIND_RAW, 4096, 0, 0};
  bench_table_header("One-way latency (round trip / 2), busy-polling");
  bench_table_row("raw atomic ping-pong, flag only", median_latency(flag, rounds), NULL, 0);
  bench_table_row("raw atomic ping-pong + 64 B memcpy", median_latency(raw64, rounds), NULL, 0);
  bench_table_row("raw atomic ping-pong + 4 KiB memcpy", median_latency(raw4k, rounds), NULL, 0);
  const size_t sizes[] = {8, 64, 4096, 65536};
  for (int s = 0; s < 4; ++s) {
    char name[64];
    const LatencyCase copy = {KIND_LAVAFLOW, sizes[s], LF_WAIT_SPIN, MODE_COPY};
    const LatencyCase zero = {KIND_LAVAFLOW, sizes[s], LF_WAIT_SPIN, MODE_ZERO_COPY};
    snprintf(name, sizeof name, "lavaflow copy, %zu B", sizes[s]);
    if (sizes[s] == 64) paired_latency_row(name, copy, "raw + 64 B memcpy", raw64, rounds);
    else if (sizes[s] == 4096) paired_latency_row(name, copy, "raw + 4 KiB memcpy", raw4k, rounds);
    else paired_latency_row(name, copy, "raw flag only", flag, rounds);
    snprintf(name, sizeof name, "lavaflow zero-copy hand-off, %zu B", sizes[s]);
    paired_latency_row(name, zero, "raw flag only", flag, rounds);
  }
  const LatencyCase sock8 = {KIND_SOCKET, 8, 0, 0}, sock4k = {KIND_SOCKET, 4096, 0, 0};
  paired_latency_row("socketpair, 8 B", sock8, "raw flag only", flag, rounds / 8);
  paired_latency_row("socketpair, 4 KiB", sock4k, "raw flag only", flag, rounds / 8);

  bench_table_header("One-way latency, sleeping (futex wake each way)");
  const LatencyCase futex = {KIND_RAW, 0, 1, 0}, sleeping = {KIND_LAVAFLOW, 64, LF_WAIT_SLEEP, MODE_COPY};
  bench_table_row("raw futex ping-pong", median_latency(futex, sleep_rounds), NULL, 0);
  paired_latency_row("lavaflow copy, 64 B, LF_WAIT_SLEEP", sleeping, "raw futex ping-pong", futex, sleep_rounds);

}

static void bandwidth_table(void) {
  printf("\nStreaming bandwidth, GB/s (one producer process, one consumer process; rings of the same size)\n");
  printf("| %-10s | %10s | %10s | %10s | %10s | %16s | %16s |\n", "size", "raw ring", "socketpair", "lf copy", "lf zero-cp",
         "copy / raw ring", "zero-cp / raw");
  printf("|------------|------------|------------|------------|------------|------------------|------------------|\n");
  const size_t stream_sizes[] = {64, 4096, 65536, 1u << 20, 16u << 20};
  const char *stream_names[] = {"64 B", "4 KiB", "64 KiB", "1 MiB", "16 MiB"};
  for (int s = 0; s < 5; ++s) {
    size_t size = stream_sizes[s];
    uint64_t bytes = g_quick ? (8u << 20) : (512ull << 20);
    uint64_t messages = bytes / size < 16 ? 16 : bytes / size;
    if (size == 64 && !g_quick) messages = 2000000;
    StreamRow row = measure_stream(size, messages);
    printf("| %-10s | %10.2f | %10.2f | %10.2f | %10.2f | %15.2fx | %15.2fx |\n", stream_names[s], row.raw, row.socket,
           row.copy, row.zero, row.copy_ratio, row.zero_ratio);
  }
}

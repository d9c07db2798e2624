/* bench_pool: the tensor pool's zero-copy hand-off between two processes, against raw
 * baselines measured in the same run:
 *   latency: a frame ping-pong (the peer answers each frame of SIZE with a 64 B frame on a
 *     second stream; one-way = round trip / 2) for 64 B, 4 KiB, 1 MiB and 16 MiB frames, the
 *     consumer busy-polling or sleeping on the futex; the producer writes one byte of each frame
 *     (its own write of the payload is not the hand-off's cost). Baselines: the raw atomic
 *     ping-pong (spinning / futex) and a raw memcpy of the frame (what a copying transport pays).
 *   rate: frames a producer publishes per second (writing 64 B or the whole 1 MiB frame) while
 *     1 or 3 consumer processes read them, against the raw loop that writes the same bytes.
 *   bench_pool [--quick]          (the peers are this program again: --peer ...) */
#define _GNU_SOURCE
#include "bench_common.h"

#include <lavaflow/lavaflow.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_quick;
static char g_self[4096];
static char g_base[256];

static void die(const char *what) {
  fprintf(stderr, "bench_pool: %s: %s\n", what, lf_last_error_message());
  exit(1);
}

static lf_context_t *context(void) {
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR;
  params.base_dir = g_base;
  lf_context_t *ctx = NULL;
  if (lf_context_create(&params, &ctx) != LF_OK) die("lf_context_create");
  return ctx;
}

static lf_pool_producer_t *producer(lf_context_t *ctx, uint32_t stream) {
  lf_pool_producer_params_t p = {.field_mask = LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER, .start_driver = 0};
  lf_pool_producer_t *out = NULL;
  if (lf_pool_producer_attach(ctx, stream, &p, &out) != LF_OK) die("lf_pool_producer_attach");
  return out;
}

static lf_pool_consumer_t *consumer(lf_context_t *ctx, uint32_t stream, int sleep) {
  lf_pool_consumer_params_t p = {0};
  p.field_mask = LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER | LF_POOL_CONSUMER_PARAM_FIELD_SPIN_US |
                 LF_POOL_CONSUMER_PARAM_FIELD_CONNECT_TIMEOUT;
  p.start_driver = 0;
  p.spin_us = sleep ? 0 : 1000000;
  p.connect_timeout_ms = 60000;  /* (a loaded machine: the smoke run shares its cores with other tests) */
  lf_pool_consumer_t *out = NULL;
  const lf_status_t status = lf_pool_consumer_attach(ctx, stream, &p, &out);
  if (status != LF_OK) {
    fprintf(stderr, "bench_pool: lf_pool_consumer_attach: %s %s\n", lf_status_name(status), lf_last_error_message());
    exit(1);
  }
  return out;
}

static const lf_pool_tensor_t *bytes_tensor(uint32_t bytes) {
  static lf_pool_tensor_t t;
  memset(&t, 0, sizeof t);
  t.dtype = LF_DTYPE_UINT8;
  t.major_order = LF_ORDER_ROW;
  t.ndims = 1;
  t.dims[0] = (int32_t)bytes;
  t.timestamp_ns = 1;
  return &t;
}

/* Publishes one frame of `bytes`, writing `write` bytes of it. */
static void publish(lf_pool_producer_t *p, uint32_t bytes, uint32_t write, uint8_t value) {
  void *payload = NULL;
  lf_status_t s;
  while ((s = lf_pool_producer_claim(p, bytes, &payload)) == LF_ERR_CLOSED) usleep(100);
  if (s != LF_OK) die("lf_pool_producer_claim");
  memset(payload, value, write);
  if (lf_pool_producer_commit(p, bytes_tensor(bytes), bytes) != LF_OK) die("lf_pool_producer_commit");
}

/* The next frame: busy-polling (wait with a long spin) or sleeping (no spin); returns its first byte. */
static uint8_t receive(lf_pool_consumer_t *c) {
  lf_pool_view_t v = {.struct_size = sizeof v};
  lf_status_t s;
  while ((s = lf_pool_consumer_wait(c, &v, 1000000000)) != LF_OK)
    if (s != LF_TIMEOUT && s != LF_EPOCH_CHANGED) die("lf_pool_consumer_wait");
  const uint8_t first = *(const uint8_t *)v.payload;
  lf_pool_consumer_release(c);
  return first;
}

/* Waits until `c` is on the epoch `p` publishes into. */
static void follow(lf_pool_consumer_t *c, uint64_t epoch) {
  for (int i = 0; i < 5000; ++i) {
    lf_pool_view_t v = {.struct_size = sizeof v};
    if (lf_pool_consumer_poll(c, &v) == LF_OK) lf_pool_consumer_release(c);
    lf_pool_counters_t k = {.struct_size = sizeof k};
    lf_pool_consumer_get_counters(c, &k);
    if (k.epoch >= epoch) return;
    usleep(1000);
  }
  die("a consumer never reached the producer's epoch");
}

static uint64_t epoch_of(lf_pool_producer_t *p) {
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  lf_pool_producer_get_info(p, &info);
  return info.epoch;
}

/* ---- the peers (this program with --peer) --------------------------------------------- */

/* Echo: consume stream 1 (frames of any size), answer each with 64 B on stream 2. */
static int peer_echo(int sleep, int rounds) {
  bench_pin(1);
  lf_context_t *ctx = context();
  lf_pool_consumer_t *in = consumer(ctx, 1, sleep);
  lf_pool_producer_t *out = producer(ctx, 2);
  printf("ready %llu\n", (unsigned long long)epoch_of(out));
  fflush(stdout);
  for (int i = 0; i < rounds; ++i) publish(out, 64, 1, receive(in));
  lf_pool_producer_detach(out);
  lf_pool_consumer_detach(in);
  lf_context_destroy(ctx);
  return 0;
}

/* Reader: consume stream 3 until a frame whose first byte is 0xFF; print what was read. */
static int peer_read(void) {
  bench_pin(1);
  lf_context_t *ctx = context();
  lf_pool_consumer_t *in = consumer(ctx, 3, 1);
  printf("ready 0\n");
  fflush(stdout);
  while (receive(in) != 0xFF) {
  }
  lf_pool_counters_t k = {.struct_size = sizeof k};
  lf_pool_consumer_get_counters(in, &k);
  printf("read %llu gap %llu late %llu\n", (unsigned long long)k.frames_read, (unsigned long long)k.drops_gap,
         (unsigned long long)k.drops_late);
  lf_pool_consumer_detach(in);
  lf_context_destroy(ctx);
  return 0;
}

static pid_t spawn_peer(char *const args[], FILE **out_stream, unsigned long long *out_epoch) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    execv(g_self, args);
    _exit(127);
  }
  close(fds[1]);
  *out_stream = fdopen(fds[0], "r");
  if (fscanf(*out_stream, "ready %llu", out_epoch) != 1) die("a peer did not start");
  return pid;
}

/* ---- measurements --------------------------------------------------------------------- */

static double pool_pingpong(uint32_t bytes, int sleep, int rounds) {
  char sleep_text[4], rounds_text[16];
  snprintf(sleep_text, sizeof sleep_text, "%d", sleep);
  snprintf(rounds_text, sizeof rounds_text, "%d", rounds);
  lf_context_t *ctx = context();
  lf_pool_producer_t *out = producer(ctx, 1);
  lf_pool_consumer_t *in = consumer(ctx, 2, sleep);
  char *args[] = {g_self, "--peer", "echo", sleep_text, rounds_text, NULL};
  FILE *peer_out = NULL;
  unsigned long long peer_epoch = 0;
  pid_t pid = spawn_peer(args, &peer_out, &peer_epoch);
  follow(in, peer_epoch);
  bench_pin(0);
  usleep(20000); /* the peer follows our epoch */
  const int warm = rounds / 10;
  uint64_t start = 0;
  for (int i = 0; i < rounds; ++i) {
    if (i == warm) start = bench_now_ns();
    publish(out, bytes, 1, (uint8_t)i);
    if (receive(in) != (uint8_t)i) die("the echo answered another frame");
  }
  const double ns = (double)(bench_now_ns() - start) / (double)(rounds - warm) / 2.0;
  waitpid(pid, NULL, 0);
  fclose(peer_out);
  lf_pool_consumer_detach(in);
  lf_pool_producer_detach(out);
  lf_context_destroy(ctx);
  return ns;
}

static void copy_frame(void *arg) {
  static uint8_t *from, *to;
  const size_t bytes = *(const size_t *)arg;
  if (from == NULL) {
    from = calloc(1, 16u << 20);
    to = calloc(1, 16u << 20);
  }
  memcpy(to, from, bytes);
  __asm__ volatile("" : : "r"(to) : "memory");
}

/* Frames per second a producer publishes (writing `write` bytes of each) with `readers` consumer processes. */
static double pool_rate(uint32_t bytes, uint32_t write, int readers, int frames, char *report, size_t report_size) {
  lf_context_t *ctx = context();
  lf_pool_producer_t *out = producer(ctx, 3);
  pid_t pids[3];
  FILE *streams[3];
  char *args[] = {g_self, "--peer", "read", NULL};
  for (int r = 0; r < readers; ++r) {
    unsigned long long e = 0;
    pids[r] = spawn_peer(args, &streams[r], &e);
  }
  usleep(50000); /* the readers follow our epoch */
  bench_pin(0);
  const uint64_t start = bench_now_ns();
  for (int i = 0; i < frames; ++i) publish(out, bytes, write, (uint8_t)(i % 255));
  const double seconds = (double)(bench_now_ns() - start) / 1e9;
  usleep(20000);
  publish(out, bytes, 1, 0xFF); /* the readers stop at this one */
  report[0] = '\0';
  for (int r = 0; r < readers; ++r) {
    unsigned long long read = 0, gap = 0, late = 0;
    if (fscanf(streams[r], " read %llu gap %llu late %llu", &read, &gap, &late) == 3) {
      size_t used = strlen(report);
      snprintf(report + used, report_size - used, "%s%llu/%llu/%llu", r ? ", " : "", read, gap, late);
    }
    fclose(streams[r]);
    waitpid(pids[r], NULL, 0);
  }
  lf_pool_producer_detach(out);
  lf_context_destroy(ctx);
  return frames / seconds;
}

/* The raw producer: writes each frame into the next of 8 frame buffers, as the pool's producer
 * cycles through its 8 slots. */
static uint8_t *g_raw_frames;
static void raw_write(void *arg) {
  static uint32_t next;
  const uint32_t write = *(const uint32_t *)arg;
  uint8_t *frame = g_raw_frames + (size_t)(next++ % 8) * write;
  memset(frame, 7, write);
  __asm__ volatile("" : : "r"(frame) : "memory");
}

int main(int argc, char **argv) {
  ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
  if (n <= 0) return 1;
  g_self[n] = '\0';
  const char *base = getenv("BENCH_POOL_BASE");
  if (argc >= 3 && strcmp(argv[1], "--peer") == 0) {
    snprintf(g_base, sizeof g_base, "%s", base != NULL ? base : "/dev/shm");
    if (strcmp(argv[2], "echo") == 0 && argc == 5) return peer_echo(atoi(argv[3]), atoi(argv[4]));
    if (strcmp(argv[2], "read") == 0) return peer_read();
    return 2;
  }
  g_quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  snprintf(g_base, sizeof g_base, "/dev/shm/lavaflow-bench-pool-%d", (int)getpid());
  if (mkdir(g_base, 0700) != 0) die("mkdir");
  setenv("BENCH_POOL_BASE", g_base, 1);
  signal(SIGPIPE, SIG_IGN);

  /* One driver for the whole run, with a profile that holds every frame size. */
  lf_context_t *ctx = context();
  static const lf_pool_profile_t profile = {
      .name = "default", .header_slots = 8, .pool_count = 4, .pools = {{1, 64}, {2, 4096}, {3, 1u << 20}, {4, 16u << 20}}};
  lf_pool_driver_params_t dp = {0};
  dp.field_mask = LF_POOL_DRIVER_PARAM_FIELD_PROFILES | LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS | LF_POOL_DRIVER_PARAM_FIELD_PREFAULT;
  dp.profiles = &profile;
  dp.profile_count = 1;
  dp.dynamic_streams = 1;
  dp.prefault = 1;
  lf_pool_driver_t *driver = NULL;
  if (lf_pool_driver_create(ctx, &dp, &driver) != LF_OK) die("lf_pool_driver_create");

  const int rounds = g_quick ? 2000 : 50000;
  const uint32_t sizes[] = {64, 4096, 1u << 20, 16u << 20};
  const char *names[] = {"64 B", "4 KiB", "1 MiB", "16 MiB"};
  for (int sleep = 0; sleep <= 1; ++sleep) {
    const double floor = bench_raw_pingpong(0, sleep, rounds);
    char title[128];
    snprintf(title, sizeof title, "tensor pool one-way latency, consumer %s (ping-pong / 2)", sleep ? "sleeping (futex)" : "busy-polling");
    bench_table_header(title);
    bench_table_row(sleep ? "raw futex ping-pong" : "raw atomic ping-pong", floor, NULL, 0);
    double first = 0;
    for (int i = 0; i < 4; ++i) {
      const double ns = pool_pingpong(sizes[i], sleep, sizes[i] >= (1u << 20) ? rounds / 5 : rounds);
      if (i == 0) first = ns;
      char row[64];
      snprintf(row, sizeof row, "pool %s frame", names[i]);
      bench_table_row(row, ns, sleep ? "raw futex ping-pong" : "raw atomic ping-pong", floor);
      if (i > 0) {
        snprintf(row, sizeof row, "  %s vs 64 B frame", names[i]);
        bench_table_row_ratio(row, ns, "pool 64 B frame", ns / first);
      }
      if (!sleep) {
        size_t bytes = sizes[i];
        const double copy = bench_best_ns(copy_frame, &bytes, sizes[i] >= (1u << 20) ? 50 : 20000, 5);
        snprintf(row, sizeof row, "  raw memcpy of %s", names[i]);
        bench_table_row_ratio(row, copy, "pool frame", copy / ns);
      }
    }
  }

  g_raw_frames = calloc(8, 1u << 20);
  const int frames = g_quick ? 20000 : 500000;
  const uint32_t rate_sizes[] = {64, 1u << 20};
  for (int s = 0; s < 2; ++s) {
    const uint32_t bytes = rate_sizes[s];
    const int count = bytes > 64 ? frames / 50 : frames;
    char title[128];
    snprintf(title, sizeof title, "tensor pool frame rate, %s frames written whole (ns per frame; readers: read/gap/late)", s ? "1 MiB" : "64 B");
    bench_table_header(title);
    uint32_t write = bytes;
    const double raw = bench_best_ns(raw_write, &write, (uint64_t)count, 3);
    bench_table_row("raw write of the frame (8 buffers)", raw, NULL, 0);
    double one = 0;
    for (int readers = 1; readers <= 3; readers += 2) {
      char report[256];
      const double rate = pool_rate(bytes, bytes, readers, count, report, sizeof report);
      char row[160];
      snprintf(row, sizeof row, "pool, %d reader%s (%.0f k frames/s; %s)", readers, readers > 1 ? "s" : "", rate / 1e3, report);
      bench_table_row(row, 1e9 / rate, "raw write of the frame (8 buffers)", raw);
      if (readers == 1) one = rate;
      else bench_table_row_ratio("  rate with 3 readers vs 1", 1e9 / rate, "1 reader", rate / one);
    }
  }
  lf_pool_driver_destroy(driver);
  lf_context_destroy(ctx);
  char command[300];
  snprintf(command, sizeof command, "rm -rf '%s'", g_base);
  return system(command) == 0 ? 0 : 1;
}

/* bench_sync: a timeline semaphore ping-pong between two processes (one signals N and waits
 * for N+1, the other waits for N and signals N+1), against raw baselines measured in the same
 * run on the same two pinned cores:
 *   - a raw atomic spin ping-pong on one shared 64-bit counter (the semaphore's own protocol
 *     without lavaflow: store 2k-1, spin until 2k), for LF_WAIT_SPIN and LF_WAIT_ADAPTIVE
 *     (which spins first); the two-flag ping-pong of bench_channel is shown too;
 *   - a raw futex sleep/wake ping-pong, for LF_WAIT_SLEEP.
 * One-way latency is the round trip divided by two. Each row alternates baseline and subject
 * runs and reports the median of the subject's runs and of the per-pair ratios.
 *
 *   bench_sync [--quick] [--verbose]     (--verbose: every run, on stderr)
 */
#define _GNU_SOURCE
#include "bench_common.h"

#include <lavaflow/lavaflow.h>

#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int g_quick, g_verbose, g_reps = 31;
static char g_self[4096];

static void die(const char *what) {
  fprintf(stderr, "bench_sync: %s: %s\n", what, lf_last_error_message());
  exit(1);
}

static lf_semaphore_params_t wait_params(int32_t mode) {
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_WAIT_MODE, .wait_mode = mode};
  return params;
}

/* The baseline: one shared counter, each side stores the next value and spins for the other's. */
static double raw_counter_pingpong(int rounds) {
  _Atomic uint64_t *value = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (value == MAP_FAILED) die("mmap");
  atomic_store(value, 0);
  pid_t pid = fork();
  if (pid == 0) {
    bench_pin(1);
    for (uint64_t k = 1; k <= (uint64_t)rounds; ++k) {
      while (atomic_load_explicit(value, memory_order_acquire) < 2 * k - 1) __builtin_ia32_pause();
      atomic_store_explicit(value, 2 * k, memory_order_release);
    }
    _exit(0);
  }
  bench_pin(0);
  uint64_t start = 0;
  const uint64_t warm = (uint64_t)rounds / 10;
  for (uint64_t k = 1; k <= (uint64_t)rounds; ++k) {
    if (k == warm + 1) start = bench_now_ns();
    atomic_store_explicit(value, 2 * k - 1, memory_order_release);
    while (atomic_load_explicit(value, memory_order_acquire) < 2 * k) __builtin_ia32_pause();
  }
  const double ns = (double)(bench_now_ns() - start) / (double)((uint64_t)rounds - warm) / 2.0;
  waitpid(pid, NULL, 0);
  munmap((void *)value, 4096);
  return ns;
}

/* The peer: exec'd as `bench_sync --peer FD MODE ROUNDS`: receives the semaphore over FD, then
 * for k = 1..ROUNDS waits for 2k-1 and signals 2k. */
static int peer(int fd, int32_t mode, int rounds) {
  bench_pin(1);
  lf_context_t *context;
  if (lf_context_create(NULL, &context) != LF_OK) die("context");
  lf_semaphore_params_t params = wait_params(mode);
  lf_semaphore_t *s;
  if (lf_semaphore_recv(context, fd, &params, -1, &s) != LF_OK) die("recv");
  for (uint64_t k = 1; k <= (uint64_t)rounds; ++k) {
    if (lf_semaphore_wait(s, 2 * k - 1, -1) != LF_OK) die("peer wait");
    if (lf_semaphore_signal(s, 2 * k) != LF_OK) die("peer signal");
  }
  lf_semaphore_destroy(s);
  lf_context_destroy(context);
  return 0;
}

static double semaphore_pingpong(int32_t mode, int rounds) {
  lf_context_t *context;
  if (lf_context_create(NULL, &context) != LF_OK) die("context");
  lf_semaphore_params_t params = wait_params(mode);
  lf_semaphore_t *s;
  if (lf_semaphore_create(context, &params, &s) != LF_OK) die("create");
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) die("socketpair");
  char fd_text[16], mode_text[8], rounds_text[16];
  snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
  snprintf(mode_text, sizeof mode_text, "%d", mode);
  snprintf(rounds_text, sizeof rounds_text, "%d", rounds);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    execl(g_self, g_self, "--peer", fd_text, mode_text, rounds_text, (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  if (lf_semaphore_send(s, sv[0]) != LF_OK) die("send");
  bench_pin(0);
  uint64_t start = 0;
  const uint64_t warm = (uint64_t)rounds / 10;
  for (uint64_t k = 1; k <= (uint64_t)rounds; ++k) {
    if (k == warm + 1) start = bench_now_ns();
    if (lf_semaphore_signal(s, 2 * k - 1) != LF_OK) die("signal");
    if (lf_semaphore_wait(s, 2 * k, -1) != LF_OK) die("wait");
  }
  const double ns = (double)(bench_now_ns() - start) / (double)((uint64_t)rounds - warm) / 2.0;
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the peer failed");
  close(sv[0]);
  lf_semaphore_destroy(s);
  lf_context_destroy(context);
  return ns;
}

/* Alternates baseline and subject runs; prints the row (medians of runs and of ratios). */
enum Baseline { kOneCounter, kTwoFlags, kFutex };

static void paired_row(const char *name, int32_t mode, const char *baseline_name, enum Baseline baseline, int rounds) {
  double runs[64], ratios[64];
  for (int r = 0; r < g_reps; ++r) {
    const double base = baseline == kOneCounter ? raw_counter_pingpong(rounds)
                                                : bench_raw_pingpong(0, baseline == kFutex, rounds);
    runs[r] = semaphore_pingpong(mode, rounds);
    ratios[r] = runs[r] / base;
    if (g_verbose) fprintf(stderr, "  %s: baseline %.1f ns, semaphore %.1f ns\n", name, base, runs[r]);
  }
  bench_table_row_ratio(name, bench_median(runs, g_reps), baseline_name, bench_median(ratios, g_reps));
}

int main(int argc, char **argv) {
  ssize_t n = readlink("/proc/self/exe", g_self, sizeof g_self - 1);
  if (n > 0) g_self[n] = '\0';
  if (argc == 5 && strcmp(argv[1], "--peer") == 0) return peer(atoi(argv[2]), atoi(argv[3]), atoi(argv[4]));
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) g_quick = 1;
    else if (strcmp(argv[i], "--verbose") == 0) g_verbose = 1;
    else {
      fprintf(stderr, "usage: bench_sync [--quick] [--verbose]\n");
      return 2;
    }
  }
  if (g_quick) g_reps = 1;
  const int rounds = g_quick ? 2000 : 20000;
  const int sleep_rounds = g_quick ? 200 : 2000;
  printf("lavaflow %s, two processes pinned to CPUs 0 and 1, %s\n", lf_version_string(),
         g_quick ? "quick run (numbers not meaningful)" : "31 baseline/semaphore pairs per row; medians of runs and of ratios");

  bench_table_header("Semaphore ping-pong, one-way latency (round trip / 2), busy-polling");
  bench_table_row("raw atomic spin, two flags (bench_channel's)", bench_raw_pingpong(0, 0, rounds), NULL, 0);
  bench_table_row("raw atomic spin, one counter", raw_counter_pingpong(rounds), NULL, 0);
  paired_row("semaphore, LF_WAIT_SPIN", LF_WAIT_SPIN, "raw spin, one counter", kOneCounter, rounds);
  paired_row("semaphore, LF_WAIT_SPIN", LF_WAIT_SPIN, "raw spin, two flags", kTwoFlags, rounds);
  paired_row("semaphore, LF_WAIT_ADAPTIVE (default)", LF_WAIT_ADAPTIVE, "raw spin, one counter", kOneCounter, rounds);

  bench_table_header("Semaphore ping-pong, one-way latency, sleeping (futex wake each way)");
  bench_table_row("raw futex ping-pong", bench_raw_pingpong(0, 1, sleep_rounds), NULL, 0);
  paired_row("semaphore, LF_WAIT_SLEEP", LF_WAIT_SLEEP, "raw futex", kFutex, sleep_rounds);
  return 0;
}

#define _GNU_SOURCE
#include "bench_common.h"

#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_best_ns(void (*fn)(void *), void *arg, uint64_t iterations, int repetitions) {
  double best = 0;
  for (int r = 0; r < repetitions; ++r) {
    uint64_t start = bench_now_ns();
    for (uint64_t i = 0; i < iterations; ++i) fn(arg);
    double mean = (double)(bench_now_ns() - start) / (double)iterations;
    if (r == 0 || mean < best) best = mean;
  }
  return best;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double bench_median(double *values, int n) {
  qsort(values, (size_t)n, sizeof *values, compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2.0;
}

void bench_table_header(const char *title) {
  printf("\n%s\n", title);
  printf("| %-44s | %12s | %-28s | %8s |\n", "operation", "ns/op", "baseline", "ratio");
  printf("|%.*s|%.*s|%.*s|%.*s|\n", 46, "----------------------------------------------", 14, "--------------",
         30, "------------------------------", 10, "----------");
}

void bench_table_row(const char *name, double ns, const char *baseline_name, double baseline_ns) {
  if (baseline_name == NULL) {
    printf("| %-44s | %12.1f | %-28s | %8s |\n", name, ns, "(baseline)", "");
  } else {
    bench_table_row_ratio(name, ns, baseline_name, ns / baseline_ns);
  }
}

void bench_table_row_ratio(const char *name, double ns, const char *baseline_name, double ratio) {
  printf("| %-44s | %12.1f | %-28s | %7.2fx |\n", name, ns, baseline_name, ratio);
}

void bench_pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % (int)sysconf(_SC_NPROCESSORS_ONLN), &set);
  sched_setaffinity(0, sizeof set, &set);
}

typedef struct {
  _Alignas(64) atomic_uint ping;
  _Alignas(64) atomic_uint pong;
  _Alignas(64) unsigned char a[65536];
  _Alignas(64) unsigned char b[65536];
} PingPong;

static void futex_wait(atomic_uint *word, unsigned value) { syscall(SYS_futex, word, FUTEX_WAIT, value, NULL, NULL, 0); }
static void futex_wake(atomic_uint *word) { syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0); }

double bench_raw_pingpong(size_t copy, int sleep, int rounds) {
  PingPong *p = mmap(NULL, sizeof *p, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return 0;
  memset(p, 0, sizeof *p);
  static unsigned char scratch[65536];
  if (copy > sizeof scratch) copy = sizeof scratch;
  pid_t pid = fork();
  if (pid == 0) {
    bench_pin(1);
    for (unsigned i = 1; i <= (unsigned)rounds; ++i) {
      while (atomic_load_explicit(&p->ping, memory_order_acquire) != i)
        if (sleep) futex_wait(&p->ping, i - 1);
      if (copy) memcpy(scratch, p->a, copy), memcpy(p->b, scratch, copy);
      atomic_store_explicit(&p->pong, i, memory_order_release);
      if (sleep) futex_wake(&p->pong);
    }
    _exit(0);
  }
  bench_pin(0);
  uint64_t start = 0;
  const unsigned warm = (unsigned)rounds / 10;
  for (unsigned i = 1; i <= (unsigned)rounds; ++i) {
    if (i == warm + 1) start = bench_now_ns();
    if (copy) memcpy(p->a, scratch, copy);
    atomic_store_explicit(&p->ping, i, memory_order_release);
    if (sleep) futex_wake(&p->ping);
    while (atomic_load_explicit(&p->pong, memory_order_acquire) != i)
      if (sleep) futex_wait(&p->pong, i - 1);
    if (copy) memcpy(scratch, p->b, copy);
  }
  double ns = (double)(bench_now_ns() - start) / (double)(rounds - warm) / 2.0;
  waitpid(pid, NULL, 0);
  munmap(p, sizeof *p);
  return ns;
}

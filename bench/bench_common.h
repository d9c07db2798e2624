/* Timing and table printing shared by the benchmarks. */
#ifndef LAVAFLOW_BENCH_COMMON_H
#define LAVAFLOW_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic time in nanoseconds. */
uint64_t bench_now_ns(void);

/* Runs fn(arg) `iterations` times per repetition and returns the best (lowest) mean
 * nanoseconds per call over `repetitions` repetitions: the least disturbed run on a noisy
 * machine. */
double bench_best_ns(void (*fn)(void *), void *arg, uint64_t iterations, int repetitions);

/* The median of n values (reorders them). */
double bench_median(double *values, int n);

/* Table: a header, then one row per measurement with its ratio to a baseline row. */
void bench_table_header(const char *title);
void bench_table_row(const char *name, double ns, const char *baseline_name, double baseline_ns);
/* A row whose ratio was measured separately (e.g. the median of paired runs' ratios). */
void bench_table_row_ratio(const char *name, double ns, const char *baseline_name, double ratio);

/* Pins the calling thread to CPU `cpu` (modulo the CPUs online). */
void bench_pin(int cpu);

/* The raw floor: one-way latency (round trip / 2) of an atomic ping-pong between this process
 * (pinned to CPU 0) and a forked child (CPU 1) over shared anonymous memory; `copy` bytes are
 * memcpy'd each way (0: the flag only); `sleep` makes both sides wait on a futex instead of
 * spinning. */
double bench_raw_pingpong(size_t copy, int sleep, int rounds);

#endif

#include "bench_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

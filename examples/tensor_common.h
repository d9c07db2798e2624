/* What the tensor pool examples share: the stream's profile (1024x1024 float32 frames need a
 * 4 MiB pool) and how a process gets a driver. The first process to run starts the driver
 * embedded, on a thread, with that profile; the others find it listening (LF_ERR_EXISTS) and
 * just attach. With --no-start-driver a standalone driver (`lavaflow driver --config
 * examples/tensor_pool.toml`) must be running. */
#ifndef TENSOR_COMMON_H
#define TENSOR_COMMON_H

#include <lavaflow/lavaflow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TENSOR_ROWS 1024
#define TENSOR_COLS 1024
#define TENSOR_BYTES (TENSOR_ROWS * TENSOR_COLS * 4u)

static inline void die(const char *what, lf_status_t status) {
  fprintf(stderr, "%s: %s: %s\n", what, lf_status_string(status), lf_last_error_message());
  exit(1);
}

/* The host's monotonic clock: lavaflow's own tensor-pool timestamps use it too. */
static inline uint64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Starts this process's embedded driver with the "frames" profile, unless one runs already.
 * Returns it (destroy it last), or NULL when another process's driver serves us. */
static inline lf_pool_driver_t *start_driver_unless_running(lf_context_t *context) {
  static const lf_pool_profile_t frames = {
      .name = "frames", .header_slots = 8, .pool_count = 2, .pools = {{1, 4096}, {2, TENSOR_BYTES}}};
  lf_pool_driver_params_t params = {0};
  params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_PROFILES | LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS;
  params.profiles = &frames;
  params.profile_count = 1;
  params.dynamic_streams = 1;
  lf_pool_driver_t *driver = NULL;
  lf_status_t status = lf_pool_driver_create(context, &params, &driver);
  if (status == LF_ERR_EXISTS) return NULL;
  if (status != LF_OK) die("lf_pool_driver_create", status);
  return driver;
}

#endif

/* tensor_consumer: reads a tensor pool stream in place, in one of the four modes, checks each
 * frame and measures its latency (now - the producer's timestamp); stops when the stream has
 * been idle for --idle-ms, then prints its counters and latency percentiles.
 *   tensor_consumer [--stream N] [--mode stream|latest|decimated:N|rate:HZ] [--idle-ms MS]
 *                   [--no-start-driver] [--expect N]
 * --expect N: fail unless exactly N frames are accounted for (read, dropped or skipped). */
#include "tensor_common.h"

static int compare(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* A frame is the producers' TENSOR_ROWS x TENSOR_COLS float32 grid, element (r, c) = n + r/1000
 * + c/1e6, laid out as its header says: row-major (C, Python) or column-major (Fortran). */
static int frame_ok(const lf_pool_view_t *view) {
  const lf_pool_tensor_t *t = &view->tensor;
  if (view->bytes != TENSOR_BYTES || t->dtype != LF_DTYPE_FLOAT32 || t->ndims != 2 || t->dims[0] != TENSOR_ROWS ||
      t->dims[1] != TENSOR_COLS || t->strides[0] != 0 || t->strides[1] != 0)
    return 0;
  const int column_major = t->major_order == LF_ORDER_COLUMN;
  const float *values = view->payload;
  const float n = values[0];
  const uint32_t probes[][2] = {{0, 0}, {TENSOR_ROWS / 2, TENSOR_COLS / 3}, {TENSOR_ROWS - 1, TENSOR_COLS - 1}, {1, 2}};
  for (int i = 0; i < 4; ++i) {
    const uint32_t r = probes[i][0], c = probes[i][1];
    const float value = column_major ? values[c * TENSOR_ROWS + r] : values[r * TENSOR_COLS + c];
    if (value != n + (float)r * 0.001f + (float)c * 0.000001f) return 0;
  }
  return 1;
}

int main(int argc, char **argv) {
  uint32_t stream = 1, start_driver = 1, idle_ms = 2000;
  long long expect = -1;
  const char *mode_text = "stream";
  lf_pool_consumer_params_t params = {0};
  params.field_mask = LF_POOL_CONSUMER_PARAM_FIELD_MODE | LF_POOL_CONSUMER_PARAM_FIELD_START_DRIVER | LF_POOL_CONSUMER_PARAM_FIELD_PROFILE;
  params.mode = LF_POOL_MODE_STREAM;
  params.profile = "frames";
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--stream") == 0 && i + 1 < argc) stream = (uint32_t)atoi(argv[++i]);
    else if (strcmp(argv[i], "--idle-ms") == 0 && i + 1 < argc) idle_ms = (uint32_t)atoi(argv[++i]);
    else if (strcmp(argv[i], "--no-start-driver") == 0) start_driver = 0;
    else if (strcmp(argv[i], "--expect") == 0 && i + 1 < argc) expect = atoll(argv[++i]);
    else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
      mode_text = argv[++i];
      if (strcmp(mode_text, "stream") == 0) params.mode = LF_POOL_MODE_STREAM;
      else if (strcmp(mode_text, "latest") == 0) params.mode = LF_POOL_MODE_LATEST;
      else if (strncmp(mode_text, "decimated:", 10) == 0) {
        params.mode = LF_POOL_MODE_DECIMATED;
        params.decimation = (uint32_t)atoi(mode_text + 10);
        params.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION;
      } else if (strncmp(mode_text, "rate:", 5) == 0) {
        params.mode = LF_POOL_MODE_RATE_LIMITED;
        params.max_rate_hz = atof(mode_text + 5);
        params.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE;
      } else {
        fprintf(stderr, "unknown mode '%s'\n", mode_text);
        return 2;
      }
    } else {
      fprintf(stderr, "usage: %s [--stream N] [--mode stream|latest|decimated:N|rate:HZ] [--idle-ms MS] [--no-start-driver] [--expect N]\n", argv[0]);
      return 2;
    }
  }
  lf_context_t *context = NULL;
  lf_status_t status = lf_context_create(NULL, &context);
  if (status != LF_OK) die("lf_context_create", status);
  lf_pool_driver_t *driver = start_driver ? start_driver_unless_running(context) : NULL;
  params.start_driver = 0;
  lf_pool_consumer_t *consumer = NULL;
  if ((status = lf_pool_consumer_attach(context, stream, &params, &consumer)) != LF_OK) die("lf_pool_consumer_attach", status);

  enum { kMaxSamples = 100000 };
  static uint64_t latency[kMaxSamples];
  uint32_t samples = 0, bad = 0, row_major = 0, column_major = 0;
  uint64_t first_ns = 0, last_ns = 0, idle_since = monotonic_ns();
  lf_pool_metadata_t meta = {.struct_size = sizeof meta};
  while (1) {
    lf_pool_view_t view = {.struct_size = sizeof view};
    status = lf_pool_consumer_wait(consumer, &view, 100 * 1000 * 1000);
    const uint64_t now = monotonic_ns();
    if (status == LF_OK) {
      const int ok = frame_ok(&view);
      column_major += ok && view.tensor.major_order == LF_ORDER_COLUMN;
      row_major += ok && view.tensor.major_order != LF_ORDER_COLUMN;
      const uint64_t stamp = view.tensor.timestamp_ns;
      if (lf_pool_consumer_release(consumer) == LF_OK) { /* else overwritten while read: counted late */
        bad += !ok;
        if (samples < kMaxSamples && now > stamp) latency[samples++] = now - stamp;
      }
      if (first_ns == 0) { /* the stream's metadata: read once, while its producer is there */
        first_ns = now;
        lf_pool_consumer_get_metadata(consumer, &meta);
      }
      last_ns = now;
      idle_since = now;
    } else if (status != LF_TIMEOUT && status != LF_EPOCH_CHANGED) {
      die("lf_pool_consumer_wait", status);
    }
    const uint64_t idle = (now - idle_since) / 1000000;
    if ((first_ns != 0 && idle >= idle_ms) || idle >= 10000u + idle_ms) break;
  }
  lf_pool_counters_t c = {.struct_size = sizeof c};
  lf_pool_consumer_get_counters(consumer, &c);
  qsort(latency, samples, sizeof latency[0], compare);
  const double seconds = last_ns > first_ns ? (double)(last_ns - first_ns) / 1e9 : 0;
  printf("consumer %-12s stream %u ('%s'): read %llu (%.0f frames/s), drops_gap %llu, drops_late %llu, skipped %llu, bad %u\n",
         mode_text, stream, meta.name, (unsigned long long)c.frames_read, seconds > 0 ? (double)c.frames_read / seconds : 0,
         (unsigned long long)c.drops_gap, (unsigned long long)c.drops_late, (unsigned long long)c.skipped, bad);
  printf("consumer %-12s frames of %ux%u float32: %u row-major, %u column-major\n", mode_text, TENSOR_ROWS, TENSOR_COLS,
         row_major, column_major);
  if (samples > 0)
    printf("consumer %-12s latency: p50 %.1f us, p90 %.1f us, p99 %.1f us, max %.1f us (%u frames)\n", mode_text,
           (double)latency[samples / 2] / 1e3, (double)latency[samples * 9 / 10] / 1e3,
           (double)latency[samples * 99 / 100] / 1e3, (double)latency[samples - 1] / 1e3, samples);
  const unsigned long long accounted = c.frames_read + c.drops_gap + c.drops_late + c.invalid + c.skipped;
  int ok = bad == 0 && c.frames_read > 0;
  if (expect >= 0 && accounted != (unsigned long long)expect) {
    printf("consumer %-12s accounted for %llu frames, expected %lld\n", mode_text, accounted, expect);
    ok = 0;
  }
  lf_pool_consumer_detach(consumer);
  lf_pool_driver_destroy(driver);
  lf_context_destroy(context);
  return ok ? 0 : 1;
}

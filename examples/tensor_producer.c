/* tensor_producer: publishes 1024x1024 float32 frames into a tensor pool stream, written in
 * place (claim, fill, commit), at a steady rate.
 *   tensor_producer [--stream N] [--frames N] [--rate HZ] [--no-start-driver]
 * Element (r, c) of frame n is n + r * 0.001f + c * 0.000001f (tensor_consumer checks it). */
#include "tensor_common.h"

#include <unistd.h>

int main(int argc, char **argv) {
  uint32_t stream = 1, frames = 200, start_driver = 1;
  double rate = 200;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--stream") == 0 && i + 1 < argc) stream = (uint32_t)atoi(argv[++i]);
    else if (strcmp(argv[i], "--frames") == 0 && i + 1 < argc) frames = (uint32_t)atoi(argv[++i]);
    else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc) rate = atof(argv[++i]);
    else if (strcmp(argv[i], "--no-start-driver") == 0) start_driver = 0;
    else {
      fprintf(stderr, "usage: %s [--stream N] [--frames N] [--rate HZ] [--no-start-driver]\n", argv[0]);
      return 2;
    }
  }
  lf_context_t *context = NULL;
  lf_status_t status = lf_context_create(NULL, &context);
  if (status != LF_OK) die("lf_context_create", status);
  lf_pool_driver_t *driver = start_driver ? start_driver_unless_running(context) : NULL;

  lf_pool_producer_params_t params = {0};
  params.field_mask = LF_POOL_PRODUCER_PARAM_FIELD_PROFILE | LF_POOL_PRODUCER_PARAM_FIELD_START_DRIVER;
  params.profile = "frames";
  params.start_driver = 0; /* a driver runs: ours, another process's, or the standalone one */
  lf_pool_producer_t *producer = NULL;
  if ((status = lf_pool_producer_attach(context, stream, &params, &producer)) != LF_OK) die("lf_pool_producer_attach", status);
  lf_pool_metadata_t meta = {.struct_size = sizeof meta};
  snprintf(meta.name, sizeof meta.name, "synthetic camera");
  snprintf(meta.units, sizeof meta.units, "counts");
  meta.attribute_count = 1;
  snprintf(meta.attributes[0].key, sizeof meta.attributes[0].key, "rate_hz");
  snprintf(meta.attributes[0].value, sizeof meta.attributes[0].value, "%g", rate);
  if ((status = lf_pool_producer_set_metadata(producer, &meta)) != LF_OK) die("lf_pool_producer_set_metadata", status);
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  lf_pool_producer_get_info(producer, &info);
  printf("producer: stream %u, epoch %llu, %u slots, frames of %u bytes (%s)\n", stream, (unsigned long long)info.epoch,
         info.nslots, TENSOR_BYTES, info.epoch_dir);
  fflush(stdout);
  sleep(1); /* let consumers started alongside attach first: frames before their attach are not theirs */

  const uint64_t period = (uint64_t)(1e9 / rate), start = monotonic_ns();
  uint32_t published = 0;
  for (uint32_t n = 0; n < frames; ++n) {
    while (monotonic_ns() < start + n * period) usleep(100);
    void *payload = NULL;
    status = lf_pool_producer_claim(producer, TENSOR_BYTES, &payload);
    if (status == LF_ERR_CLOSED) continue; /* the driver revoked our lease: it is being taken again */
    if (status != LF_OK) die("lf_pool_producer_claim", status);
    float *values = payload;
    for (uint32_t r = 0; r < TENSOR_ROWS; ++r)
      for (uint32_t c = 0; c < TENSOR_COLS; ++c) values[r * TENSOR_COLS + c] = (float)n + (float)r * 0.001f + (float)c * 0.000001f;
    lf_pool_tensor_t t = {0};
    t.dtype = LF_DTYPE_FLOAT32;
    t.major_order = LF_ORDER_ROW;
    t.ndims = 2;
    t.dims[0] = TENSOR_ROWS;
    t.dims[1] = TENSOR_COLS;
    t.timestamp_ns = monotonic_ns(); /* consumers measure their latency from this */
    if ((status = lf_pool_producer_commit(producer, &t, TENSOR_BYTES)) != LF_OK) die("lf_pool_producer_commit", status);
    ++published;
  }
  const double seconds = (double)(monotonic_ns() - start) / 1e9;
  printf("producer: published %u frames in %.2f s (%.0f frames/s, %.2f GB/s written in place)\n", published, seconds,
         published / seconds, published * (double)TENSOR_BYTES / seconds / 1e9);
  lf_pool_producer_detach(producer);
  lf_pool_driver_destroy(driver); /* NULL if another process's driver served us */
  lf_context_destroy(context);
  return published == frames ? 0 : 1;
}

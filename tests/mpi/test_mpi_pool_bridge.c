/* The tensor pool bridge (lavaflow_mpi.h) between two ranks, each with a pool of its own (its
 * own base directory and embedded driver, as on two hosts): rank 0 publishes frames into
 * stream 7 of its pool and its bridge end (the source) forwards them; rank 1's end (the sink)
 * publishes them into stream 9 of its pool, where a consumer checks every frame: its shape,
 * dtype, timestamp and bytes, and the metadata it refers to (changed midway). The source's
 * close ends the sink's stream. Over the MPI transport (LAVAFLOW_SCOPE_OVERRIDE=remote, no
 * cipher) a message tampered with on the wire is rejected by the sink (LF_ERR_PROTOCOL),
 * nothing of it published. Bad arguments are refused. */
#define _GNU_SOURCE
#include "mpi_check.h"
#include "mpi_world.h"

#include <lavaflow/lavaflow.h>

#define LF_EXPERIMENTAL /* lf_mpi_set_wire_hook */
#include <lavaflow/experimental.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { FRAMES = 200, METADATA_CHANGE = 100, LEASE_RETAKE = 150, SOURCE_STREAM = 7, SINK_STREAM = 9 };

static int g_rank;
static lf_mpi_t *g_mpi;
static int g_remote;

/* Frame k: float32 rows x 64, or every 50th one 512 KiB; bytes from k. */
static void frame_shape(uint32_t k, lf_pool_tensor_t *t, uint32_t *bytes) {
  memset(t, 0, sizeof *t);
  t->dtype = LF_DTYPE_FLOAT32;
  t->major_order = LF_ORDER_ROW;
  t->ndims = 2;
  t->dims[0] = k % 50 == 49 ? 2048 : (int32_t)(k % 16 + 1);
  t->dims[1] = 64;
  t->timestamp_ns = 1000000ull * k + 1;
  *bytes = (uint32_t)t->dims[0] * 64u * 4u;
}
static void fill(uint8_t *out, uint32_t bytes, uint32_t k) {
  for (uint32_t i = 0; i < bytes; ++i) out[i] = (uint8_t)(k * 13 + i * 7 + (i >> 9));
}

static lf_pool_driver_t *start_driver(lf_context_t *context) {
  static lf_pool_profile_t profile = {.name = "default", .header_slots = 64, .pool_count = 2,
                                      .pools = {{.pool_id = 1, .stride_bytes = 4096}, {.pool_id = 2, .stride_bytes = 1u << 20}}};
  lf_pool_driver_params_t params = {.field_mask = LF_POOL_DRIVER_PARAM_FIELD_PROFILES | LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS |
                                                  LF_POOL_DRIVER_PARAM_FIELD_PREFAULT | LF_POOL_DRIVER_PARAM_FIELD_FLAGS,
                                    .profiles = &profile, .profile_count = 1, .dynamic_streams = 1, .prefault = 0,
                                    .flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT};
  lf_pool_driver_t *driver = NULL;
  MPI_OK(lf_pool_driver_create(context, &params, &driver));
  return driver;
}

static void set_units(lf_pool_producer_t *producer, const char *units) {
  lf_pool_metadata_t metadata = {.struct_size = sizeof metadata, .attribute_count = 1};
  strcpy(metadata.name, "camera 3");
  strcpy(metadata.units, units);
  strcpy(metadata.attributes[0].key, "exposure");
  strcpy(metadata.attributes[0].value, "10 ms");
  MPI_OK(lf_pool_producer_set_metadata(producer, &metadata));
}

static void expect_frame(const lf_pool_view_t *view, uint32_t k) {
  lf_pool_tensor_t t;
  uint32_t bytes = 0;
  frame_shape(k, &t, &bytes);
  MPI_CHECK(view->bytes == bytes && view->tensor.dtype == t.dtype && view->tensor.ndims == 2);
  MPI_CHECK(view->tensor.dims[0] == t.dims[0] && view->tensor.dims[1] == 64 && view->tensor.timestamp_ns == t.timestamp_ns);
  static uint8_t expected[1u << 20];
  fill(expected, bytes, k);
  MPI_CHECK(memcmp(view->payload, expected, bytes) == 0);
}

static lf_mpi_pool_bridge_t *make_bridge(uint32_t channel_id, int32_t side) {
  lf_mpi_pool_bridge_t *bridge = NULL;
  MPI_OK(lf_mpi_pool_bridge_create(g_mpi, g_rank ^ 1, channel_id, side, side == LF_MPI_POOL_BRIDGE_SOURCE ? SOURCE_STREAM : SINK_STREAM,
                                   NULL, &bridge));
  return bridge;
}

static void run_source(lf_context_t *context) {
  lf_pool_producer_t *producer = NULL;
  MPI_OK(lf_pool_producer_attach(context, SOURCE_STREAM, NULL, &producer));
  set_units(producer, "counts");
  lf_mpi_pool_bridge_t *bridge = make_bridge(1, LF_MPI_POOL_BRIDGE_SOURCE);
  uint32_t got = 7;
  MPI_EXPECT(LF_TIMEOUT, lf_mpi_pool_bridge_forward(bridge, 1, 0, &got)); /* nothing published yet */
  MPI_CHECK(got == 0);
  static uint8_t payload[1u << 20];
  for (uint32_t k = 0; k < FRAMES; ++k) {
    if (k == METADATA_CHANGE) set_units(producer, "volts");
    lf_pool_tensor_t t;
    uint32_t bytes = 0;
    frame_shape(k, &t, &bytes);
    fill(payload, bytes, k);
    MPI_OK(lf_pool_producer_publish(producer, &t, payload, bytes));
    MPI_OK(lf_mpi_pool_bridge_forward(bridge, 1, 30000, &got));
    MPI_CHECK(got == 1);
  }
  lf_mpi_pool_bridge_stats_t stats = {.struct_size = sizeof stats};
  MPI_OK(lf_mpi_pool_bridge_get_stats(bridge, &stats));
  MPI_CHECK(stats.side == LF_MPI_POOL_BRIDGE_SOURCE && stats.frames == FRAMES && stats.metadata == 2 && stats.source_drops == 0);
  MPI_OK(lf_mpi_pool_bridge_destroy(bridge));
  MPI_OK(lf_pool_producer_detach(producer));
}

/* Whether the driver of this host shows the stream without a producer within 15 s. */
static int wait_for_no_producer(lf_context_t *context, uint32_t stream_id) {
  for (int i = 0; i < 1500; ++i) {
    lf_pool_stream_status_t streams[4];
    for (int k = 0; k < 4; ++k) streams[k].struct_size = sizeof streams[k];
    uint32_t count = 0;
    MPI_OK(lf_pool_list_streams(context, streams, 4, &count));
    for (uint32_t k = 0; k < count && k < 4; ++k)
      if (streams[k].stream_id == stream_id && streams[k].producer_pid == 0) return 1;
    usleep(10000);
  }
  return 0;
}

static void run_sink(lf_context_t *context) {
  lf_mpi_pool_bridge_t *bridge = make_bridge(1, LF_MPI_POOL_BRIDGE_SINK);
  lf_pool_consumer_t *consumer = NULL;
  MPI_OK(lf_pool_consumer_attach(context, SINK_STREAM, NULL, &consumer));
  for (uint32_t k = 0; k < FRAMES; ++k) {
    if (k == LEASE_RETAKE) {
      /* This process stops its keepalives until the driver revokes the sink's lease (after 3
         missed ones: about 3 s here), as it would for a starved process, and does not take
         a new one yet: the frame cannot be published, and is kept for the next call. Then
         the pool producer takes a new lease by itself, and the bridge publishes the frame. */
      setenv("LAVAFLOW_FAULT_INJECT", "pool_no_keepalive,pool_no_reattach", 1);
      MPI_CHECK(wait_for_no_producer(context, SINK_STREAM));
      uint32_t got = 7;
      MPI_EXPECT(LF_TIMEOUT, lf_mpi_pool_bridge_forward(bridge, 1, 200, &got));
      MPI_CHECK(got == 0 && strstr(lf_last_error_message(), "taken again") != NULL);
      unsetenv("LAVAFLOW_FAULT_INJECT");
    }
    uint32_t got = 0;
    MPI_OK(lf_mpi_pool_bridge_forward(bridge, 1, 30000, &got));
    MPI_CHECK(got == 1);
    lf_pool_view_t view = {.struct_size = sizeof view};
    lf_status_t polled = lf_pool_consumer_poll(consumer, &view);
    for (int tries = 0; polled != LF_OK && tries < 5000; ++tries) {  /* (the consumer follows the new epoch) */
      MPI_CHECK(polled == LF_WOULD_BLOCK || polled == LF_EPOCH_CHANGED);
      usleep(1000);
      polled = lf_pool_consumer_poll(consumer, &view);
    }
    MPI_OK(polled);
    expect_frame(&view, k);
    lf_pool_metadata_t metadata = {.struct_size = sizeof metadata};
    MPI_OK(lf_pool_consumer_get_metadata(consumer, &metadata));
    MPI_CHECK(view.tensor.meta_version == metadata.version && metadata.version == (k < METADATA_CHANGE ? 1u : 2u));
    MPI_CHECK(strcmp(metadata.units, k < METADATA_CHANGE ? "counts" : "volts") == 0);
    MPI_CHECK(strcmp(metadata.name, "camera 3") == 0 && metadata.attribute_count == 1 &&
              strcmp(metadata.attributes[0].value, "10 ms") == 0);
    MPI_OK(lf_pool_consumer_release(consumer));
  }
  MPI_EXPECT(LF_END_OF_STREAM, lf_mpi_pool_bridge_forward(bridge, 1, 30000, NULL));
  lf_mpi_pool_bridge_stats_t stats = {.struct_size = sizeof stats};
  MPI_OK(lf_mpi_pool_bridge_get_stats(bridge, &stats));
  MPI_CHECK(stats.side == LF_MPI_POOL_BRIDGE_SINK && stats.frames == FRAMES && stats.metadata == 2 && stats.rejected == 0);
  lf_pool_counters_t counters = {.struct_size = sizeof counters};
  MPI_OK(lf_pool_consumer_get_counters(consumer, &counters));
  MPI_CHECK(counters.epoch >= 2);  /* the lease was revoked and taken again: a new epoch */
  MPI_OK(lf_mpi_pool_bridge_destroy(bridge));
  MPI_OK(lf_pool_consumer_detach(consumer));
}

/* The wire hook: the bridge message of frame 3 loses its magic. */
static size_t g_tamper_message_bytes;
static int32_t tamper(void *user_data, uint32_t channel_id, uint64_t sequence, uint8_t *frame, size_t *frame_size) {
  (void)user_data;
  if (channel_id == 2 && sequence == 3 && *frame_size >= g_tamper_message_bytes) frame[*frame_size - g_tamper_message_bytes] ^= 0xff;
  return LF_MPI_WIRE_PASS;
}

static void run_tampered(lf_context_t *context, int source) {
  lf_pool_tensor_t t;
  uint32_t bytes = 0;
  frame_shape(0, &t, &bytes);  /* (every frame of this run: 256 bytes, inline in its MPI frame) */
  g_tamper_message_bytes = 128 + bytes;
  if (source) {
    lf_pool_producer_t *producer = NULL;
    MPI_OK(lf_pool_producer_attach(context, SOURCE_STREAM, NULL, &producer));
    MPI_OK(lf_mpi_set_wire_hook(g_mpi, tamper, NULL));
    lf_mpi_pool_bridge_t *bridge = make_bridge(2, LF_MPI_POOL_BRIDGE_SOURCE);
    static uint8_t payload[256];
    for (uint32_t k = 0; k < 5; ++k) {
      fill(payload, bytes, k);
      MPI_OK(lf_pool_producer_publish(producer, &t, payload, bytes));
      MPI_OK(lf_mpi_pool_bridge_forward(bridge, 1, 30000, NULL));
    }
    MPI_Barrier(MPI_COMM_WORLD);
    MPI_OK(lf_mpi_pool_bridge_destroy(bridge));
    MPI_OK(lf_mpi_set_wire_hook(g_mpi, NULL, NULL));
    MPI_OK(lf_pool_producer_detach(producer));
    return;
  }
  lf_mpi_pool_bridge_t *bridge = make_bridge(2, LF_MPI_POOL_BRIDGE_SINK);
  uint32_t got = 0, total = 0;
  lf_status_t status = LF_OK;
  while (status == LF_OK) {
    status = lf_mpi_pool_bridge_forward(bridge, 8, 30000, &got);
    total += got;
  }
  MPI_CHECK(status == LF_ERR_PROTOCOL && total == 3);
  MPI_CHECK(strstr(lf_last_error_message(), "bad magic") != NULL);
  MPI_EXPECT(LF_ERR_PROTOCOL, lf_mpi_pool_bridge_forward(bridge, 1, 0, NULL)); /* stopped for good */
  lf_mpi_pool_bridge_stats_t stats = {.struct_size = sizeof stats};
  MPI_OK(lf_mpi_pool_bridge_get_stats(bridge, &stats));
  MPI_CHECK(stats.frames == 3 && stats.rejected == 1);
  MPI_Barrier(MPI_COMM_WORLD);
  MPI_OK(lf_mpi_pool_bridge_destroy(bridge));
}

static void test_bad_arguments(void) {
  lf_mpi_pool_bridge_t *bridge = NULL;
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_pool_bridge_create(g_mpi, g_rank ^ 1, 3, 5, 1, NULL, &bridge));
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_pool_bridge_create(g_mpi, g_rank ^ 1, 3, LF_MPI_POOL_BRIDGE_SINK, 1, NULL, NULL));
  lf_mpi_pool_bridge_params_t unknown = {.field_mask = 1u << 9};
  MPI_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_mpi_pool_bridge_create(g_mpi, g_rank ^ 1, 3, LF_MPI_POOL_BRIDGE_SINK, 1, &unknown, &bridge));
  MPI_EXPECT(LF_ERR_INVALID_HANDLE, lf_mpi_pool_bridge_create(NULL, g_rank ^ 1, 3, LF_MPI_POOL_BRIDGE_SINK, 1, NULL, &bridge));
  MPI_EXPECT(LF_ERR_INVALID_HANDLE, lf_mpi_pool_bridge_forward(NULL, 1, 0, NULL));
  MPI_EXPECT(LF_ERR_INVALID_HANDLE, lf_mpi_pool_bridge_forward((lf_mpi_pool_bridge_t *)&unknown, 1, 0, NULL));
  lf_mpi_pool_bridge_stats_t stats = {.struct_size = 0};
  MPI_EXPECT(LF_ERR_INVALID_HANDLE, lf_mpi_pool_bridge_get_stats(NULL, &stats));
  MPI_OK(lf_mpi_pool_bridge_destroy(NULL));
}

int main(int argc, char **argv) {
  g_rank = mpi_world_start_pair(&argc, &argv, argv[0]);
  /* One pool per host: one base directory (the same path on both hosts) and one driver. */
  char base[] = "/dev/shm/lf-mpi-pool-bridge-XXXXXX";
  const int two_hosts = mpi_world_host_dir(base, sizeof base);
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR, .base_dir = base};
  lf_context_t *context = NULL;
  MPI_OK(lf_context_create(&params, &context));
  MPI_OK(lf_mpi_attach(context, MPI_COMM_WORLD, NULL, &g_mpi));
  lf_scope_info_t scope = {.struct_size = sizeof scope};
  MPI_OK(lf_mpi_get_peer_scope(g_mpi, g_rank ^ 1, &scope));
  g_remote = scope.level > LF_SCOPE_HOST;
  if (two_hosts) MPI_CHECK(g_remote); /* found, not forced */
  lf_pool_driver_t *driver = g_rank == 0 || two_hosts ? start_driver(context) : NULL;
  MPI_Barrier(MPI_COMM_WORLD); /* (the driver listens before the other rank of its host attaches) */
  test_bad_arguments();
  if (g_rank == 0) run_source(context);
  else run_sink(context);
  if (g_remote) run_tampered(context, g_rank == 0);
  MPI_Barrier(MPI_COMM_WORLD); /* (every client detached before its driver goes) */
  MPI_OK(lf_pool_driver_destroy(driver));
  MPI_OK(lf_mpi_detach(g_mpi));
  MPI_OK(lf_context_destroy(context));
  mpi_world_remove_host_dir(base, two_hosts);
  if (g_rank == 0)
    printf("pool bridge: %d frames %s (ranks on %s)\n", FRAMES, g_remote ? "over MPI, tampering rejected" : "over shared memory",
           two_hosts ? "two hosts" : "one host");
  MPI_Finalize();
  return 0;
}

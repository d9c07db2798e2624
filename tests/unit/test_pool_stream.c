/* The tensor pool through the public API, producer and consumers in one process: frames
 * round-trip with their headers, sizes beyond every pool are refused, every consumer mode
 * accounts for every published frame, lapped and overwritten frames are counted, leases are
 * exclusive, epochs are followed, metadata travels. */
#define _GNU_SOURCE
#include "pool_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct fixture {
  char *base;
  lf_context_t *context;
  lf_pool_driver_t *driver;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  f->context = pool_test_context(&f->base);
  f->driver = pool_test_driver(f->context, NULL);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  LF_OK_(lf_pool_driver_destroy(f->driver));
  LF_OK_(lf_context_destroy(f->context));
  pool_test_remove_dir(f->base);
  free(f->base);
  free(f);
  return 0;
}

static lf_pool_consumer_t *attach_consumer(fixture_t *f, uint32_t stream, int32_t mode, uint32_t decimation, double rate) {
  lf_pool_consumer_params_t p = pool_test_consumer_params(mode);
  if (decimation != 0) {
    p.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_DECIMATION;
    p.decimation = decimation;
  }
  if (rate > 0) {
    p.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_MAX_RATE;
    p.max_rate_hz = rate;
  }
  lf_pool_consumer_t *consumer = NULL;
  LF_OK_(lf_pool_consumer_attach(f->context, stream, &p, &consumer));
  return consumer;
}

static uint64_t accounted(const lf_pool_counters_t *c) {
  return c->frames_read + c->drops_gap + c->drops_late + c->invalid + c->skipped;
}

/* Reads everything due; returns how many frames were read intact (checking each payload). */
static uint64_t drain(lf_pool_consumer_t *c) {
  uint64_t n = 0;
  lf_pool_view_t v = {.struct_size = sizeof v};
  lf_status_t s;
  while ((s = lf_pool_consumer_poll(c, &v)) == LF_OK) {
    assert_true(pool_test_check(v.payload, v.bytes, v.tensor.timestamp_ns - 1));
    if (lf_pool_consumer_release(c) == LF_OK) ++n;
  }
  assert_int_equal(s, LF_WOULD_BLOCK);
  return n;
}

static void frames_round_trip_with_their_headers(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_t *consumer = attach_consumer(f, 1, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 1, 0);
  pool_test_follow(consumer, pool_test_producer_epoch(producer));
  lf_pool_view_t v = {.struct_size = sizeof v};
  LF_EXPECT(LF_WOULD_BLOCK, lf_pool_consumer_poll(consumer, &v));
  const uint32_t sizes[] = {1, 64, 256, 257, 4000, 4096, 0};
  for (uint32_t i = 0; i < 7; ++i) {
    void *payload = NULL;
    LF_OK_(lf_pool_producer_claim(producer, sizes[i], &payload));
    pool_test_fill(payload, sizes[i], i);
    lf_pool_tensor_t t = {0};
    t.dtype = LF_DTYPE_UINT8;
    t.major_order = LF_ORDER_COLUMN;
    t.ndims = 2;
    t.dims[0] = 1;
    t.dims[1] = (int32_t)sizes[i];
    t.timestamp_ns = 1000 + i;
    LF_OK_(lf_pool_producer_commit(producer, &t, sizes[i]));
  }
  for (uint32_t i = 0; i < 7; ++i) {
    LF_OK_(lf_pool_consumer_poll(consumer, &v));
    assert_int_equal(v.seq, i);
    assert_int_equal(v.bytes, sizes[i]);
    assert_int_equal(v.pool_id, sizes[i] <= 256 ? 1 : 2);
    assert_int_equal(v.tensor.dtype, LF_DTYPE_UINT8);
    assert_int_equal(v.tensor.major_order, LF_ORDER_COLUMN);
    assert_int_equal(v.tensor.ndims, 2);
    assert_int_equal(v.tensor.dims[1], sizes[i]);
    assert_int_equal(v.tensor.timestamp_ns, 1000 + i);
    assert_true(pool_test_check(v.payload, sizes[i], i));
    LF_EXPECT(LF_ERR_INVALID_STATE, lf_pool_consumer_poll(consumer, &v));
    LF_OK_(lf_pool_consumer_release(consumer));
  }
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_pool_consumer_release(consumer));
  lf_pool_counters_t c = pool_test_counters(consumer);
  assert_int_equal(c.frames_read, 7);
  assert_int_equal(accounted(&c), 7);
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_pool_producer_get_info(producer, &info));
  assert_int_equal(info.published, 7);
  assert_int_equal(info.nslots, 16);
  assert_int_equal(info.pool_count, 2);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

static void frames_larger_than_every_pool_are_refused(void **state) {
  fixture_t *f = *state;
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 2, 0);
  void *payload = NULL;
  LF_EXPECT(LF_ERR_LIMIT, lf_pool_producer_claim(producer, 4097, &payload));
  LF_EXPECT_MESSAGE("larger than every payload pool");
  uint8_t big[5000] = {0};
  lf_pool_tensor_t t = pool_test_tensor(sizeof big);
  LF_EXPECT(LF_ERR_LIMIT, lf_pool_producer_publish(producer, &t, big, sizeof big));
  /* Bad descriptions are refused and leave the claim open. */
  LF_OK_(lf_pool_producer_claim(producer, 16, &payload));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_pool_producer_claim(producer, 16, &payload));
  t = pool_test_tensor(16);
  t.ndims = 9;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  t = pool_test_tensor(16);
  t.dtype = 12;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  t = pool_test_tensor(16);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 17));
  /* dims, strides, dtype and the byte count must agree: a reader of the tensor stays inside it */
  memset(&t, 0, sizeof t);
  t.dtype = LF_DTYPE_FLOAT64;
  t.major_order = LF_ORDER_ROW;
  t.ndims = 2;
  t.dims[0] = t.dims[1] = INT32_MAX; /* 16 bytes claimed */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  LF_EXPECT_MESSAGE("span more bytes than values_len_bytes");
  t.dims[0] = t.dims[1] = 1; /* 8 of the 16: a contiguous tensor says exactly what it holds */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  LF_EXPECT_MESSAGE("another number of bytes");
  t.dims[0] = 2;
  t.strides[0] = 16, t.strides[1] = 8; /* strided: the last element at 16, ending at 24 > 16 */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  LF_EXPECT_MESSAGE("span more bytes than values_len_bytes");
  t.strides[0] = 0, t.strides[1] = 0;
  t.dims[0] = 1, t.dims[1] = 2;
  t.progress_unit = 1; /* by rows; the spec: a progress unit needs its stride */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  LF_EXPECT_MESSAGE("progress_stride_bytes 0");
  t.progress_stride_bytes = 8; /* rows of 2 float64: 16 bytes apart */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_commit(producer, &t, 16));
  LF_EXPECT_MESSAGE("not the row or column stride");
  LF_OK_(lf_pool_producer_abort(producer));
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_pool_producer_commit(producer, &t, 16));
  LF_OK_(lf_pool_producer_detach(producer));
}

/* K frames published while consumers in every mode poll at their own pace: each accounts for
 * all K as read, gapped, late or skipped, and the mode decides which are read. */
static void every_mode_accounts_for_every_frame(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_t *stream = attach_consumer(f, 3, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_consumer_t *latest = attach_consumer(f, 3, LF_POOL_MODE_LATEST, 0, 0);
  lf_pool_consumer_t *decimated = attach_consumer(f, 3, LF_POOL_MODE_DECIMATED, 5, 0);
  lf_pool_consumer_t *slow = attach_consumer(f, 3, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_consumer_t *rated = attach_consumer(f, 3, LF_POOL_MODE_RATE_LIMITED, 0, 1000.0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 3, 0);
  lf_pool_consumer_t *all[] = {stream, latest, decimated, slow, rated};
  for (int i = 0; i < 5; ++i) pool_test_follow(all[i], pool_test_producer_epoch(producer));
  const uint64_t k = 1000;
  uint64_t stream_read = 0, latest_read = 0, decimated_read = 0, slow_read = 0;
  for (uint64_t n = 0; n < k; ++n) {
    pool_test_publish(producer, 32 + (uint32_t)(n % 200), n);
    stream_read += drain(stream);
    if (n % 7 == 0) latest_read += drain(latest);
    if (n % 3 == 0) decimated_read += drain(decimated);
    if (n % 40 == 0) slow_read += drain(slow);  /* 16 slots: it laps */
    if (n % 50 == 0) drain(rated);
  }
  stream_read += drain(stream);
  latest_read += drain(latest);
  decimated_read += drain(decimated);
  slow_read += drain(slow);
  usleep(5000); /* past the rate limit: the newest frame is due, and with it everything before */
  drain(rated);
  lf_pool_counters_t c = pool_test_counters(stream);
  assert_int_equal(c.frames_read, k);
  assert_int_equal(stream_read, k);
  assert_int_equal(accounted(&c), k);
  c = pool_test_counters(latest);
  assert_int_equal(accounted(&c), k);
  assert_int_equal(c.frames_read, latest_read);
  assert_int_equal(c.drops_gap, 0);
  assert_true(c.skipped > 0);
  c = pool_test_counters(decimated);
  assert_int_equal(accounted(&c), k);
  assert_int_equal(c.frames_read + c.drops_gap, k / 5); /* every 5th is wanted */
  assert_int_equal(c.frames_read, decimated_read);
  c = pool_test_counters(slow);
  assert_int_equal(accounted(&c), k);
  assert_true(c.drops_gap > 0);
  assert_int_equal(c.frames_read, slow_read);
  assert_int_equal(c.frames_read + c.drops_gap, k);
  c = pool_test_counters(rated);
  assert_int_equal(accounted(&c), k);
  assert_true(c.frames_read >= 1);
  LF_OK_(lf_pool_producer_detach(producer));
  for (int i = 0; i < 5; ++i) LF_OK_(lf_pool_consumer_detach(all[i]));
}

static void a_frame_overwritten_while_read_is_late(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_t *consumer = attach_consumer(f, 4, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 4, 0);
  pool_test_follow(consumer, pool_test_producer_epoch(producer));
  pool_test_publish(producer, 100, 0);
  lf_pool_view_t v = {.struct_size = sizeof v};
  LF_OK_(lf_pool_consumer_poll(consumer, &v));
  for (uint64_t n = 1; n <= 16; ++n) pool_test_publish(producer, 100, n); /* laps slot 0 */
  LF_EXPECT(LF_OVERWRITTEN, lf_pool_consumer_release(consumer));
  assert_int_equal(drain(consumer), 16);
  lf_pool_counters_t c = pool_test_counters(consumer);
  assert_int_equal(c.drops_late, 1);
  assert_int_equal(c.frames_read, 16);
  assert_int_equal(accounted(&c), 17);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

static void one_producer_per_stream_and_client_ids_are_unique(void **state) {
  fixture_t *f = *state;
  lf_pool_producer_t *first = pool_test_attach_producer(f->context, 5, 0);
  lf_pool_producer_params_t p = pool_test_producer_params();
  lf_pool_producer_t *second = NULL;
  LF_EXPECT(LF_ERR_BUSY, lf_pool_producer_attach(f->context, 5, &p, &second));
  LF_EXPECT_MESSAGE("already has a producer");
  assert_null(second);
  /* Another stream is fine; a client id already attached is not. */
  p.field_mask |= LF_POOL_PRODUCER_PARAM_FIELD_CLIENT_ID;
  p.client_id = 4242;
  LF_OK_(lf_pool_producer_attach(f->context, 6, &p, &second));
  lf_pool_consumer_params_t cp = pool_test_consumer_params(LF_POOL_MODE_LATEST);
  cp.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_CLIENT_ID;
  cp.client_id = 4242;
  lf_pool_consumer_t *consumer = NULL;
  LF_EXPECT(LF_ERR_EXISTS, lf_pool_consumer_attach(f->context, 5, &cp, &consumer));
  LF_EXPECT_MESSAGE("client id 4242 is already attached");
  LF_OK_(lf_pool_producer_detach(second));
  LF_OK_(lf_pool_consumer_attach(f->context, 5, &cp, &consumer)); /* released with the lease */
  LF_OK_(lf_pool_consumer_detach(consumer));
  LF_OK_(lf_pool_producer_detach(first));
  /* Once the producer left, another may come. */
  LF_OK_(lf_pool_producer_attach(f->context, 5, &p, &second));
  LF_OK_(lf_pool_producer_detach(second));
}

static void consumers_follow_a_new_producer_into_a_new_epoch(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_params_t cp = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  cp.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_NOTIFY_EPOCH;
  cp.notify_epoch = 1;
  lf_pool_consumer_t *consumer = NULL;
  LF_OK_(lf_pool_consumer_attach(f->context, 7, &cp, &consumer));
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 7, 0);
  lf_pool_view_t v = {.struct_size = sizeof v};
  /* The producer's attach moved the stream to a new epoch. */
  LF_EXPECT(LF_EPOCH_CHANGED, lf_pool_consumer_wait(consumer, &v, 2000000000));
  for (uint64_t n = 0; n < 5; ++n) pool_test_publish(producer, 64, n);
  lf_pool_counters_t before = pool_test_counters(consumer);
  const uint64_t old_epoch = pool_test_producer_epoch(producer);
  LF_OK_(lf_pool_producer_detach(producer));
  /* Detaching moves it on again (the consumer may read some of the 5 before it learns of it):
   * what was not read of the old epoch counts as gapped. */
  const uint64_t read = pool_test_follow(consumer, old_epoch + 1);
  lf_pool_counters_t after = pool_test_counters(consumer);
  assert_true(after.epoch > before.epoch);
  assert_int_equal(after.epoch_changes, 2);
  assert_int_equal(after.frames_read, read);
  assert_int_equal(after.drops_gap + after.frames_read, 5);
  producer = pool_test_attach_producer(f->context, 7, 0);
  pool_test_follow(consumer, pool_test_producer_epoch(producer));
  pool_test_publish(producer, 64, 99);
  LF_OK_(lf_pool_consumer_wait(consumer, &v, 2000000000));
  assert_int_equal(v.seq, 0); /* a new epoch starts at sequence 0 */
  assert_true(pool_test_check(v.payload, 64, 99));
  LF_OK_(lf_pool_consumer_release(consumer));
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_pool_producer_get_info(producer, &info));
  assert_int_equal(info.epoch, pool_test_counters(consumer).epoch);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

static void metadata_travels_with_a_version(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_t *consumer = attach_consumer(f, 8, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 8, 0);
  pool_test_follow(consumer, pool_test_producer_epoch(producer));
  lf_pool_metadata_t meta = {.struct_size = sizeof meta};
  lf_pool_metadata_t got = {.struct_size = sizeof got};
  /* Wait for the producer's epoch. */
  lf_pool_view_t v = {.struct_size = sizeof v};
  pool_test_publish(producer, 8, 0);
  LF_OK_(lf_pool_consumer_wait(consumer, &v, 2000000000));
  LF_OK_(lf_pool_consumer_release(consumer));
  LF_OK_(lf_pool_consumer_get_metadata(consumer, &got));
  assert_int_equal(got.version, 0);
  snprintf(meta.name, sizeof meta.name, "camera-0");
  snprintf(meta.units, sizeof meta.units, "photons");
  meta.attribute_count = 2;
  snprintf(meta.attributes[0].key, sizeof meta.attributes[0].key, "exposure_us");
  snprintf(meta.attributes[0].value, sizeof meta.attributes[0].value, "250");
  snprintf(meta.attributes[1].key, sizeof meta.attributes[1].key, "gain");
  meta.attributes[1].value[0] = 0;
  LF_OK_(lf_pool_producer_set_metadata(producer, &meta));
  pool_test_publish(producer, 8, 1);
  LF_OK_(lf_pool_consumer_wait(consumer, &v, 2000000000));
  assert_int_equal(v.tensor.meta_version, 1);
  LF_OK_(lf_pool_consumer_release(consumer));
  LF_OK_(lf_pool_consumer_get_metadata(consumer, &got));
  assert_int_equal(got.version, 1);
  assert_string_equal(got.name, "camera-0");
  assert_string_equal(got.units, "photons");
  assert_int_equal(got.attribute_count, 2);
  assert_string_equal(got.attributes[0].key, "exposure_us");
  assert_string_equal(got.attributes[0].value, "250");
  assert_string_equal(got.attributes[1].key, "gain");
  /* Bad records are refused whole. */
  meta.attribute_count = 17;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_set_metadata(producer, &meta));
  meta.attribute_count = 1;
  memset(meta.name, 'x', sizeof meta.name);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_set_metadata(producer, &meta));
  LF_EXPECT_MESSAGE("not NUL-terminated");
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

static void waiting_sleeps_until_the_producer_wakes_it(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_t *consumer = attach_consumer(f, 9, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 9, 0);
  pool_test_follow(consumer, pool_test_producer_epoch(producer));
  lf_pool_view_t v = {.struct_size = sizeof v};
  LF_EXPECT(LF_TIMEOUT, lf_pool_consumer_wait(consumer, &v, 20000000));
  LF_EXPECT(LF_TIMEOUT, lf_pool_consumer_wait(consumer, &v, 0));
  pool_test_publish(producer, 8, 5);
  LF_OK_(lf_pool_consumer_wait(consumer, &v, -1));
  assert_true(pool_test_check(v.payload, 8, 5));
  LF_OK_(lf_pool_consumer_release(consumer));
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

static uint64_t le(const uint8_t *at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | at[i];
  return v;
}

static void read_file_at(const char *dir, const char *name, uint64_t offset, void *out, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *file = fopen(path, "rb");
  assert_non_null(file);
  assert_int_equal(fseek(file, (long)offset, SEEK_SET), 0);
  assert_int_equal(fread(out, 1, size, file), size);
  fclose(file);
}

/* The files a producer writes, read byte by byte with the offsets of tensor-pool.md's tables
 * (not with lavaflow's accessors). */
static void files_written_by_lavaflow_follow_the_tables(void **state) {
  fixture_t *f = *state;
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 12, 0);
  lf_pool_stream_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_pool_producer_get_info(producer, &info));
  for (uint64_t n = 0; n < 19; ++n) pool_test_publish(producer, 100, n); /* frame 18 lands in slot 2 */
  void *payload = NULL;
  LF_OK_(lf_pool_producer_claim(producer, 3000, &payload));
  memset(payload, 0x5A, 3000);
  lf_pool_tensor_t t = {0};
  t.dtype = LF_DTYPE_INT16;
  t.major_order = LF_ORDER_COLUMN;
  t.ndims = 3;
  t.dims[0] = 10, t.dims[1] = 15, t.dims[2] = 10;
  t.strides[0] = 2, t.strides[1] = 20, t.strides[2] = 300;
  t.timestamp_ns = 0x1122334455667788ull;
  t.progress_unit = 2;
  t.progress_stride_bytes = 20;
  LF_OK_(lf_pool_producer_commit(producer, &t, 3000)); /* frame 19, slot 3, pool 2 */

  uint8_t sb[64];
  read_file_at(info.epoch_dir, "header.ring", 0, sb, sizeof sb);
  assert_int_equal(le(sb + 0, 8), 0x544F504C53484D31ull);
  assert_int_equal(le(sb + 8, 4), 1);
  assert_int_equal(le(sb + 12, 8), info.epoch);
  assert_int_equal(le(sb + 20, 4), 12);
  assert_int_equal(le(sb + 24, 2), 1);
  assert_int_equal(le(sb + 26, 2), 0);
  assert_int_equal(le(sb + 28, 4), 16);
  assert_int_equal(le(sb + 32, 4), 256);
  assert_int_equal(le(sb + 40, 8), (uint64_t)getpid()); /* the driver stamps the producer's pid */
  assert_true(le(sb + 48, 8) > 0 && le(sb + 56, 8) >= le(sb + 48, 8));
  /* the clock domain: CLOCK_MONOTONIC (a realtime stamp would be decades past it), recorded in the control region */
  struct timespec mono;
  clock_gettime(CLOCK_MONOTONIC, &mono);
  const uint64_t mono_ns = (uint64_t)mono.tv_sec * 1000000000ull + (uint64_t)mono.tv_nsec;
  assert_true(le(sb + 56, 8) <= mono_ns && le(sb + 48, 8) + 3600ull * 1000000000ull > mono_ns);
  uint8_t domain[4];
  read_file_at(info.epoch_dir, "control", 252, domain, sizeof domain);
  assert_int_equal(le(domain, 4), 1); /* MONOTONIC */
  read_file_at(info.epoch_dir, "2.pool", 0, sb, sizeof sb);
  assert_int_equal(le(sb + 24, 2), 2);
  assert_int_equal(le(sb + 26, 2), 2);
  assert_int_equal(le(sb + 28, 4), 16);
  assert_int_equal(le(sb + 36, 4), 4096);

  uint8_t slot[256];
  read_file_at(info.epoch_dir, "header.ring", 64 + 3 * 256, slot, sizeof slot);
  assert_int_equal(le(slot + 0, 8), (19u << 1) | 1);
  assert_int_equal(le(slot + 8, 4), 3000);
  assert_int_equal(le(slot + 12, 4), 3);
  assert_int_equal(le(slot + 16, 2), 2);
  assert_int_equal(le(slot + 18, 4), 0);
  assert_int_equal(le(slot + 22, 8), 0x1122334455667788ull);
  assert_int_equal(le(slot + 60, 4), 192);
  assert_int_equal(le(slot + 64, 2), 184);
  assert_int_equal(le(slot + 66, 2), 52);
  assert_int_equal(le(slot + 68, 2), 900);
  assert_int_equal(le(slot + 70, 2), 1);
  assert_int_equal(le(slot + 72, 2), LF_DTYPE_INT16);
  assert_int_equal(le(slot + 74, 2), LF_ORDER_COLUMN);
  assert_int_equal(slot[76], 3);
  assert_int_equal(slot[78], 2);
  assert_int_equal(le(slot + 79, 4), 20);
  assert_int_equal(le(slot + 83, 4), 10);
  assert_int_equal(le(slot + 87, 4), 15);
  assert_int_equal(le(slot + 91, 4), 10);
  assert_int_equal(le(slot + 95, 4), 0);
  assert_int_equal(le(slot + 115, 4), 2);
  assert_int_equal(le(slot + 119, 4), 20);
  assert_int_equal(le(slot + 123, 4), 300);
  for (int i = 34; i < 60; ++i) assert_int_equal(slot[i], 0);
  for (int i = 147; i < 256; ++i) assert_int_equal(slot[i], 0);
  uint8_t bytes[3000];
  read_file_at(info.epoch_dir, "2.pool", 64 + 3 * 4096, bytes, sizeof bytes);
  for (int i = 0; i < 3000; ++i) assert_int_equal(bytes[i], 0x5A);
  read_file_at(info.epoch_dir, "header.ring", 64 + 2 * 256, slot, sizeof slot);
  assert_int_equal(le(slot + 0, 8), (18u << 1) | 1);
  assert_int_equal(le(slot + 16, 2), 1);
  read_file_at(info.epoch_dir, "1.pool", 64 + 2 * 256, bytes, 100);
  assert_true(pool_test_check(bytes, 100, 18));

  uint8_t control[4096];
  read_file_at(info.epoch_dir, "control", 0, control, sizeof control);
  assert_int_equal(le(control + 24, 2), 3);
  assert_int_equal(le(control + 64, 8), 20);    /* published */
  assert_int_equal(le(control + 192, 8), 20);   /* frames_published */
  assert_int_equal(le(control + 200, 8), 19 * 100 + 3000);
  assert_int_equal(le(control + 224, 8), (uint64_t)getpid());
  assert_int_equal(le(control + 240, 8), info.lease_id);
  LF_OK_(lf_pool_producer_detach(producer));
}

static void the_effective_driver_configuration_is_described(void **state) {
  (void)state;
  lf_pool_driver_params_t params = {0};
  params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_KEEPALIVE;
  params.keepalive_ms = 250;
  setenv("LAVAFLOW_DRIVER_EXPIRY_INTERVALS", "5", 1);
  size_t length = 0;
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_pool_driver_describe_config(&params, NULL, 0, &length));
  char *text = malloc(length + 1);
  LF_OK_(lf_pool_driver_describe_config(&params, text, length + 1, &length));
  assert_non_null(strstr(text, "keepalive_ms         = 250"));
  assert_non_null(strstr(text, "# params"));
  assert_non_null(strstr(text, "expiry_intervals     = 5"));
  assert_non_null(strstr(text, "# LAVAFLOW_DRIVER_EXPIRY_INTERVALS"));
  assert_non_null(strstr(text, "announce_period_ms   = 1000"));
  assert_non_null(strstr(text, "pools = [ { id = 1, stride = 4096 }, { id = 2, stride = 65536 } ]"));
  free(text);
  setenv("LAVAFLOW_DRIVER_EXPIRY_INTERVALS", "zero", 1);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_driver_describe_config(&params, NULL, 0, &length));
  LF_EXPECT_MESSAGE("LAVAFLOW_DRIVER_EXPIRY_INTERVALS='zero'");
  params.field_mask |= LF_POOL_DRIVER_PARAM_FIELD_FLAGS;
  params.flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT;
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_pool_driver_describe_config(&params, NULL, 0, &length));
  unsetenv("LAVAFLOW_DRIVER_EXPIRY_INTERVALS");
  params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS;
  params.header_slots = 1000;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_driver_describe_config(&params, NULL, 0, &length));
  LF_EXPECT_MESSAGE("header_slots 1000 is not a power of two");
}

static void bad_arguments_are_refused(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_params_t cp = pool_test_consumer_params(7);
  lf_pool_consumer_t *consumer = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_consumer_attach(f->context, 1, &cp, &consumer));
  LF_EXPECT_MESSAGE("not an lf_pool_mode_t");
  cp = pool_test_consumer_params(LF_POOL_MODE_RATE_LIMITED);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_consumer_attach(f->context, 1, &cp, &consumer));
  cp = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  cp.field_mask |= 1ull << 40;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_consumer_attach(f->context, 1, &cp, &consumer));
  cp = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  cp.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_PROFILE;
  cp.profile = "no-such-profile";
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_pool_consumer_attach(f->context, 77, &cp, &consumer));
  LF_EXPECT_MESSAGE("no stream profile named 'no-such-profile'");
  assert_null(consumer);
  /* Each params struct has its own bits: a consumer's mode means nothing to a producer, and
     require_hugepages nothing to a consumer. */
  lf_pool_producer_params_t pp = pool_test_producer_params();
  pp.field_mask |= LF_POOL_CONSUMER_PARAM_FIELD_MODE;
  lf_pool_producer_t *refused = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_producer_attach(f->context, 1, &pp, &refused));
  LF_EXPECT_MESSAGE("unknown bits 0x20");
  assert_null(refused);
  cp = pool_test_consumer_params(LF_POOL_MODE_STREAM);
  cp.field_mask |= LF_POOL_PRODUCER_PARAM_FIELD_REQUIRE_HUGEPAGES;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_consumer_attach(f->context, 1, &cp, &consumer));
  LF_EXPECT_MESSAGE("unknown bits 0x4");
  assert_null(consumer);
  lf_pool_view_t v = {.struct_size = sizeof v};
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_pool_consumer_poll(NULL, &v));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_pool_consumer_poll((lf_pool_consumer_t *)f->context, &v));
  void *payload;
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_pool_producer_claim((lf_pool_producer_t *)f->driver, 1, &payload));
  LF_OK_(lf_pool_producer_detach(NULL));
  LF_OK_(lf_pool_consumer_detach(NULL));
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 10, 0);
  LF_OK_(lf_pool_producer_detach(producer));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_pool_producer_claim(producer, 1, &payload));
  /* A second driver for the same base directory is refused. */
  lf_pool_driver_t *second = NULL;
  LF_EXPECT(LF_ERR_EXISTS, lf_pool_driver_create(f->context, NULL, &second));
}

static void the_driver_lists_its_streams(void **state) {
  fixture_t *f = *state;
  lf_pool_consumer_t *consumer = attach_consumer(f, 11, LF_POOL_MODE_STREAM, 0, 0);
  lf_pool_producer_t *producer = pool_test_attach_producer(f->context, 11, 0);
  lf_pool_stream_status_t streams[8];
  for (int i = 0; i < 8; ++i) streams[i].struct_size = sizeof streams[i];
  uint32_t count = 0;
  LF_OK_(lf_pool_list_streams(f->context, streams, 8, &count));
  assert_int_equal(count, 1);
  assert_int_equal(streams[0].stream_id, 11);
  assert_int_equal(streams[0].producer_pid, getpid());
  assert_int_equal(streams[0].consumers, 1);
  assert_int_equal(streams[0].nslots, 16);
  assert_non_null(strstr(streams[0].epoch_dir, "/default/11/"));
  {
    /* A program built against newer headers, whose element is larger: the library walks its
       array with the program's stride (struct_size), writes only what it knows of each, and
       refuses elements whose sizes differ. */
    enum { NEWER = sizeof(lf_pool_stream_status_t) + 64 };
    _Alignas(8) unsigned char newer[3][NEWER];
    memset(newer, 0xab, sizeof newer);
    for (int i = 0; i < 3; ++i) ((lf_pool_stream_status_t *)newer[i])->struct_size = NEWER;
    LF_OK_(lf_pool_list_streams(f->context, (lf_pool_stream_status_t *)newer, 3, &count));
    assert_int_equal(count, 1);
    assert_int_equal(((lf_pool_stream_status_t *)newer[0])->stream_id, 11);
    assert_int_equal(((lf_pool_stream_status_t *)newer[0])->struct_size, NEWER);
    assert_int_equal(newer[0][sizeof(lf_pool_stream_status_t)], 0xab); /* beyond what it knows: untouched */
    assert_int_equal(((lf_pool_stream_status_t *)newer[1])->struct_size, NEWER); /* not overwritten at 296 */
    ((lf_pool_stream_status_t *)newer[2])->struct_size = sizeof(lf_pool_stream_status_t);
    LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_list_streams(f->context, (lf_pool_stream_status_t *)newer, 3, &count));
    LF_EXPECT_MESSAGE("set the same in each");
    streams[0].struct_size = 8;
    LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_list_streams(f->context, streams, 1, &count));
    LF_EXPECT_MESSAGE("out_streams[0].struct_size is 8");
    streams[0].struct_size = sizeof streams[0];
  }
  /* Its control region is a valid region file. */
  char path[400];
  snprintf(path, sizeof path, "%s/control", streams[0].epoch_dir);
  lf_pool_region_info_t region = {.struct_size = sizeof region};
  LF_OK_(lf_pool_inspect(f->context, path, &region, NULL, 0, NULL));
  assert_int_equal(region.region_type, LF_POOL_REGION_CONTROL);
  /* Any process can read the QoS counters there. */
  pool_test_follow(consumer, streams[0].epoch);
  for (uint64_t n = 0; n < 40; ++n) pool_test_publish(producer, 100, n);
  assert_int_equal(drain(consumer), 16); /* 24 were overwritten: 16 slots */
  lf_pool_producer_qos_t qos = {.struct_size = sizeof qos};
  lf_pool_consumer_entry_t entries[2] = {{.struct_size = sizeof entries[0]}, {.struct_size = sizeof entries[1]}};
  uint32_t attached = 0;
  LF_OK_(lf_pool_read_control(f->context, path, &qos, entries, 2, &attached));
  assert_int_equal(qos.stream_id, 11);
  assert_int_equal(qos.epoch, streams[0].epoch);
  assert_int_equal(qos.published, 40);
  assert_int_equal(qos.frames_published, 40);
  assert_int_equal(qos.bytes_published, 4000);
  assert_int_equal(attached, 1);
  assert_int_equal(entries[0].pid, getpid());
  assert_int_equal(entries[0].mode, LF_POOL_MODE_STREAM);
  assert_int_equal(entries[0].frames_read, 16);
  assert_int_equal(entries[0].drops_gap, 24);
  assert_int_equal(entries[0].next_seq, 40);
  snprintf(path, sizeof path, "%s/header.ring", streams[0].epoch_dir);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_read_control(f->context, path, &qos, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("not a control region");
  LF_OK_(lf_pool_producer_detach(producer));
  LF_OK_(lf_pool_consumer_detach(consumer));
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(frames_round_trip_with_their_headers, setup, teardown),
      cmocka_unit_test_setup_teardown(frames_larger_than_every_pool_are_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(every_mode_accounts_for_every_frame, setup, teardown),
      cmocka_unit_test_setup_teardown(a_frame_overwritten_while_read_is_late, setup, teardown),
      cmocka_unit_test_setup_teardown(one_producer_per_stream_and_client_ids_are_unique, setup, teardown),
      cmocka_unit_test_setup_teardown(consumers_follow_a_new_producer_into_a_new_epoch, setup, teardown),
      cmocka_unit_test_setup_teardown(metadata_travels_with_a_version, setup, teardown),
      cmocka_unit_test_setup_teardown(waiting_sleeps_until_the_producer_wakes_it, setup, teardown),
      cmocka_unit_test_setup_teardown(bad_arguments_are_refused, setup, teardown),
      cmocka_unit_test(the_effective_driver_configuration_is_described),
      cmocka_unit_test_setup_teardown(the_driver_lists_its_streams, setup, teardown),
      cmocka_unit_test_setup_teardown(files_written_by_lavaflow_follow_the_tables, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

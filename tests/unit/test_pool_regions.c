/* Tensor pool region files: written here by an independent writer from the table in
 * tensor-pool.md / docs/wire-formats.md (offsets spelled out below, not the library's), then read
 * back with lf_pool_inspect: every superblock and slot field decoded, every corrupted field
 * refused, seqlock states honoured, and paths that escape containment refused before mapping. */
#define _GNU_SOURCE
#include "blob_edit.h"
#include "lf_test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Superblock (64 bytes). */
enum { SB_MAGIC = 0, SB_VERSION = 8, SB_EPOCH = 12, SB_STREAM = 20, SB_TYPE = 24, SB_POOL = 26, SB_NSLOTS = 28,
       SB_SLOT_BYTES = 32, SB_STRIDE = 36, SB_PID = 40, SB_START = 48, SB_ACTIVITY = 56 };
/* Slot header (256 bytes). */
enum { SL_COMMIT = 0, SL_VALUES_LEN = 8, SL_PAYLOAD_SLOT = 12, SL_POOL = 16, SL_PAYLOAD_OFFSET = 18, SL_TIMESTAMP = 22,
       SL_META = 30, SL_RESERVED = 34, SL_HEADER_LEN = 60, SL_BLOCK_LENGTH = 64, SL_TEMPLATE = 66, SL_SCHEMA = 68,
       SL_MSG_VERSION = 70, SL_DTYPE = 72, SL_ORDER = 74, SL_NDIMS = 76, SL_PAD = 77, SL_PROGRESS_UNIT = 78,
       SL_PROGRESS_STRIDE = 79, SL_DIMS = 83, SL_STRIDES = 115, SL_TAIL = 147 };
#define MAGIC 0x544F504C53484D31ull
#define NSLOTS 8u

static lf_context_t *g_context;
static char g_base[128], g_dir[256];

static int setup(void **state) {
  (void)state;
  snprintf(g_base, sizeof g_base, "/tmp/lf-pool-test-XXXXXX");
  if (mkdtemp(g_base) == NULL) return -1;
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS | LF_CONTEXT_PARAM_FIELD_BASE_DIR,
                                .flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT, .base_dir = g_base};
  if (lf_context_create(&params, &g_context) != LF_OK) return -1;
  char path[200];
  snprintf(path, sizeof path, "%s/lavaflow-%u", g_base, (unsigned)geteuid());
  mkdir(path, 0700);
  snprintf(g_dir, sizeof g_dir, "%s/tensors", path);
  mkdir(g_dir, 0700);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  char command[600];
  snprintf(command, sizeof command, "rm -rf '%s'", g_base);
  if (system(command) != 0) return -1;
  return lf_context_destroy(g_context);
}

static void superblock(uint8_t *sb, int16_t type, uint16_t pool, uint32_t stride) {
  memset(sb, 0, 64);
  blob_put64(sb + SB_MAGIC, MAGIC);
  blob_put32(sb + SB_VERSION, 1);
  blob_put64(sb + SB_EPOCH, 0x0102030405060708ull);
  blob_put32(sb + SB_STREAM, 4242);
  blob_put16(sb + SB_TYPE, (uint16_t)type);
  blob_put16(sb + SB_POOL, pool);
  blob_put32(sb + SB_NSLOTS, NSLOTS);
  blob_put32(sb + SB_SLOT_BYTES, type == 1 ? 256 : 0);
  blob_put32(sb + SB_STRIDE, stride);
  blob_put64(sb + SB_PID, 31337);
  blob_put64(sb + SB_START, 1111);
  blob_put64(sb + SB_ACTIVITY, 2222);
}

/* A committed 2-D float32 frame of sequence `seq` in its slot. */
static void frame(uint8_t *region, uint64_t seq) {
  uint8_t *s = region + 64 + (seq % NSLOTS) * 256;
  memset(s, 0, 256);
  blob_put32(s + SL_VALUES_LEN, 48 * 4 * 4);
  blob_put32(s + SL_PAYLOAD_SLOT, (uint32_t)(seq % NSLOTS));
  blob_put16(s + SL_POOL, 1);
  blob_put64(s + SL_TIMESTAMP, 1000 + seq);
  blob_put32(s + SL_META, 3);
  blob_put32(s + SL_HEADER_LEN, 192);
  blob_put16(s + SL_BLOCK_LENGTH, 184);
  blob_put16(s + SL_TEMPLATE, 52);
  blob_put16(s + SL_SCHEMA, 900);
  blob_put16(s + SL_MSG_VERSION, 1);
  blob_put16(s + SL_DTYPE, 9); /* float32 */
  blob_put16(s + SL_ORDER, 1); /* row-major */
  s[SL_NDIMS] = 2;
  s[SL_PROGRESS_UNIT] = 1;
  blob_put32(s + SL_PROGRESS_STRIDE, 192);
  blob_put32(s + SL_DIMS, 4);
  blob_put32(s + SL_DIMS + 4, 48);
  blob_put32(s + SL_STRIDES, 192);
  blob_put32(s + SL_STRIDES + 4, 4);
  blob_put64(s + SL_COMMIT, (seq << 1) | 1);
}

static void write_file(const char *path, const uint8_t *bytes, size_t size, mode_t mode) {
  unlink(path);
  int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, bytes, size), (ssize_t)size);
  fchmod(fd, mode);
  close(fd);
}

#define RING_BYTES (64 + NSLOTS * 256)

/* A header ring with frames 5, 6, 7 (slots 5, 6, 7), plus slot 0 being written. */
static void good_ring(uint8_t *region) {
  memset(region, 0, RING_BYTES);
  superblock(region, 1, 0, 0);
  for (uint64_t seq = 5; seq <= 7; ++seq) frame(region, seq);
  blob_put64(region + 64 + SL_COMMIT, 8u << 1); /* sequence 8 in progress: even */
}

static lf_status_t inspect(const char *path, lf_pool_region_info_t *region, lf_pool_frame_info_t *frames, uint32_t max,
                           uint32_t *count) {
  region->struct_size = sizeof *region;
  for (uint32_t i = 0; i < max; ++i) frames[i].struct_size = sizeof frames[i];
  return lf_pool_inspect(g_context, path, region, frames, max, count);
}

static void a_header_ring_is_read_by_the_documented_table(void **state) {
  (void)state;
  uint8_t region[RING_BYTES];
  good_ring(region);
  char path[600];
  snprintf(path, sizeof path, "%s/header.ring", g_dir);
  write_file(path, region, sizeof region, 0600);
  lf_pool_region_info_t info;
  lf_pool_frame_info_t frames[4];
  uint32_t count = 99;
  LF_OK_(inspect(path, &info, frames, 4, &count));
  assert_int_equal(info.region_type, LF_POOL_REGION_HEADER_RING);
  assert_int_equal(info.layout_version, 1);
  assert_int_equal(info.epoch, 0x0102030405060708ull);
  assert_int_equal(info.stream_id, 4242);
  assert_int_equal(info.pool_id, 0);
  assert_int_equal(info.nslots, NSLOTS);
  assert_int_equal(info.slot_bytes, 256);
  assert_int_equal(info.pid, 31337);
  assert_int_equal(info.start_timestamp_ns, 1111);
  assert_int_equal(info.activity_timestamp_ns, 2222);
  assert_int_equal(info.file_bytes, RING_BYTES);
  assert_int_equal(info.committed_slots, 3);
  assert_int_equal(info.invalid_slots, 0);
  assert_int_equal(info.newest_seq, 7);
  assert_int_equal(count, 3);
  for (uint32_t i = 0; i < 3; ++i) { /* newest first */
    const lf_pool_frame_info_t *f = &frames[i];
    assert_int_equal(f->seq, 7 - i);
    assert_int_equal(f->slot, 7 - i);
    assert_int_equal(f->payload_slot, 7 - i);
    assert_int_equal(f->timestamp_ns, 1000 + 7 - i);
    assert_int_equal(f->values_len_bytes, 768);
    assert_int_equal(f->pool_id, 1);
    assert_int_equal(f->meta_version, 3);
    assert_int_equal(f->dtype, LF_DTYPE_FLOAT32);
    assert_int_equal(f->major_order, LF_ORDER_ROW);
    assert_int_equal(f->ndims, 2);
    assert_int_equal(f->progress_unit, 1);
    assert_int_equal(f->progress_stride_bytes, 192);
    assert_int_equal(f->dims[0], 4);
    assert_int_equal(f->dims[1], 48);
    assert_int_equal(f->dims[2], 0);
    assert_int_equal(f->strides[0], 192);
    assert_int_equal(f->strides[1], 4);
  }
  assert_string_equal(lf_dtype_name(LF_DTYPE_FLOAT32), "float32");
  assert_string_equal(lf_dtype_name(12), "invalid");
  /* fewer frames than there are, and none at all */
  LF_OK_(inspect(path, &info, frames, 1, &count));
  assert_int_equal(count, 1);
  assert_int_equal(frames[0].seq, 7);
  LF_OK_(lf_pool_inspect(g_context, path, &info, NULL, 0, NULL));
}

static void a_payload_pool_superblock_is_read(void **state) {
  (void)state;
  const size_t bytes = 64 + NSLOTS * 1024;
  uint8_t *region = calloc(1, bytes);
  superblock(region, 2, 3, 1024);
  char path[600];
  snprintf(path, sizeof path, "%s/3.pool", g_dir);
  write_file(path, region, bytes, 0600);
  lf_pool_region_info_t info;
  LF_OK_(inspect(path, &info, NULL, 0, NULL));
  assert_int_equal(info.region_type, LF_POOL_REGION_PAYLOAD_POOL);
  assert_int_equal(info.pool_id, 3);
  assert_int_equal(info.stride_bytes, 1024);
  assert_int_equal(info.committed_slots, 0);
  /* a stride that is not a power-of-two multiple of 64, a file of the wrong size */
  blob_put32(region + SB_STRIDE, 1000);
  write_file(path, region, bytes, 0600);
  LF_EXPECT(LF_ERR_CORRUPT, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("stride_bytes");
  blob_put32(region + SB_STRIDE, 1024);
  write_file(path, region, bytes - 64, 0600);
  LF_EXPECT(LF_ERR_CORRUPT, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("its superblock describes");
  free(region);
}

typedef struct {
  size_t offset;
  int width; /* 2, 4 or 8 */
  uint64_t value;
  lf_status_t status;
  const char *message;
} FieldEdit;

static void put(uint8_t *at, int width, uint64_t value) {
  if (width == 1) *at = (uint8_t)value;
  if (width == 2) blob_put16(at, (uint16_t)value);
  if (width == 4) blob_put32(at, (uint32_t)value);
  if (width == 8) blob_put64(at, value);
}

static void every_bad_superblock_field_is_refused(void **state) {
  (void)state;
  const FieldEdit edits[] = {
      {SB_MAGIC, 8, 0x544F504C53484D32ull, LF_ERR_CORRUPT, "magic"},
      {SB_VERSION, 4, 2, LF_ERR_VERSION_MISMATCH, "layout version 2"},
      {SB_TYPE, 2, 7, LF_ERR_CORRUPT, "region_type 7"},
      {SB_TYPE, 2, 0xFFFF, LF_ERR_CORRUPT, "region_type -1"},
      {SB_NSLOTS, 4, 6, LF_ERR_CORRUPT, "nslots 6"},
      {SB_NSLOTS, 4, 0, LF_ERR_CORRUPT, "nslots 0"},
      {SB_NSLOTS, 4, 16, LF_ERR_CORRUPT, "its superblock describes"}, /* the file has 8 slots */
      {SB_SLOT_BYTES, 4, 128, LF_ERR_CORRUPT, "slot_bytes 128"},
      {SB_POOL, 2, 1, LF_ERR_CORRUPT, "pool_id 1"},
  };
  char path[600];
  snprintf(path, sizeof path, "%s/edited.ring", g_dir);
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; ++i) {
    uint8_t region[RING_BYTES];
    good_ring(region);
    put(region + edits[i].offset, edits[i].width, edits[i].value);
    write_file(path, region, sizeof region, 0600);
    lf_pool_region_info_t info;
    print_message("superblock edit %zu: offset %zu\n", i, edits[i].offset);
    LF_EXPECT(edits[i].status, inspect(path, &info, NULL, 0, NULL));
    LF_EXPECT_MESSAGE(edits[i].message);
  }
  uint8_t region[RING_BYTES];
  good_ring(region);
  write_file(path, region, 40, 0600); /* shorter than a superblock */
  lf_pool_region_info_t info;
  LF_EXPECT(LF_ERR_CORRUPT, inspect(path, &info, NULL, 0, NULL));
}

static void every_bad_slot_field_is_refused(void **state) {
  (void)state;
  /* edits of frame 6 (slot 6): it must then count as invalid, the other two as valid */
  const FieldEdit edits[] = {
      {SL_NDIMS, 1, 0, 0, NULL},          {SL_NDIMS, 1, 9, 0, NULL},
      {SL_DIMS, 4, (uint32_t)-1, 0, NULL}, {SL_DIMS + 12, 4, 5, 0, NULL},     /* a dim beyond ndims */
      {SL_STRIDES + 12, 4, 4, 0, NULL},   {SL_STRIDES + 4, 4, (uint32_t)-4, 0, NULL},
      {SL_STRIDES, 4, 100, 0, NULL},      /* rows overlap: 100 < 48 * 4 */
      {SL_ORDER, 2, 0, 0, NULL},          /* strides without an order */
      {SL_ORDER, 2, 3, 0, NULL},          {SL_DTYPE, 2, 12, 0, NULL},
      {SL_DTYPE, 2, 15, 0, NULL},         {SL_PROGRESS_UNIT, 1, 3, 0, NULL},
      {SL_PAYLOAD_OFFSET, 4, 64, 0, NULL}, {SL_PAYLOAD_SLOT, 4, NSLOTS, 0, NULL},
      {SL_PAYLOAD_SLOT, 4, 2, 0, NULL},   /* not its own slot */
      {SL_POOL, 2, 0, 0, NULL},           {SL_HEADER_LEN, 4, 191, 0, NULL},
      {SL_BLOCK_LENGTH, 2, 183, 0, NULL}, {SL_TEMPLATE, 2, 53, 0, NULL},
      {SL_SCHEMA, 2, 901, 0, NULL},       {SL_MSG_VERSION, 2, 2, 0, NULL},
      {SL_COMMIT, 8, (13u << 1) | 1, 0, NULL}, /* sequence 13 belongs in slot 5 */
      /* the spec: a progress unit MUST come with the true row or column stride */
      {SL_PROGRESS_STRIDE, 4, 0, 0, NULL}, {SL_PROGRESS_STRIDE, 4, 4, 0, NULL},
      {SL_PROGRESS_UNIT, 1, 2, 0, NULL},  /* by columns: 4 bytes apart, not 192 */
      /* lavaflow: the tensor must lie inside its payload */
      {SL_VALUES_LEN, 4, 700, 0, NULL},   /* 4 rows of 48 float32 span 768 bytes */
      {SL_DIMS, 4, 0x7fffffff, 0, NULL},
  };
  char path[600];
  snprintf(path, sizeof path, "%s/slots.ring", g_dir);
  for (size_t i = 0; i < sizeof edits / sizeof edits[0]; ++i) {
    uint8_t region[RING_BYTES];
    good_ring(region);
    uint8_t *slot = region + 64 + 6 * 256;
    put(slot + edits[i].offset, edits[i].width, edits[i].value);
    write_file(path, region, sizeof region, 0600);
    lf_pool_region_info_t info;
    lf_pool_frame_info_t frames[8];
    uint32_t count = 0;
    print_message("slot edit %zu: offset %zu\n", i, edits[i].offset);
    LF_OK_(inspect(path, &info, frames, 8, &count));
    assert_int_equal(info.invalid_slots, 1);
    assert_int_equal(info.committed_slots, 2);
    assert_int_equal(count, 2);
    assert_int_equal(frames[0].seq, 7);
    assert_int_equal(frames[1].seq, 5);
  }
  /* and the seqlock: a slot whose commit word is even is not a frame, nor an odd word that
   * names a sequence of another slot */
  uint8_t region[RING_BYTES];
  good_ring(region);
  blob_put64(region + 64 + 7 * 256 + SL_COMMIT, 7u << 1);
  blob_put64(region + 64 + 5 * 256 + SL_COMMIT, (6u << 1) | 1);
  write_file(path, region, sizeof region, 0600);
  lf_pool_region_info_t info;
  lf_pool_frame_info_t frames[8];
  uint32_t count = 0;
  LF_OK_(inspect(path, &info, frames, 8, &count));
  assert_int_equal(info.committed_slots, 1);
  assert_int_equal(info.invalid_slots, 1);
  assert_int_equal(frames[0].seq, 6);
}

/* The spec: pad and reserved bytes are reserved/opaque and consumers MUST ignore them (they
 * were once refused), as they ignore pad_align. */
static void pad_and_reserved_bytes_are_ignored(void **state) {
  (void)state;
  const size_t offsets[] = {SL_RESERVED, SL_RESERVED + 5, SL_RESERVED + 25, SL_PAD, SL_TAIL, SL_TAIL + 100, 255};
  char path[600];
  snprintf(path, sizeof path, "%s/padded.ring", g_dir);
  for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; ++i) {
    uint8_t region[RING_BYTES];
    good_ring(region);
    region[64 + 6 * 256 + offsets[i]] = 0xA5;
    write_file(path, region, sizeof region, 0600);
    lf_pool_region_info_t info;
    lf_pool_frame_info_t frames[8];
    uint32_t count = 0;
    print_message("pad byte at %zu\n", offsets[i]);
    LF_OK_(inspect(path, &info, frames, 8, &count));
    assert_int_equal(info.invalid_slots, 0);
    assert_int_equal(info.committed_slots, 3);
  }
}

static void paths_outside_containment_are_refused_before_mapping(void **state) {
  (void)state;
  uint8_t region[RING_BYTES];
  good_ring(region);
  char good[600], path[700], outside[600];
  snprintf(good, sizeof good, "%s/contained.ring", g_dir);
  write_file(good, region, sizeof region, 0600);
  lf_pool_region_info_t info;
  LF_OK_(inspect(good, &info, NULL, 0, NULL));

  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, inspect("tensors/contained.ring", &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("not an absolute path");
  snprintf(path, sizeof path, "%s/../tensors/contained.ring", g_dir);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("'..'");
  snprintf(outside, sizeof outside, "%s/outside.ring", g_base); /* in the base, not in lavaflow-<uid> */
  write_file(outside, region, sizeof region, 0600);
  LF_EXPECT(LF_ERR_PERMISSION, inspect(outside, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("outside the allowed directory");

  snprintf(path, sizeof path, "%s/link.ring", g_dir); /* a symlink to a good file */
  unlink(path);
  assert_int_equal(symlink(good, path), 0);
  LF_EXPECT(LF_ERR_PERMISSION, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("symlink");
  char linked_dir[600];
  snprintf(linked_dir, sizeof linked_dir, "%s/linkdir", g_dir); /* a symlinked directory on the way */
  unlink(linked_dir);
  assert_int_equal(symlink(g_dir, linked_dir), 0);
  snprintf(path, sizeof path, "%s/contained.ring", linked_dir);
  LF_EXPECT(LF_ERR_PERMISSION, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("symlink");

  snprintf(path, sizeof path, "%s/fifo.ring", g_dir);
  unlink(path);
  assert_int_equal(mkfifo(path, 0600), 0);
  LF_EXPECT(LF_ERR_PERMISSION, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("not a regular file");
  LF_EXPECT(LF_ERR_PERMISSION, inspect(g_dir, &info, NULL, 0, NULL));
  snprintf(path, sizeof path, "%s/loose.ring", g_dir);
  write_file(path, region, sizeof region, 0644);
  LF_EXPECT(LF_ERR_PERMISSION, inspect(path, &info, NULL, 0, NULL));
  LF_EXPECT_MESSAGE("mode 644");
  snprintf(path, sizeof path, "%s/empty.ring", g_dir);
  write_file(path, region, 0, 0600);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, inspect(path, &info, NULL, 0, NULL));
  snprintf(path, sizeof path, "%s/missing.ring", g_dir);
  LF_EXPECT(LF_ERR_NOT_FOUND, inspect(path, &info, NULL, 0, NULL));
}

static void misuse_is_refused(void **state) {
  (void)state;
  lf_pool_region_info_t info = {.struct_size = sizeof info};
  lf_pool_frame_info_t frame = {.struct_size = 8};
  char path[600];
  snprintf(path, sizeof path, "%s/header.ring", g_dir);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_inspect(g_context, NULL, &info, NULL, 0, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_inspect(g_context, path, NULL, NULL, 0, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_inspect(g_context, path, &info, NULL, 3, NULL));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_inspect(g_context, path, &info, &frame, 1, NULL));
  LF_EXPECT_MESSAGE("struct_size");
  info.struct_size = 4;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_pool_inspect(g_context, path, &info, NULL, 0, NULL));
  info.struct_size = sizeof info;
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_pool_inspect(NULL, path, &info, NULL, 0, NULL));
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_header_ring_is_read_by_the_documented_table),
      cmocka_unit_test(a_payload_pool_superblock_is_read),
      cmocka_unit_test(every_bad_superblock_field_is_refused),
      cmocka_unit_test(every_bad_slot_field_is_refused),
      cmocka_unit_test(pad_and_reserved_bytes_are_ignored),
      cmocka_unit_test(paths_outside_containment_are_refused_before_mapping),
      cmocka_unit_test(misuse_is_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

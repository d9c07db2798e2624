/* Identities: the facts of this process, the blob's documented layout, round trips, and
 * the refusal of every kind of bad blob. */
#include "blob_edit.h"
#include "lf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static lf_identity_info_t info_of(const lf_identity_t *identity) {
  lf_identity_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_identity_get_info(identity, &info));
  return info;
}

static void read_file_trimmed(const char *path, char *out, size_t size) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  assert_non_null(fgets(out, (int)size, f));
  fclose(f);
  out[strcspn(out, "\n")] = '\0';
}

static void self_identity_matches_the_kernel(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  lf_identity_t *id = NULL;
  LF_OK_(lf_identity_create(context, NULL, &id));
  lf_identity_info_t info = info_of(id);
  assert_int_equal(info.pid, (uint32_t)getpid());
  assert_int_equal(info.uid, (uint32_t)geteuid());
  assert_int_equal(info.gid, (uint32_t)getegid());
  uint32_t known = LF_IDENTITY_KNOWN_BOOT_ID | LF_IDENTITY_KNOWN_NAMESPACES | LF_IDENTITY_KNOWN_BASE_DIR |
                   LF_IDENTITY_KNOWN_START_TIME;
  assert_int_equal(info.flags & known, known);

  char boot_id[64];
  read_file_trimmed("/proc/sys/kernel/random/boot_id", boot_id, sizeof boot_id);
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_BOOT_ID), boot_id);

  struct stat st;
  assert_int_equal(stat("/proc/self/ns/ipc", &st), 0);
  assert_true(info.ipc_namespace == st.st_ino);
  assert_int_equal(stat("/proc/self/ns/mnt", &st), 0);
  assert_true(info.mnt_namespace == st.st_ino);
  assert_int_equal(stat("/proc/self/ns/user", &st), 0);
  assert_true(info.user_namespace == st.st_ino);
  assert_int_equal(stat("/dev/shm", &st), 0);
  assert_true(info.base_dir_device == st.st_dev);
  assert_true(info.base_dir_inode == st.st_ino);
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_BASE_DIR), "/dev/shm");

  char hostname[256];
  assert_int_equal(gethostname(hostname, sizeof hostname), 0);
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_HOSTNAME), hostname);

  char binding[256];
  size_t length = 0;
  LF_OK_(lf_topology_get_binding(context, LF_BINDING_PROCESS, binding, sizeof binding, &length));
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_CPUSET), binding);
  lf_topology_info_t tinfo = {.struct_size = sizeof tinfo};
  LF_OK_(lf_topology_get_info(context, &tinfo));
  assert_true(info.topology_digest == tinfo.digest);
  assert_true(info.numa_node_count >= 1 && info.package_count >= 1);

  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_get_text(id, 99, binding, sizeof binding, &length));
  lf_identity_destroy(id);
  lf_context_destroy(context);
}

static void cpusets_place_an_endpoint(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  struct {
    const char *cpuset, *numa, *packages;
  } cases[] = {{"4-5", "1", "0"}, {"0,8", "0,2", "0-1"}, {" 12 - 15 ", "3", "1"}, {"0-15", "0-3", "0-1"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = cases[i].cpuset};
    lf_identity_t *id = NULL;
    LF_OK_(lf_identity_create(context, &params, &id));
    assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_NUMA_NODES), cases[i].numa);
    assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_PACKAGES), cases[i].packages);
    assert_true(info_of(id).flags & LF_IDENTITY_CPUSET_GIVEN);
    assert_int_equal(info_of(id).topology_source, LF_TOPOLOGY_SOURCE_SYNTHETIC);
    lf_identity_destroy(id);
  }
  const char *bad[] = {"", "x", "3-1", "0-99", "70000", "1,,2", "-1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) {
    lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = bad[i]};
    lf_identity_t *id = NULL;
    LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_create(context, &params, &id));
    assert_null(id);
  }
  LF_EXPECT_MESSAGE("cpuset");

  lf_identity_params_t thread = {.field_mask = LF_IDENTITY_PARAM_FIELD_FLAGS, .flags = LF_IDENTITY_FLAG_THREAD_BINDING};
  lf_identity_t *id = NULL;
  LF_OK_(lf_identity_create(context, &thread, &id));
  assert_true(info_of(id).flags & LF_IDENTITY_THREAD_BINDING);
  lf_identity_destroy(id);

  lf_identity_params_t unknown = {.field_mask = 1u << 9};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_create(context, &unknown, &id));
  lf_identity_params_t null_cpuset = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_create(context, &null_cpuset, &id));
  lf_context_destroy(context);
}

typedef struct {
  lf_context_t *context;
  lf_identity_t *identity;
  uint8_t *blob;
  size_t size;
} Fixture;

static int setup(void **state) {
  Fixture *f = calloc(1, sizeof *f);
  f->context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = "4-5,9"};
  LF_OK_(lf_identity_create(f->context, &params, &f->identity));
  f->blob = lf_test_serialize(f->identity, &f->size);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  Fixture *f = *state;
  lf_identity_destroy(f->identity);
  lf_context_destroy(f->context);
  free(f->blob);
  free(f);
  return 0;
}

static void the_blob_has_the_documented_layout(void **state) {
  Fixture *f = *state;
  const uint8_t *b = f->blob;
  lf_identity_info_t info = info_of(f->identity);
  assert_memory_equal(b, "LFID", 4);
  assert_int_equal(blob_get16(b + BLOB_VERSION), 2);
  assert_int_equal(blob_get16(b + BLOB_HEADER_SIZE), 32);
  assert_int_equal(blob_get32(b + BLOB_TOTAL_SIZE), f->size);
  assert_int_equal(blob_get32(b + BLOB_SECTION_COUNT), 3);
  assert_int_equal(blob_get32(b + BLOB_FLAGS), 0);
  assert_true(blob_get64(b + BLOB_RESERVED) == 0);
  uint8_t copy[LF_IDENTITY_BLOB_MAX_SIZE];
  memcpy(copy, b, f->size);
  blob_put32(copy + BLOB_CRC, 0);
  assert_int_equal(blob_get32(b + BLOB_CRC), blob_crc32(copy, f->size));
  assert_true(f->size % 8 == 0);

  uint32_t length = 0;
  size_t host = blob_section(b, f->size, 1, &length);
  assert_int_equal(host, 40);
  assert_memory_equal(b + host + HOST_BOOT_ID, info.boot_id, 16);
  assert_memory_equal(b + host + HOST_MACHINE_ID, info.machine_id, 16);
  const char *hostname = lf_test_identity_text(f->identity, LF_IDENTITY_TEXT_HOSTNAME);
  assert_int_equal(blob_get16(b + host + HOST_HOSTNAME_LENGTH), strlen(hostname));
  assert_memory_equal(b + host + HOST_HOSTNAME, hostname, strlen(hostname));
  assert_int_equal(length, 34 + strlen(hostname));

  size_t proc = blob_section(b, f->size, 2, &length);
  assert_true(proc != 0);
  assert_true(blob_get64(b + proc + PROC_IPC_NS) == info.ipc_namespace);
  assert_true(blob_get64(b + proc + PROC_USER_NS) == info.user_namespace);
  assert_true(blob_get64(b + proc + PROC_BASE_DEVICE) == info.base_dir_device);
  assert_true(blob_get64(b + proc + PROC_START_TIME) == info.start_time_ticks);
  assert_int_equal(blob_get32(b + proc + PROC_PID), info.pid);
  assert_int_equal(blob_get32(b + proc + PROC_UID), info.uid);
  assert_int_equal(blob_get32(b + proc + PROC_FLAGS), info.flags);
  assert_int_equal(blob_get16(b + proc + PROC_BASE_DIR_LENGTH), strlen("/dev/shm"));
  assert_memory_equal(b + proc + PROC_BASE_DIR, "/dev/shm", 8);

  size_t loc = blob_section(b, f->size, 3, &length);
  assert_true(blob_get64(b + loc + LOC_DIGEST) == info.topology_digest);
  assert_int_equal(blob_get32(b + loc + LOC_SOURCE), LF_TOPOLOGY_SOURCE_SYNTHETIC);
  assert_int_equal(blob_get32(b + loc + LOC_CPU_WORDS), 1);
  assert_true(blob_get64(b + loc + LOC_WORDS) == ((1ull << 4) | (1ull << 5) | (1ull << 9))); /* PUs 4-5,9 */
  assert_true(blob_get64(b + loc + LOC_WORDS + 8) == ((1ull << 1) | (1ull << 2)));            /* NUMA 1,2 */
  assert_true(blob_get64(b + loc + LOC_WORDS + 16) == 3);                                      /* packages 0,1 */
  assert_int_equal(blob_get32(b + loc + LOC_LOCAL_NUMA_WORDS), 0);    /* it lies in no one NUMA node ... */
  assert_int_equal(blob_get32(b + loc + LOC_LOCAL_PACKAGE_WORDS), 0); /* ... nor in one package: empty */
}

static void blobs_round_trip_exactly(void **state) {
  Fixture *f = *state;
  lf_identity_t *copy = NULL;
  LF_OK_(lf_identity_create_from_blob(f->context, f->blob, f->size, &copy));
  size_t size = 0;
  uint8_t *again = lf_test_serialize(copy, &size);
  assert_int_equal(size, f->size);
  assert_memory_equal(again, f->blob, size);
  lf_identity_info_t a = info_of(f->identity), b = info_of(copy);
  assert_memory_equal(&a, &b, sizeof a);
  for (int32_t which = LF_IDENTITY_TEXT_HOSTNAME; which <= LF_IDENTITY_TEXT_MACHINE_ID; ++which)
    assert_string_equal(lf_test_identity_text(f->identity, which), lf_test_identity_text(copy, which));
  /* the size question and a too-small buffer */
  size_t needed = 0;
  uint8_t small[16];
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_identity_serialize(copy, small, sizeof small, &needed));
  assert_int_equal(needed, f->size);
  assert_true(needed <= LF_IDENTITY_BLOB_MAX_SIZE);
  free(again);
  lf_identity_destroy(copy);
}

static lf_status_t parse(Fixture *f, const uint8_t *blob, size_t size) {
  lf_identity_t *id = NULL;
  lf_status_t status = lf_identity_create_from_blob(f->context, blob, size, &id);
  if (status == LF_OK) lf_identity_destroy(id);
  else assert_null(id);
  return status;
}

static void truncated_and_flipped_blobs_are_corrupt(void **state) {
  Fixture *f = *state;
  for (size_t n = 0; n < f->size; ++n) LF_EXPECT(LF_ERR_CORRUPT, parse(f, f->blob, n));
  uint8_t *copy = malloc(f->size + 8);
  for (size_t i = 0; i < f->size; ++i) {
    memcpy(copy, f->blob, f->size);
    copy[i] ^= 0xFF;
    LF_EXPECT(LF_ERR_CORRUPT, parse(f, copy, f->size));
  }
  memcpy(copy, f->blob, f->size);
  copy[f->size] = 0;
  LF_EXPECT(LF_ERR_CORRUPT, parse(f, copy, f->size + 1));
  LF_EXPECT_MESSAGE("header says");
  LF_EXPECT(LF_ERR_CORRUPT, parse(f, copy, LF_IDENTITY_BLOB_MAX_SIZE + 1));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_identity_create_from_blob(f->context, NULL, 64, &(lf_identity_t *){NULL}));
  free(copy);
}

/* Edits one field of a copy of the fixture's blob, reseals it (size and CRC, as a writer
 * would) and expects it to be refused with a message containing `needle`. */
typedef void (*Edit)(uint8_t *blob, size_t *size);

static void expect_refused(Fixture *f, Edit edit, const char *needle) {
  uint8_t blob[LF_IDENTITY_BLOB_MAX_SIZE + 64];
  memset(blob, 0, sizeof blob);
  memcpy(blob, f->blob, f->size);
  size_t size = f->size;
  edit(blob, &size);
  blob_reseal(blob, size);
  LF_EXPECT(LF_ERR_CORRUPT, parse(f, blob, size));
  LF_EXPECT_MESSAGE(needle);
}

static size_t section_of(uint8_t *b, size_t size, uint16_t type) {
  size_t at = blob_section(b, size, type, NULL);
  assert_true(at != 0);
  return at;
}

static void edit_magic(uint8_t *b, size_t *n) { (void)n; b[0] = 'X'; }
static void edit_version(uint8_t *b, size_t *n) { (void)n; blob_put16(b + BLOB_VERSION, 3); }
static void edit_header_flags(uint8_t *b, size_t *n) { (void)n; blob_put32(b + BLOB_FLAGS, 1); }
static void edit_hostname_length(uint8_t *b, size_t *n) { blob_put16(b + section_of(b, *n, 1) + HOST_HOSTNAME_LENGTH, 300); }
static void edit_ptrace_scope(uint8_t *b, size_t *n) { blob_put32(b + section_of(b, *n, 2) + PROC_PTRACE_SCOPE, 7); }
static void edit_flags(uint8_t *b, size_t *n) { blob_put32(b + section_of(b, *n, 2) + PROC_FLAGS, 1u << 30); }
static void edit_pid_zero(uint8_t *b, size_t *n) { blob_put32(b + section_of(b, *n, 2) + PROC_PID, 0); }
static void edit_base_dir(uint8_t *b, size_t *n) { b[section_of(b, *n, 2) + PROC_BASE_DIR] = 'd'; }
static void edit_source(uint8_t *b, size_t *n) { blob_put32(b + section_of(b, *n, 3) + LOC_SOURCE, 9); }
static void edit_cpu_words(uint8_t *b, size_t *n) { blob_put32(b + section_of(b, *n, 3) + LOC_CPU_WORDS, 0); }
static void edit_empty_cpuset(uint8_t *b, size_t *n) { blob_put64(b + section_of(b, *n, 3) + LOC_WORDS, 0); }
static void edit_section_flags(uint8_t *b, size_t *n) { (void)n; blob_put16(b + BLOB_FIRST_SECTION + 2, 0x8001); }
static void edit_section_length(uint8_t *b, size_t *n) { blob_put32(b + BLOB_FIRST_SECTION + 4, (uint32_t)*n); }
static void edit_padding(uint8_t *b, size_t *n) {
  uint32_t length = 0;
  size_t proc = blob_section(b, *n, 2, &length);
  assert_int_equal(length, 86 + 8); /* base directory "/dev/shm": 2 bytes of padding follow */
  b[proc + length] = 1;
}
static void edit_duplicate(uint8_t *b, size_t *n) { blob_put16(b + section_of(b, *n, 2) - 8, 1); }
static void edit_drop_location(uint8_t *b, size_t *n) {
  *n = section_of(b, *n, 3) - 8;
  blob_put32(b + BLOB_SECTION_COUNT, 2);
}
static void edit_unknown_required(uint8_t *b, size_t *n) {
  blob_put16(b + *n, 77);
  blob_put16(b + *n + 2, 1); /* required */
  blob_put32(b + *n + 4, 8);
  *n += 16;
  blob_put32(b + BLOB_SECTION_COUNT, 4);
}
static void edit_trailing(uint8_t *b, size_t *n) { *n += 8; (void)b; }
static void edit_boot_id_unknown_but_set(uint8_t *b, size_t *n) {
  size_t proc = section_of(b, *n, 2);
  blob_put32(b + proc + PROC_FLAGS, blob_get32(b + proc + PROC_FLAGS) & ~(uint32_t)LF_IDENTITY_KNOWN_BOOT_ID);
}

static void every_bad_field_is_refused(void **state) {
  Fixture *f = *state;
  expect_refused(f, edit_magic, "magic");
  expect_refused(f, edit_version, "format version 3");
  expect_refused(f, edit_header_flags, "header flags");
  expect_refused(f, edit_hostname_length, "hostname_length 300");
  expect_refused(f, edit_ptrace_scope, "ptrace_scope 7");
  expect_refused(f, edit_flags, "unknown flag bits");
  expect_refused(f, edit_pid_zero, "pid is 0");
  expect_refused(f, edit_base_dir, "not absolute");
  expect_refused(f, edit_source, "topology_source 9");
  expect_refused(f, edit_cpu_words, "cpuset has 0 words");
  expect_refused(f, edit_empty_cpuset, "cpuset is empty");
  expect_refused(f, edit_section_flags, "unknown flags");
  expect_refused(f, edit_section_length, "claims");
  expect_refused(f, edit_padding, "nonzero padding");
  expect_refused(f, edit_duplicate, "appears twice");
  expect_refused(f, edit_drop_location, "required section 3 is missing");
  expect_refused(f, edit_unknown_required, "unknown required section type 77");
  expect_refused(f, edit_trailing, "after the last section");
  expect_refused(f, edit_boot_id_unknown_but_set, "flagged unknown");
}

/* A version-1 blob (written by an earlier lavaflow: no sets the cpuset lies in, and no empty
 * sets) is still read: made here from the fixture's version-2 blob, whose two counts of such
 * sets are 0, by removing them. */
static void version_1_blobs_are_still_read(void **state) {
  Fixture *f = *state;
  uint8_t blob[LF_IDENTITY_BLOB_MAX_SIZE];
  size_t loc = section_of(f->blob, f->size, 3);
  assert_int_equal(blob_get32(f->blob + loc + LOC_LOCAL_NUMA_WORDS), 0);
  assert_int_equal(blob_get32(f->blob + loc + LOC_LOCAL_PACKAGE_WORDS), 0);
  memcpy(blob, f->blob, loc + LOC_LOCAL_NUMA_WORDS);
  memcpy(blob + loc + LOC_LOCAL_NUMA_WORDS, f->blob + loc + LOC_WORDS, f->size - (loc + LOC_WORDS));
  const size_t size = f->size - 8;
  blob_put32(blob + loc - 4, blob_get32(f->blob + loc - 4) - 8); /* the section's length */
  blob_put16(blob + BLOB_VERSION, 1);
  blob_reseal(blob, size);
  lf_identity_t *id = NULL;
  LF_OK_(lf_identity_create_from_blob(f->context, blob, size, &id));
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_CPUSET), "4-5,9");
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_NUMA_NODES), "1-2");
  assert_string_equal(lf_test_identity_text(id, LF_IDENTITY_TEXT_LOCAL_NUMA_NODES), "");
  lf_identity_destroy(id);
  /* the version-2 bytes labelled version 1 do not parse as version 1: refused */
  memcpy(blob, f->blob, f->size);
  blob_put16(blob + BLOB_VERSION, 1);
  blob_reseal(blob, f->size);
  LF_EXPECT(LF_ERR_CORRUPT, lf_identity_create_from_blob(f->context, blob, f->size, &id));
}

static void unknown_optional_sections_are_skipped(void **state) {
  Fixture *f = *state;
  uint8_t blob[LF_IDENTITY_BLOB_MAX_SIZE];
  memcpy(blob, f->blob, f->size);
  size_t size = f->size;
  blob_put16(blob + size, 200); /* a section a newer writer might add */
  blob_put16(blob + size + 2, 0);
  blob_put32(blob + size + 4, 3);
  memcpy(blob + size + 8, "gpu\0\0\0\0\0", 8);
  size += 16;
  blob_put32(blob + BLOB_SECTION_COUNT, 4);
  blob_reseal(blob, size);
  lf_identity_t *id = NULL;
  LF_OK_(lf_identity_create_from_blob(f->context, blob, size, &id));
  lf_identity_info_t a = info_of(f->identity), b = info_of(id);
  assert_memory_equal(&a, &b, sizeof a);
  lf_identity_destroy(id);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(self_identity_matches_the_kernel),
      cmocka_unit_test(cpusets_place_an_endpoint),
      cmocka_unit_test_setup_teardown(the_blob_has_the_documented_layout, setup, teardown),
      cmocka_unit_test_setup_teardown(blobs_round_trip_exactly, setup, teardown),
      cmocka_unit_test_setup_teardown(truncated_and_flipped_blobs_are_corrupt, setup, teardown),
      cmocka_unit_test_setup_teardown(every_bad_field_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(unknown_optional_sections_are_skipped, setup, teardown),
      cmocka_unit_test_setup_teardown(version_1_blobs_are_still_read, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

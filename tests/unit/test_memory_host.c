/* Host memory: alignment, zero-fill, NUMA placement (verified page by page with
 * move_pages and get_mempolicy), huge-page requests, statistics. */
#define _GNU_SOURCE
#include "lf_test.h"

#include <numaif.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static lf_context_t *g_context;

static lf_buffer_info_t info_of(const lf_buffer_t *buffer) {
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(buffer, &info));
  return info;
}

static const char *reason_of(const lf_buffer_t *buffer) {
  const char *text = NULL;
  LF_OK_(lf_buffer_get_reason(buffer, &text));
  return text;
}

static void assert_contains(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("\"%s\" does not contain \"%s\"", text, needle);
}

static lf_buffer_t *create(size_t size, const lf_buffer_params_t *params) {
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(g_context, size, params, &buffer));
  return buffer;
}

static void default_host_memory(void **state) {
  (void)state;
  lf_buffer_t *buffer = create(1000, NULL);
  lf_buffer_info_t info = info_of(buffer);
  assert_int_equal(info.kind, LF_MEMORY_HOST);
  assert_int_equal(info.requested_kind, LF_MEMORY_HOST);
  assert_int_equal(info.size, 1000);
  assert_non_null(info.host_pointer);
  assert_true(info.flags & LF_BUFFER_HOST_VISIBLE);
  assert_int_equal((uintptr_t)info.host_pointer % 16, 0); /* malloc's alignment by default */
  assert_int_equal(info.numa_node, LF_TOPOLOGY_INDEX_NONE);
  assert_contains(reason_of(buffer), "host memory, 1000 bytes");
  void *data = NULL;
  size_t size = 0;
  LF_OK_(lf_buffer_get_data(buffer, &data, &size));
  assert_ptr_equal(data, info.host_pointer);
  assert_int_equal(size, 1000);
  memset(data, 0xAB, size);
  int fd = -1;
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_buffer_export_fd(buffer, &fd));
  LF_EXPECT_MESSAGE("cannot leave this process");
  assert_int_equal(fd, -1);
  LF_OK_(lf_buffer_destroy(buffer));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_destroy(buffer));
}

static void alignment_and_zero_fill(void **state) {
  (void)state;
  const uint64_t alignments[] = {8, 64, 4096, 65536, 2u << 20};
  for (size_t i = 0; i < sizeof alignments / sizeof alignments[0]; ++i) {
    lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_ALIGNMENT | LF_BUFFER_PARAM_FIELD_FLAGS,
                                 .alignment = alignments[i], .flags = LF_BUFFER_FLAG_ZERO};
    lf_buffer_t *buffer = create(12345, &params);
    lf_buffer_info_t info = info_of(buffer);
    assert_int_equal((uintptr_t)info.host_pointer % alignments[i], 0);
    assert_true(info.flags & LF_BUFFER_ZEROED);
    const uint8_t *bytes = info.host_pointer;
    for (size_t b = 0; b < 12345; ++b)
      if (bytes[b] != 0) fail_msg("byte %zu is %u", b, bytes[b]);
    lf_buffer_destroy(buffer);
  }
  lf_buffer_params_t bad = {.field_mask = LF_BUFFER_PARAM_FIELD_ALIGNMENT, .alignment = 48};
  lf_buffer_t *buffer = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, &bad, &buffer));
  LF_EXPECT_MESSAGE("not a power of two");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 0, NULL, &buffer));
  LF_EXPECT_MESSAGE("size is 0");
  assert_null(buffer);
}

/* The node of every page of [p, p + size), read back with move_pages (nodes = NULL). */
static void expect_pages_on_node(void *p, size_t size, int node) {
  long page = sysconf(_SC_PAGESIZE);
  size_t count = size / (size_t)page;
  void **pages = calloc(count, sizeof *pages);
  int *status = calloc(count, sizeof *status);
  for (size_t i = 0; i < count; ++i) pages[i] = (char *)p + i * (size_t)page;
  assert_int_equal(move_pages(0, (unsigned long)count, pages, NULL, status, 0), 0);
  for (size_t i = 0; i < count; ++i)
    if (status[i] != node) fail_msg("page %zu of %zu is on node %d (status), expected %d", i, count, status[i], node);
  free(pages);
  free(status);
}

static void numa_placement_is_verified_per_page(void **state) {
  (void)state;
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .placement = LF_PLACEMENT_NUMA_NODE, .numa_node = 0, .flags = LF_BUFFER_FLAG_PREFAULT};
  lf_buffer_t *buffer = create(1u << 20, &params);
  lf_buffer_info_t info = info_of(buffer);
  assert_true(info.flags & LF_BUFFER_NUMA_BOUND);
  assert_int_equal(info.numa_node, 0);
  assert_int_equal((uintptr_t)info.host_pointer % 4096, 0);
  assert_contains(reason_of(buffer), "bound to NUMA node 0 (requested)");
  expect_pages_on_node(info.host_pointer, 1u << 20, 0);

  int policy = -1;
  unsigned long mask = 0;
  assert_int_equal(get_mempolicy(&policy, &mask, sizeof mask * 8, info.host_pointer, MPOL_F_ADDR), 0);
  assert_int_equal(policy, MPOL_BIND);
  assert_int_equal(mask, 1ul);

  lf_memory_stats_t stats = {.struct_size = sizeof stats};
  LF_OK_(lf_context_get_memory_stats(g_context, &stats));
  assert_true(stats.live_bytes_by_node[0] >= (1u << 20));
  lf_buffer_destroy(buffer);
}

static void other_placements(void **state) {
  (void)state;
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .placement = LF_PLACEMENT_INTERLEAVE, .flags = LF_BUFFER_FLAG_PREFAULT};
  lf_buffer_t *buffer = create(256u << 10, &params);
  lf_buffer_info_t info = info_of(buffer);
  assert_true(info.flags & LF_BUFFER_INTERLEAVED);
  int policy = -1;
  unsigned long mask = 0;
  assert_int_equal(get_mempolicy(&policy, &mask, sizeof mask * 8, info.host_pointer, MPOL_F_ADDR), 0);
  assert_int_equal(policy, MPOL_INTERLEAVE);
  lf_buffer_destroy(buffer);

  params.placement = LF_PLACEMENT_LOCAL;
  buffer = create(64u << 10, &params);
  assert_true(info_of(buffer).flags & LF_BUFFER_NUMA_BOUND);
  assert_contains(reason_of(buffer), "local to the calling thread");
  lf_buffer_destroy(buffer);

  /* near a peer: the NUMA node(s) of its identity */
  lf_identity_t *me = NULL;
  LF_OK_(lf_identity_create(g_context, NULL, &me));
  lf_buffer_params_t near = {.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT | LF_BUFFER_PARAM_FIELD_PEER | LF_BUFFER_PARAM_FIELD_FLAGS,
                             .placement = LF_PLACEMENT_NEAR_PEER, .peer = me, .flags = LF_BUFFER_FLAG_PREFAULT};
  buffer = create(64u << 10, &near);
  assert_true(info_of(buffer).flags & LF_BUFFER_NUMA_BOUND);
  assert_contains(reason_of(buffer), "near the peer");
  lf_buffer_destroy(buffer);
  near.field_mask &= ~(uint64_t)LF_BUFFER_PARAM_FIELD_PEER;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 4096, &near, &buffer));
  LF_EXPECT_MESSAGE("needs params->peer");
  lf_identity_destroy(me);
}

static void a_missing_node_is_a_clear_error(void **state) {
  (void)state;
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT, .placement = LF_PLACEMENT_NUMA_NODE, .numa_node = 7};
  lf_buffer_t *buffer = NULL;
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_buffer_create(g_context, 4096, &params, &buffer));
  LF_EXPECT_MESSAGE("NUMA node 7 does not exist");
  params.placement = 99;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 4096, &params, &buffer));
  /* binding needs the real machine, not a synthetic topology */
  lf_context_t *synthetic = lf_test_context("synthetic:pack:2 numa:2 core:1 pu:1");
  params.placement = LF_PLACEMENT_NUMA_NODE;
  params.numa_node = 1;
  LF_EXPECT(LF_ERR_UNSUPPORTED, lf_buffer_create(synthetic, 4096, &params, &buffer));
  LF_EXPECT_MESSAGE("not this machine");
  lf_context_destroy(synthetic);
}

static unsigned long long sys_number(const char *path) {
  FILE *f = fopen(path, "r");
  unsigned long long value = 0;
  if (f != NULL) {
    if (fscanf(f, "%llu", &value) != 1) value = 0;
    fclose(f);
  }
  return value;
}

static int thp_possible(void) {
  FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  char line[128] = "";
  if (f != NULL) {
    if (fgets(line, sizeof line, f) == NULL) line[0] = '\0';
    fclose(f);
  }
  return strstr(line, "[never]") == NULL && line[0] != '\0';
}

static void huge_pages_prefer_reports_and_require_fails_cleanly(void **state) {
  (void)state;
  unsigned long long free_pages = sys_number("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
  unsigned long long reserved = sys_number("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_HUGE_PAGES, .huge_pages = LF_HUGE_PAGES_PREFER};
  lf_buffer_t *buffer = create(4u << 20, &params);
  lf_buffer_info_t info = info_of(buffer);
  const char *reason = reason_of(buffer);
  if (free_pages >= 2) {
    assert_true(info.flags & LF_BUFFER_HUGETLB);
    assert_int_equal(info.page_size, 2u << 20);
    assert_contains(reason, "hugetlbfs pages");
  } else {
    assert_int_equal(info.flags & LF_BUFFER_HUGETLB, 0);
    assert_contains(reason, "hugetlbfs has");
    if (thp_possible()) {
      assert_true(info.flags & LF_BUFFER_THP);
      assert_contains(reason, "got transparent huge pages");
      assert_int_equal((uintptr_t)info.host_pointer % (2u << 20), 0);
    }
  }
  memset(info.host_pointer, 1, 4u << 20);
  lf_buffer_destroy(buffer);

  buffer = create(64u << 10, &params); /* too small to be worth it */
  assert_contains(reason_of(buffer), "under half a 2 MiB page");
  lf_buffer_destroy(buffer);

  params.huge_pages = LF_HUGE_PAGES_REQUIRE;
  buffer = NULL;
  lf_status_t status = lf_buffer_create(g_context, 4u << 20, &params, &buffer);
  if (reserved == 0) {
    LF_EXPECT(LF_ERR_UNSUPPORTED, status);
    LF_EXPECT_MESSAGE("none are reserved");
    assert_null(buffer);
  } else if (free_pages >= 2) {
    LF_OK_(status);
    assert_true(info_of(buffer).flags & LF_BUFFER_HUGETLB);
    lf_buffer_destroy(buffer);
  }
  params.huge_pages = 5;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 4u << 20, &params, &buffer));
}

static void statistics_follow_buffers(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  lf_memory_stats_t before = {.struct_size = sizeof before}, during = {.struct_size = sizeof during},
                    after = {.struct_size = sizeof after};
  LF_OK_(lf_context_get_memory_stats(context, &before));
  lf_buffer_t *a = NULL, *b = NULL;
  LF_OK_(lf_buffer_create(context, 1000, NULL, &a));
  lf_buffer_params_t shared = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  LF_OK_(lf_buffer_create(context, 5000, &shared, &b));
  LF_OK_(lf_context_get_memory_stats(context, &during));
  assert_int_equal(during.live_bytes[LF_MEMORY_HOST] - before.live_bytes[LF_MEMORY_HOST], 1000);
  assert_int_equal(during.live_count[LF_MEMORY_HOST] - before.live_count[LF_MEMORY_HOST], 1);
  assert_int_equal(during.live_bytes[LF_MEMORY_SHARED] - before.live_bytes[LF_MEMORY_SHARED], 5000);
  assert_int_equal(during.allocations - before.allocations, 2);
  assert_true(during.high_water_bytes >= 6000);
  lf_buffer_destroy(a);
  lf_buffer_destroy(b);
  LF_OK_(lf_context_get_memory_stats(context, &after));
  assert_int_equal(after.live_bytes[LF_MEMORY_HOST], before.live_bytes[LF_MEMORY_HOST]);
  assert_int_equal(after.live_count[LF_MEMORY_SHARED], before.live_count[LF_MEMORY_SHARED]);
  assert_true(after.high_water_bytes >= 6000);
  lf_context_destroy(context);
}

typedef struct {
  int warnings;
  char message[512];
} Recorder;

static void record(int32_t level, const char *message, void *user_data) {
  Recorder *r = user_data;
  if (level == LF_LOG_WARN) {
    r->warnings++;
    strncpy(r->message, message, sizeof r->message - 1);
  }
}

static void live_buffers_are_reported_at_context_destroy(void **state) {
  (void)state;
  Recorder recorder = {0};
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_LOG_CALLBACK | LF_CONTEXT_PARAM_FIELD_NAME,
                                .log_callback = record, .log_user_data = &recorder, .name = "leaky"};
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(context, 777, NULL, &buffer));
  LF_OK_(lf_context_destroy(context));
  assert_int_equal(recorder.warnings, 1);
  assert_non_null(strstr(recorder.message, "context 'leaky' destroyed with 1 buffer(s) (777 bytes) still alive"));
  void *data = NULL;
  LF_OK_(lf_buffer_get_data(buffer, &data, NULL)); /* still valid: it keeps the context alive */
  LF_OK_(lf_buffer_destroy(buffer));
}

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context("system");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(default_host_memory),
      cmocka_unit_test(alignment_and_zero_fill),
      cmocka_unit_test(numa_placement_is_verified_per_page),
      cmocka_unit_test(other_placements),
      cmocka_unit_test(a_missing_node_is_a_clear_error),
      cmocka_unit_test(huge_pages_prefer_reports_and_require_fails_cleanly),
      cmocka_unit_test(statistics_follow_buffers),
      cmocka_unit_test(live_buffers_are_reported_at_context_destroy),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

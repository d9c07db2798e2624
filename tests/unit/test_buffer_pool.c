/* The buffer pool: reuse, limits, zeroing, stale handles, and statistics. */
#include "lf_test.h"

#include <string.h>

static lf_context_t *g_context;

static lf_buffer_pool_t *pool_of(size_t size, uint64_t flags, uint32_t max_cached, uint32_t preallocate) {
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .kind = LF_MEMORY_SHARED, .flags = flags};
  lf_buffer_pool_params_t pool_params = {.field_mask = LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED | LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE,
                                         .max_cached = max_cached, .preallocate = preallocate};
  lf_buffer_pool_t *pool = NULL;
  LF_OK_(lf_buffer_pool_create(g_context, size, &params, &pool_params, &pool));
  return pool;
}

static lf_memory_stats_t stats(void) {
  lf_memory_stats_t s = {.struct_size = sizeof s};
  LF_OK_(lf_context_get_memory_stats(g_context, &s));
  return s;
}

static void *data_of(const lf_buffer_t *buffer) {
  void *data = NULL;
  LF_OK_(lf_buffer_get_data(buffer, &data, NULL));
  return data;
}

static void released_buffers_are_reused(void **state) {
  (void)state;
  lf_memory_stats_t s0 = stats();
  lf_buffer_pool_t *pool = pool_of(65536, 0, 4, 0);
  lf_buffer_t *a = NULL;
  LF_OK_(lf_buffer_pool_acquire(pool, &a));
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(a, &info));
  assert_true(info.flags & LF_BUFFER_POOLED);
  assert_int_equal(info.kind, LF_MEMORY_SHARED);
  void *first = data_of(a);
  memcpy(first, "left by the last user", 22);
  LF_OK_(lf_buffer_destroy(a)); /* back to the pool */
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_get_data(a, &first, NULL)); /* the old handle is dead */

  lf_buffer_t *b = NULL;
  LF_OK_(lf_buffer_pool_acquire(pool, &b));
  assert_ptr_not_equal(b, a);           /* a new handle ... */
  assert_ptr_equal(data_of(b), first);  /* ... for the same memory */
  assert_string_equal((const char *)data_of(b), "left by the last user");
  lf_memory_stats_t s1 = stats();
  assert_int_equal(s1.pool_hits - s0.pool_hits, 2); /* the creation probe is cached, then reused twice */
  assert_int_equal(s1.pool_misses - s0.pool_misses, 0);
  assert_int_equal(s1.live_count[LF_MEMORY_SHARED] - s0.live_count[LF_MEMORY_SHARED], 1);
  LF_OK_(lf_buffer_destroy(b));
  LF_OK_(lf_buffer_pool_destroy(pool));
  lf_memory_stats_t s2 = stats();
  assert_int_equal(s2.pooled_bytes, s0.pooled_bytes);
  assert_int_equal(s2.live_count[LF_MEMORY_SHARED], s0.live_count[LF_MEMORY_SHARED]);
}

static void the_cache_is_bounded(void **state) {
  (void)state;
  lf_memory_stats_t s0 = stats();
  lf_buffer_pool_t *pool = pool_of(4096, 0, 2, 2);
  assert_int_equal(stats().pooled_bytes - s0.pooled_bytes, 2 * 4096);
  lf_buffer_t *b[3];
  for (int i = 0; i < 3; ++i) LF_OK_(lf_buffer_pool_acquire(pool, &b[i]));
  lf_memory_stats_t s1 = stats();
  assert_int_equal(s1.pool_hits - s0.pool_hits, 2);
  assert_int_equal(s1.pool_misses - s0.pool_misses, 1);
  assert_int_equal(s1.pooled_bytes, s0.pooled_bytes);
  for (int i = 0; i < 3; ++i) LF_OK_(lf_buffer_destroy(b[i]));
  assert_int_equal(stats().pooled_bytes - s0.pooled_bytes, 2 * 4096); /* the third was freed */
  LF_OK_(lf_buffer_pool_destroy(pool));
  assert_int_equal(stats().pooled_bytes, s0.pooled_bytes);
}

static void zeroing_pools_zero_on_reuse(void **state) {
  (void)state;
  lf_buffer_pool_t *pool = pool_of(8192, LF_BUFFER_FLAG_ZERO, 1, 0);
  lf_buffer_t *b = NULL;
  LF_OK_(lf_buffer_pool_acquire(pool, &b));
  memset(data_of(b), 0x77, 8192);
  lf_buffer_destroy(b);
  LF_OK_(lf_buffer_pool_acquire(pool, &b));
  const unsigned char *bytes = data_of(b);
  for (int i = 0; i < 8192; ++i) assert_int_equal(bytes[i], 0);
  lf_buffer_destroy(b);
  lf_buffer_pool_destroy(pool);
}

static void buffers_outlive_their_pool(void **state) {
  (void)state;
  lf_memory_stats_t s0 = stats();
  lf_buffer_pool_t *pool = pool_of(4096, 0, 4, 0);
  lf_buffer_t *b = NULL;
  LF_OK_(lf_buffer_pool_acquire(pool, &b));
  LF_OK_(lf_buffer_pool_destroy(pool));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_pool_acquire(pool, &b));
  memset(data_of(b), 1, 4096); /* still valid */
  LF_OK_(lf_buffer_destroy(b));
  assert_int_equal(stats().pooled_bytes, s0.pooled_bytes);
  assert_int_equal(stats().live_count[LF_MEMORY_SHARED], s0.live_count[LF_MEMORY_SHARED]);
}

static void bad_pools_are_refused(void **state) {
  (void)state;
  lf_buffer_pool_t *pool = NULL;
  lf_buffer_params_t named = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_NAME, .kind = LF_MEMORY_SHARED, .name = "x"};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_pool_create(g_context, 4096, &named, NULL, &pool));
  lf_buffer_pool_params_t too_many = {.field_mask = LF_BUFFER_POOL_PARAM_FIELD_PREALLOCATE, .preallocate = 99};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_pool_create(g_context, 4096, NULL, &too_many, &pool));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_pool_create(g_context, 0, NULL, NULL, &pool));
  assert_null(pool);
  LF_OK_(lf_buffer_pool_destroy(NULL));
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
      cmocka_unit_test(released_buffers_are_reused),
      cmocka_unit_test(the_cache_is_bounded),
      cmocka_unit_test(zeroing_pools_zero_on_reuse),
      cmocka_unit_test(buffers_outlive_their_pool),
      cmocka_unit_test(bad_pools_are_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* Several threads acquiring and releasing from one pool (and allocating beside it): no
 * buffer is handed to two threads at once, and the counters add up (also under TSan). */
#include "lf_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define THREADS 4
#define ROUNDS 500

static lf_context_t *g_context;
static lf_buffer_pool_t *g_pool;
static atomic_int g_errors;

static void *worker(void *arg) {
  unsigned char mark = (unsigned char)(uintptr_t)arg;
  for (int i = 0; i < ROUNDS; ++i) {
    lf_buffer_t *b = NULL;
    if (lf_buffer_pool_acquire(g_pool, &b) != LF_OK) {
      atomic_fetch_add(&g_errors, 1);
      continue;
    }
    unsigned char *data = NULL;
    size_t size = 0;
    lf_buffer_get_data(b, (void **)&data, &size);
    memset(data, mark, size);
    for (size_t j = 0; j < size; ++j)
      if (data[j] != mark) {  /* another thread wrote into "our" buffer */
        atomic_fetch_add(&g_errors, 1);
        break;
      }
    if (lf_buffer_destroy(b) != LF_OK) atomic_fetch_add(&g_errors, 1);
  }
  return NULL;
}

static void threads_share_a_pool(void **state) {
  (void)state;
  g_context = lf_test_context("system");
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  lf_buffer_pool_params_t pool_params = {.field_mask = LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED, .max_cached = 2};
  LF_OK_(lf_buffer_pool_create(g_context, 4096, &params, &pool_params, &g_pool));
  pthread_t threads[THREADS];
  for (uintptr_t i = 0; i < THREADS; ++i) assert_int_equal(pthread_create(&threads[i], NULL, worker, (void *)(i + 1)), 0);
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  assert_int_equal(atomic_load(&g_errors), 0);
  lf_memory_stats_t s = {.struct_size = sizeof s};
  LF_OK_(lf_context_get_memory_stats(g_context, &s));
  assert_int_equal(s.pool_hits + s.pool_misses, THREADS * ROUNDS);
  assert_int_equal(s.live_count[LF_MEMORY_SHARED], 0);
  LF_OK_(lf_buffer_pool_destroy(g_pool));
  LF_OK_(lf_context_get_memory_stats(g_context, &s));
  assert_int_equal(s.pooled_bytes, 0);
  LF_OK_(lf_context_destroy(g_context));
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {cmocka_unit_test(threads_share_a_pool)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Handles used from several threads at once: creation, use and destruction race without
 * crashes, leaks or data races (this test also runs under ThreadSanitizer). */
#include "lf_test.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sched.h>
#include <stdlib.h>

#define THREADS 4

static lf_context_t *g_context;
static lf_identity_t *g_shared;
static atomic_int g_stop;
static atomic_int g_ok, g_invalid, g_other;

static void *create_use_destroy(void *arg) {
  (void)arg;
  for (int i = 0; i < 300; ++i) {
    lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = (i % 2) ? "0" : "4-5"};
    lf_identity_t *id = NULL;
    if (lf_identity_create(g_context, &params, &id) != LF_OK) {
      atomic_fetch_add(&g_other, 1);
      continue;
    }
    lf_scope_info_t info = {.struct_size = sizeof info};
    if (lf_scope_decide(g_context, id, id, &info) != LF_OK || info.level != LF_SCOPE_PROCESS) atomic_fetch_add(&g_other, 1);
    if (lf_identity_destroy(id) != LF_OK) atomic_fetch_add(&g_other, 1);
  }
  return NULL;
}

static void many_threads_create_and_destroy(void **state) {
  (void)state;
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; ++i) assert_int_equal(pthread_create(&threads[i], NULL, create_use_destroy, NULL), 0);
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  assert_int_equal(atomic_load(&g_other), 0);
}

static void *use_shared(void *arg) {
  (void)arg;
  while (!atomic_load(&g_stop)) {
    lf_identity_info_t info = {.struct_size = sizeof info};
    lf_status_t status = lf_identity_get_info(g_shared, &info);
    if (status == LF_OK && info.pu_count == 2) atomic_fetch_add(&g_ok, 1);
    else if (status == LF_ERR_INVALID_HANDLE) atomic_fetch_add(&g_invalid, 1);
    else atomic_fetch_add(&g_other, 1);
  }
  return NULL;
}

static void destroying_while_others_use_it_is_safe(void **state) {
  (void)state;
  for (int round = 0; round < 20; ++round) {
    lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = "4-5"};
    LF_OK_(lf_identity_create(g_context, &params, &g_shared));
    atomic_store(&g_stop, 0);
    atomic_store(&g_ok, 0);
    atomic_store(&g_invalid, 0);
    pthread_t threads[THREADS - 1];
    for (int i = 0; i < THREADS - 1; ++i) assert_int_equal(pthread_create(&threads[i], NULL, use_shared, NULL), 0);
    while (atomic_load(&g_ok) < 50) sched_yield();
    LF_OK_(lf_identity_destroy(g_shared));
    int invalid_then = atomic_load(&g_invalid);
    while (atomic_load(&g_invalid) < invalid_then + 10) sched_yield(); /* everyone now sees it gone */
    atomic_store(&g_stop, 1);
    for (int i = 0; i < THREADS - 1; ++i) pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&g_other), 0);
    LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_identity_destroy(g_shared));
  }
}

static atomic_int g_destroy_ok, g_destroy_invalid;

static void *destroy_shared(void *arg) {
  (void)arg;
  lf_status_t status = lf_identity_destroy(g_shared);
  atomic_fetch_add(status == LF_OK ? &g_destroy_ok : &g_destroy_invalid, 1);
  return NULL;
}

static void exactly_one_concurrent_destroy_succeeds(void **state) {
  (void)state;
  for (int round = 0; round < 50; ++round) {
    LF_OK_(lf_identity_create(g_context, NULL, &g_shared));
    atomic_store(&g_destroy_ok, 0);
    atomic_store(&g_destroy_invalid, 0);
    pthread_t threads[THREADS];
    for (int i = 0; i < THREADS; ++i) assert_int_equal(pthread_create(&threads[i], NULL, destroy_shared, NULL), 0);
    for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
    assert_int_equal(atomic_load(&g_destroy_ok), 1);
    assert_int_equal(atomic_load(&g_destroy_invalid), THREADS - 1);
  }
}

static void *create_contexts(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; ++i) {
    lf_context_t *context = lf_test_context("synthetic:pack:2 core:2 pu:1");
    lf_identity_t *id = NULL;
    if (lf_identity_create(context, NULL, &id) != LF_OK) atomic_fetch_add(&g_other, 1);
    lf_context_destroy(context); /* before its child: the identity keeps it alive */
    lf_identity_info_t info = {.struct_size = sizeof info};
    if (lf_identity_get_info(id, &info) != LF_OK) atomic_fetch_add(&g_other, 1);
    lf_identity_destroy(id);
  }
  return NULL;
}

static void contexts_are_created_concurrently(void **state) {
  (void)state;
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; ++i) assert_int_equal(pthread_create(&threads[i], NULL, create_contexts, NULL), 0);
  for (int i = 0; i < THREADS; ++i) pthread_join(threads[i], NULL);
  assert_int_equal(atomic_load(&g_other), 0);
}

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(many_threads_create_and_destroy),
      cmocka_unit_test(destroying_while_others_use_it_is_safe),
      cmocka_unit_test(exactly_one_concurrent_destroy_succeeds),
      cmocka_unit_test(contexts_are_created_concurrently),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

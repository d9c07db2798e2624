/* Status codes, their texts, and the thread-local last error. */
#include "lf_test.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const lf_status_t kAll[] = {
    LF_OK, LF_WOULD_BLOCK, LF_TIMEOUT, LF_END_OF_STREAM, LF_OVERWRITTEN, LF_EPOCH_CHANGED, LF_ERR_INVALID_ARGUMENT, LF_ERR_BUFFER_TOO_SMALL,
    LF_ERR_INVALID_HANDLE, LF_ERR_INVALID_STATE, LF_ERR_NO_MEMORY, LF_ERR_NOT_FOUND, LF_ERR_EXISTS,
    LF_ERR_PERMISSION, LF_ERR_LIMIT, LF_ERR_SYSTEM, LF_ERR_BUSY, LF_ERR_PEER_DEAD, LF_ERR_CLOSED,
    LF_ERR_PROTOCOL, LF_ERR_CORRUPT, LF_ERR_VERSION_MISMATCH, LF_ERR_AUTH, LF_ERR_UNSUPPORTED, LF_ERR_INTERNAL};
#define COUNT (sizeof kAll / sizeof kAll[0])

static void every_status_has_a_distinct_text_and_name(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT; ++i) {
    assert_string_not_equal(lf_status_string(kAll[i]), "unknown status");
    assert_true(strncmp(lf_status_name(kAll[i]), "LF_", 3) == 0);
    for (size_t j = 0; j < i; ++j) {
      assert_string_not_equal(lf_status_string(kAll[i]), lf_status_string(kAll[j]));
      assert_string_not_equal(lf_status_name(kAll[i]), lf_status_name(kAll[j]));
    }
  }
  assert_string_equal(lf_status_name(LF_ERR_INVALID_HANDLE), "LF_ERR_INVALID_HANDLE");
  assert_string_equal(lf_status_string(12345), "unknown status");
  assert_string_equal(lf_status_name(-9999), "LF_UNKNOWN_STATUS");
}

static void statuses_follow_the_sign_convention(void **state) {
  (void)state;
  assert_int_equal(LF_OK, 0);
  assert_true(LF_WOULD_BLOCK > 0 && LF_TIMEOUT > 0 && LF_END_OF_STREAM > 0);
  /* errors are negative and grouped: argument, handle, resource, peer, data, unsupported, internal */
  assert_true(LF_ERR_INVALID_ARGUMENT <= -1 && LF_ERR_INVALID_ARGUMENT >= -19);
  assert_true(LF_ERR_INVALID_HANDLE <= -20 && LF_ERR_INVALID_HANDLE >= -39);
  assert_true(LF_ERR_NO_MEMORY <= -40 && LF_ERR_BUSY >= -59);
  assert_true(LF_ERR_PEER_DEAD <= -60 && LF_ERR_PROTOCOL >= -79);
  assert_true(LF_ERR_CORRUPT <= -80 && LF_ERR_AUTH >= -99);
  assert_true(LF_ERR_UNSUPPORTED <= -100 && LF_ERR_UNSUPPORTED >= -119);
  assert_true(LF_ERR_INTERNAL <= -120);
}

static void a_failing_call_explains_itself(void **state) {
  (void)state;
  lf_last_error_clear();
  assert_string_equal(lf_last_error_message(), "");
  assert_int_equal(lf_last_error_status(), LF_OK);

  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_context_create(NULL, NULL));
  LF_EXPECT_MESSAGE("lf_context_create");
  LF_EXPECT_MESSAGE("out_context is NULL");
  assert_int_equal(lf_last_error_status(), LF_ERR_INVALID_ARGUMENT);

  /* a successful call does not erase it */
  LF_OK_(lf_log_set_level(LF_LOG_OFF));
  LF_EXPECT_MESSAGE("out_context is NULL");

  lf_last_error_clear();
  assert_string_equal(lf_last_error_message(), "");
  assert_int_equal(lf_last_error_status(), LF_OK);
}

static void *fail_in_thread(void *arg) {
  (void)arg;
  static char seen_at_start[64];
  strncpy(seen_at_start, lf_last_error_message(), sizeof seen_at_start - 1);
  (void)lf_identity_destroy((lf_identity_t *)(uintptr_t)0x1234);
  return seen_at_start;
}

static void the_last_error_is_per_thread(void **state) {
  (void)state;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_context_create(NULL, NULL));
  pthread_t thread;
  void *seen = NULL;
  assert_int_equal(pthread_create(&thread, NULL, fail_in_thread, NULL), 0);
  assert_int_equal(pthread_join(thread, &seen), 0);
  assert_string_equal((const char *)seen, ""); /* a new thread starts clean */
  /* the other thread's failure did not overwrite ours */
  LF_EXPECT_MESSAGE("lf_context_create");
}

static void versions_agree(void **state) {
  (void)state;
  assert_int_equal(lf_version_number(), LF_VERSION_NUMBER);
  assert_int_equal(LF_VERSION_NUMBER, LF_VERSION_MAJOR * 10000 + LF_VERSION_MINOR * 100 + LF_VERSION_PATCH);
  assert_string_equal(lf_version_string(), LF_VERSION_STRING);
  char expected[32];
  snprintf(expected, sizeof expected, "%d.%d.%d", LF_VERSION_MAJOR, LF_VERSION_MINOR, LF_VERSION_PATCH);
  assert_string_equal(lf_version_string(), expected);
  assert_int_equal(lf_abi_version(), LF_ABI_VERSION);
}

static void feature_bits_have_names(void **state) {
  (void)state;
  uint64_t known = 0;
  for (uint64_t bit = LF_FEATURE_NUMA; bit <= LF_FEATURE_SODIUM; bit <<= 1) {
    assert_string_not_equal(lf_feature_name(bit), "unknown");
    known |= bit;
  }
  assert_string_equal(lf_feature_name(0), "unknown");
  assert_string_equal(lf_feature_name(LF_FEATURE_NUMA | LF_FEATURE_MPI), "unknown");
  assert_int_equal(lf_build_features() & ~known, 0);
  /* liblavaflow reports only its own features: the MPI transport's are liblavaflow_mpi's. */
  assert_int_equal(lf_build_features() & ~(uint64_t)(LF_FEATURE_NUMA | LF_FEATURE_VULKAN), 0);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_status_has_a_distinct_text_and_name),
      cmocka_unit_test(statuses_follow_the_sign_convention),
      cmocka_unit_test(a_failing_call_explains_itself),
      cmocka_unit_test(the_last_error_is_per_thread),
      cmocka_unit_test(versions_agree),
      cmocka_unit_test(feature_bits_have_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

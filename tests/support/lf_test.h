/* Helpers shared by lavaflow's cmocka tests. Tests use only the public C API. */
#ifndef LF_TEST_H
#define LF_TEST_H

#include <lavaflow/lavaflow.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus  /* (the C++ wrapper's tests use these too; cmocka's print_error is C) */
extern "C" {
#endif
#include <cmocka.h>

/* Asserts that `call` returned `expected`; on failure prints both statuses and the
 * thread's last error message. */
#define LF_EXPECT(expected, call) lf_test_expect((expected), (call), #call, __FILE__, __LINE__)
#define LF_OK_(call) LF_EXPECT(LF_OK, call)
void lf_test_expect(lf_status_t expected, lf_status_t got, const char *expr, const char *file, int line);

/* Asserts that the last error message contains `needle`. */
#define LF_EXPECT_MESSAGE(needle) lf_test_expect_message((needle), __FILE__, __LINE__)
void lf_test_expect_message(const char *needle, const char *file, int line);

/* Clears every LAVAFLOW_* variable so that the caller's environment cannot change results. */
void lf_test_reset_environment(void);

/* A context on the given topology ("system", "synthetic:...", "xml:..."), ignoring the
 * environment. Never NULL (fails the test instead). */
lf_context_t *lf_test_context(const char *topology);

/* cmocka group setup/teardown: a "system" context as the group's state (each test reads it
 * from *state). */
int lf_test_setup_system_context(void **state);
int lf_test_teardown_context(void **state);

/* Serializes an identity into a malloc'ed buffer (free it); size in *out_size. */
uint8_t *lf_test_serialize(const lf_identity_t *identity, size_t *out_size);

/* Runs argv (argv[0] is a path) with extra "NAME=value" environment entries (NULL-terminated
 * list, may be NULL), collecting stdout (and stderr if capture_stderr) into a malloc'ed buffer.
 * Returns the exit status as from waitpid, or -1 if the program could not be started. */
int lf_test_run(char *const argv[], char *const extra_env[], int capture_stderr, uint8_t **out_output,
                size_t *out_size);

/* The helper program (tests/helpers/lf_test_helper.c), from LF_TEST_HELPER. */
const char *lf_test_helper_path(void);

/* How many iterations a long test runs: `count` in plain builds; sanitizer builds set
 * LF_TEST_SCALE (a percentage) because they run the same code many times slower. */
uint32_t lf_test_scaled(uint32_t count);

/* Text of a text-output call, into a static per-call buffer of 4096 bytes. */
const char *lf_test_identity_text(const lf_identity_t *identity, int32_t which);

/* Make a fresh temporary directory; returns a malloc'ed path. */
char *lf_test_temp_dir(void);

#ifdef __cplusplus
}
#endif

#endif /* LF_TEST_H */

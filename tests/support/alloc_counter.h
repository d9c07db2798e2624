/* Counts heap allocations made by the calling thread (malloc, calloc, realloc, the aligned
 * variants, and C++ new, which calls malloc), to prove that hot paths allocate nothing.
 * Per thread, because lavaflow's own background thread (channel connections) may allocate
 * at any moment without being on anyone's hot path. Link alloc_counter.c only into tests
 * that need it: it replaces malloc. */
#ifndef LF_TEST_ALLOC_COUNTER_H
#define LF_TEST_ALLOC_COUNTER_H

/* Installs the counter if needed; returns the calling thread's allocations so far. */
unsigned long lf_test_allocations(void);

/* From now on, allocations made with a frame of a library whose path contains one of
 * `libraries` (NULL-terminated; NULL: none) on the stack are not counted: another library's
 * own allocations (an MPI implementation buffering an unexpected message) are not lavaflow's
 * hot path. Costs a backtrace per allocation while set. */
void lf_test_allocations_ignore(const char *const *libraries);

#endif

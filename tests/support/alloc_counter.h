/* Counts heap allocations made by the calling thread (malloc, calloc, realloc, the aligned
 * variants, and C++ new, which calls malloc), to prove that hot paths allocate nothing.
 * Per thread, because lavaflow's own background thread (channel connections) may allocate
 * at any moment without being on anyone's hot path. Link alloc_counter.c only into tests
 * that need it: it replaces malloc. */
#ifndef LF_TEST_ALLOC_COUNTER_H
#define LF_TEST_ALLOC_COUNTER_H

/* Installs the counter if needed; returns the calling thread's allocations so far. */
unsigned long lf_test_allocations(void);

#endif

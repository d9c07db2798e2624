/* Counts heap allocations made by this process (malloc, calloc, realloc, the aligned
 * variants, and C++ new, which calls malloc), to prove that hot paths allocate nothing.
 * Link alloc_counter.c only into tests that need it: it replaces malloc. */
#ifndef LF_TEST_ALLOC_COUNTER_H
#define LF_TEST_ALLOC_COUNTER_H

/* Installs the counter if needed; returns the number of allocations so far. */
unsigned long lf_test_allocations(void);

#endif

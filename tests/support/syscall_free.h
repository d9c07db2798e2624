/* Runs a loop in a forked child under seccomp strict mode, where any system call other than
 * read, write, exit and sigreturn kills the process: proof that the loop makes none. */
#ifndef LF_TEST_SYSCALL_FREE_H
#define LF_TEST_SYSCALL_FREE_H

#include <stdint.h>

/* Runs `loop(arg)` in the child and returns the value it computed (compare it with a run in
 * the parent). Fails the test, naming `what`, if the child was killed or could not run it. */
uint32_t lf_test_syscall_free(uint32_t (*loop)(void *arg), void *arg, const char *what);

#endif

#define _GNU_SOURCE
#include "alloc_counter.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local unsigned long g_allocations;
static _Thread_local int g_classifying;  /* (backtrace() may allocate itself) */
static const char *const *g_ignored;

void lf_test_allocations_ignore(const char *const *libraries) { g_ignored = libraries; }

/* Whether this allocation counts: not made on behalf of an ignored library. */
static int counts(void) {
  if (g_ignored == NULL) return 1;
  if (g_classifying) return 0;
  g_classifying = 1;
  void *frames[48];
  const int n = backtrace(frames, 48);
  int ignored = 0;
  for (int i = 0; i < n && !ignored; ++i) {
    Dl_info info;
    if (dladdr(frames[i], &info) == 0 || info.dli_fname == NULL) continue;
    for (const char *const *library = g_ignored; *library != NULL && !ignored; ++library)
      ignored = strstr(info.dli_fname, *library) != NULL;
  }
  g_classifying = 0;
  return !ignored;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
/* Sanitizers own malloc; they offer hooks instead. (Declared here because GCC does not
 * ship sanitizer/allocator_interface.h; the runtimes of GCC and clang both provide it.) */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));

static void on_malloc(const volatile void *pointer, size_t size) {
  (void)pointer;
  (void)size;
  if (counts()) ++g_allocations;
}
static void on_free(const volatile void *pointer) { (void)pointer; }

unsigned long lf_test_allocations(void) {
  static int installed = 0;
  if (!installed) {
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
    installed = 1;
  }
  return g_allocations;
}

#else
/* Plain builds: interpose the allocator and forward to glibc's implementation. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static void count(void) {
  if (counts()) ++g_allocations;
}

void *malloc(size_t size) {
  count();
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  count();
  return __libc_calloc(n, size);
}
void *realloc(void *pointer, size_t size) {
  count();
  return __libc_realloc(pointer, size);
}
void *memalign(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
void *aligned_alloc(size_t alignment, size_t size) {
  count();
  return __libc_memalign(alignment, size);
}
int posix_memalign(void **out, size_t alignment, size_t size) {
  count();
  void *p = __libc_memalign(alignment, size);
  if (p == NULL) return ENOMEM;
  *out = p;
  return 0;
}

unsigned long lf_test_allocations(void) { return g_allocations; }
#endif

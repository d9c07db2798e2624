/* bench_scope: what a scope decision costs, against raw baselines measured in the same run.
 *
 * Baselines: comparing two identity blobs with memcmp (the cheapest conceivable
 * "are these the same?" over the same facts) and one cheap system call (getppid), since a
 * decision must cost no system call. The peer is a real child process, so the decision
 * is the cross-process one a channel makes.
 *
 *   bench_scope [--quick]
 */
#define _GNU_SOURCE
#include "bench_common.h"

#include <lavaflow/lavaflow.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static lf_context_t *g_context;
static lf_identity_t *g_self, *g_peer;
static unsigned char g_blob_a[LF_IDENTITY_BLOB_MAX_SIZE], g_blob_b[LF_IDENTITY_BLOB_MAX_SIZE];
static size_t g_blob_size;
static volatile uint64_t g_sink;

static void die(const char *what) {
  fprintf(stderr, "bench_scope: %s: %s\n", what, lf_last_error_message());
  exit(1);
}

static void raw_memcmp(void *arg) {
  (void)arg;
  g_sink += (uint64_t)memcmp(g_blob_a, g_blob_b, g_blob_size);
}

static void raw_syscall(void *arg) {
  (void)arg;
  g_sink += (uint64_t)syscall(SYS_getppid);
}

static void decide(void *arg) {
  lf_identity_t *peer = arg;
  lf_scope_info_t info = {.struct_size = sizeof info};
  if (lf_scope_decide(g_context, g_self, peer, &info) != LF_OK) die("lf_scope_decide");
  g_sink += info.mechanisms;
}

static void create_scope(void *arg) {
  (void)arg;
  lf_scope_t *scope = NULL;
  if (lf_scope_create(g_context, g_self, g_peer, &scope) != LF_OK) die("lf_scope_create");
  lf_scope_destroy(scope);
}

static void create_identity(void *arg) {
  (void)arg;
  lf_identity_t *id = NULL;
  if (lf_identity_create(g_context, NULL, &id) != LF_OK) die("lf_identity_create");
  lf_identity_destroy(id);
}

static void serialize(void *arg) {
  (void)arg;
  size_t size = 0;
  if (lf_identity_serialize(g_self, g_blob_b, sizeof g_blob_b, &size) != LF_OK) die("lf_identity_serialize");
}

static void parse(void *arg) {
  (void)arg;
  lf_identity_t *id = NULL;
  if (lf_identity_create_from_blob(g_context, g_blob_a, g_blob_size, &id) != LF_OK) die("lf_identity_create_from_blob");
  lf_identity_destroy(id);
}

/* The identity of a child process: this program re-executed with --print-identity. */
static lf_identity_t *child_identity(void) {
  int fds[2];
  if (pipe(fds) != 0) die("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    execl("/proc/self/exe", "bench_scope", "--print-identity", (char *)NULL);
    _exit(127);
  }
  close(fds[1]);
  static unsigned char blob[LF_IDENTITY_BLOB_MAX_SIZE];
  size_t size = 0;
  ssize_t n;
  while ((n = read(fds[0], blob + size, sizeof blob - size)) > 0) size += (size_t)n;
  close(fds[0]);
  waitpid(pid, NULL, 0);
  lf_identity_t *id = NULL;
  if (lf_identity_create_from_blob(g_context, blob, size, &id) != LF_OK) die("child identity");
  return id;
}

int main(int argc, char **argv) {
  int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  if (lf_context_create(NULL, &g_context) != LF_OK) die("lf_context_create");
  if (lf_identity_create(g_context, NULL, &g_self) != LF_OK) die("lf_identity_create");
  if (lf_identity_serialize(g_self, g_blob_a, sizeof g_blob_a, &g_blob_size) != LF_OK) die("serialize");
  if (argc > 1 && strcmp(argv[1], "--print-identity") == 0) {
    fwrite(g_blob_a, 1, g_blob_size, stdout);
    return 0;
  }
  memcpy(g_blob_b, g_blob_a, g_blob_size);
  g_peer = child_identity();

  const uint64_t n = quick ? 2000 : 2000000;
  const uint64_t slow = quick ? 200 : 20000;
  const int reps = quick ? 2 : 7;
  double cmp = bench_best_ns(raw_memcmp, NULL, n, reps);
  double sys = bench_best_ns(raw_syscall, NULL, n / 4, reps);
  double d_process = bench_best_ns(decide, g_self, n, reps);
  double d_peer = bench_best_ns(decide, g_peer, n, reps);
  double c_scope = bench_best_ns(create_scope, NULL, slow, reps);
  double c_identity = bench_best_ns(create_identity, NULL, slow, reps);
  double ser = bench_best_ns(serialize, NULL, slow * 10, reps);
  double par = bench_best_ns(parse, NULL, slow * 10, reps);

  printf("lavaflow %s, identity blob %zu bytes, %s\n", lf_version_string(), g_blob_size,
         quick ? "quick run (numbers not meaningful)" : "best mean of 7 repetitions");
  bench_table_header("Scope decision between two known identities");
  bench_table_row("raw memcmp of two identity blobs", cmp, NULL, 0);
  bench_table_row("raw getppid() system call", sys, NULL, 0);
  bench_table_row("lf_scope_decide, same process", d_process, "raw memcmp", cmp);
  bench_table_row("lf_scope_decide, child process", d_peer, "raw memcmp", cmp);
  bench_table_row("lf_scope_decide, child process", d_peer, "raw getppid()", sys);
  bench_table_header("With reasons, and the identity itself (setup costs)");
  bench_table_row("lf_scope_create + destroy (text reasons)", c_scope, "lf_scope_decide", d_peer);
  bench_table_row("lf_identity_create + destroy (reads /proc)", c_identity, "raw getppid()", sys);
  bench_table_row("lf_identity_serialize", ser, "raw memcmp", cmp);
  bench_table_row("lf_identity_create_from_blob + destroy", par, "raw memcmp", cmp);

  lf_identity_destroy(g_peer);
  lf_identity_destroy(g_self);
  lf_context_destroy(g_context);
  return 0;
}

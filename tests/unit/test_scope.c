/* Scope decisions between identities of this process, and between identities edited to
 * differ in exactly one fact (as a peer's blob would). */
#include "blob_edit.h"
#include "lf_test.h"

#include <stdlib.h>
#include <string.h>

#define TOPOLOGY "synthetic:pack:2 numa:2 core:2 pu:2"

static lf_context_t *g_context;

static lf_identity_t *at(const char *cpuset) {
  lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = cpuset};
  lf_identity_t *id = NULL;
  LF_OK_(lf_identity_create(g_context, &params, &id));
  return id;
}

typedef void (*Edit)(uint8_t *blob, size_t size, size_t process_section);

/* A copy of `id` as another endpoint would send it, with one edit applied. */
static lf_identity_t *edited(const lf_identity_t *id, Edit edit) {
  size_t size = 0;
  uint8_t *blob = lf_test_serialize(id, &size);
  size_t proc = blob_section(blob, size, 2, NULL);
  edit(blob, size, proc);
  blob_reseal(blob, size);
  lf_identity_t *copy = NULL;
  LF_OK_(lf_identity_create_from_blob(g_context, blob, size, &copy));
  free(blob);
  return copy;
}

static void other_pid(uint8_t *b, size_t n, size_t p) { (void)n; blob_put32(b + p + PROC_PID, blob_get32(b + p + PROC_PID) + 1); }
static void other_boot(uint8_t *b, size_t n, size_t p) { (void)p; b[blob_section(b, n, 1, NULL) + HOST_BOOT_ID] ^= 1; }
static void unknown_boot(uint8_t *b, size_t n, size_t p) {
  memset(b + blob_section(b, n, 1, NULL) + HOST_BOOT_ID, 0, 16);
  blob_put32(b + p + PROC_FLAGS, blob_get32(b + p + PROC_FLAGS) & ~(uint32_t)LF_IDENTITY_KNOWN_BOOT_ID);
}
static void other_base_dir(uint8_t *b, size_t n, size_t p) { (void)n; blob_put64(b + p + PROC_BASE_DEVICE, 12345); }
static void other_ipc_and_base(uint8_t *b, size_t n, size_t p) { other_base_dir(b, n, p); blob_put64(b + p + PROC_IPC_NS, 42); }
/* (a changed uid alone could be the same process after setuid: make it another process too) */
static void other_uid(uint8_t *b, size_t n, size_t p) { other_pid(b, n, p); blob_put32(b + p + PROC_UID, blob_get32(b + p + PROC_UID) + 1000); }
static void other_user_ns(uint8_t *b, size_t n, size_t p) { other_pid(b, n, p); blob_put64(b + p + PROC_USER_NS, 7); }
static void other_pid_ns(uint8_t *b, size_t n, size_t p) { (void)n; blob_put64(b + p + PROC_PID_NS, 7); }
static void other_start_time(uint8_t *b, size_t n, size_t p) { (void)n; blob_put64(b + p + PROC_START_TIME, blob_get64(b + p + PROC_START_TIME) + 1); }
static void yama_3(uint8_t *b, size_t n, size_t p) { (void)n; blob_put32(b + p + PROC_PTRACE_SCOPE, 3); }
static void drop_cap(uint8_t *b, size_t n, size_t p) { /* and Yama off, to test dumpability alone */
  (void)n;
  blob_put32(b + p + PROC_PTRACE_SCOPE, 0);
  blob_put32(b + p + PROC_FLAGS, blob_get32(b + p + PROC_FLAGS) & ~(uint32_t)LF_IDENTITY_CAP_SYS_PTRACE);
}
static void weak_peer(uint8_t *b, size_t n, size_t p) { /* another pid, not dumpable, no CAP_SYS_PTRACE */
  other_pid(b, n, p);
  blob_put32(b + p + PROC_PTRACE_SCOPE, 0);
  uint32_t flags = blob_get32(b + p + PROC_FLAGS);
  blob_put32(b + p + PROC_FLAGS, flags & ~(uint32_t)(LF_IDENTITY_DUMPABLE | LF_IDENTITY_CAP_SYS_PTRACE));
}

/* Whether two processes like this one may use CMA on each other here (privilege, Yama). */
static uint32_t cma_here(void) {
  lf_identity_t *me = at("0");
  lf_identity_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_identity_get_info(me, &info));
  lf_identity_destroy(me);
  int privileged = (info.flags & LF_IDENTITY_CAP_SYS_PTRACE) != 0;
  int classic = info.ptrace_scope == 0 && (info.flags & LF_IDENTITY_DUMPABLE) != 0;
  return (privileged || classic) ? LF_MECHANISM_CMA : 0u;
}

static lf_scope_info_t decide(const lf_identity_t *a, const lf_identity_t *b) {
  lf_scope_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_scope_decide(g_context, a, b, &info));
  return info;
}

/* The scope with its reasons; also checks that lf_scope_create agrees with lf_scope_decide. */
static lf_scope_t *scope_of(lf_context_t *context, const lf_identity_t *a, const lf_identity_t *b) {
  lf_scope_t *scope = NULL;
  LF_OK_(lf_scope_create(context, a, b, &scope));
  lf_scope_info_t created = {.struct_size = sizeof created}, decided = {.struct_size = sizeof decided};
  LF_OK_(lf_scope_get_info(scope, &created));
  LF_OK_(lf_scope_decide(context, a, b, &decided));
  assert_memory_equal(&created, &decided, sizeof created);
  return scope;
}

static const char *reason_of(const lf_scope_t *scope) {
  const char *text = NULL;
  LF_OK_(lf_scope_get_reason(scope, &text));
  return text;
}

static const char *mechanism_reason(const lf_scope_t *scope, uint32_t mechanism) {
  const char *text = NULL;
  LF_OK_(lf_scope_get_mechanism_reason(scope, mechanism, &text));
  assert_true(strlen(text) > 0);
  return text;
}

static void assert_contains(const char *text, const char *needle) {
  if (strstr(text, needle) == NULL) fail_msg("\"%s\" does not contain \"%s\"", text, needle);
}

static void same_process_threads_share_the_address_space(void **state) {
  (void)state;
  struct {
    const char *a, *b;
    int32_t hardware;
  } cases[] = {{"0", "1", LF_SCOPE_NUMA},     {"0", "4", LF_SCOPE_PACKAGE}, {"0", "8", LF_SCOPE_HOST},
               {"0-7", "3", LF_SCOPE_PACKAGE}, {"0-15", "0", LF_SCOPE_HOST}, {"2-3", "0-1", LF_SCOPE_NUMA}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    lf_identity_t *a = at(cases[i].a), *b = at(cases[i].b);
    lf_scope_info_t info = decide(a, b);
    assert_int_equal(info.level, LF_SCOPE_PROCESS);
    assert_int_equal(info.detected_level, LF_SCOPE_PROCESS);
    assert_int_equal(info.hardware_level, cases[i].hardware);
    assert_int_equal(info.mechanisms, LF_MECHANISM_ADDRESS_SPACE | LF_MECHANISM_SHARED_MEMORY |
                                          LF_MECHANISM_FD_PASSING | LF_MECHANISM_CMA | LF_MECHANISM_NETWORK);
    assert_int_equal(info.flags, 0);
    lf_identity_destroy(a);
    lf_identity_destroy(b);
  }
}

static void other_processes_are_placed_by_numa_node_and_package(void **state) {
  (void)state;
  struct {
    const char *a, *b;
    int32_t level;
    const char *why;
  } cases[] = {{"0", "1", LF_SCOPE_NUMA, "lie in NUMA node 0"},
               {"0", "4", LF_SCOPE_PACKAGE, "lie in package 0 but in no common NUMA node"},
               {"0", "8", LF_SCOPE_HOST, "lie in no common NUMA node or package"},
               {"0-7", "0", LF_SCOPE_PACKAGE, "lie in package 0"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    lf_identity_t *a = at(cases[i].a), *b0 = at(cases[i].b);
    lf_identity_t *b = edited(b0, other_pid);
    lf_scope_t *scope = scope_of(g_context, a, b);
    lf_scope_info_t info = decide(a, b);
    assert_int_equal(info.level, cases[i].level);
    assert_int_equal(info.hardware_level, cases[i].level);
    assert_int_equal(info.mechanisms,
                     LF_MECHANISM_SHARED_MEMORY | LF_MECHANISM_FD_PASSING | cma_here() | LF_MECHANISM_NETWORK);
    assert_contains(reason_of(scope), cases[i].why);
    assert_contains(mechanism_reason(scope, LF_MECHANISM_ADDRESS_SPACE), "different processes");
    assert_contains(mechanism_reason(scope, LF_MECHANISM_VULKAN_MEMORY), "no Vulkan device");
    lf_scope_destroy(scope);
    lf_identity_destroy(a);
    lf_identity_destroy(b0);
    lf_identity_destroy(b);
  }
}

/* One fact differs: expected level, mechanisms, and words in the reasons. */
static void one_fact_differs(Edit edit, int32_t level, uint32_t mechanisms, uint32_t about, const char *level_why,
                             const char *mechanism_why) {
  lf_identity_t *a = at("0-1"), *b = edited(a, edit);
  lf_scope_t *scope = scope_of(g_context, a, b);
  lf_scope_info_t info = decide(a, b);
  assert_int_equal(info.level, level);
  assert_int_equal(info.mechanisms, mechanisms);
  if (level_why) assert_contains(reason_of(scope), level_why);
  if (mechanism_why) assert_contains(mechanism_reason(scope, about), mechanism_why);
  lf_scope_destroy(scope);
  lf_identity_destroy(a);
  lf_identity_destroy(b);
}

static void each_fact_rules_something_out(void **state) {
  (void)state;
  const uint32_t host_mechanisms =
      LF_MECHANISM_SHARED_MEMORY | LF_MECHANISM_FD_PASSING | cma_here() | LF_MECHANISM_NETWORK;
  one_fact_differs(other_boot, LF_SCOPE_REMOTE, LF_MECHANISM_NETWORK, LF_MECHANISM_SHARED_MEMORY,
                   "boot ids differ", "different hosts");
  one_fact_differs(unknown_boot, LF_SCOPE_REMOTE, LF_MECHANISM_NETWORK, LF_MECHANISM_CMA,
                   "the boot id of endpoint B is unknown", "different hosts");
  one_fact_differs(other_base_dir, LF_SCOPE_ISOLATED, LF_MECHANISM_NETWORK, LF_MECHANISM_SHARED_MEMORY,
                   "base directories are different filesystems", "isolated");
  one_fact_differs(other_ipc_and_base, LF_SCOPE_ISOLATED, LF_MECHANISM_NETWORK, LF_MECHANISM_FD_PASSING,
                   "IPC namespaces differ too", "treated as remote");
  one_fact_differs(other_start_time, LF_SCOPE_NUMA, host_mechanisms, LF_MECHANISM_ADDRESS_SPACE,
                   "both cpusets", "different processes"); /* same pid, reused by a later process */
  one_fact_differs(other_pid_ns, LF_SCOPE_NUMA, LF_MECHANISM_SHARED_MEMORY | LF_MECHANISM_FD_PASSING | LF_MECHANISM_NETWORK,
                   LF_MECHANISM_CMA, NULL, "pid namespaces differ");
  one_fact_differs(other_user_ns, LF_SCOPE_NUMA, LF_MECHANISM_NETWORK, LF_MECHANISM_SHARED_MEMORY, NULL,
                   "user namespaces differ");
}

static void credentials_decide_sharing_and_cma(void **state) {
  (void)state;
  lf_identity_t *a = at("0-1");
  lf_identity_info_t me = {.struct_size = sizeof me};
  LF_OK_(lf_identity_get_info(a, &me));
  int privileged = (me.flags & LF_IDENTITY_CAP_SYS_PTRACE) != 0;
  lf_identity_destroy(a);

  /* another uid: no sharing by default; CMA only with CAP_SYS_PTRACE on both sides */
  one_fact_differs(other_uid, LF_SCOPE_NUMA,
                   LF_MECHANISM_NETWORK | (privileged ? LF_MECHANISM_CMA : 0u), LF_MECHANISM_SHARED_MEMORY, NULL,
                   "uids differ");
  /* Yama ptrace_scope 3 forbids every attach */
  one_fact_differs(yama_3, LF_SCOPE_PROCESS,
                   LF_MECHANISM_ADDRESS_SPACE | LF_MECHANISM_SHARED_MEMORY | LF_MECHANISM_FD_PASSING |
                       LF_MECHANISM_CMA | LF_MECHANISM_NETWORK,
                   LF_MECHANISM_CMA, NULL, "same process");
  lf_identity_t *x = at("0-1"), *y0 = edited(x, other_pid), *y = edited(y0, yama_3);
  lf_scope_t *scope = scope_of(g_context, x, y);
  assert_contains(mechanism_reason(scope, LF_MECHANISM_CMA), "Yama ptrace_scope 3");
  lf_scope_destroy(scope);
  /* an unprivileged reader cannot read a peer that is not dumpable */
  lf_identity_t *reader = edited(x, drop_cap), *weak = edited(x, weak_peer);
  lf_scope_info_t info = decide(reader, weak);
  assert_int_equal(info.mechanisms & LF_MECHANISM_CMA, 0);
  scope = scope_of(g_context, reader, weak);
  assert_contains(mechanism_reason(scope, LF_MECHANISM_CMA), "is not dumpable");
  lf_scope_destroy(scope);
  lf_identity_destroy(reader);
  lf_identity_destroy(weak);
  lf_identity_destroy(x);
  lf_identity_destroy(y0);
  lf_identity_destroy(y);
}

static void different_topologies_are_not_compared(void **state) {
  (void)state;
  lf_context_t *system = lf_test_context("system");
  lf_identity_t *a = at("0"), *b0 = NULL;
  LF_OK_(lf_identity_create(system, NULL, &b0));
  lf_identity_t *b = edited(b0, other_pid);
  lf_scope_t *scope = scope_of(g_context, a, b);
  lf_scope_info_t info = decide(a, b);
  assert_int_equal(info.level, LF_SCOPE_HOST);
  assert_int_equal(info.hardware_level, LF_SCOPE_UNKNOWN);
  assert_true(info.flags & LF_SCOPE_FLAG_TOPOLOGIES_DIFFER);
  assert_contains(reason_of(scope), "different topologies");
  lf_scope_destroy(scope);
  lf_identity_destroy(a);
  lf_identity_destroy(b0);
  lf_identity_destroy(b);
  lf_context_destroy(system);
}

static void decisions_are_symmetric(void **state) {
  (void)state;
  lf_identity_t *base = at("0-1");
  lf_identity_t *ids[] = {base,
                          at("4"),
                          at("8-15"),
                          edited(base, other_pid),
                          edited(base, other_boot),
                          edited(base, other_base_dir),
                          edited(base, other_uid),
                          edited(base, other_pid_ns),
                          edited(base, yama_3),
                          edited(base, weak_peer),
                          edited(base, unknown_boot)};
  size_t n = sizeof ids / sizeof ids[0];
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < n; ++j) {
      lf_scope_info_t ab = decide(ids[i], ids[j]), ba = decide(ids[j], ids[i]);
      assert_memory_equal(&ab, &ba, sizeof ab);
    }
  }
  for (size_t i = 0; i < n; ++i) lf_identity_destroy(ids[i]);
}

static lf_context_t *context_forcing(int32_t level) {
  lf_context_params_t params = {0};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS | LF_CONTEXT_PARAM_FIELD_TOPOLOGY | LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE;
  params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
  params.topology = TOPOLOGY;
  params.scope_override = level;
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  return context;
}

static void overrides_force_a_more_distant_scope(void **state) {
  (void)state;
  lf_identity_t *a = at("0"), *b0 = at("1"), *b = edited(b0, other_pid);

  lf_context_t *remote = context_forcing(LF_SCOPE_REMOTE);
  lf_scope_t *scope = scope_of(remote, a, b);
  lf_scope_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_scope_get_info(scope, &info));
  assert_int_equal(info.level, LF_SCOPE_REMOTE);
  assert_int_equal(info.detected_level, LF_SCOPE_NUMA);
  assert_true(info.flags & LF_SCOPE_FLAG_OVERRIDDEN);
  assert_int_equal(info.mechanisms, LF_MECHANISM_NETWORK);
  assert_contains(reason_of(scope), "remote (forced by scope_override=remote; detected numa");
  assert_contains(mechanism_reason(scope, LF_MECHANISM_SHARED_MEMORY), "ruled out by the forced scope 'remote'");
  lf_scope_destroy(scope);

  /* forcing host on two threads of one process removes only the address space */
  lf_context_t *host = context_forcing(LF_SCOPE_HOST);
  LF_OK_(lf_scope_decide(host, a, b0, &info));
  assert_int_equal(info.level, LF_SCOPE_HOST);
  assert_int_equal(info.mechanisms & LF_MECHANISM_ADDRESS_SPACE, 0);
  assert_true(info.mechanisms & LF_MECHANISM_SHARED_MEMORY);

  /* an override cannot bring endpoints closer than they are */
  lf_context_t *process = context_forcing(LF_SCOPE_PROCESS);
  scope = scope_of(process, a, b);
  LF_OK_(lf_scope_get_info(scope, &info));
  assert_int_equal(info.level, LF_SCOPE_NUMA);
  assert_true(info.flags & LF_SCOPE_FLAG_OVERRIDE_IGNORED);
  assert_contains(reason_of(scope), "scope_override=process ignored");
  lf_scope_destroy(scope);

  /* the environment variable, and its name in the reason */
  setenv("LAVAFLOW_SCOPE_OVERRIDE", "Isolated", 1);
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_TOPOLOGY, .topology = TOPOLOGY};
  lf_context_t *env = NULL;
  LF_OK_(lf_context_create(&params, &env));
  unsetenv("LAVAFLOW_SCOPE_OVERRIDE");
  scope = scope_of(env, a, b);
  assert_contains(reason_of(scope), "forced by LAVAFLOW_SCOPE_OVERRIDE=isolated");
  lf_scope_destroy(scope);

  lf_context_destroy(remote);
  lf_context_destroy(host);
  lf_context_destroy(process);
  lf_context_destroy(env);
  lf_identity_destroy(a);
  lf_identity_destroy(b0);
  lf_identity_destroy(b);
}

static void names_and_bad_mechanisms(void **state) {
  (void)state;
  const char *levels[] = {"unknown", "process", "numa", "package", "host", "isolated", "remote"};
  for (int32_t level = LF_SCOPE_UNKNOWN; level <= LF_SCOPE_REMOTE; ++level) {
    assert_string_equal(lf_scope_level_name(level), levels[level]);
    int32_t parsed = -1;
    LF_OK_(lf_scope_level_from_name(levels[level], &parsed));
    assert_int_equal(parsed, level);
  }
  int32_t parsed = -1;
  LF_OK_(lf_scope_level_from_name("REMOTE", &parsed));
  assert_int_equal(parsed, LF_SCOPE_REMOTE);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_scope_level_from_name("nearby", &parsed));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_scope_level_from_name(NULL, &parsed));
  assert_string_equal(lf_scope_level_name(99), "invalid");
  assert_string_equal(lf_mechanism_name(LF_MECHANISM_CMA), "cma");
  assert_string_equal(lf_mechanism_name(LF_MECHANISM_CMA | LF_MECHANISM_NETWORK), "invalid");

  lf_identity_t *a = at("0");
  lf_scope_t *scope = scope_of(g_context, a, a);
  const char *text = NULL;
  const uint32_t bad[] = {0, 3, 1u << 6, 0x80000000u};
  for (size_t i = 0; i < 4; ++i) LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_scope_get_mechanism_reason(scope, bad[i], &text));
  LF_EXPECT_MESSAGE("not exactly one lf_mechanism_t bit");
  lf_scope_destroy(scope);
  lf_identity_destroy(a);
}

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context(TOPOLOGY);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_process_threads_share_the_address_space),
      cmocka_unit_test(other_processes_are_placed_by_numa_node_and_package),
      cmocka_unit_test(each_fact_rules_something_out),
      cmocka_unit_test(credentials_decide_sharing_and_cma),
      cmocka_unit_test(different_topologies_are_not_compared),
      cmocka_unit_test(decisions_are_symmetric),
      cmocka_unit_test(overrides_force_a_more_distant_scope),
      cmocka_unit_test(names_and_bad_mechanisms),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

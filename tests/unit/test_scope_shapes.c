/* Scope on the shapes of real HPC machines, each decision compared with what hwloc itself says
 * about the two cpusets (loaded here independently of lavaflow):
 * - memory-side NUMA nodes sharing a cpuset with the DRAM node beside them (Knights Landing
 *   in SNC/hybrid modes, Sapphire Rapids HBM, NVDIMM), and a CXL expander node spanning a
 *   whole package beside per-cluster DRAM nodes;
 * - PUs that no NUMA node covers (tests/data/package-without-numa.xml);
 * - a topology without Package objects.
 * Two cpusets are NUMA neighbours when some NUMA node holds all the PUs of both, package
 * neighbours when some package does; lavaflow once required each side to touch exactly one
 * node (so a PU under DRAM + HBM was "package"), took touching for lying inside, and refused
 * identities on PUs without a node or on topologies without packages. */
#define _GNU_SOURCE
#include "blob_edit.h"
#include "lf_test.h"

#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Knights Landing SNC-2 hybrid-like: two clusters, each with a DRAM and an MCDRAM node. */
#define KNL "pack:1 group:2 [numa] [numa] core:2 pu:2"
/* A CXL memory expander (node 2) beside two sub-NUMA clusters' DRAM nodes. */
#define CXL "pack:1 [numa] group:2 [numa] core:2 pu:1"
/* No Package objects at all. */
#define NO_PACKAGES "numa:2 core:2 pu:1"

typedef struct {
  lf_context_t *context;
  hwloc_topology_t hwloc;
} Shape;

static Shape load(const char *kind, const char *description) {
  Shape s;
  char spec[600];
  snprintf(spec, sizeof spec, "%s:%s", kind, description);
  s.context = lf_test_context(spec);
  assert_int_equal(hwloc_topology_init(&s.hwloc), 0);
  if (strcmp(kind, "synthetic") == 0)
    assert_int_equal(hwloc_topology_set_synthetic(s.hwloc, description), 0);
  else
    assert_int_equal(hwloc_topology_set_xml(s.hwloc, description), 0);
  assert_int_equal(hwloc_topology_load(s.hwloc), 0);
  return s;
}

static void unload(Shape *s) {
  hwloc_topology_destroy(s->hwloc);
  lf_context_destroy(s->context);
}

/* An identity on `cpuset` as another process of the host would send it (another pid). */
static lf_identity_t *peer_at(const Shape *s, const char *cpuset) {
  lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = cpuset};
  lf_identity_t *mine = NULL;
  LF_OK_(lf_identity_create(s->context, &params, &mine));
  size_t size = 0;
  uint8_t *blob = lf_test_serialize(mine, &size);
  size_t proc = blob_section(blob, size, 2, NULL);
  blob_put32(blob + proc + PROC_PID, blob_get32(blob + proc + PROC_PID) + 1);
  blob_reseal(blob, size);
  lf_identity_t *peer = NULL;
  LF_OK_(lf_identity_create_from_blob(s->context, blob, size, &peer));
  free(blob);
  lf_identity_destroy(mine);
  return peer;
}

static lf_identity_t *at(const Shape *s, const char *cpuset) {
  lf_identity_params_t params = {.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET, .cpuset = cpuset};
  lf_identity_t *id = NULL;
  LF_OK_(lf_identity_create(s->context, &params, &id));
  return id;
}

/* Whether some object of `type` holds every PU of both cpusets, as hwloc says. */
static int some_object_holds(hwloc_topology_t topology, hwloc_obj_type_t type, hwloc_const_bitmap_t a,
                             hwloc_const_bitmap_t b) {
  for (hwloc_obj_t obj = hwloc_get_next_obj_by_type(topology, type, NULL); obj != NULL;
       obj = hwloc_get_next_obj_by_type(topology, type, obj))
    if (hwloc_bitmap_isincluded(a, obj->cpuset) && hwloc_bitmap_isincluded(b, obj->cpuset)) return 1;
  return 0;
}

static int32_t hwloc_says(const Shape *s, const char *a_list, const char *b_list) {
  hwloc_bitmap_t a = hwloc_bitmap_alloc(), b = hwloc_bitmap_alloc();
  assert_int_equal(hwloc_bitmap_list_sscanf(a, a_list), 0);
  assert_int_equal(hwloc_bitmap_list_sscanf(b, b_list), 0);
  int32_t level = some_object_holds(s->hwloc, HWLOC_OBJ_NUMANODE, a, b)  ? LF_SCOPE_NUMA
                  : some_object_holds(s->hwloc, HWLOC_OBJ_PACKAGE, a, b) ? LF_SCOPE_PACKAGE
                                                                         : LF_SCOPE_HOST;
  hwloc_bitmap_free(a);
  hwloc_bitmap_free(b);
  return level;
}

/* lavaflow's decision between endpoints on `a` and `b`, checked against hwloc's; returns the
 * reason text (static buffer). */
static const char *decide(const Shape *s, const char *a, const char *b, int32_t expected) {
  lf_identity_t *x = at(s, a), *y = peer_at(s, b);
  lf_scope_t *scope = NULL;
  LF_OK_(lf_scope_create(s->context, x, y, &scope));
  lf_scope_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_scope_get_info(scope, &info));
  static char reason[1024];
  const char *text = NULL;
  LF_OK_(lf_scope_get_reason(scope, &text));
  snprintf(reason, sizeof reason, "%s", text);
  const int32_t truth = hwloc_says(s, a, b);
  if (info.level != truth || info.level != expected)
    fail_msg("cpusets %s and %s: lavaflow says %s, hwloc %s, expected %s (%s)", a, b, lf_scope_level_name(info.level),
             lf_scope_level_name(truth), lf_scope_level_name(expected), reason);
  lf_scope_destroy(scope);
  lf_identity_destroy(x);
  lf_identity_destroy(y);
  return reason;
}

/* Every pair of single PUs (and each PU against the whole machine) agrees with hwloc. */
static void every_pair_agrees_with_hwloc(const Shape *s) {
  lf_topology_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_topology_get_info(s->context, &info));
  char all[32];
  snprintf(all, sizeof all, "0-%u", info.pus - 1);
  for (uint32_t i = 0; i < info.pus; ++i) {
    char a[16];
    snprintf(a, sizeof a, "%u", i);
    for (uint32_t j = 0; j < info.pus; ++j) {
      char b[16];
      snprintf(b, sizeof b, "%u", j);
      decide(s, a, b, hwloc_says(s, a, b));
    }
    decide(s, a, all, hwloc_says(s, a, all));
  }
}

static const char *text_of(const lf_identity_t *id, int32_t which) { return lf_test_identity_text(id, which); }

static void memory_side_nodes_beside_dram(void **state) {
  (void)state;
  Shape s = load("synthetic", KNL);
  /* PUs 0-3: cluster 0 with nodes 0 (DRAM) and 1 (MCDRAM); 4-7: cluster 1, nodes 2 and 3 */
  lf_identity_t *pu0 = at(&s, "0");
  assert_string_equal(text_of(pu0, LF_IDENTITY_TEXT_NUMA_NODES), "0-1");
  assert_string_equal(text_of(pu0, LF_IDENTITY_TEXT_LOCAL_NUMA_NODES), "0-1");
  assert_string_equal(text_of(pu0, LF_IDENTITY_TEXT_LOCAL_PACKAGES), "0");
  lf_identity_destroy(pu0);
  const char *why = decide(&s, "0", "3", LF_SCOPE_NUMA); /* once "package": two nodes touched */
  if (strstr(why, "lie in NUMA node 0-1") == NULL) fail_msg("reason: %s", why);
  decide(&s, "0-1", "2-3", LF_SCOPE_NUMA);
  why = decide(&s, "0", "4", LF_SCOPE_PACKAGE);
  if (strstr(why, "lie in package 0 but in no common NUMA node") == NULL) fail_msg("reason: %s", why);
  decide(&s, "0-4", "0", LF_SCOPE_PACKAGE); /* spans both clusters: in no node as a whole */
  every_pair_agrees_with_hwloc(&s);
  /* lavaflow topo's facts: a PU's nearest nodes are both of its cluster; no -1 anywhere */
  char nodes[32];
  size_t length = 0;
  LF_OK_(lf_topology_get_nearest_numa_nodes(s.context, LF_TOPOLOGY_PU, 5, nodes, sizeof nodes, &length));
  assert_string_equal(nodes, "2-3");
  lf_topology_object_t pu = {.struct_size = sizeof pu};
  LF_OK_(lf_topology_get_object(s.context, LF_TOPOLOGY_PU, 5, &pu));
  assert_int_equal(pu.numa_node, 2); /* (the lower index: synthetic nodes carry no HBM subtype) */
  LF_OK_(lf_topology_get_nearest_numa_nodes(s.context, LF_TOPOLOGY_PACKAGE, 0, nodes, sizeof nodes, &length));
  assert_string_equal(nodes, ""); /* no node holds the whole package */
  unload(&s);
}

static void a_cxl_node_spanning_the_package(void **state) {
  (void)state;
  Shape s = load("synthetic", CXL);
  /* PUs 0-1: cluster 0 (node 0), 2-3: cluster 1 (node 1); node 2 holds the whole package */
  const char *why = decide(&s, "0", "2", LF_SCOPE_NUMA); /* both lie in the CXL node */
  if (strstr(why, "lie in NUMA node 2") == NULL) fail_msg("reason: %s", why);
  decide(&s, "0", "1", LF_SCOPE_NUMA);
  every_pair_agrees_with_hwloc(&s);
  char nodes[32];
  size_t length = 0;
  LF_OK_(lf_topology_get_nearest_numa_nodes(s.context, LF_TOPOLOGY_PU, 2, nodes, sizeof nodes, &length));
  assert_string_equal(nodes, "1"); /* its cluster's DRAM: fewer PUs than the CXL node */
  unload(&s);
}

static void pus_that_no_numa_node_covers(void **state) {
  (void)state;
  Shape s = load("xml", LF_TEST_DATA_DIR "/package-without-numa.xml");
  /* PUs 0-1: package 0 with node 0; PUs 2-3: package 1, no node. Identities on them work. */
  lf_identity_t *pu2 = at(&s, "2");
  assert_string_equal(text_of(pu2, LF_IDENTITY_TEXT_NUMA_NODES), "");
  assert_string_equal(text_of(pu2, LF_IDENTITY_TEXT_LOCAL_PACKAGES), "1");
  lf_identity_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_identity_get_info(pu2, &info));
  assert_int_equal(info.numa_node_count, 0);
  lf_identity_destroy(pu2);
  decide(&s, "2", "3", LF_SCOPE_PACKAGE);
  decide(&s, "0", "2", LF_SCOPE_HOST);
  /* touching node 0 is not lying in it: 1-2 also covers a PU of no node (once "numa") */
  const char *why = decide(&s, "0", "1-2", LF_SCOPE_HOST);
  if (strstr(why, "in no NUMA node as a whole, touching 0") == NULL) fail_msg("reason: %s", why);
  every_pair_agrees_with_hwloc(&s);
  lf_topology_object_t pu = {.struct_size = sizeof pu};
  LF_OK_(lf_topology_get_object(s.context, LF_TOPOLOGY_PU, 2, &pu));
  assert_int_equal(pu.numa_node, LF_TOPOLOGY_INDEX_NONE);
  unload(&s);
}

static void a_topology_without_packages(void **state) {
  (void)state;
  Shape s = load("synthetic", NO_PACKAGES);
  lf_topology_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_topology_get_info(s.context, &info));
  assert_int_equal(info.packages, 0);
  lf_identity_t *self = NULL; /* the process's own identity: once refused on such a machine */
  LF_OK_(lf_identity_create(s.context, NULL, &self));
  lf_identity_destroy(self);
  const char *why = decide(&s, "0", "1", LF_SCOPE_NUMA);
  if (strstr(why, "lie in NUMA node 0") == NULL) fail_msg("reason: %s", why);
  why = decide(&s, "0", "2", LF_SCOPE_HOST);
  if (strstr(why, "in no package") == NULL) fail_msg("reason: %s", why);
  every_pair_agrees_with_hwloc(&s);
  unload(&s);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(memory_side_nodes_beside_dram),
      cmocka_unit_test(a_cxl_node_spanning_the_package),
      cmocka_unit_test(pus_that_no_numa_node_covers),
      cmocka_unit_test(a_topology_without_packages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

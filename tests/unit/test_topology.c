/* Topology from synthetic descriptions, XML files and this machine. */
#define _GNU_SOURCE
#include "lf_test.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static lf_topology_object_t object_of(lf_context_t *context, int32_t type, uint32_t index) {
  lf_topology_object_t object = {.struct_size = sizeof object};
  LF_OK_(lf_topology_get_object(context, type, index, &object));
  return object;
}

static const char *cpuset_of(lf_context_t *context, int32_t type, uint32_t index) {
  static char buffer[256];
  size_t length = 0;
  LF_OK_(lf_topology_get_cpuset(context, type, index, buffer, sizeof buffer, &length));
  return buffer;
}

static lf_topology_info_t info_of(lf_context_t *context) {
  lf_topology_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_topology_get_info(context, &info));
  return info;
}

static void synthetic_topology_has_the_described_shape(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  lf_topology_info_t info = info_of(context);
  assert_int_equal(info.source_kind, LF_TOPOLOGY_SOURCE_SYNTHETIC);
  assert_int_equal(info.is_this_system, 0);
  assert_int_equal(info.packages, 2);
  assert_int_equal(info.numa_nodes, 4);
  assert_int_equal(info.cores, 8);
  assert_int_equal(info.pus, 16);
  assert_int_equal(info.pci_devices, 0);
  assert_true(info.total_memory_bytes > 0);

  /* PU 5 is in core 2, NUMA node 1, package 0 */
  lf_topology_object_t pu = object_of(context, LF_TOPOLOGY_PU, 5);
  assert_int_equal(pu.type, LF_TOPOLOGY_PU);
  assert_int_equal(pu.logical_index, 5);
  assert_int_equal(pu.os_index, 5);
  assert_int_equal(pu.package, 0);
  assert_int_equal(pu.numa_node, 1);
  assert_int_equal(pu.pu_count, 1);
  assert_string_equal(cpuset_of(context, LF_TOPOLOGY_CORE, 2), "4-5");
  assert_string_equal(cpuset_of(context, LF_TOPOLOGY_NUMA_NODE, 2), "8-11");
  assert_string_equal(cpuset_of(context, LF_TOPOLOGY_PACKAGE, 1), "8-15");
  assert_string_equal(cpuset_of(context, LF_TOPOLOGY_MACHINE, 0), "0-15");

  lf_topology_object_t node = object_of(context, LF_TOPOLOGY_NUMA_NODE, 3);
  assert_int_equal(node.package, 1);
  assert_int_equal(node.numa_node, 3);
  assert_true(node.memory_bytes > 0);
  /* a package spanning two NUMA nodes has no single nearest node */
  assert_int_equal(object_of(context, LF_TOPOLOGY_PACKAGE, 0).numa_node, LF_TOPOLOGY_INDEX_NONE);
  LF_OK_(lf_context_destroy(context));
}

static char *data_path(const char *file) {
  static char path[1024];
  snprintf(path, sizeof path, "xml:%s/%s", LF_TEST_DATA_DIR, file);
  return path;
}

static void xml_topologies_load(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context(data_path("synthetic-2pack.xml"));
  lf_topology_info_t info = info_of(context);
  assert_int_equal(info.source_kind, LF_TOPOLOGY_SOURCE_XML);
  assert_int_equal(info.packages, 2);
  assert_int_equal(info.numa_nodes, 2);
  assert_int_equal(info.cores, 8);
  assert_int_equal(info.pus, 16);
  assert_string_equal(cpuset_of(context, LF_TOPOLOGY_NUMA_NODE, 1), "8-15");
  LF_OK_(lf_context_destroy(context));

  /* a real machine's export, with its PCI devices */
  context = lf_test_context(data_path("vm-2pu-pci.xml"));
  info = info_of(context);
  assert_int_equal(info.packages, 1);
  assert_int_equal(info.pus, 2);
  assert_int_equal(info.pci_devices, 2);
  int saw_storage = 0, saw_ethernet = 0;
  for (uint32_t i = 0; i < info.pci_devices; ++i) {
    lf_topology_object_t dev = object_of(context, LF_TOPOLOGY_PCI_DEVICE, i);
    assert_int_equal(dev.pci_vendor_id, 0x1af4);
    assert_int_equal(dev.numa_node, 0);
    assert_int_equal(dev.flags & LF_TOPOLOGY_OBJECT_GPU, 0);
    if (dev.pci_bus == 0 && dev.pci_device == 2) {
      saw_storage = 1;
      assert_int_equal(dev.pci_class_id, 0x0180);
      assert_non_null(strstr(dev.name, "vda"));
    }
    if (dev.pci_device == 3) {
      saw_ethernet = 1;
      assert_int_equal(dev.pci_class_id, 0x0200);
      assert_non_null(strstr(dev.name, "eth0"));
    }
    assert_string_equal(cpuset_of(context, LF_TOPOLOGY_PCI_DEVICE, i), "0-1"); /* locality */
  }
  assert_true(saw_storage && saw_ethernet);
  LF_OK_(lf_context_destroy(context));
}

static void this_system_is_discovered(void **state) {
  (void)state;
  lf_context_t *a = lf_test_context("system");
  lf_context_t *b = lf_test_context("system");
  lf_topology_info_t ia = info_of(a), ib = info_of(b);
  assert_int_equal(ia.source_kind, LF_TOPOLOGY_SOURCE_SYSTEM);
  assert_int_equal(ia.is_this_system, 1);
  assert_true(ia.packages >= 1 && ia.numa_nodes >= 1 && ia.pus >= 1 && ia.cores >= 1);
  assert_true(ia.total_memory_bytes > 0);
  assert_true(ia.digest == ib.digest); /* same machine, same structure */
  lf_topology_object_t machine = object_of(a, LF_TOPOLOGY_MACHINE, 0);
  assert_int_equal(machine.memory_bytes, ia.total_memory_bytes);

  lf_context_t *s1 = lf_test_context("synthetic:pack:2 core:2 pu:1");
  lf_context_t *s2 = lf_test_context("synthetic:pack:2 core:2 pu:1");
  lf_context_t *s3 = lf_test_context("synthetic:pack:2 core:2 pu:2");
  assert_true(info_of(s1).digest == info_of(s2).digest);
  assert_true(info_of(s1).digest != info_of(s3).digest);
  assert_true(info_of(s1).digest != ia.digest);
  lf_context_destroy(a);
  lf_context_destroy(b);
  lf_context_destroy(s1);
  lf_context_destroy(s2);
  lf_context_destroy(s3);
}

static void bad_queries_are_refused(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("synthetic:pack:2 core:2 pu:1");
  lf_topology_object_t object = {.struct_size = sizeof object};
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_topology_get_object(context, LF_TOPOLOGY_PACKAGE, 2, &object));
  LF_EXPECT_MESSAGE("index 2 does not exist");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_get_object(context, 99, 0, &object));
  uint32_t count = 0;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_count(context, 0, &count));
  assert_string_equal(lf_topology_object_type_name(LF_TOPOLOGY_NUMA_NODE), "numa_node");
  assert_string_equal(lf_topology_object_type_name(99), "unknown");
  LF_OK_(lf_context_destroy(context));
}

static void text_outputs_follow_one_rule(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("synthetic:pack:2 numa:2 core:2 pu:2");
  size_t length = 99;
  /* ask for the size first */
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_topology_get_cpuset(context, LF_TOPOLOGY_PACKAGE, 1, NULL, 0, &length));
  assert_int_equal(length, strlen("8-15"));
  char exact[5], small[4];
  memset(small, '#', sizeof small);
  LF_EXPECT(LF_ERR_BUFFER_TOO_SMALL, lf_topology_get_cpuset(context, LF_TOPOLOGY_PACKAGE, 1, small, sizeof small, &length));
  assert_int_equal(small[0], '#'); /* untouched */
  LF_OK_(lf_topology_get_cpuset(context, LF_TOPOLOGY_PACKAGE, 1, exact, sizeof exact, &length));
  assert_string_equal(exact, "8-15");
  LF_OK_(lf_topology_get_cpuset(context, LF_TOPOLOGY_PACKAGE, 1, exact, sizeof exact, NULL)); /* length optional */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_get_cpuset(context, LF_TOPOLOGY_PACKAGE, 1, NULL, 8, &length));
  LF_OK_(lf_context_destroy(context));
}

static void struct_size_protects_old_callers(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("synthetic:pack:2 core:2 pu:1");
  /* a larger struct (a newer caller) is accepted; bytes past ours stay untouched */
  struct {
    lf_topology_info_t info;
    uint8_t newer_fields[16];
  } bigger;
  memset(&bigger, 0x5A, sizeof bigger);
  bigger.info.struct_size = sizeof bigger;
  LF_OK_(lf_topology_get_info(context, &bigger.info));
  assert_int_equal(bigger.info.packages, 2);
  assert_int_equal(bigger.info.struct_size, sizeof bigger);
  for (size_t i = 0; i < sizeof bigger.newer_fields; ++i) assert_int_equal(bigger.newer_fields[i], 0x5A);
  lf_topology_info_t too_small = {.struct_size = sizeof(lf_topology_info_t) - 8};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_get_info(context, &too_small));
  LF_OK_(lf_context_destroy(context));
}

static void binding_reflects_affinity(void **state) {
  (void)state;
  lf_context_t *context = lf_test_context("system");
  char process[256], thread[256];
  size_t length = 0;
  LF_OK_(lf_topology_get_binding(context, LF_BINDING_PROCESS, process, sizeof process, &length));
  assert_true(length > 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_topology_get_binding(context, 7, process, sizeof process, &length));

  /* bind this thread to its first allowed CPU and read it back */
  cpu_set_t original, one;
  assert_int_equal(pthread_getaffinity_np(pthread_self(), sizeof original, &original), 0);
  int first = -1;
  for (int i = 0; i < CPU_SETSIZE && first < 0; ++i)
    if (CPU_ISSET(i, &original)) first = i;
  CPU_ZERO(&one);
  CPU_SET(first, &one);
  assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof one, &one), 0);
  LF_OK_(lf_topology_get_binding(context, LF_BINDING_THREAD, thread, sizeof thread, &length));
  char expected[16];
  snprintf(expected, sizeof expected, "%d", first);
  assert_string_equal(thread, expected);

  /* on a synthetic topology, the real affinity is kept where those PUs exist */
  lf_context_t *synthetic = lf_test_context("synthetic:pack:1 core:64 pu:1");
  LF_OK_(lf_topology_get_binding(synthetic, LF_BINDING_THREAD, thread, sizeof thread, &length));
  assert_string_equal(thread, expected);
  assert_int_equal(pthread_setaffinity_np(pthread_self(), sizeof original, &original), 0);
  lf_context_destroy(synthetic);
  lf_context_destroy(context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(synthetic_topology_has_the_described_shape),
      cmocka_unit_test(xml_topologies_load),
      cmocka_unit_test(this_system_is_discovered),
      cmocka_unit_test(bad_queries_are_refused),
      cmocka_unit_test(text_outputs_follow_one_rule),
      cmocka_unit_test(struct_size_protects_old_callers),
      cmocka_unit_test(binding_reflects_affinity),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

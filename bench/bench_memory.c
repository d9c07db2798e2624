/* bench_memory: what lavaflow's allocations cost against the raw calls they wrap, measured
 * in the same run: malloc, numa_alloc_onnode, memfd + mmap, and vkAllocateMemory (on the
 * benchmark's own Vulkan device); pooled reuse against fresh allocations; first-touch
 * bandwidth of NUMA-bound against plain memory.
 *
 *   bench_memory [--quick]        (VK_DRIVER_FILES picks the Vulkan driver)
 */
#define _GNU_SOURCE
#include "bench_common.h"

#include <lavaflow/lavaflow.h>

#include <fcntl.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <vulkan/vulkan.h>

static lf_context_t *g_context;
static size_t g_size;
static lf_buffer_params_t g_params;
static lf_buffer_pool_t *g_pool;
static volatile uintptr_t g_sink;

static void die(const char *what) {
  fprintf(stderr, "bench_memory: %s: %s\n", what, lf_last_error_message());
  exit(1);
}

static void lf_alloc(void *arg) {
  (void)arg;
  lf_buffer_t *b = NULL;
  if (lf_buffer_create(g_context, g_size, &g_params, &b) != LF_OK) die("lf_buffer_create");
  lf_buffer_destroy(b);
}

static void lf_pooled(void *arg) {
  (void)arg;
  lf_buffer_t *b = NULL;
  if (lf_buffer_pool_acquire(g_pool, &b) != LF_OK) die("lf_buffer_pool_acquire");
  lf_buffer_destroy(b);
}

static void raw_malloc(void *arg) {
  (void)arg;
  void *p = malloc(g_size);
  g_sink += (uintptr_t)p;
  free(p);
}

static void raw_numa(void *arg) {
  (void)arg;
  void *p = numa_alloc_onnode(g_size, 0);
  g_sink += (uintptr_t)p;
  numa_free(p, g_size);
}

static void raw_memfd(void *arg) {
  (void)arg;
  int fd = memfd_create("bench", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (ftruncate(fd, (off_t)g_size) != 0) exit(1);
  fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  void *p = mmap(NULL, g_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  g_sink += (uintptr_t)p;
  munmap(p, g_size);
  close(fd);
}

/* The raw Vulkan baseline: our own device, exportable allocations like lavaflow's. */
static struct {
  VkInstance instance;
  VkDevice device;
  uint32_t type;
  int ready;
} g_vk;

static void vulkan_setup(void) {
  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .apiVersion = VK_API_VERSION_1_1};
  VkInstanceCreateInfo ii = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO, .pApplicationInfo = &app};
  if (vkCreateInstance(&ii, NULL, &g_vk.instance) != VK_SUCCESS) return;
  uint32_t n = 1;
  VkPhysicalDevice physical;
  if (vkEnumeratePhysicalDevices(g_vk.instance, &n, &physical) < 0 || n == 0) return;
  float priority = 1.0f;
  VkDeviceQueueCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO, .queueCount = 1, .pQueuePriorities = &priority};
  const char *ext[] = {VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME};
  VkDeviceCreateInfo di = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1, .pQueueCreateInfos = &qi,
                           .enabledExtensionCount = 1, .ppEnabledExtensionNames = ext};
  if (vkCreateDevice(physical, &di, NULL, &g_vk.device) != VK_SUCCESS) return;
  VkPhysicalDeviceMemoryProperties mp;
  vkGetPhysicalDeviceMemoryProperties(physical, &mp);
  for (uint32_t i = 0; i < mp.memoryTypeCount; ++i)
    if (mp.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) {
      g_vk.type = i;
      break;
    }
  g_vk.ready = 1;
}

static void raw_vulkan(void *arg) {
  (void)arg;
  VkExportMemoryAllocateInfo ex = {.sType = VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO,
                                   .handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT};
  VkMemoryAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, .pNext = &ex, .allocationSize = g_size,
                             .memoryTypeIndex = g_vk.type};
  VkDeviceMemory m;
  if (vkAllocateMemory(g_vk.device, &ai, NULL, &m) != VK_SUCCESS) exit(1);
  vkFreeMemory(g_vk.device, m, NULL);
}

static double touch_bandwidth(const lf_buffer_params_t *params, size_t size, int reps) {
  double best = 0;
  for (int r = 0; r < reps; ++r) {
    lf_buffer_t *b = NULL;
    if (lf_buffer_create(g_context, size, params, &b) != LF_OK) die("lf_buffer_create (bandwidth)");
    void *p = NULL;
    lf_buffer_get_data(b, &p, NULL);
    uint64_t start = bench_now_ns();
    memset(p, 1, size);
    double gbps = (double)size / (double)(bench_now_ns() - start);
    if (gbps > best) best = gbps;
    lf_buffer_destroy(b);
  }
  return best;
}

int main(int argc, char **argv) {
  int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
  int reps = quick ? 1 : 5;
  if (lf_context_create(NULL, &g_context) != LF_OK) die("lf_context_create");
  uint32_t devices = 0;
  int have_device = lf_device_count(g_context, &devices) == LF_OK && devices > 0;
  if (have_device) vulkan_setup();
  have_device = have_device && g_vk.ready;

  printf("lavaflow %s, %s\n", lf_version_string(), quick ? "quick run (numbers not meaningful)" : "best mean of 5 repetitions");
  bench_table_header("Allocate + free, lavaflow against the raw call it wraps");
  const size_t sizes[] = {4096, 1u << 20, 64u << 20};
  const char *size_names[] = {"4 KiB", "1 MiB", "64 MiB"};
  char name[96], base[64];
  for (int s = 0; s < 3; ++s) {
    g_size = sizes[s];
    uint64_t n = quick ? 20 : (s == 2 ? 2000 : 20000);
    g_params = (lf_buffer_params_t){0};
    double raw = bench_best_ns(raw_malloc, NULL, n, reps), lf = bench_best_ns(lf_alloc, NULL, n, reps);
    snprintf(name, sizeof name, "host %s", size_names[s]);
    snprintf(base, sizeof base, "malloc + free %s", size_names[s]);
    bench_table_row(base, raw, NULL, 0);
    bench_table_row(name, lf, base, raw);

    g_params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT, .placement = LF_PLACEMENT_NUMA_NODE, .numa_node = 0};
    raw = bench_best_ns(raw_numa, NULL, n, reps);
    lf = bench_best_ns(lf_alloc, NULL, n, reps);
    snprintf(name, sizeof name, "host on NUMA node 0, %s", size_names[s]);
    snprintf(base, sizeof base, "numa_alloc_onnode %s", size_names[s]);
    bench_table_row(base, raw, NULL, 0);
    bench_table_row(name, lf, base, raw);

    g_params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
    raw = bench_best_ns(raw_memfd, NULL, n / 4, reps);
    lf = bench_best_ns(lf_alloc, NULL, n / 4, reps);
    snprintf(name, sizeof name, "shared %s", size_names[s]);
    snprintf(base, sizeof base, "memfd+seal+mmap %s", size_names[s]);
    bench_table_row(base, raw, NULL, 0);
    bench_table_row(name, lf, base, raw);

    lf_buffer_pool_params_t pp = {.field_mask = LF_BUFFER_POOL_PARAM_FIELD_MAX_CACHED, .max_cached = 4};
    if (lf_buffer_pool_create(g_context, g_size, &g_params, &pp, &g_pool) != LF_OK) die("pool");
    double pooled = bench_best_ns(lf_pooled, NULL, n * 4, reps);
    snprintf(name, sizeof name, "shared %s, pooled reuse", size_names[s]);
    bench_table_row(name, pooled, base, raw);
    lf_buffer_pool_destroy(g_pool);

    if (have_device) {
      g_params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_DEVICE};
      raw = bench_best_ns(raw_vulkan, NULL, n / 4, reps);
      lf = bench_best_ns(lf_alloc, NULL, n / 4, reps);
      snprintf(name, sizeof name, "device %s", size_names[s]);
      snprintf(base, sizeof base, "vkAllocateMemory %s", size_names[s]);
      bench_table_row(base, raw, NULL, 0);
      bench_table_row(name, lf, base, raw);
      if (lf_buffer_pool_create(g_context, g_size, &g_params, &pp, &g_pool) != LF_OK) die("device pool");
      pooled = bench_best_ns(lf_pooled, NULL, n * 4, reps);
      snprintf(name, sizeof name, "device %s, pooled reuse", size_names[s]);
      bench_table_row(name, pooled, base, raw);
      lf_buffer_pool_destroy(g_pool);
    }
  }
  if (!have_device) printf("(no Vulkan device: device rows skipped)\n");

  const size_t touch = quick ? (4u << 20) : (256u << 20);
  lf_buffer_params_t plain = {.field_mask = LF_BUFFER_PARAM_FIELD_ALIGNMENT, .alignment = 4096};
  lf_buffer_params_t bound = {.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT, .placement = LF_PLACEMENT_NUMA_NODE, .numa_node = 0};
  double plain_bw = touch_bandwidth(&plain, touch, reps), bound_bw = touch_bandwidth(&bound, touch, reps);
  printf("\nFirst touch of a fresh %zu MiB buffer (memset), GB/s\n", touch >> 20);
  printf("| %-44s | %12s | %-28s | %8s |\n", "buffer", "GB/s", "baseline", "ratio");
  printf("|----------------------------------------------|--------------|------------------------------|----------|\n");
  printf("| %-44s | %12.2f | %-28s | %8s |\n", "plain host memory", plain_bw, "(baseline)", "");
  printf("| %-44s | %12.2f | %-28s | %7.2fx |\n", "bound to NUMA node 0", bound_bw, "plain host memory", bound_bw / plain_bw);

  if (g_vk.device) vkDestroyDevice(g_vk.device, NULL);
  if (g_vk.instance) vkDestroyInstance(g_vk.instance, NULL);
  lf_context_destroy(g_context);
  return 0;
}

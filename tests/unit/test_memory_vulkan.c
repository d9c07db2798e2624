/* Vulkan device memory on whatever driver is present (lavapipe in CI): allocate exportable
 * memory, write it with a GPU transfer from the application's own Vulkan device, pass it to
 * another process which checks and writes back, send it through a channel as a buffer
 * reference, and refuse bad imports. */
#define _GNU_SOURCE
#include "blob_edit.h"
#include "buffer_echo.h"
#include "lf_test.h"
#include "vulkan_writer.h"

#include <vulkan/vulkan.h>

#define LF_EXPERIMENTAL /* lf_socket_*_fds */
#include <lavaflow/experimental.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static lf_context_t *g_context;
static lf_device_info_t g_device;

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context("system");
  uint32_t count = 0;
  lf_status_t status = lf_device_count(g_context, &count);
  if (status != LF_OK || count == 0) {
    print_message("no Vulkan device here (%s): the device tests are skipped\n",
                  status != LF_OK ? lf_last_error_message() : "0 devices");
    return 0;
  }
  g_device.struct_size = sizeof g_device;
  LF_OK_(lf_device_get_info(g_context, 0, &g_device));
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

#define REQUIRE_DEVICE() \
  do {                   \
    if (g_device.struct_size == 0) skip(); \
  } while (0)

static lf_buffer_t *device_buffer(size_t size, uint64_t flags) {
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .kind = LF_MEMORY_DEVICE, .flags = flags};
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(g_context, size, &params, &buffer));
  return buffer;
}

static void devices_are_described(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  assert_true(strlen(g_device.name) > 0);
  assert_true(g_device.flags & LF_DEVICE_EXPORT_OPAQUE_FD);
  assert_true(g_device.memory_type_count >= 1);
  assert_true(g_device.device_local_bytes > 0);
  uint8_t zero[16] = {0};
  assert_true(memcmp(g_device.device_uuid, zero, 16) != 0);
  lf_device_info_t missing = {.struct_size = sizeof missing};
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_device_get_info(g_context, 999, &missing));
  assert_string_equal(lf_device_type_name(LF_DEVICE_CPU), "cpu");
}

static void memory_written_by_a_transfer_is_seen_across_processes(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  const size_t size = 1u << 20;
  lf_buffer_t *buffer = device_buffer(size, LF_BUFFER_FLAG_HOST_VISIBLE | LF_BUFFER_FLAG_ZERO);
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(buffer, &info));
  assert_int_equal(info.kind, LF_MEMORY_DEVICE);
  assert_int_equal(info.device_index, 0);
  assert_true(info.flags & LF_BUFFER_EXPORTABLE);
  assert_true(info.flags & LF_BUFFER_ZEROED);
  assert_non_null(info.host_pointer);
  lf_vulkan_memory_info_t vk = {.struct_size = sizeof vk};
  LF_OK_(lf_buffer_get_vulkan_info(buffer, &vk));
  assert_non_null(vk.device);
  assert_true(vk.memory != 0);
  assert_true(vk.handle_types & 1u); /* VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT */
  assert_true(vk.allocation_size >= size);
  assert_memory_equal(vk.device_uuid, g_device.device_uuid, 16);

  /* the application's own Vulkan device imports an exported fd and fills it on the GPU */
  int fd = -1;
  LF_OK_(lf_buffer_export_fd(buffer, &fd));
  char error[256];
  if (vulkan_fill_imported(fd, vk.allocation_size, vk.memory_type_index, vk.device_uuid, 0xA5A5A5A5u, error) != 0)
    fail_msg("the application's Vulkan import failed: %s", error);
  const uint8_t *bytes = info.host_pointer;
  for (size_t i = 0; i < size; ++i)
    if (bytes[i] != 0xA5) fail_msg("byte %zu is 0x%x after the GPU fill", i, bytes[i]);

  /* another process imports it through lavaflow, checks, and writes the second half */
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  pid_t pid = fork();
  if (pid == 0) {
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
    execl(lf_test_helper_path(), "lf_test_helper", "device-child", fd_text, (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  LF_OK_(lf_buffer_send(buffer, sv[0]));
  uint8_t ack = 0;
  size_t got = 0;
  uint32_t fds = 0;
  LF_OK_(lf_socket_recv_fds(sv[0], &ack, 1, &got, NULL, 0, &fds, 20000));
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (size_t i = size / 2; i < size; ++i)
    if (bytes[i] != 0x5A) fail_msg("byte %zu written by the other process is 0x%x", i, bytes[i]);
  close(sv[0]);
  lf_buffer_destroy(buffer);
}

/* Sends a real device buffer's descriptor with one field changed, then receives it. */
static lf_status_t receive_edited(lf_buffer_t *buffer, size_t offset, uint32_t value) {
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  LF_OK_(lf_buffer_send(buffer, sv[0]));
  uint8_t bytes[64];
  size_t size = 0;
  int fd = -1;
  uint32_t count = 0;
  LF_OK_(lf_socket_recv_fds(sv[1], bytes, sizeof bytes, &size, &fd, 1, &count, 1000));
  assert_int_equal(size, 64);
  blob_put32(bytes + offset, value);
  blob_put32(bytes + 60, blob_crc32(bytes, 60)); /* re-sealed as a writer would */
  LF_OK_(lf_socket_send_fds(sv[0], bytes, size, &fd, 1));
  close(fd);
  lf_buffer_t *received = NULL;
  lf_status_t status = lf_buffer_recv(g_context, sv[1], 1000, &received);
  lf_buffer_destroy(received);
  close(sv[0]);
  close(sv[1]);
  return status;
}

static void bad_device_imports_are_refused(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  lf_buffer_t *buffer = device_buffer(65536, LF_BUFFER_FLAG_HOST_VISIBLE);
  LF_OK_(receive_edited(buffer, 56, 0)); /* the tail of a page-sized buffer: unchanged, accepted */
  LF_EXPECT(LF_ERR_NOT_FOUND, receive_edited(buffer, 24, 0x12345678)); /* device UUID */
  LF_EXPECT_MESSAGE("no Vulkan device here has UUID");
  LF_EXPECT(LF_ERR_UNSUPPORTED, receive_edited(buffer, 40, 0x12345678)); /* driver UUID */
  LF_EXPECT_MESSAGE("cannot cross drivers");
  LF_EXPECT(LF_ERR_CORRUPT, receive_edited(buffer, 16, 31)); /* memory type index */
  LF_EXPECT(LF_ERR_CORRUPT, receive_edited(buffer, 20, 0x100)); /* memory properties */
  LF_EXPECT_MESSAGE("not the same device setup");
  lf_buffer_destroy(buffer);
}

/* A device buffer of an odd size, sent and received: the receiver reports the sender's usable
 * size (not the page-rounded allocation, which it once did: 4,198,400 for 4,194,381) and, as
 * it has a host address, LF_BUFFER_HOST_VISIBLE. A descriptor whose tail claims the whole
 * buffer is corrupt. */
static void a_received_device_buffer_has_the_senders_size(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  const size_t size = 4194381;
  lf_buffer_t *buffer = device_buffer(size, LF_BUFFER_FLAG_HOST_VISIBLE);
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  LF_OK_(lf_buffer_send(buffer, sv[0]));
  lf_buffer_t *received = NULL;
  LF_OK_(lf_buffer_recv(g_context, sv[1], 1000, &received));
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(received, &info));
  assert_int_equal(info.kind, LF_MEMORY_DEVICE);
  assert_int_equal(info.size, size);
  assert_true(info.flags & LF_BUFFER_IMPORTED);
  assert_true(info.flags & LF_BUFFER_HOST_VISIBLE);
  assert_non_null(info.host_pointer);
  lf_buffer_destroy(received);
  close(sv[0]);
  close(sv[1]);
  LF_EXPECT(LF_ERR_CORRUPT, receive_edited(buffer, 56, 0xFFFFFFFFu)); /* the tail: no usable byte left */
  LF_EXPECT_MESSAGE("past the usable ones");
  lf_buffer_destroy(buffer);
}

static void device_memory_limits_and_fallback(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_DEVICE};
  lf_buffer_t *buffer = NULL;
  size_t too_big = (size_t)g_device.device_local_bytes + (1u << 20);
  LF_EXPECT(LF_ERR_NO_MEMORY, lf_buffer_create(g_context, too_big, &params, &buffer));
  LF_EXPECT_MESSAGE("exceeds");
  params.field_mask |= LF_BUFFER_PARAM_FIELD_FALLBACK;
  params.fallback = LF_FALLBACK_DEVICE_TO_HOST;
  LF_OK_(lf_buffer_create(g_context, too_big, &params, &buffer)); /* a real out-of-memory, no injection */
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(buffer, &info));
  assert_int_equal(info.kind, LF_MEMORY_SHARED);
  assert_true(info.flags & LF_BUFFER_FELL_BACK);
  lf_vulkan_memory_info_t vk = {.struct_size = sizeof vk};
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_buffer_get_vulkan_info(buffer, &vk));
  lf_buffer_destroy(buffer);

  lf_buffer_params_t near = {.field_mask = LF_BUFFER_PARAM_FIELD_PLACEMENT, .placement = LF_PLACEMENT_NEAR_DEVICE};
  lf_status_t status = lf_buffer_create(g_context, 4096, &near, &buffer);
  if (g_device.flags & LF_DEVICE_NUMA_KNOWN) {
    LF_OK_(status);
    lf_buffer_destroy(buffer);
  } else {
    LF_EXPECT(LF_ERR_UNSUPPORTED, status);
    LF_EXPECT_MESSAGE("is unknown");
  }
  params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_DEVICE,
                                .kind = LF_MEMORY_DEVICE, .device_index = 7};
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_buffer_create(g_context, 4096, &params, &buffer));
  params.device_index = 0;
  params.device_uuid = g_device.device_uuid; /* by UUID */
  LF_OK_(lf_buffer_create(g_context, 4096, &params, &buffer));
  lf_buffer_destroy(buffer);
}

/* Pinned host memory: host and shared buffers the device also maps (VK_EXT_external_memory_host,
 * which lavapipe has). A transfer submitted on lavaflow's own device writes the pages, and the
 * CPU reads what the device wrote through the buffer's ordinary host address: no staging copy.
 * A shared one still crosses processes as its memfd. */
static void host_memory_the_device_maps(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  assert_true(g_device.flags & LF_DEVICE_MAPS_HOST_MEMORY); /* (lavapipe and NVIDIA have VK_EXT_external_memory_host) */
  const int32_t kinds[] = {LF_MEMORY_HOST, LF_MEMORY_SHARED};
  for (int k = 0; k < 2; ++k) {
    lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_FLAGS,
                                 .kind = kinds[k], .flags = LF_BUFFER_FLAG_DEVICE_MAPPED | LF_BUFFER_FLAG_ZERO};
    lf_buffer_t *buffer = NULL;
    LF_OK_(lf_buffer_create(g_context, 100000, &params, &buffer)); /* (not a whole number of pages) */
    lf_buffer_info_t info = {.struct_size = sizeof info};
    LF_OK_(lf_buffer_get_info(buffer, &info));
    assert_int_equal(info.kind, kinds[k]);
    assert_int_equal(info.size, 100000);
    assert_true(info.flags & LF_BUFFER_DEVICE_MAPPED);
    assert_true(info.flags & LF_BUFFER_HOST_VISIBLE);
    assert_int_equal(info.device_index, 0);
    assert_int_equal((uintptr_t)info.host_pointer % 4096, 0);
    const char *reason = NULL;
    LF_OK_(lf_buffer_get_reason(buffer, &reason));
    assert_non_null(strstr(reason, "VK_EXT_external_memory_host"));
    lf_vulkan_memory_info_t vk = {.struct_size = sizeof vk};
    LF_OK_(lf_buffer_get_vulkan_info(buffer, &vk));
    assert_int_equal(vk.handle_types, VK_EXTERNAL_MEMORY_HANDLE_TYPE_HOST_ALLOCATION_BIT_EXT);
    assert_true(vk.allocation_size >= 100000 && vk.allocation_size % 4096 == 0);
    char error[256];
    if (vulkan_fill_on_device(vk.device, vk.memory, vk.allocation_size, vk.handle_types, 0x5A5A5A5Au, error) != 0)
      fail_msg("the device's transfer into mapped host memory failed: %s", error);
    const uint8_t *bytes = info.host_pointer;
    for (size_t i = 0; i < 100000; ++i)
      if (bytes[i] != 0x5A) fail_msg("byte %zu of %s memory the device wrote is 0x%02x", i, kinds[k] == LF_MEMORY_HOST ? "host" : "shared", bytes[i]);
    if (kinds[k] == LF_MEMORY_SHARED) {
      int fd = -1;
      LF_OK_(lf_buffer_export_fd(buffer, &fd));
      lf_buffer_t *again = NULL;
      LF_OK_(lf_buffer_import_fd(g_context, fd, NULL, &again));
      void *data = NULL;
      LF_OK_(lf_buffer_get_data(again, &data, NULL));
      assert_int_equal(((const uint8_t *)data)[99999], 0x5A);
      lf_buffer_destroy(again);
      close(fd);
    }
    lf_buffer_destroy(buffer);
  }
  lf_buffer_params_t device = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .kind = LF_MEMORY_DEVICE, .flags = LF_BUFFER_FLAG_DEVICE_MAPPED};
  lf_buffer_t *buffer = NULL;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 4096, &device, &buffer));
  lf_buffer_params_t missing = {.field_mask = LF_BUFFER_PARAM_FIELD_FLAGS | LF_BUFFER_PARAM_FIELD_DEVICE,
                                .flags = LF_BUFFER_FLAG_DEVICE_MAPPED, .device_index = 7};
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_buffer_create(g_context, 4096, &missing, &buffer));
}

/* Device memory through a channel: the helper process imports each buffer once (by its fd,
 * with the device checks of lf_buffer_recv), writes the complement of the pattern into the
 * referenced range, and we see it in our own mapping of the same device memory. */
static void device_buffers_travel_through_a_channel_by_reference(void **state) {
  (void)state;
  REQUIRE_DEVICE();
  lf_buffer_t *buffers[2] = {device_buffer(1u << 20, LF_BUFFER_FLAG_HOST_VISIBLE),
                             device_buffer(256u << 10, LF_BUFFER_FLAG_HOST_VISIBLE)};
  for (int i = 0; i < 2; ++i) {
    lf_buffer_info_t info = {.struct_size = sizeof info};
    LF_OK_(lf_buffer_get_info(buffers[i], &info));
    assert_int_equal(info.kind, LF_MEMORY_DEVICE);
    assert_true(info.flags & LF_BUFFER_HOST_VISIBLE);
  }
  buffer_echo_with_helper(g_context, buffers, 2, lf_test_scaled(200));
  buffer_echo_with_thread(g_context, buffers, 2, lf_test_scaled(200));
  for (int i = 0; i < 2; ++i) lf_buffer_destroy(buffers[i]);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(devices_are_described),
      cmocka_unit_test(memory_written_by_a_transfer_is_seen_across_processes),
      cmocka_unit_test(device_buffers_travel_through_a_channel_by_reference),
      cmocka_unit_test(bad_device_imports_are_refused),
      cmocka_unit_test(a_received_device_buffer_has_the_senders_size),
      cmocka_unit_test(device_memory_limits_and_fallback),
      cmocka_unit_test(host_memory_the_device_maps),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

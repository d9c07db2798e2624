/* Misuse of the memory API: every case is a clear status and message, never a crash
 * (this file also runs under ASan). */
#define _GNU_SOURCE
#include "lf_test.h"

#define LF_EXPERIMENTAL /* lf_socket_*_fds */
#include <lavaflow/experimental.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static lf_context_t *g_context;

static lf_status_t import(int fd, uint64_t expected_size) {
  lf_buffer_import_params_t params = {0};
  if (expected_size != 0) {
    params.field_mask = LF_BUFFER_IMPORT_PARAM_FIELD_SIZE;
    params.size = expected_size;
  }
  lf_buffer_t *buffer = NULL;
  lf_status_t status = lf_buffer_import_fd(g_context, fd, &params, &buffer);
  if (status == LF_OK) lf_buffer_destroy(buffer);
  else assert_null(buffer);
  return status;
}

static int memfd(size_t size, unsigned seals) {
  int fd = memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  assert_true(fd >= 0);
  assert_int_equal(ftruncate(fd, (off_t)size), 0);
  if (seals != 0) assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
  return fd;
}

static void bad_fds_are_refused_before_mapping(void **state) {
  (void)state;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(-1, 0));
  LF_EXPECT_MESSAGE("not an open file descriptor");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(987654, 0));

  int pipe_fds[2];
  assert_int_equal(pipe(pipe_fds), 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(pipe_fds[0], 0));
  LF_EXPECT_MESSAGE("a pipe");
  close(pipe_fds[0]);
  close(pipe_fds[1]);

  /* Every other kind of file is named in the message. */
  int socket_fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, socket_fds), 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(socket_fds[0], 0));
  LF_EXPECT_MESSAGE("a socket");
  close(socket_fds[0]);
  close(socket_fds[1]);
  int directory = open("/tmp", O_RDONLY | O_DIRECTORY);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(directory, 0));
  LF_EXPECT_MESSAGE("a directory");
  close(directory);
  int device = open("/dev/null", O_RDWR);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(device, 0));
  LF_EXPECT_MESSAGE("a character device");
  close(device);

  char path[] = "/tmp/lavaflow-regular-XXXXXX";
  int regular = mkstemp(path);
  assert_int_equal(ftruncate(regular, 4096), 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(regular, 0));
  LF_EXPECT_MESSAGE("cannot be sealed");
  close(regular);
  unlink(path);

  int unsealed = memfd(4096, 0);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(unsealed, 0));
  LF_EXPECT_MESSAGE("size is not sealed");
  close(unsealed);

  int half_sealed = memfd(4096, F_SEAL_GROW);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(half_sealed, 0));
  close(half_sealed);

  int truncated = memfd(0, F_SEAL_SHRINK | F_SEAL_GROW);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(truncated, 0));
  LF_EXPECT_MESSAGE("is empty");
  close(truncated);

  int good = memfd(4096, F_SEAL_SHRINK | F_SEAL_GROW);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, import(good, 8192));
  LF_EXPECT_MESSAGE("is 4096 bytes, expected 8192");
  LF_OK_(import(good, 4096));
  LF_OK_(import(good, 0));
  /* the caller's fd is untouched by imports (they duplicate it) */
  assert_true(fcntl(good, F_GETFD) >= 0);
  close(good);
}

static void bad_params_are_refused(void **state) {
  (void)state;
  lf_buffer_t *buffer = NULL;
  lf_buffer_params_t params = {.field_mask = 1u << 20};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, &params, &buffer));
  params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = 9};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, &params, &buffer));
  params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_NAME, .name = "host-with-name"};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, &params, &buffer));
  LF_EXPECT_MESSAGE("only shared buffers can have a name");
  params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_FLAGS, .flags = 1u << 9};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, &params, &buffer));
  params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_PEER, .peer = (lf_identity_t *)(uintptr_t)0x99};
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_create(g_context, 64, &params, &buffer));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, NULL, NULL));
  assert_null(buffer);
  /* Shared memory is mapped at page boundaries: no stricter alignment can be promised. */
  const long page = sysconf(_SC_PAGESIZE);
  params = (lf_buffer_params_t){.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_ALIGNMENT,
                                .kind = LF_MEMORY_SHARED, .alignment = (uint64_t)page * 2};
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_create(g_context, 64, &params, &buffer));
  LF_EXPECT_MESSAGE("exceeds the page size");
  assert_null(buffer);
  params.alignment = (uint64_t)page;
  LF_OK_(lf_buffer_create(g_context, 64, &params, &buffer));
  LF_OK_(lf_buffer_destroy(buffer));
  buffer = NULL;

  LF_OK_(lf_buffer_create(g_context, 64, NULL, &buffer));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_get_data(buffer, NULL, NULL));
  int fds[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds), 0);
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_buffer_send(buffer, fds[0])); /* host memory cannot travel */
  LF_OK_(lf_buffer_destroy(buffer));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_destroy(buffer)); /* double free */
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_get_data(buffer, (void **)&buffer, NULL));
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_destroy((lf_buffer_t *)g_context)); /* wrong type */
  int on_stack = 0;
  LF_EXPECT(LF_ERR_INVALID_HANDLE, lf_buffer_destroy((lf_buffer_t *)&on_stack)); /* foreign */
  close(fds[0]);
  close(fds[1]);
}

static void bad_buffer_messages_are_refused(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  lf_buffer_t *buffer = NULL;
  LF_EXPECT(LF_TIMEOUT, lf_buffer_recv(g_context, sv[1], 0, &buffer));
  LF_EXPECT(LF_TIMEOUT, lf_buffer_recv(g_context, sv[1], 20, &buffer));
  /* a negative fd is an error at once: it once waited forever (poll ignores it) or timed out */
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_recv(g_context, -1, -1, &buffer));
  LF_EXPECT_MESSAGE("fd -1 is not a socket");
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_recv(g_context, -1, 0, &buffer));
  uint8_t scratch[16];
  size_t scratch_size = 0;
  uint32_t scratch_count = 0;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_socket_recv_fds(-1, scratch, sizeof scratch, &scratch_size, NULL, 0, &scratch_count, -1));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_socket_recv_fds(-7, scratch, sizeof scratch, &scratch_size, NULL, 0, &scratch_count, 0));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_socket_send_fds(-1, "x", 1, NULL, 0));

  LF_OK_(lf_socket_send_fds(sv[0], "hello", 5, NULL, 0));
  LF_EXPECT(LF_ERR_PROTOCOL, lf_buffer_recv(g_context, sv[1], 1000, &buffer));
  LF_EXPECT_MESSAGE("not a buffer message");

  /* a real descriptor with one byte changed */
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  lf_buffer_t *real = NULL;
  LF_OK_(lf_buffer_create(g_context, 4096, &params, &real));
  LF_OK_(lf_buffer_send(real, sv[0]));
  uint8_t bytes[64];
  size_t size = 0;
  int fd = -1;
  uint32_t count = 0;
  LF_OK_(lf_socket_recv_fds(sv[1], bytes, sizeof bytes, &size, &fd, 1, &count, 1000));
  assert_int_equal(size, 64);
  assert_int_equal(count, 1);
  bytes[9] ^= 0x40; /* the size field */
  LF_OK_(lf_socket_send_fds(sv[0], bytes, size, &fd, 1));
  LF_EXPECT(LF_ERR_CORRUPT, lf_buffer_recv(g_context, sv[1], 1000, &buffer));
  LF_EXPECT_MESSAGE("checksum");
  bytes[9] ^= 0x40;
  LF_OK_(lf_socket_send_fds(sv[0], bytes, size, NULL, 0)); /* descriptor without its fd */
  LF_EXPECT(LF_ERR_PROTOCOL, lf_buffer_recv(g_context, sv[1], 1000, &buffer));
  int two[2] = {fd, fd};
  LF_OK_(lf_socket_send_fds(sv[0], bytes, size, two, 2));
  LF_EXPECT(LF_ERR_PROTOCOL, lf_buffer_recv(g_context, sv[1], 1000, &buffer));
  LF_OK_(lf_socket_send_fds(sv[0], bytes, size, &fd, 1)); /* intact again: accepted */
  LF_OK_(lf_buffer_recv(g_context, sv[1], 1000, &buffer));
  lf_buffer_destroy(buffer);
  close(fd);

  close(sv[0]);
  LF_EXPECT(LF_ERR_CLOSED, lf_buffer_recv(g_context, sv[1], 1000, &buffer));
  LF_EXPECT(LF_ERR_CLOSED, lf_buffer_send(real, sv[1]));
  lf_buffer_destroy(real);
  close(sv[1]);
}

static void device_memory_falls_back_to_host_when_asked(void **state) {
  (void)state;
  setenv("LAVAFLOW_FAULT_INJECT", "some_other_fault,device_oom", 1);
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_DEVICE};
  lf_buffer_t *buffer = NULL;
  LF_EXPECT(LF_ERR_NO_MEMORY, lf_buffer_create(g_context, 1u << 20, &params, &buffer)); /* no fallback asked */
  LF_EXPECT_MESSAGE("device memory exhausted");
  assert_null(buffer);

  lf_memory_stats_t before = {.struct_size = sizeof before}, after = {.struct_size = sizeof after};
  LF_OK_(lf_context_get_memory_stats(g_context, &before));
  params.field_mask |= LF_BUFFER_PARAM_FIELD_FALLBACK;
  params.fallback = LF_FALLBACK_DEVICE_TO_HOST;
  LF_OK_(lf_buffer_create(g_context, 1u << 20, &params, &buffer));
  unsetenv("LAVAFLOW_FAULT_INJECT");
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(buffer, &info));
  assert_int_equal(info.requested_kind, LF_MEMORY_DEVICE);
  assert_int_equal(info.kind, LF_MEMORY_SHARED);
  assert_true(info.flags & LF_BUFFER_FELL_BACK);
  assert_true(info.flags & LF_BUFFER_EXPORTABLE); /* still shareable with other processes */
  const char *reason = NULL;
  LF_OK_(lf_buffer_get_reason(buffer, &reason));
  assert_non_null(strstr(reason, "fell back to shared host memory: device allocation failed"));
  assert_non_null(strstr(reason, "device memory exhausted"));
  LF_OK_(lf_context_get_memory_stats(g_context, &after));
  assert_int_equal(after.fallbacks - before.fallbacks, 1);
  assert_int_equal(after.live_count[LF_MEMORY_SHARED] - before.live_count[LF_MEMORY_SHARED], 1);
  lf_buffer_destroy(buffer);
}

static int setup(void **state) {
  (void)state;
  g_context = lf_test_context("system");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  return lf_context_destroy(g_context);
}

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bad_fds_are_refused_before_mapping),
      cmocka_unit_test(bad_params_are_refused),
      cmocka_unit_test(bad_buffer_messages_are_refused),
      cmocka_unit_test(device_memory_falls_back_to_host_when_asked),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

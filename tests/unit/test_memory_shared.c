/* Shared memory: sealed memfds, export and import, a real child process (fork + exec)
 * reading and writing in both directions, and named buffers with their containment checks. */
#define _GNU_SOURCE
#include "lf_test.h"

#define LF_EXPERIMENTAL /* lf_socket_*_fds */
#include <lavaflow/experimental.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static lf_context_t *g_context;

static lf_buffer_info_t info_of(const lf_buffer_t *buffer) {
  lf_buffer_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_buffer_get_info(buffer, &info));
  return info;
}

static lf_buffer_t *shared(lf_context_t *context, size_t size, const char *name) {
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND, .kind = LF_MEMORY_SHARED};
  if (name != NULL) {
    params.field_mask |= LF_BUFFER_PARAM_FIELD_NAME;
    params.name = name;
  }
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(context, size, &params, &buffer));
  return buffer;
}

static void a_shared_buffer_is_a_sealed_memfd(void **state) {
  (void)state;
  lf_buffer_t *buffer = shared(g_context, 10000, NULL);
  lf_buffer_info_t info = info_of(buffer);
  assert_int_equal(info.kind, LF_MEMORY_SHARED);
  uint32_t expected = LF_BUFFER_SEALED | LF_BUFFER_EXPORTABLE | LF_BUFFER_ZEROED | LF_BUFFER_HOST_VISIBLE;
  assert_int_equal(info.flags & expected, expected);
  assert_int_equal(info.mapped_size, 12288);
  int fd = -1;
  LF_OK_(lf_buffer_export_fd(buffer, &fd));
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  assert_int_equal(st.st_size, 10000);
  int seals = fcntl(fd, F_GET_SEALS);
  assert_int_equal(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  assert_int_equal(ftruncate(fd, 100), -1); /* the seal holds */

  /* a second mapping of the same memory, through the exported fd (which we still own) */
  lf_buffer_import_params_t params = {.field_mask = LF_BUFFER_IMPORT_PARAM_FIELD_SIZE, .size = 10000};
  lf_buffer_t *other = NULL;
  LF_OK_(lf_buffer_import_fd(g_context, fd, &params, &other));
  assert_int_equal(close(fd), 0); /* import duplicated it: closing ours is fine */
  lf_buffer_info_t other_info = info_of(other);
  assert_true(other_info.flags & LF_BUFFER_IMPORTED);
  assert_true(other_info.flags & LF_BUFFER_HOST_VISIBLE); /* it has a host address: it says so */
  assert_ptr_not_equal(other_info.host_pointer, info.host_pointer);
  memcpy(info.host_pointer, "written through the first mapping", 34);
  assert_memory_equal(other_info.host_pointer, "written through the first mapping", 34);

  /* a read-only import */
  LF_OK_(lf_buffer_export_fd(buffer, &fd));
  lf_buffer_import_params_t ro = {.field_mask = LF_BUFFER_IMPORT_PARAM_FIELD_FLAGS, .flags = LF_BUFFER_IMPORT_READ_ONLY};
  lf_buffer_t *readonly = NULL;
  LF_OK_(lf_buffer_import_fd(g_context, fd, &ro, &readonly));
  close(fd);
  assert_true(info_of(readonly).flags & LF_BUFFER_READ_ONLY);
  assert_true(info_of(readonly).flags & LF_BUFFER_HOST_VISIBLE);
  assert_memory_equal(info_of(readonly).host_pointer, "written", 7);
  lf_buffer_destroy(readonly);
  lf_buffer_destroy(other);
  lf_buffer_destroy(buffer);
}

static uint8_t parent_byte(size_t i) { return (uint8_t)(i % 251); }
static uint8_t child_byte(size_t i) { return (uint8_t)(255 - i % 251); }

static void a_child_process_reads_and_writes_both_ways(void **state) {
  (void)state;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  fcntl(sv[0], F_SETFD, FD_CLOEXEC);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
    execl(lf_test_helper_path(), "lf_test_helper", "shared-child", fd_text, (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  const size_t size = 3u << 20;
  lf_buffer_t *buffer = shared(g_context, size, NULL);
  uint8_t *data = info_of(buffer).host_pointer;
  for (size_t i = 0; i < size / 2; ++i) data[i] = parent_byte(i);
  LF_OK_(lf_buffer_send(buffer, sv[0]));

  uint8_t ack = 0;
  size_t got = 0;
  uint32_t fds = 0;
  LF_OK_(lf_socket_recv_fds(sv[0], &ack, 1, &got, NULL, 0, &fds, 10000));
  for (size_t i = size / 2; i < size; ++i)
    if (data[i] != child_byte(i)) fail_msg("byte %zu written by the child is %u", i, data[i]);

  /* the other direction: the child's own buffer */
  lf_buffer_t *theirs = NULL;
  LF_OK_(lf_buffer_recv(g_context, sv[0], 10000, &theirs));
  lf_buffer_info_t info = info_of(theirs);
  assert_int_equal(info.size, size);
  assert_true(info.flags & LF_BUFFER_IMPORTED);
  assert_true(info.flags & LF_BUFFER_HOST_VISIBLE);
  const uint8_t *their_data = info.host_pointer;
  for (size_t i = 0; i < size; ++i)
    if (their_data[i] != child_byte(i)) fail_msg("byte %zu of the child's buffer is %u", i, their_data[i]);
  LF_OK_(lf_socket_send_fds(sv[0], &ack, 1, NULL, 0));

  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  lf_buffer_destroy(theirs);
  lf_buffer_destroy(buffer);
  close(sv[0]);
}

/* A context whose base directory is a fresh temporary directory. */
static lf_context_t *context_in(const char *dir) {
  lf_context_params_t params = {.field_mask = LF_CONTEXT_PARAM_FIELD_BASE_DIR | LF_CONTEXT_PARAM_FIELD_FLAGS,
                                .base_dir = dir, .flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT};
  lf_context_t *context = NULL;
  LF_OK_(lf_context_create(&params, &context));
  return context;
}

static void named_buffers_are_opened_by_name(void **state) {
  (void)state;
  char *dir = lf_test_temp_dir();
  lf_context_t *context = context_in(dir);
  lf_buffer_t *owner = shared(context, 8192, "frames-0");
  assert_true(info_of(owner).flags & LF_BUFFER_NAMED);
  char path[600];
  snprintf(path, sizeof path, "%s/lavaflow-%u/buffers/frames-0", dir, geteuid());
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  snprintf(path, sizeof path, "%s/lavaflow-%u", dir, geteuid());
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);

  lf_buffer_t *reader = NULL;
  lf_buffer_import_params_t params = {.field_mask = LF_BUFFER_IMPORT_PARAM_FIELD_SIZE, .size = 8192};
  LF_OK_(lf_buffer_open(context, "frames-0", &params, &reader));
  memcpy(info_of(owner).host_pointer, "hello by name", 14);
  assert_string_equal((const char *)info_of(reader).host_pointer, "hello by name");
  assert_true(info_of(reader).flags & LF_BUFFER_HOST_VISIBLE);

  lf_buffer_t *again = NULL;
  lf_buffer_params_t dup = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_NAME, .kind = LF_MEMORY_SHARED, .name = "frames-0"};
  LF_EXPECT(LF_ERR_EXISTS, lf_buffer_create(context, 8192, &dup, &again));
  params.size = 4096;
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_open(context, "frames-0", &params, &again));
  LF_EXPECT_MESSAGE("expected 4096");

  LF_OK_(lf_buffer_destroy(owner)); /* the creator owns the name */
  LF_EXPECT(LF_ERR_NOT_FOUND, lf_buffer_open(context, "frames-0", NULL, &again));
  assert_string_equal((const char *)info_of(reader).host_pointer, "hello by name");
  assert_true(info_of(reader).flags & LF_BUFFER_HOST_VISIBLE); /* still mapped */
  lf_buffer_destroy(reader);
  lf_context_destroy(context);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(dir);
}

static void named_paths_are_contained(void **state) {
  (void)state;
  char *dir = lf_test_temp_dir();
  lf_context_t *context = context_in(dir);
  lf_buffer_t *keep = shared(context, 4096, "real"); /* creates the directories */
  char buffers[600], path[700];
  snprintf(buffers, sizeof buffers, "%s/lavaflow-%u/buffers", dir, geteuid());

  lf_buffer_t *b = NULL;
  const char *bad_names[] = {"../escape", ".hidden", "a/b", "", "x\ny",
                             "this-name-is-far-too-long-for-a-lavaflow-buffer-it-has-more-than-63"};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; ++i)
    LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_open(context, bad_names[i], NULL, &b));

  snprintf(path, sizeof path, "%s/evil-link", buffers);
  assert_int_equal(symlink("/etc/hostname", path), 0);
  LF_EXPECT(LF_ERR_PERMISSION, lf_buffer_open(context, "evil-link", NULL, &b));
  LF_EXPECT_MESSAGE("symlink");

  snprintf(path, sizeof path, "%s/too-open", buffers);
  int fd = open(path, O_CREAT | O_RDWR, 0644);
  assert_true(fd >= 0);
  assert_int_equal(fchmod(fd, 0644), 0);
  assert_int_equal(ftruncate(fd, 4096), 0);
  close(fd);
  LF_EXPECT(LF_ERR_PERMISSION, lf_buffer_open(context, "too-open", NULL, &b));
  LF_EXPECT_MESSAGE("mode 644");

  snprintf(path, sizeof path, "%s/a-fifo", buffers);
  assert_int_equal(mkfifo(path, 0600), 0);
  LF_EXPECT(LF_ERR_PERMISSION, lf_buffer_open(context, "a-fifo", NULL, &b));
  LF_EXPECT_MESSAGE("not a regular file");

  snprintf(path, sizeof path, "%s/empty", buffers);
  fd = open(path, O_CREAT | O_RDWR, 0600);
  close(fd);
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_buffer_open(context, "empty", NULL, &b));

  /* a user directory others can enter is refused */
  snprintf(path, sizeof path, "%s/lavaflow-%u", dir, geteuid());
  assert_int_equal(chmod(path, 0755), 0);
  LF_EXPECT(LF_ERR_PERMISSION, lf_buffer_open(context, "real", NULL, &b));
  LF_EXPECT_MESSAGE("expected 0700");
  assert_int_equal(chmod(path, 0700), 0);
  LF_OK_(lf_buffer_open(context, "real", NULL, &b));
  lf_buffer_destroy(b);

  lf_buffer_destroy(keep);
  lf_context_destroy(context);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  free(dir);
}

static void shared_memory_placement_and_huge_pages(void **state) {
  (void)state;
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_PLACEMENT |
                                             LF_BUFFER_PARAM_FIELD_HUGE_PAGES,
                               .kind = LF_MEMORY_SHARED, .placement = LF_PLACEMENT_NUMA_NODE, .numa_node = 0,
                               .huge_pages = LF_HUGE_PAGES_PREFER};
  lf_buffer_t *buffer = NULL;
  LF_OK_(lf_buffer_create(g_context, 4u << 20, &params, &buffer));
  lf_buffer_info_t info = info_of(buffer);
  assert_true(info.flags & LF_BUFFER_NUMA_BOUND);
  const char *reason = NULL;
  LF_OK_(lf_buffer_get_reason(buffer, &reason));
  assert_non_null(strstr(reason, "shared memory, 4 MiB"));
  assert_non_null(strstr(reason, "huge pages"));
  if (!(info.flags & (LF_BUFFER_HUGETLB | LF_BUFFER_THP))) assert_non_null(strstr(reason, "normal pages"));
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
      cmocka_unit_test(a_shared_buffer_is_a_sealed_memfd),
      cmocka_unit_test(a_child_process_reads_and_writes_both_ways),
      cmocka_unit_test(named_buffers_are_opened_by_name),
      cmocka_unit_test(named_paths_are_contained),
      cmocka_unit_test(shared_memory_placement_and_huge_pages),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

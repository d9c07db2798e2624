/* The Vulkan kind of semaphore. Where the device cannot export timeline semaphores (lavapipe,
 * which the test suite pins) creation is LF_ERR_UNSUPPORTED naming the missing extension, and
 * the fallback gives a shared semaphore that says so. Where it can (a real GPU: run with the
 * system's ICDs, as tests/gpu/run-on-gpu.sh does), the semaphore is signalled and waited on from
 * the CPU, its Vulkan objects are handed out, and a helper process receives it over a socket
 * (imported into its own device) and plays ping-pong with it. LF_TEST_REQUIRE_EXPORTABLE=1
 * (run-on-gpu.sh sets it) makes the refusal a failure. */
#define _GNU_SOURCE
#include "lf_test.h"
#include "semaphore_channel.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static lf_context_t *g_context;

static void exercise_an_exportable_one(lf_semaphore_t *s) {
  lf_semaphore_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_semaphore_get_info(s, &info));
  assert_int_equal(info.kind, LF_SEMAPHORE_VULKAN);
  assert_true(info.device_index >= 0);
  lf_vulkan_semaphore_info_t vk = {.struct_size = sizeof vk};
  LF_OK_(lf_semaphore_get_vulkan_info(s, &vk));
  assert_non_null(vk.device);
  assert_true(vk.semaphore != 0);
  LF_OK_(lf_semaphore_signal(s, 1));
  LF_OK_(lf_semaphore_wait(s, 1, 0));
  LF_EXPECT(LF_TIMEOUT, lf_semaphore_wait(s, 2, 1000000));
  LF_EXPECT(LF_ERR_INVALID_ARGUMENT, lf_semaphore_signal(s, 1));
  int fd = -1;
  LF_OK_(lf_semaphore_export_fd(s, &fd));
  close(fd);

  /* another process imports it into its device and plays ping-pong from 1 */
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
    fcntl(sv[1], F_SETFD, 0);
    execl(getenv("LF_SEMAPHORE_HELPER"), "lf_semaphore_helper", "echo", fd_text, "100", "1", (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  LF_OK_(lf_semaphore_send(s, sv[0]));
  for (uint64_t k = 1; k <= 100; ++k) {
    LF_OK_(lf_semaphore_signal(s, 1 + 2 * k - 1));
    LF_OK_(lf_semaphore_wait(s, 1 + 2 * k, 20LL * 1000 * 1000 * 1000));
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(sv[0]);
}

static void a_vulkan_semaphore_or_the_reason_why_not(void **state) {
  (void)state;
  lf_semaphore_params_t params = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_KIND, .kind = LF_SEMAPHORE_VULKAN};
  lf_semaphore_t *s = NULL;
  const lf_status_t status = lf_semaphore_create(g_context, &params, &s);
  /* the device's flag says beforehand what creation finds */
  lf_device_info_t device = {.struct_size = sizeof device};
  if (lf_device_get_info(g_context, 0, &device) == LF_OK)
    assert_int_equal((device.flags & LF_DEVICE_EXPORT_TIMELINE_SEMAPHORE) != 0, status == LF_OK);
  if (status == LF_OK) {
    exercise_an_exportable_one(s);
    LF_OK_(lf_semaphore_destroy(s));
    return;
  }
  LF_EXPECT(LF_ERR_UNSUPPORTED, status);
  const char *message = lf_last_error_message();
  /* tests/gpu/run-on-gpu.sh: on a GPU machine the refusal is the failure */
  const char *required = getenv("LF_TEST_REQUIRE_EXPORTABLE");
  if (required != NULL && strcmp(required, "1") == 0) fail_msg("no exportable Vulkan timeline semaphore: %s", message);
  /* the reason names what is missing: no Vulkan at all, or the device's missing export */
  assert_true(strstr(message, "VK_KHR_external_semaphore_fd") != NULL || strstr(message, "Vulkan") != NULL);
  params.field_mask |= LF_SEMAPHORE_PARAM_FIELD_FALLBACK;
  params.fallback = LF_SEMAPHORE_FALLBACK_TO_SHARED;
  LF_OK_(lf_semaphore_create(g_context, &params, &s));
  lf_semaphore_info_t info = {.struct_size = sizeof info};
  LF_OK_(lf_semaphore_get_info(s, &info));
  assert_int_equal(info.kind, LF_SEMAPHORE_SHARED);
  assert_int_equal(info.requested_kind, LF_SEMAPHORE_VULKAN);
  assert_true(info.flags & LF_SEMAPHORE_FELL_BACK);
  const char *reason = NULL;
  LF_OK_(lf_semaphore_get_reason(s, &reason));
  assert_non_null(strstr(reason, "Vulkan requested"));
  lf_vulkan_semaphore_info_t vk = {.struct_size = sizeof vk};
  LF_EXPECT(LF_ERR_INVALID_STATE, lf_semaphore_get_vulkan_info(s, &vk));
  LF_OK_(lf_semaphore_destroy(s));
  /* a device that does not exist is refused before anything is made */
  params = (lf_semaphore_params_t){.field_mask = LF_SEMAPHORE_PARAM_FIELD_KIND | LF_SEMAPHORE_PARAM_FIELD_DEVICE,
                                   .kind = LF_SEMAPHORE_VULKAN, .device_index = 4000};
  const lf_status_t missing = lf_semaphore_create(g_context, &params, &s);
  assert_true(missing == LF_ERR_NOT_FOUND || missing == LF_ERR_UNSUPPORTED);
}

/* A device buffer (host-visible, so that both sides can check it) and shared semaphores
 * through a channel: the consumer process imports the device memory and the semaphores from
 * the channel's announcements. */
static void a_device_buffer_message_carries_its_semaphores(void **state) {
  (void)state;
  lf_buffer_params_t device = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .kind = LF_MEMORY_DEVICE, .flags = LF_BUFFER_FLAG_HOST_VISIBLE};
  lf_buffer_t *probe = NULL;
  if (lf_buffer_create(g_context, 4096, &device, &probe) != LF_OK) skip(); /* (no Vulkan device here) */
  lf_buffer_destroy(probe);
  semaphore_channel_rounds(g_context, &device, 50);
}

int main(void) {
  lf_test_reset_environment();
  g_context = lf_test_context("system");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_vulkan_semaphore_or_the_reason_why_not),
      cmocka_unit_test(a_device_buffer_message_carries_its_semaphores),
  };
  const int failures = cmocka_run_group_tests(tests, NULL, NULL);
  lf_context_destroy(g_context);
  return failures;
}

/* What examples/cuda_import.c and examples/opencl_import.c share: process A (the parent, using
 * lavaflow) hands a device buffer and a semaphore to process B (a child it starts: the same
 * program with --child FD) as raw fds over a socket, B imports them into another GPU API, and
 * the two play `rounds` hand-offs: A signals 2k-1, B waits for it, runs a kernel that maps every
 * uint32 x of the buffer to 3x + 1, and signals 2k; A waits for 2k. A times each round trip and
 * at the end checks every element.
 *
 * Each program prints one line a script can read (tests/gpu/run-on-gpu.sh):
 *   RESULT <name> export=<what> import=<what> handoff_us_median=<us> rounds=<n> bytes_checked=<n>
 *   SKIP <name>: <why it cannot run here>
 * and exits 0 for both; when something that should work fails it says what on stderr and exits 1. */
#ifndef LAVAFLOW_EXAMPLES_GPU_HANDOFF_H
#define LAVAFLOW_EXAMPLES_GPU_HANDOFF_H

#define _GNU_SOURCE
#include <lavaflow/lavaflow.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { kHandoffMagic = 0x46444e48, kHandoffElements = 1 << 20, kHandoffRounds = 200 };

/* What A sends B beside the two fds (memory, semaphore). */
typedef struct handoff_message {
  uint32_t magic;
  uint32_t rounds;
  uint64_t bytes;
  uint8_t device_uuid[16];
  uint8_t driver_uuid[16];
} handoff_message_t;

static const char *g_example_name = "gpu_handoff";

static int handoff_skip(const char *format, ...) {
  va_list args;
  va_start(args, format);
  printf("SKIP %s: ", g_example_name);
  vprintf(format, args);
  printf("\n");
  va_end(args);
  return 0;
}

static int handoff_fail(const char *what) {
  fprintf(stderr, "%s: %s failed: %s\n", g_example_name, what, lf_last_error_message());
  return 1;
}

static double handoff_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int handoff_compare(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sends `size` bytes and `count` fds in one message (SCM_RIGHTS). */
static int handoff_send_fds(int socket_fd, const void *data, size_t size, const int *fds, int count) {
  char control[CMSG_SPACE(sizeof(int) * 2)];
  memset(control, 0, sizeof control);
  struct iovec iov = {.iov_base = (void *)data, .iov_len = size};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)count);
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * (size_t)count);
  }
  return sendmsg(socket_fd, &msg, MSG_NOSIGNAL) == (ssize_t)size ? 0 : -1;
}

/* Receives the message and its two fds; -1 if anything is missing. */
static int handoff_recv(int socket_fd, handoff_message_t *message, int fds[2]) {
  char control[CMSG_SPACE(sizeof(int) * 2)];
  struct iovec iov = {.iov_base = message, .iov_len = sizeof *message};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  if (recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof *message) return -1;
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  if (cmsg == NULL || cmsg->cmsg_type != SCM_RIGHTS || cmsg->cmsg_len != CMSG_LEN(sizeof(int) * 2)) return -1;
  memcpy(fds, CMSG_DATA(cmsg), sizeof(int) * 2);
  if (message->magic != kHandoffMagic || message->bytes != (uint64_t)kHandoffElements * 4 || message->rounds == 0 ||
      message->rounds > 100000) {
    close(fds[0]);
    close(fds[1]);
    return -1;
  }
  return 0;
}

/* B's answer: "ready", or why it skips ("SKIP <reason>"). */
static void handoff_reply(int socket_fd, const char *format, ...) {
  char text[512];
  va_list args;
  va_start(args, format);
  vsnprintf(text, sizeof text, format, args);
  va_end(args);
  (void)send(socket_fd, text, strlen(text), MSG_NOSIGNAL);
}

/* x -> 3x + 1, `rounds` times: what every element must be. */
static uint32_t handoff_expected(uint32_t initial, uint32_t rounds) {
  uint32_t x = initial;
  for (uint32_t r = 0; r < rounds; ++r) x = x * 3u + 1u;
  return x;
}

/* Process A's buffer: host-visible device memory for kHandoffElements uint32 (so that A can fill
 * and check it), or NULL after printing the SKIP line that says why there is none. */
static lf_buffer_t *handoff_device_buffer(lf_context_t *context) {
  lf_buffer_params_t params = {.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_FLAGS,
                               .kind = LF_MEMORY_DEVICE,
                               .flags = LF_BUFFER_FLAG_HOST_VISIBLE};
  lf_buffer_t *buffer = NULL;
  if (lf_buffer_create(context, (size_t)kHandoffElements * 4, &params, &buffer) != LF_OK) {
    handoff_skip("no exportable Vulkan device memory: %s", lf_last_error_message());
    return NULL;
  }
  return buffer;
}

/* Process A: `buffer` is host-visible device memory holding kHandoffElements uint32 (filled here),
 * `semaphore` at 0. Starts B (this program again, with --child FD), sends both, plays the
 * rounds, checks, prints. */
static int handoff_run_parent(lf_buffer_t *buffer, lf_semaphore_t *semaphore, const char *export_kind,
                              const char *import_kind) {
  uint32_t *data = NULL;
  size_t bytes = 0;
  if (lf_buffer_get_data(buffer, (void **)&data, &bytes) != LF_OK) return handoff_fail("lf_buffer_get_data");
  for (uint32_t i = 0; i < kHandoffElements; ++i) data[i] = i;
  lf_vulkan_memory_info_t vk = {.struct_size = sizeof vk};
  if (lf_buffer_get_vulkan_info(buffer, &vk) != LF_OK) return handoff_fail("lf_buffer_get_vulkan_info");

  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return handoff_fail("socketpair");
  pid_t child = fork();
  if (child == 0) {
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", sv[1]);
    fcntl(sv[1], F_SETFD, 0);
    execl("/proc/self/exe", g_example_name, "--child", fd_text, (char *)NULL);
    _exit(127);
  }
  close(sv[1]);
  int fds[2] = {-1, -1};
  if (lf_buffer_export_fd(buffer, &fds[0]) != LF_OK) return handoff_fail("lf_buffer_export_fd");
  if (lf_semaphore_export_fd(semaphore, &fds[1]) != LF_OK) return handoff_fail("lf_semaphore_export_fd");
  handoff_message_t message = {.magic = kHandoffMagic, .rounds = kHandoffRounds, .bytes = bytes};
  memcpy(message.device_uuid, vk.device_uuid, 16);
  memcpy(message.driver_uuid, vk.driver_uuid, 16);
  if (handoff_send_fds(sv[0], &message, sizeof message, fds, 2) != 0) return handoff_fail("sending the fds");
  close(fds[0]);
  close(fds[1]);

  char answer[512] = {0};
  const ssize_t got = recv(sv[0], answer, sizeof answer - 1, 0);
  int status = 0;
  if (got <= 0 || strncmp(answer, "ready", 5) != 0) {
    waitpid(child, &status, 0);
    if (got > 5 && strncmp(answer, "SKIP ", 5) == 0) return handoff_skip("%s", answer + 5);
    if (got > 0) fprintf(stderr, "%s: process B: %s\n", g_example_name, answer);
    else fprintf(stderr, "%s: process B answered nothing (exit status 0x%x)\n", g_example_name, status);
    return 1;
  }
  static double round_trip_us[kHandoffRounds];
  for (uint32_t k = 1; k <= kHandoffRounds; ++k) {
    const double start = handoff_now_us();
    if (lf_semaphore_signal(semaphore, 2 * (uint64_t)k - 1) != LF_OK) return handoff_fail("lf_semaphore_signal");
    const lf_status_t waited = lf_semaphore_wait(semaphore, 2 * (uint64_t)k, 10LL * 1000 * 1000 * 1000);
    if (waited != LF_OK) {
      fprintf(stderr, "%s: round %u: B did not signal %u within 10 s (%s: %s)\n", g_example_name, k, 2 * k,
              lf_status_name(waited), lf_last_error_message());
      return 1;
    }
    round_trip_us[k - 1] = handoff_now_us() - start;
  }
  waitpid(child, &status, 0);
  close(sv[0]);
  uint32_t wrong = 0;
  for (uint32_t i = 0; i < kHandoffElements; ++i)
    if (data[i] != handoff_expected(i, kHandoffRounds) && wrong++ < 3)
      fprintf(stderr, "%s: element %u is %u, expected %u\n", g_example_name, i, data[i], handoff_expected(i, kHandoffRounds));
  if (wrong != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s: %u wrong elements; B's exit status 0x%x\n", g_example_name, wrong, status);
    return 1;
  }
  qsort(round_trip_us, kHandoffRounds, sizeof round_trip_us[0], handoff_compare);
  printf("RESULT %s export=%s import=%s handoff_us_median=%.1f rounds=%u bytes_checked=%zu\n", g_example_name,
         export_kind, import_kind, round_trip_us[kHandoffRounds / 2], (unsigned)kHandoffRounds, bytes);
  return 0;
}

#endif

#include "ipc/fd_passing.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>

namespace lavaflow::ipc {

using core::fail;

void send_fds(int socket_fd, const void *data, size_t size, const int *fds, uint32_t fd_count) {
  if (data == nullptr || size == 0) fail(LF_ERR_INVALID_ARGUMENT, "a message needs at least one byte of data");
  if (fd_count > kMaxFdsPerMessage) fail(LF_ERR_INVALID_ARGUMENT, "%u descriptors; at most %u per message", fd_count, kMaxFdsPerMessage);
  if (fd_count > 0 && fds == nullptr) fail(LF_ERR_INVALID_ARGUMENT, "fds is NULL but fd_count is %u", fd_count);
  iovec iov{const_cast<void *>(data), size};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (fd_count > 0) {
    std::memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    std::memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fd_count);
  }
  for (;;) {
    ssize_t n = sendmsg(socket_fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      if (static_cast<size_t>(n) != size) fail(LF_ERR_SYSTEM, "sendmsg sent %zd of %zu bytes", n, size);
      return;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE || errno == ECONNRESET) fail(LF_ERR_CLOSED, "sendmsg: the peer closed the socket");
    if (errno == EBADF || errno == ENOTSOCK) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not a connected socket", socket_fd);
    core::fail_errno(errno, "sendmsg on fd %d", socket_fd);
  }
}

lf_status_t recv_fds(int socket_fd, void *data, size_t capacity, size_t &size, std::vector<core::UniqueFd> &fds,
                     uint32_t fd_capacity, int32_t timeout_ms) {
  if (data == nullptr || capacity == 0) fail(LF_ERR_INVALID_ARGUMENT, "the data buffer is NULL or empty");
  if (fd_capacity > kMaxFdsPerMessage) fd_capacity = kMaxFdsPerMessage;
  // (poll() ignores a negative fd: it would wait out the timeout — forever for -1 — for nothing)
  if (socket_fd < 0) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not a socket", socket_fd);
  pollfd pfd{socket_fd, POLLIN, 0};
  for (;;) {
    int ready = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (ready > 0) break;
    if (ready == 0) return LF_TIMEOUT;
    if (errno != EINTR) core::fail_errno(errno, "poll on fd %d", socket_fd);
  }
  if (pfd.revents & POLLNVAL) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not open", socket_fd);

  iovec iov{data, capacity};
  // Room for the maximum, so that extra descriptors arrive (and get closed) instead of
  // being silently dropped by the kernel.
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = recvmsg(socket_fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == ENOTSOCK || errno == EBADF) fail(LF_ERR_INVALID_ARGUMENT, "fd %d is not a socket", socket_fd);
    if (errno == ECONNRESET) fail(LF_ERR_CLOSED, "recvmsg: the peer reset the connection");
    core::fail_errno(errno, "recvmsg on fd %d", socket_fd);
  }
  std::vector<core::UniqueFd> received;
  for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; ++i) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      received.emplace_back(fd);
    }
  }
  if (n == 0 && received.empty()) fail(LF_ERR_CLOSED, "the peer closed the socket");
  if (msg.msg_flags & MSG_CTRUNC) fail(LF_ERR_PROTOCOL, "descriptors were truncated by the kernel (closed what arrived)");
  if (msg.msg_flags & MSG_TRUNC) fail(LF_ERR_PROTOCOL, "the message is larger than the %zu-byte buffer (discarded)", capacity);
  if (received.size() > fd_capacity)
    fail(LF_ERR_PROTOCOL, "the message carried %zu descriptors, more than the %u expected (all closed)", received.size(), fd_capacity);
  size = static_cast<size_t>(n);
  fds = std::move(received);
  return LF_OK;
}

}  // namespace lavaflow::ipc

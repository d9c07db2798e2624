// Passing file descriptors between processes over Unix sockets (SCM_RIGHTS).
#pragma once

#include "core/unique_fd.hpp"

#include <lavaflow/status.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace lavaflow::ipc {

constexpr uint32_t kMaxFdsPerMessage = 32;  // internal protocols (a tensor pool epoch: up to 17)
constexpr uint32_t kMaxPublicFdsPerMessage = 16;  // lf_socket_send_fds / lf_socket_recv_fds

// Sends `size` bytes (at least 1) and the descriptors in one message. Throws Error
// (LF_ERR_CLOSED when the peer is gone, LF_ERR_SYSTEM).
void send_fds(int socket_fd, const void *data, size_t size, const int *fds, uint32_t fd_count);

// Receives one message. Returns LF_OK, or LF_TIMEOUT when nothing arrived in time. Received
// descriptors land in `fds` (owned). Throws Error: LF_ERR_CLOSED (end of stream),
// LF_ERR_PROTOCOL (message or descriptors truncated: everything received is closed),
// LF_ERR_SYSTEM.
lf_status_t recv_fds(int socket_fd, void *data, size_t capacity, size_t &size, std::vector<core::UniqueFd> &fds,
                     uint32_t fd_capacity, int32_t timeout_ms);

}  // namespace lavaflow::ipc

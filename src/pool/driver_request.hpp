// Requests to a tensor pool driver: the exchange every client request makes (send, then wait
// for the reply to it), and the one-shot requests that never start a driver — the stream list
// for `lavaflow pool ls` and the token-protected shutdown request.
#pragma once

#include "core/unique_fd.hpp"
#include "pool/protocol.hpp"

#include <string>
#include <vector>

namespace lavaflow::pool {

// Sends `request` on the connected `socket` and returns the `reply_type` message answering it
// (same request id); messages in between are skipped and their descriptors closed. The reply's
// descriptors go to `out_fds` (NULL: closed). Throws Error: LF_TIMEOUT at deadline_ms
// (monotonic), LF_ERR_CLOSED (the driver hung up or announced its shutdown), LF_ERR_PROTOCOL.
protocol::Message exchange(int socket, const protocol::Message &request, protocol::Type reply_type, int64_t deadline_ms,
                           std::vector<core::UniqueFd> *out_fds = nullptr);

// Throws Error: LF_ERR_NOT_FOUND (no driver listens), LF_TIMEOUT, LF_ERR_PROTOCOL.
std::vector<protocol::StreamStatus> list_driver_streams(const std::string &base_dir, int32_t timeout_ms);

// Reads the token file (0600, ours) and asks the driver to shut down. Throws Error:
// LF_ERR_NOT_FOUND, LF_ERR_PERMISSION (refused), LF_TIMEOUT.
void request_driver_shutdown(const std::string &base_dir, int32_t timeout_ms);

}  // namespace lavaflow::pool

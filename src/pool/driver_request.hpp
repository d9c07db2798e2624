// One-shot requests to a running tensor pool driver (never starting one): the stream list for
// `lavaflow pool ls`, and the token-protected shutdown request.
#pragma once

#include "pool/protocol.hpp"

#include <string>
#include <vector>

namespace lavaflow::pool {

// Throws Error: LF_ERR_NOT_FOUND (no driver listens), LF_TIMEOUT, LF_ERR_PROTOCOL.
std::vector<protocol::StreamStatus> list_driver_streams(const std::string &base_dir, int32_t timeout_ms);

// Reads the token file (0600, ours) and asks the driver to shut down. Throws Error:
// LF_ERR_NOT_FOUND, LF_ERR_PERMISSION (refused), LF_TIMEOUT.
void request_driver_shutdown(const std::string &base_dir, int32_t timeout_ms);

}  // namespace lavaflow::pool

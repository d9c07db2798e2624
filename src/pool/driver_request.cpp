#include "pool/driver_request.hpp"

#include "core/error.hpp"
#include "core/futex.hpp"
#include "ipc/contained_path.hpp"
#include "ipc/fd_passing.hpp"
#include "ipc/unix_socket.hpp"
#include "ipc/user_dir.hpp"
#include "pool/driver.hpp"

#include <cerrno>
#include <unistd.h>

namespace lavaflow::pool {

using core::fail;
using core::UniqueFd;
using protocol::Message;
using protocol::Type;

Message exchange(int socket, const Message &request, Type reply_type, int64_t deadline_ms, std::vector<UniqueFd> *out_fds) {
  std::vector<uint8_t> bytes = protocol::encode(request);
  ipc::send_fds(socket, bytes.data(), bytes.size(), nullptr, 0);
  std::vector<uint8_t> buffer(protocol::kMaxMessageBytes);
  while (true) {
    const int64_t left = deadline_ms - core::monotonic_ms();
    size_t size = 0;
    std::vector<UniqueFd> fds;
    if (left <= 0 || ipc::recv_fds(socket, buffer.data(), buffer.size(), size, fds, ipc::kMaxFdsPerMessage,
                                   static_cast<int32_t>(left)) == LF_TIMEOUT)
      fail(LF_TIMEOUT, "the tensor pool driver did not answer the %s in time", protocol::type_name(request.type));
    Message reply = protocol::decode(buffer.data(), size, static_cast<uint32_t>(fds.size()));
    if (reply.type == reply_type && reply.request_id == request.request_id) {
      if (out_fds != nullptr) *out_fds = std::move(fds);
      return reply;
    }
    if (reply.type == Type::shutdown_notice) fail(LF_ERR_CLOSED, "the tensor pool driver is shutting down");
  }
}

namespace {

Message ask(const std::string &base_dir, const Message &request, Type expected, int32_t timeout_ms) {
  UniqueFd dir = ipc::open_user_dir(base_dir, nullptr, false);
  const std::string dir_path = ipc::user_dir_path(base_dir, nullptr);
  UniqueFd socket(ipc::connect_unix(dir.get(), dir_path, kDriverSocketName));
  if (!socket) {
    if (errno == ENOENT || errno == ECONNREFUSED) fail(LF_ERR_NOT_FOUND, "no tensor pool driver is listening at '%s/%s'", dir_path.c_str(), kDriverSocketName);
    core::fail_errno(errno, "connecting to '%s/%s'", dir_path.c_str(), kDriverSocketName);
  }
  return exchange(socket.get(), request, expected, core::monotonic_ms() + timeout_ms);
}

std::array<uint8_t, protocol::kTokenBytes> read_token(const std::string &base_dir) {
  const std::string path = ipc::user_dir_path(base_dir, nullptr) + "/" + kDriverTokenName;
  UniqueFd fd = ipc::open_contained(path, ipc::user_dir_path(base_dir, nullptr), false);
  char text[2 * protocol::kTokenBytes + 2] = {};
  const ssize_t n = read(fd.get(), text, sizeof text - 1);
  if (n < static_cast<ssize_t>(2 * protocol::kTokenBytes)) fail(LF_ERR_CORRUPT, "the driver token file '%s' is too short", path.c_str());
  std::array<uint8_t, protocol::kTokenBytes> token{};
  for (size_t i = 0; i < token.size(); ++i) {
    auto nibble = [&](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      fail(LF_ERR_CORRUPT, "the driver token file '%s' is not hexadecimal", path.c_str());
    };
    token[i] = static_cast<uint8_t>(nibble(text[2 * i]) << 4 | nibble(text[2 * i + 1]));
  }
  return token;
}

}  // namespace

std::vector<protocol::StreamStatus> list_driver_streams(const std::string &base_dir, int32_t timeout_ms) {
  Message request;
  request.type = Type::list_request;
  request.request_id = 1;
  return ask(base_dir, request, Type::list_response, timeout_ms).streams;
}

void request_driver_shutdown(const std::string &base_dir, int32_t timeout_ms) {
  Message request;
  request.type = Type::shutdown_request;
  request.request_id = 1;
  request.token = read_token(base_dir);
  const Message reply = ask(base_dir, request, Type::shutdown_response, timeout_ms);
  if (reply.status != LF_OK) fail(reply.status, "the tensor pool driver refused the shutdown request (the token did not match)");
}

}  // namespace lavaflow::pool

// Unix sockets (SOCK_SEQPACKET) named inside a directory lavaflow opened: binding one (taking
// over a stale one whose process died), connecting to one, and asking who is on the other end.
// Long paths go through /proc/self/fd/<dir fd>, since sun_path holds only 107 bytes.
#pragma once

#include "core/unique_fd.hpp"

#include <string>
#include <sys/socket.h>
#include <sys/types.h>

namespace lavaflow::ipc {

struct BoundSocket {
  core::UniqueFd socket;  // listening, non-blocking, close-on-exec
  dev_t dev = 0;          // the socket file, so that only our own file is removed later
  ino_t ino = 0;
};

// Binds and listens on <dir>/<name>. A socket file nobody listens on any more is replaced; a
// live one is LF_ERR_EXISTS ("<what> ... already exists"). Throws Error.
BoundSocket listen_unix(int dir_fd, const std::string &dir_path, const std::string &name, const char *what);

// Removes <dir>/<name> if it is still the file `bound` created.
void unlink_if_ours(int dir_fd, const std::string &name, const BoundSocket &bound) noexcept;

// Removes the socket files in <dir> whose process died: ours, at least `min_age_s` old (a
// creator between bind() and listen() refuses connections too, for an instant), refusing a
// connection, and still the same file just before removal. A live one gets a connection that
// closes at once. Never follows a symlink. Returns how many were removed.
size_t remove_stale_sockets(int dir_fd, const std::string &dir_path, int64_t min_age_s) noexcept;

// Connects to <dir>/<name>. Returns -1 with errno set on failure (ENOENT, ECONNREFUSED...).
int connect_unix(int dir_fd, const std::string &dir_path, const std::string &name) noexcept;

// Send and receive timeouts on a connected socket.
void set_socket_timeout(int fd, int milliseconds) noexcept;

// The peer's pid, uid and gid (SO_PEERCRED). Throws Error.
ucred peer_credentials(int fd);

}  // namespace lavaflow::ipc

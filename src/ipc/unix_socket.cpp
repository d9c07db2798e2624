#include "ipc/unix_socket.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace lavaflow::ipc {

using core::UniqueFd;

namespace {

bool make_address(sockaddr_un &address, int dir_fd, const std::string &dir_path, const std::string &name) {
  std::memset(&address, 0, sizeof address);
  address.sun_family = AF_UNIX;
  std::string path = dir_path + "/" + name;
  if (path.size() >= sizeof address.sun_path) path = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + name;
  if (path.size() >= sizeof address.sun_path) return false;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

int connect_unix(int dir_fd, const std::string &dir_path, const std::string &name) noexcept {
  sockaddr_un address;
  if (!make_address(address, dir_fd, dir_path, name)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

BoundSocket listen_unix(int dir_fd, const std::string &dir_path, const std::string &name, const char *what) {
  const std::string path = dir_path + "/" + name;
  sockaddr_un address;
  if (!make_address(address, dir_fd, dir_path, name))
    core::fail(LF_ERR_INVALID_ARGUMENT, "the %s path '%s' is too long for a Unix socket", what, path.c_str());
  BoundSocket bound;
  bound.socket = UniqueFd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!bound.socket) core::fail_errno(errno, "socket(AF_UNIX)");
  if (bind(bound.socket.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
    if (errno != EADDRINUSE) core::fail_errno(errno, "binding '%s'", path.c_str());
    // Someone's socket is there: a live one, or one whose process died (stale).
    UniqueFd probe(connect_unix(dir_fd, dir_path, name));
    if (probe || errno != ECONNREFUSED) core::fail(LF_ERR_EXISTS, "a %s already exists at '%s'", what, path.c_str());
    unlinkat(dir_fd, name.c_str(), 0);
    if (bind(bound.socket.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
      core::fail_errno(errno, "binding '%s'", path.c_str());
  }
  struct stat st {};
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
    bound.dev = st.st_dev;
    bound.ino = st.st_ino;
  }
  if (listen(bound.socket.get(), 64) != 0) core::fail_errno(errno, "listen('%s')", path.c_str());
  return bound;
}

size_t remove_stale_sockets(int dir_fd, const std::string &dir_path, int64_t min_age_s) noexcept {
  int listing = dup(dir_fd);
  DIR *dir = listing >= 0 ? fdopendir(listing) : nullptr;
  if (dir == nullptr) {
    if (listing >= 0) close(listing);
    return 0;
  }
  std::vector<std::string> names;
  while (dirent *entry = readdir(dir))
    if (entry->d_type == DT_SOCK || entry->d_type == DT_UNKNOWN) names.emplace_back(entry->d_name);
  closedir(dir);
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  size_t removed = 0;
  for (const std::string &name : names) {
    struct stat before {};
    if (fstatat(dir_fd, name.c_str(), &before, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISSOCK(before.st_mode) ||
        before.st_uid != geteuid() || now.tv_sec - before.st_ctim.tv_sec < min_age_s)
      continue;
    UniqueFd probe(connect_unix(dir_fd, dir_path, name));
    if (probe || errno != ECONNREFUSED) continue;  // someone listens (our connection closes now), or we cannot tell
    struct stat after {};
    if (fstatat(dir_fd, name.c_str(), &after, AT_SYMLINK_NOFOLLOW) != 0 || after.st_dev != before.st_dev ||
        after.st_ino != before.st_ino)
      continue;  // replaced meanwhile: a new creator's
    if (unlinkat(dir_fd, name.c_str(), 0) == 0) ++removed;
  }
  return removed;
}

void unlink_if_ours(int dir_fd, const std::string &name, const BoundSocket &bound) noexcept {
  struct stat st {};
  if (fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == bound.dev && st.st_ino == bound.ino)
    unlinkat(dir_fd, name.c_str(), 0);
}

void set_socket_timeout(int fd, int milliseconds) noexcept {
  timeval tv{milliseconds / 1000, (milliseconds % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

ucred peer_credentials(int fd) {
  ucred cred{};
  socklen_t length = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) core::fail_errno(errno, "SO_PEERCRED");
  return cred;
}

}  // namespace lavaflow::ipc

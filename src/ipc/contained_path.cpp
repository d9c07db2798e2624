#include "ipc/contained_path.hpp"

#include "core/error.hpp"
#include "ipc/user_dir.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace lavaflow::ipc {

using core::fail;
using core::UniqueFd;

namespace {

std::vector<std::string> components(const std::string &path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::string canonical(const std::string &dir) {
  char resolved[PATH_MAX];
  if (realpath(dir.c_str(), resolved) == nullptr) {
    if (errno == ENOENT) fail(LF_ERR_NOT_FOUND, "the allowed directory '%s' does not exist: nothing can be inside it", dir.c_str());
    core::fail_errno(errno, "resolving the allowed directory '%s'", dir.c_str());
  }
  return resolved;
}

}  // namespace

UniqueFd open_contained(const std::string &path, const std::string &allowed_dir, bool writable) {
  if (path.empty() || path[0] != '/') fail(LF_ERR_INVALID_ARGUMENT, "'%s' is not an absolute path", path.c_str());
  const std::vector<std::string> parts = components(path);
  if (parts.empty()) fail(LF_ERR_INVALID_ARGUMENT, "'%s' names no file", path.c_str());
  for (const std::string &part : parts)
    if (part == "." || part == "..") fail(LF_ERR_INVALID_ARGUMENT, "'%s' has a '%s' component: refused", path.c_str(), part.c_str());
  // Contained: every component is a real directory (no symlink is followed below), so the path
  // as written is its canonical form and can be compared with the canonical allowed directory.
  const std::string base = canonical(allowed_dir);
  std::string joined;
  for (const std::string &part : parts) joined += "/" + part;
  if (joined.compare(0, base.size(), base) != 0 || joined.size() <= base.size() + 1 || joined[base.size()] != '/')
    fail(LF_ERR_PERMISSION, "'%s' is outside the allowed directory '%s': refused", path.c_str(), base.c_str());

  UniqueFd dir(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) core::fail_errno(errno, "open('/')");
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    UniqueFd next(openat(dir.get(), parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) {
      if (errno == ELOOP || errno == ENOTDIR)
        fail(LF_ERR_PERMISSION, "'%s': component '%s' is a symlink or not a directory: refused", path.c_str(), parts[i].c_str());
      core::fail_errno(errno, "'%s': opening directory '%s'", path.c_str(), parts[i].c_str());
    }
    dir = std::move(next);
  }
  // O_NONBLOCK: a FIFO planted there must not block the open (fstat refuses it next).
  UniqueFd fd(openat(dir.get(), parts.back().c_str(), (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) {
    if (errno == ELOOP) fail(LF_ERR_PERMISSION, "'%s' is a symlink: refused", path.c_str());
    core::fail_errno(errno, "open('%s')", path.c_str());
  }
  check_private_file(fd.get(), path, 0);
  return fd;
}

}  // namespace lavaflow::ipc

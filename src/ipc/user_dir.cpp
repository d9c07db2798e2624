#include "ipc/user_dir.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace lavaflow::ipc {

using core::fail;
using core::UniqueFd;

UniqueFd open_private_dir(int parent, const char *name, bool create, const std::string &shown) {
  if (create && mkdirat(parent, name, 0700) != 0 && errno != EEXIST) core::fail_errno(errno, "mkdir('%s')", shown.c_str());
  int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ELOOP || errno == ENOTDIR)
      fail(LF_ERR_PERMISSION, "'%s' is a symlink or not a directory: refused", shown.c_str());
    core::fail_errno(errno, "open('%s')", shown.c_str());
  }
  UniqueFd dir(fd);
  struct stat st {};
  if (fstat(dir.get(), &st) != 0) core::fail_errno(errno, "fstat('%s')", shown.c_str());
  if (st.st_uid != geteuid())
    fail(LF_ERR_PERMISSION, "'%s' is owned by uid %u, not by us (uid %u): refused", shown.c_str(), st.st_uid, geteuid());
  if ((st.st_mode & 067) != 0)
    fail(LF_ERR_PERMISSION, "'%s' has mode %03o: others may enter it; expected 0700 (or 0710)", shown.c_str(), st.st_mode & 0777);
  return dir;
}

UniqueFd open_user_dir_of(const std::string &base_dir, uid_t owner) {
  UniqueFd base(open(base_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!base) core::fail_errno(errno, "open base directory '%s'", base_dir.c_str());
  const std::string name = "lavaflow-" + std::to_string(owner);
  const std::string shown = base_dir + "/" + name;
  // O_PATH: search permission is all a group member has.
  UniqueFd dir(openat(base.get(), name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno == ELOOP || errno == ENOTDIR) fail(LF_ERR_PERMISSION, "'%s' is a symlink or not a directory: refused", shown.c_str());
    core::fail_errno(errno, "open('%s')", shown.c_str());
  }
  struct stat st {};
  if (fstat(dir.get(), &st) != 0) core::fail_errno(errno, "fstat('%s')", shown.c_str());
  if (st.st_uid != owner) fail(LF_ERR_PERMISSION, "'%s' is owned by uid %u, not %u: refused", shown.c_str(), st.st_uid, owner);
  if ((st.st_mode & 007) != 0) fail(LF_ERR_PERMISSION, "'%s' has mode %03o: anyone may enter it: refused", shown.c_str(), st.st_mode & 0777);
  return dir;
}

std::string user_dir_path(const std::string &base_dir, const char *sub) {
  std::string path = base_dir + "/lavaflow-" + std::to_string(geteuid());
  if (sub != nullptr) path += std::string("/") + sub;
  return path;
}

UniqueFd open_user_dir(const std::string &base_dir, const char *sub, bool create) {
  UniqueFd base(open(base_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!base) core::fail_errno(errno, "open base directory '%s'", base_dir.c_str());
  std::string user = "lavaflow-" + std::to_string(geteuid());
  UniqueFd dir = open_private_dir(base.get(), user.c_str(), create, user_dir_path(base_dir, nullptr));
  if (sub == nullptr) return dir;
  return open_private_dir(dir.get(), sub, create, user_dir_path(base_dir, sub));
}

void validate_name(std::string_view name, const char *what) {
  bool ok = !name.empty() && name.size() <= 63 && name[0] != '.';
  for (char c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    ok = ok && allowed;
  }
  if (!ok)
    fail(LF_ERR_INVALID_ARGUMENT, "%s '%.*s' must be 1..63 bytes of [A-Za-z0-9._-], not starting with a dot", what,
         static_cast<int>(name.size()), name.data());
}

struct stat check_private_file(int fd, const std::string &path, uint64_t expected_size) {
  return check_private_file(fd, path, expected_size, geteuid());
}

struct stat check_private_file(int fd, const std::string &path, uint64_t expected_size, uid_t owner) {
  struct stat st {};
  if (fstat(fd, &st) != 0) core::fail_errno(errno, "fstat('%s')", path.c_str());
  if (!S_ISREG(st.st_mode)) fail(LF_ERR_PERMISSION, "'%s' is not a regular file: refused", path.c_str());
  if (st.st_uid != owner)
    fail(LF_ERR_PERMISSION, "'%s' is owned by uid %u, not by uid %u: refused", path.c_str(), st.st_uid, owner);
  if ((st.st_mode & 077) != 0)
    fail(LF_ERR_PERMISSION, "'%s' has mode %03o; expected 0600", path.c_str(), st.st_mode & 0777);
  if (st.st_size <= 0) fail(LF_ERR_INVALID_ARGUMENT, "'%s' is empty", path.c_str());
  if (expected_size != 0 && static_cast<uint64_t>(st.st_size) != expected_size)
    fail(LF_ERR_INVALID_ARGUMENT, "'%s' is %lld bytes, expected %llu", path.c_str(), static_cast<long long>(st.st_size),
         static_cast<unsigned long long>(expected_size));
  return st;
}

}  // namespace lavaflow::ipc

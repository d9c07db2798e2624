// The per-user directory under the base directory, <base>/lavaflow-<uid>/, and paths inside
// it, handled as tensor-pool.md requires: no symlink is ever followed, every directory and
// file is checked (type, owner, mode) after it is opened, and names cannot escape.
#pragma once

#include "core/unique_fd.hpp"

#include <string>
#include <string_view>
#include <sys/stat.h>

namespace lavaflow::ipc {

// Opens <base>/lavaflow-<uid>/<sub> (creating missing levels, mode 0700, when `create`),
// refusing symlinks and directories that are not ours or are accessible to others.
// Throws Error: LF_ERR_NOT_FOUND, LF_ERR_PERMISSION, LF_ERR_SYSTEM.
core::UniqueFd open_user_dir(const std::string &base_dir, const char *sub, bool create);

// Opens (or creates, mode 0700) the directory `name` under `parent` without following a
// symlink, and checks it belongs to us alone: no access for others, and for the group at most
// search permission (a tensor pool driver shared with a group sets 0710 on the user directory,
// so that the group reaches its socket; nothing can be listed or created through it). `shown`
// is its path, for messages. Throws Error.
core::UniqueFd open_private_dir(int parent, const char *name, bool create, const std::string &shown);

// Opens <base>/lavaflow-<owner>/ of another user (a tensor pool driver shared with a group we
// are in): owned by `owner`, no access for others. Throws Error.
core::UniqueFd open_user_dir_of(const std::string &base_dir, uid_t owner);

// The path of the user directory, for messages.
std::string user_dir_path(const std::string &base_dir, const char *sub);

// A name that can be a single path component: 1..63 bytes of [A-Za-z0-9._-], not starting
// with a dot. Throws Error(LF_ERR_INVALID_ARGUMENT) otherwise.
void validate_name(std::string_view name, const char *what);

// Checks an opened file: regular, owned by `owner` (default: us), no group/other permissions,
// and (if nonzero) of `expected_size` bytes. Throws Error(LF_ERR_PERMISSION / LF_ERR_INVALID_ARGUMENT).
struct stat check_private_file(int fd, const std::string &path, uint64_t expected_size);
struct stat check_private_file(int fd, const std::string &path, uint64_t expected_size, uid_t owner);

}  // namespace lavaflow::ipc

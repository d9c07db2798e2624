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
// symlink, and checks it belongs to us alone. `shown` is its path, for messages. Throws Error.
core::UniqueFd open_private_dir(int parent, const char *name, bool create, const std::string &shown);

// The path of the user directory, for messages.
std::string user_dir_path(const std::string &base_dir, const char *sub);

// A name that can be a single path component: 1..63 bytes of [A-Za-z0-9._-], not starting
// with a dot. Throws Error(LF_ERR_INVALID_ARGUMENT) otherwise.
void validate_name(std::string_view name, const char *what);

// Checks an opened file: regular, owned by us, no group/other permissions, and (if nonzero)
// of `expected_size` bytes. Throws Error(LF_ERR_PERMISSION / LF_ERR_INVALID_ARGUMENT).
struct stat check_private_file(int fd, const std::string &path, uint64_t expected_size);

}  // namespace lavaflow::ipc

// Opening a file someone else named, as tensor-pool.md requires before anything is mapped:
// an absolute path with no "." or ".." components, inside a canonicalised allowed directory,
// reached without following any symlink (each directory is opened with O_NOFOLLOW from the
// root), then checked by fstat on the open fd (regular file, owner, mode, size).
#pragma once

#include "core/unique_fd.hpp"

#include <string>

namespace lavaflow::ipc {

// Opens `path` (read-only, or read-write when `writable`) if it lies inside `allowed_dir`.
// Throws Error: LF_ERR_INVALID_ARGUMENT (not absolute, "." or ".."), LF_ERR_PERMISSION
// (outside the allowed directory, a symlink, not a regular file, not ours, group/other
// access), LF_ERR_NOT_FOUND, LF_ERR_SYSTEM. The type, owner and mode are checked here; the
// size is the caller's to check against what the file's contents say.
core::UniqueFd open_contained(const std::string &path, const std::string &allowed_dir, bool writable);

}  // namespace lavaflow::ipc

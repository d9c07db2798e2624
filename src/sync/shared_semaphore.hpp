// The shared (CPU) semaphore: the value in one page of shared memory (semaphore_region.hpp),
// waits that spin and then sleep on a futex, and holders whose death wakes the waiters.
#pragma once

#include "sync/semaphore.hpp"

#include <string>

namespace lavaflow::sync {

// `name` empty: an anonymous memfd (crosses processes as an fd). Throws Error.
SemaphorePtr create_shared_semaphore(const std::string &base_dir, const std::string &name, uint64_t initial_value,
                                     const HandleOptions &options);

// `fd` is borrowed (duplicated). Throws Error: LF_ERR_INVALID_ARGUMENT (not a sealed memfd of
// one page), LF_ERR_CORRUPT / LF_ERR_VERSION_MISMATCH (not a semaphore region), LF_ERR_LIMIT.
SemaphorePtr import_shared_semaphore(int fd, const HandleOptions &options);

SemaphorePtr open_shared_semaphore(const std::string &base_dir, const std::string &name, const HandleOptions &options);

}  // namespace lavaflow::sync

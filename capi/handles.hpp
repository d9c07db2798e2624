// Translating C handle pointers to objects and back.
#pragma once

#include "core/handle_table.hpp"

#include <cstdint>
#include <memory>

namespace lavaflow::capi {

// Looks up a handle passed as argument `name`; throws Error(LF_ERR_INVALID_HANDLE) saying
// whether it was NULL, destroyed, of another type or not a lavaflow handle at all.
core::HandleRef acquire_handle(const void *handle, core::HandleType type, const char *name);

// Throws the Error(LF_ERR_INVALID_HANDLE) explaining `problem` for argument `name`.
[[noreturn]] void refuse_handle(core::HandleProblem problem, const void *handle, core::HandleType expected,
                                core::HandleType actual, const char *name);

// Validates a handle without taking a reference (HandleTable::peek); throws like
// acquire_handle(). Only for the data calls of externally synchronized objects. Inline: it
// runs on every message.
inline core::Object &peek_handle(const void *handle, core::HandleType type, const char *name) {
  core::Object *object = nullptr;
  core::HandleType actual = type;
  const core::HandleProblem problem =
      core::HandleTable::peek(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(handle)), type, object, actual);
  if (problem != core::HandleProblem::none) refuse_handle(problem, handle, type, actual, name);
  return *object;
}

// The object behind a handle, shared: it outlives the handle's destruction while held.
// Throws like acquire_handle().
std::shared_ptr<core::Object> share_handle(const void *handle, core::HandleType type, const char *name);

// Destroys a handle the library handed out and still owns, ignoring one the user already
// destroyed (for the channel's received buffers).
void retire_owned_handle(const void *handle, core::HandleType type) noexcept;

// Destroys a handle (NULL is a no-op); throws like acquire_handle().
void retire_handle(const void *handle, core::HandleType type, const char *name);

// Registers a new object and returns its handle as the C pointer type.
template <typename Handle>
Handle *publish_handle(std::shared_ptr<core::Object> object) {
  uint64_t value = core::HandleTable::instance().insert(std::move(object));
  return reinterpret_cast<Handle *>(static_cast<uintptr_t>(value));
}

template <typename Object>
struct Acquired {
  core::HandleRef ref;
  Object &operator*() const noexcept { return ref.as<Object>(); }
  Object *operator->() const noexcept { return &ref.as<Object>(); }
};

template <typename Object>
Acquired<Object> acquire(const void *handle, core::HandleType type, const char *name) {
  return Acquired<Object>{acquire_handle(handle, type, name)};
}

}  // namespace lavaflow::capi

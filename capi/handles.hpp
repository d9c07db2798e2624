// Translating C handle pointers to objects and back.
#pragma once

#include "core/handle_table.hpp"

#include <cstdint>
#include <memory>

namespace lavaflow::capi {

// Looks up a handle passed as argument `name`; throws Error(LF_ERR_INVALID_HANDLE) saying
// whether it was NULL, destroyed, of another type or not a lavaflow handle at all.
core::HandleRef acquire_handle(const void *handle, core::HandleType type, const char *name);

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

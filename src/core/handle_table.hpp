// Handles: what the C API gives out instead of pointers.
//
// A handle is a 64-bit value — magic, object type, slot generation, slot index — dressed
// as a pointer (`lf_context_t *`). It is never dereferenced: the C API looks it up in a
// global slot table, so a NULL, destroyed, foreign (any other pointer) or wrong-type
// handle is recognised and refused with LF_ERR_INVALID_HANDLE instead of crashing.
//
// Each slot counts the calls currently using it. Destroying a handle only marks the slot;
// the object is released when the last in-flight call finishes, so a destroy racing with
// a call on another thread is safe. Lookup is lock-free (two atomic operations per call);
// creating and destroying handles takes a mutex.
#pragma once

#include <lavaflow/status.h>

#include <atomic>
#include <cstdint>
#include <memory>

namespace lavaflow::core {

enum class HandleType : uint8_t {
  context = 1,
  identity = 2,
  scope = 3,
  buffer = 4,
  buffer_pool = 5,
  channel = 6,
};

const char *handle_type_name(HandleType type) noexcept;

// Base of every object the C API hands out.
class Object {
 public:
  explicit Object(HandleType type) noexcept : type_(type) {}
  virtual ~Object() = default;
  Object(const Object &) = delete;
  Object &operator=(const Object &) = delete;
  HandleType type() const noexcept { return type_; }

 private:
  HandleType type_;
};

struct HandleSlot;

// A validated, in-use reference to the object behind a handle (move-only). While one
// exists the object cannot be freed.
class HandleRef {
 public:
  HandleRef() = default;
  HandleRef(HandleSlot *slot, Object *object) noexcept : slot_(slot), object_(object) {}
  HandleRef(HandleRef &&other) noexcept : slot_(other.slot_), object_(other.object_) {
    other.slot_ = nullptr;
    other.object_ = nullptr;
  }
  HandleRef &operator=(HandleRef &&other) noexcept;
  HandleRef(const HandleRef &) = delete;
  HandleRef &operator=(const HandleRef &) = delete;
  ~HandleRef() { reset(); }

  void reset() noexcept;
  explicit operator bool() const noexcept { return object_ != nullptr; }
  template <typename T>
  T &as() const noexcept {
    return *static_cast<T *>(object_);
  }

 private:
  HandleSlot *slot_ = nullptr;
  Object *object_ = nullptr;
};

// Why a handle was refused (for the error message).
enum class HandleProblem : uint8_t { none, null, foreign, wrong_type, destroyed };

class HandleTable {
 public:
  static HandleTable &instance() noexcept;

  // Registers an object; returns its handle value. Throws Error(LF_ERR_LIMIT) when all
  // 16 million slots are in use, std::bad_alloc when memory is exhausted.
  uint64_t insert(std::shared_ptr<Object> object);

  // Looks a handle up. On success `out` holds the object; otherwise the problem is returned
  // and `actual` receives the type the handle really has (for wrong_type).
  HandleProblem acquire(uint64_t handle, HandleType expected, HandleRef &out, HandleType &actual) noexcept;

  // Marks a handle destroyed. The object is released now if no call is using it, else by
  // the last HandleRef.
  HandleProblem retire(uint64_t handle, HandleType expected, HandleType &actual) noexcept;

  // Number of live handles (for tests and leak reports).
  uint64_t live_count() const noexcept { return live_.load(std::memory_order_relaxed); }

  static void release_slot(HandleSlot *slot) noexcept;

 private:
  HandleTable() = default;
  HandleSlot *slot_at(uint32_t index) const noexcept;
  static void reclaim(HandleSlot *slot) noexcept;
  std::atomic<uint64_t> live_{0};
};

}  // namespace lavaflow::core

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
  pool_producer = 7,
  pool_consumer = 8,
  pool_driver = 9,
  semaphore = 10,
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

// The slot table, visible here so that peek() inlines into the hot data calls.
namespace handle_layout {
// Handle value layout (bit 63 first): magic (4) | type (8) | generation (28) | index (24).
// The magic makes every ordinary user-space pointer (top bits zero on x86-64 and arm64)
// decode as "foreign".
constexpr uint64_t kMagic = 0xA;
constexpr int kTypeShift = 52;
constexpr int kGenerationShift = 24;
constexpr uint64_t kGenerationMask = (uint64_t{1} << 28) - 1;
constexpr uint64_t kIndexMask = (uint64_t{1} << 24) - 1;
constexpr uint32_t kChunkSlots = 1024;
constexpr uint32_t kMaxChunks = (kIndexMask + 1) / kChunkSlots;
// Slot state, one atomic word so that a lookup sees a consistent snapshot:
// generation (bits 32..63) | object type (bits 24..31) | in-flight calls (bits 1..23) | live (bit 0).
// 23 bits of in-flight calls cannot overflow: that many threads cannot exist in one process.
constexpr uint64_t kLive = 1;
constexpr int kStateTypeShift = 24;
inline uint64_t generation_of(uint64_t state) noexcept { return state >> 32; }
inline HandleType type_of(uint64_t state) noexcept { return static_cast<HandleType>((state >> kStateTypeShift) & 0xff); }
}  // namespace handle_layout

struct HandleSlot {
  std::atomic<uint64_t> state{0};
  std::shared_ptr<Object> object;  // written only while the slot is unpublished
  uint32_t index = 0;
};

// Chunks of slots, created on demand (under the table's mutex) and never freed: handles may be
// used by threads still running during exit. Constant-initialized, so no guard on lookup.
inline constinit std::atomic<HandleSlot *> handle_chunks[handle_layout::kMaxChunks] = {};

inline HandleSlot *handle_slot_at(uint32_t index) noexcept {
  HandleSlot *chunk = handle_chunks[index / handle_layout::kChunkSlots].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[index % handle_layout::kChunkSlots];
}

class HandleTable {
 public:
  static HandleTable &instance() noexcept;

  // Registers an object; returns its handle value. Throws Error(LF_ERR_LIMIT) when all
  // 16 million slots are in use, std::bad_alloc when memory is exhausted.
  uint64_t insert(std::shared_ptr<Object> object);

  // Looks a handle up. On success `out` holds the object; otherwise the problem is returned
  // and `actual` receives the type the handle really has (for wrong_type).
  HandleProblem acquire(uint64_t handle, HandleType expected, HandleRef &out, HandleType &actual) noexcept;

  // Validates a handle like acquire() but takes no reference: for the data calls of
  // externally synchronized objects (a channel end), whose contract already forbids destroying
  // them while another thread is inside a call. NULL, destroyed, forged, foreign and wrong-type
  // handles are still refused. Two plain loads instead of two atomic read-modify-writes.
  static HandleProblem peek(uint64_t handle, HandleType expected, Object *&out, HandleType &actual) noexcept {
    using namespace handle_layout;
    if (handle == 0) return HandleProblem::null;
    if ((handle >> 60) != kMagic) return HandleProblem::foreign;
    actual = static_cast<HandleType>((handle >> kTypeShift) & 0xff);
    HandleSlot *slot = handle_slot_at(static_cast<uint32_t>(handle & kIndexMask));
    if (slot == nullptr) return HandleProblem::foreign;
    const uint64_t state = slot->state.load(std::memory_order_acquire);
    if ((generation_of(state) & kGenerationMask) != ((handle >> kGenerationShift) & kGenerationMask) || (state & kLive) == 0)
      return HandleProblem::destroyed;
    if (type_of(state) != actual) return HandleProblem::foreign;
    if (actual != expected) return HandleProblem::wrong_type;
    out = slot->object.get();
    return HandleProblem::none;
  }

  // Like acquire(), but hands out a share of the object itself: it stays alive while `out`
  // does, even if the handle is destroyed meanwhile.
  HandleProblem share(uint64_t handle, HandleType expected, std::shared_ptr<Object> &out, HandleType &actual) noexcept;
  // Marks a handle destroyed. The object is released now if no call is using it, else by
  // the last HandleRef.
  HandleProblem retire(uint64_t handle, HandleType expected, HandleType &actual) noexcept;

  // Number of live handles (for tests and leak reports).
  uint64_t live_count() const noexcept { return live_.load(std::memory_order_relaxed); }

  static void release_slot(HandleSlot *slot) noexcept;

 private:
  HandleTable() = default;
  static void reclaim(HandleSlot *slot) noexcept;
  std::atomic<uint64_t> live_{0};
};

}  // namespace lavaflow::core

#include "core/handle_table.hpp"

#include "core/error.hpp"

#include <deque>
#include <mutex>

namespace lavaflow::core {

using namespace handle_layout;

namespace {
constexpr uint64_t kInFlightOne = 2;
constexpr uint64_t kInFlightMask = 0x00FFFFFEull;
uint64_t in_flight_of(uint64_t state) { return (state & kInFlightMask) >> 1; }
}  // namespace

struct HandleTableStorage {
  std::mutex mutex;                 // guards next_index, free_slots, chunk creation (handle_chunks)
  uint32_t next_index = 0;
  std::deque<uint32_t> free_slots;  // FIFO: a freed slot is reused as late as possible
};

namespace {
HandleTableStorage &storage() noexcept {
  // Never destroyed: handles may be used by threads still running during exit.
  static HandleTableStorage *s = new HandleTableStorage;
  return *s;
}
}  // namespace

const char *handle_type_name(HandleType type) noexcept {
  switch (type) {
    case HandleType::context: return "context";
    case HandleType::identity: return "identity";
    case HandleType::scope: return "scope";
    case HandleType::buffer: return "buffer";
    case HandleType::buffer_pool: return "buffer_pool";
    case HandleType::channel: return "channel";
    case HandleType::pool_producer: return "pool producer";
    case HandleType::pool_consumer: return "pool consumer";
    case HandleType::pool_driver: return "pool driver";
    case HandleType::semaphore: return "semaphore";
  }
  return "unknown";
}

HandleTable &HandleTable::instance() noexcept {
  static HandleTable *table = new HandleTable;
  return *table;
}

HandleRef &HandleRef::operator=(HandleRef &&other) noexcept {
  if (this != &other) {
    reset();
    slot_ = other.slot_;
    object_ = other.object_;
    other.slot_ = nullptr;
    other.object_ = nullptr;
  }
  return *this;
}

void HandleRef::reset() noexcept {
  if (slot_ != nullptr) HandleTable::release_slot(slot_);
  slot_ = nullptr;
  object_ = nullptr;
}

uint64_t HandleTable::insert(std::shared_ptr<Object> object) {
  HandleTableStorage &s = storage();
  HandleSlot *slot;
  {
    std::lock_guard lock(s.mutex);
    uint32_t index;
    if (!s.free_slots.empty() && (s.free_slots.size() > 64 || s.next_index > kIndexMask)) {
      // Keep a few freed slots in reserve so that a just-destroyed handle is not
      // immediately revived by the next create (the generation check covers the rest).
      index = s.free_slots.front();
      s.free_slots.pop_front();
    } else {
      if (s.next_index > kIndexMask) fail(LF_ERR_LIMIT, "all %llu handle slots are in use", static_cast<unsigned long long>(kIndexMask + 1));
      index = s.next_index;
      uint32_t chunk = index / kChunkSlots;
      if (handle_chunks[chunk].load(std::memory_order_relaxed) == nullptr) {
        auto *fresh = new HandleSlot[kChunkSlots];
        for (uint32_t i = 0; i < kChunkSlots; ++i) fresh[i].index = chunk * kChunkSlots + i;
        handle_chunks[chunk].store(fresh, std::memory_order_release);
      }
      ++s.next_index;
    }
    slot = handle_slot_at(index);
  }
  // The slot is ours alone until the release store below publishes it.
  uint64_t generation = generation_of(slot->state.load(std::memory_order_relaxed));
  auto type = static_cast<uint64_t>(object->type());
  slot->object = std::move(object);
  slot->state.store((generation << 32) | (type << kStateTypeShift) | kLive, std::memory_order_release);
  live_.fetch_add(1, std::memory_order_relaxed);
  return (kMagic << 60) | (type << kTypeShift) |
         ((generation & kGenerationMask) << kGenerationShift) | slot->index;
}

HandleProblem HandleTable::acquire(uint64_t handle, HandleType expected, HandleRef &out,
                                   HandleType &actual) noexcept {
  if (handle == 0) return HandleProblem::null;
  if ((handle >> 60) != kMagic) return HandleProblem::foreign;
  actual = static_cast<HandleType>((handle >> kTypeShift) & 0xff);
  uint64_t index = handle & kIndexMask;
  HandleSlot *slot = handle_slot_at(static_cast<uint32_t>(index));
  if (slot == nullptr) return HandleProblem::foreign;
  uint64_t generation = (handle >> kGenerationShift) & kGenerationMask;
  uint64_t state = slot->state.load(std::memory_order_acquire);
  for (;;) {
    if ((generation_of(state) & kGenerationMask) != generation || (state & kLive) == 0)
      return HandleProblem::destroyed;
    if (type_of(state) != actual) return HandleProblem::foreign;  // forged type bits
    if (actual != expected) return HandleProblem::wrong_type;
    if (slot->state.compare_exchange_weak(state, state + kInFlightOne, std::memory_order_acquire,
                                          std::memory_order_acquire))
      break;
  }
  out = HandleRef(slot, slot->object.get());
  return HandleProblem::none;
}

HandleProblem HandleTable::share(uint64_t handle, HandleType expected, std::shared_ptr<Object> &out,
                                 HandleType &actual) noexcept {
  HandleRef ref;
  HandleProblem problem = acquire(handle, expected, ref, actual);
  if (problem != HandleProblem::none) return problem;
  // The slot's object pointer does not change while a reference is held.
  out = handle_slot_at(static_cast<uint32_t>(handle & handle_layout::kIndexMask))->object;
  return HandleProblem::none;
}

HandleProblem HandleTable::retire(uint64_t handle, HandleType expected, HandleType &actual) noexcept {
  HandleRef ref;
  HandleProblem problem = acquire(handle, expected, ref, actual);
  if (problem != HandleProblem::none) return problem;
  // Holding a reference keeps the slot's generation fixed while we clear the live bit.
  HandleSlot *slot = handle_slot_at(static_cast<uint32_t>(handle & kIndexMask));
  uint64_t state = slot->state.load(std::memory_order_acquire);
  for (;;) {
    if ((state & kLive) == 0) return HandleProblem::destroyed;  // lost a race with another destroy
    if (slot->state.compare_exchange_weak(state, state & ~kLive, std::memory_order_acq_rel,
                                          std::memory_order_acquire))
      break;
  }
  live_.fetch_sub(1, std::memory_order_relaxed);
  return HandleProblem::none;  // `ref` going out of scope reclaims the slot if it was the last user
}

void HandleTable::release_slot(HandleSlot *slot) noexcept {
  uint64_t previous = slot->state.fetch_sub(kInFlightOne, std::memory_order_acq_rel);
  if (in_flight_of(previous) == 1 && (previous & kLive) == 0) reclaim(slot);
}

void HandleTable::reclaim(HandleSlot *slot) noexcept {
  // Only one thread gets here per generation: the one whose release took the count of a
  // no-longer-live slot to zero. Nobody can acquire it (not live), so the object is ours.
  std::shared_ptr<Object> object = std::move(slot->object);
  uint64_t state = slot->state.load(std::memory_order_relaxed);
  slot->state.store((generation_of(state) + 1) << 32, std::memory_order_release);
  {
    HandleTableStorage &s = storage();
    std::lock_guard lock(s.mutex);
    s.free_slots.push_back(slot->index);
  }
  object.reset();  // may run a destructor: outside the lock
}

}  // namespace lavaflow::core

#include "pool/control.hpp"

#include "core/error.hpp"
#include "core/futex.hpp"

namespace lavaflow::pool {

uint64_t control_region_bytes(uint32_t entries) noexcept {
  return control_offset::consumers + uint64_t{entries} * kConsumerEntryBytes;
}

void validate_control(const Superblock &sb, uint64_t file_bytes, const std::string &what) {
  const char *w = what.c_str();
  if (sb.region_type != kControl) core::fail(LF_ERR_CORRUPT, "%s: region_type %d, expected 3 (control)", w, sb.region_type);
  if (sb.pool_id != 0) core::fail(LF_ERR_CORRUPT, "%s: control region pool_id %u, expected 0", w, sb.pool_id);
  if (!valid_entry_count(sb.nslots))
    core::fail(LF_ERR_CORRUPT, "%s: control region nslots %u is not a power of two up to 65536", w, sb.nslots);
  if (sb.slot_bytes != kConsumerEntryBytes)
    core::fail(LF_ERR_CORRUPT, "%s: control region slot_bytes %u, expected %u", w, sb.slot_bytes, kConsumerEntryBytes);
  if (sb.stride_bytes != 0) core::fail(LF_ERR_CORRUPT, "%s: control region stride_bytes %u, expected 0", w, sb.stride_bytes);
  if (file_bytes != control_region_bytes(sb.nslots))
    core::fail(LF_ERR_CORRUPT, "%s: file is %llu bytes, a control region of %u entries is %llu", w,
               static_cast<unsigned long long>(file_bytes), sb.nslots,
               static_cast<unsigned long long>(control_region_bytes(sb.nslots)));
}

uint32_t announce_sleep(const ControlView &control) noexcept {
  std::atomic<uint32_t> *word = control.wake_word();
  uint32_t value = word->load(std::memory_order_seq_cst);
  while ((value & 1) == 0 && !word->compare_exchange_weak(value, value | 1, std::memory_order_seq_cst)) {
  }
  return value | 1;
}

void wake_sleepers(const ControlView &control, bool force) noexcept {
  std::atomic<uint32_t> *word = control.wake_word();
  uint32_t value = word->load(std::memory_order_seq_cst);
  if ((value & 1) == 0 && !force) return;  // nobody asleep: no system call
  // Clear the flag and advance the count; a sleeper that sets the flag meanwhile makes the
  // exchange fail, and is woken by this call anyway (its value changed).
  while (!word->compare_exchange_weak(value, (value & ~1u) + 2, std::memory_order_seq_cst)) {
  }
  core::futex_wake(word, INT32_MAX, true);
}

ConsumerEntry read_consumer_entry(const ControlView &control, uint32_t index) noexcept {
  namespace o = consumer_offset;
  const size_t at = control.entry_offset(index);
  auto u64 = [&](size_t off) { return control.u64(at + off).load(std::memory_order_relaxed); };
  ConsumerEntry e;
  e.state = control.u32(at + o::state).load(std::memory_order_acquire);
  e.mode = control.u32(at + o::mode).load(std::memory_order_relaxed);
  e.lease = u64(o::lease);
  e.client_id = u64(o::client_id);
  e.pid = u64(o::pid);
  e.mode_arg = u64(o::mode_arg);
  e.last_seq = u64(o::last_seq);
  e.frames_read = u64(o::frames_read);
  e.drops_gap = u64(o::drops_gap);
  e.drops_late = u64(o::drops_late);
  e.skipped = u64(o::skipped);
  e.invalid = u64(o::invalid);
  e.heartbeat_ns = u64(o::heartbeat_ns);
  e.attach_ns = u64(o::attach_ns);
  return e;
}

ProducerQos read_producer_qos(const ControlView &control) noexcept {
  namespace o = control_offset;
  auto u64 = [&](size_t off) { return control.u64(off).load(std::memory_order_relaxed); };
  ProducerQos q;
  q.published = control.u64(o::published).load(std::memory_order_acquire);
  q.frames_published = u64(o::frames_published);
  q.bytes_published = u64(o::bytes_published);
  q.frames_refused = u64(o::frames_refused);
  q.last_publish_ns = u64(o::last_publish_ns);
  q.pid = u64(o::producer_pid);
  q.heartbeat_ns = u64(o::producer_heartbeat_ns);
  q.lease = u64(o::producer_lease);
  q.meta_version = control.u32(o::meta_version).load(std::memory_order_relaxed);
  return q;
}

}  // namespace lavaflow::pool

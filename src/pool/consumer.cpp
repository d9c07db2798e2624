#include "pool/consumer.hpp"

#include "core/futex.hpp"

namespace lavaflow::pool {

Consumer::Consumer(std::shared_ptr<const context::Context> context, ConsumerOptions options) : options_(std::move(options)) {
  options_.session.request.role = protocol::Role::consumer;
  options_.session.request.mode = static_cast<uint8_t>(options_.mode);
  options_.session.request.mode_arg = options_.mode == Mode::decimated ? options_.every : options_.min_interval_ns;
  session_ = std::make_unique<DriverSession>(std::move(context), options_.session);
  follow_epoch();
  epoch_news_ = false;
  // Frames published before this consumer attached are not its business.
  cursor_.emplace(cursor_config(), mapping_->control().u64(control_offset::published).load(std::memory_order_acquire));
}

CursorConfig Consumer::cursor_config() const noexcept {
  CursorConfig c;
  c.mode = options_.mode;
  c.nslots = mapping_->stream().nslots;
  c.every = options_.every;
  c.min_interval_ns = options_.min_interval_ns;
  return c;
}

bool Consumer::follow_epoch() noexcept {
  uint64_t generation = 0;
  std::shared_ptr<EpochMapping> next = session_->mapping(generation);
  generation_ = generation;
  if (next == mapping_) return false;
  if (mapping_ && cursor_) {
    cursor_->abandon(mapping_->control().u64(control_offset::published).load(std::memory_order_acquire));
    finished_ += cursor_->counters();
  }
  const bool moved = mapping_ != nullptr;
  mapping_ = std::move(next);
  if (moved) {
    ++epoch_changes_;
    epoch_news_ = options_.notify_epoch;
    cursor_.emplace(cursor_config(), 0);  // the new epoch's frames from the first
  }
  publish_counters();
  return moved;
}

CursorCounters Consumer::counters() const noexcept {
  CursorCounters total = finished_;
  if (cursor_) total += cursor_->counters();
  return total;
}

void Consumer::publish_counters() noexcept {
  const uint32_t entry = mapping_->announcement().consumer_index;
  if (entry == kNoConsumerEntry || !cursor_) return;
  namespace o = consumer_offset;
  const ControlView &control = mapping_->control();
  const size_t at = control.entry_offset(entry);
  const CursorCounters c = counters();
  published_position_ = cursor_->position();
  control.u64(at + o::last_seq).store(cursor_->position(), std::memory_order_relaxed);
  control.u64(at + o::frames_read).store(c.read, std::memory_order_relaxed);
  control.u64(at + o::drops_gap).store(c.drops_gap, std::memory_order_relaxed);
  control.u64(at + o::drops_late).store(c.drops_late, std::memory_order_relaxed);
  control.u64(at + o::skipped).store(c.skipped, std::memory_order_relaxed);
  control.u64(at + o::invalid).store(c.invalid, std::memory_order_relaxed);
}

lf_status_t Consumer::poll(FrameView &out) noexcept {
  if (held_) return LF_ERR_INVALID_STATE;
  if (session_->generation() != generation_) follow_epoch();
  if (epoch_news_) {
    epoch_news_ = false;
    return LF_EPOCH_CHANGED;
  }
  stalled_ = false;
  const StreamMapping &stream = mapping_->stream();
  if (options_.mode == Mode::stream) {
    // The next frame's own commit word says whether it is there: no need to read the published
    // sequence (another cache line from the producer) unless the consumer was lapped.
    SlotHeader header;
    const uint64_t seq = cursor_->position();
    switch (read_frame(stream, mapping_->limits(), seq, header)) {
      case SlotState::committed:
        return lend(seq, header, out);
      case SlotState::pending:
        return LF_WOULD_BLOCK;  // not published yet (a frame is published only once committed)
      case SlotState::invalid:
      case SlotState::lapped:
        break;  // the general path below accounts for it
    }
  }
  const uint64_t published = mapping_->control().u64(control_offset::published).load(std::memory_order_acquire);
  const int64_t now = options_.mode == Mode::rate_limited ? core::monotonic_ns() : 0;
  while (true) {
    const std::optional<uint64_t> seq = cursor_->next(published, now);
    if (!seq) {
      if (cursor_->position() != published_position_) publish_counters();  // passed over some
      return LF_WOULD_BLOCK;
    }
    SlotHeader header;
    switch (read_frame(stream, mapping_->limits(), *seq, header)) {
      case SlotState::committed:
        return lend(*seq, header, out);
      case SlotState::pending:
        stalled_ = true;
        return LF_WOULD_BLOCK;  // published but not committed: its producer died while writing it
      case SlotState::lapped:
        cursor_->lapped(*seq);
        break;
      case SlotState::invalid:
        cursor_->invalid(*seq);
        break;
    }
  }
}

lf_status_t Consumer::lend(uint64_t seq, const SlotHeader &header, FrameView &out) noexcept {
  out.seq = seq;
  out.epoch = mapping_->epoch();
  out.payload = mapping_->stream().payload(header.pool_id, seq);
  out.header = header;
  held_ = seq;
  return LF_OK;
}

lf_status_t Consumer::release() noexcept {
  if (!held_) return LF_ERR_INVALID_STATE;
  const uint64_t seq = *held_;
  held_.reset();
  const bool intact = frame_still_intact(mapping_->stream(), seq);
  if (intact) cursor_->read(seq, options_.mode == Mode::rate_limited ? core::monotonic_ns() : 0);
  else cursor_->late(seq);
  publish_counters();
  return intact ? LF_OK : LF_OVERWRITTEN;
}

lf_status_t Consumer::wait(FrameView &out, int64_t timeout_ns) noexcept {
  const int64_t start = core::monotonic_ns();
  const int64_t deadline = timeout_ns < 0 ? INT64_MAX : start + timeout_ns;
  const int64_t spin_until = start + int64_t{options_.spin_us} * 1000;
  uint32_t spins = 0;
  while (true) {
    const lf_status_t status = poll(out);
    if (status != LF_WOULD_BLOCK) return status;
    // The clock only every 64 polls while spinning: where the vDSO is missing it is a system call.
    if (++spins % 64 != 0 && spins > 1) {
      core::cpu_relax();
      continue;
    }
    const int64_t now = core::monotonic_ns();
    if (now >= deadline) return LF_TIMEOUT;
    if (now < spin_until) continue;
    int64_t sleep_ns = deadline - now;
    if (sleep_ns > 1000000000) sleep_ns = 1000000000;  // re-check the driver's news now and then
    if (std::optional<int64_t> due = cursor_->due_ns()) {
      if (*due - now < sleep_ns) sleep_ns = *due - now > 0 ? *due - now : 0;
      const uint64_t published = mapping_->control().u64(control_offset::published).load(std::memory_order_acquire);
      if (published > cursor_->position()) {
        // Something is there, the rate limit holds it back: sleep until it is due, not on the futex.
        timespec ts{static_cast<time_t>(sleep_ns / 1000000000), static_cast<long>(sleep_ns % 1000000000)};
        nanosleep(&ts, nullptr);
        continue;
      }
    }
    const ControlView &control = mapping_->control();
    control.u32(control_offset::waiters).fetch_add(1, std::memory_order_relaxed);
    const uint32_t value = announce_sleep(control);
    const uint64_t published = control.u64(control_offset::published).load(std::memory_order_seq_cst);
    if ((published <= cursor_->position() || stalled_) && session_->generation() == generation_)
      core::futex_wait(control.wake_word(), value, sleep_ns, true);
    control.u32(control_offset::waiters).fetch_sub(1, std::memory_order_relaxed);
  }
}

StreamMetadata Consumer::metadata() const { return read_metadata(mapping_->control()); }

}  // namespace lavaflow::pool

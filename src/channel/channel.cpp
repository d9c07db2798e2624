#include "channel/channel.hpp"

#include "core/error.hpp"
#include "core/futex.hpp"
#include "core/heavy_fence.hpp"

#include <lavaflow/memory.h>

#include <cstring>
#include <unistd.h>

namespace lavaflow::channel {

using transport::EndState;
using transport::kAttached;
using transport::kClosed;
using transport::kDead;
using transport::kFree;

namespace {
constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto kRelease = std::memory_order_release;
constexpr uint32_t kPollsPerAttempt = 64;
constexpr int64_t kBoundedSleepNs = 1000000;
}  // namespace

Channel::Channel(std::shared_ptr<ChannelRegion> region, WaitPolicy wait, int32_t role, uint32_t slot)
    : region_(std::move(region)),
      header_(region_->header()),
      wait_(wait),
      role_(role),
      slot_(slot),
      shared_(true),
      max_message_(region_->max_message()) {}

void Channel::claim_consumer(ChannelRegion &region) {
  uint32_t expected = kFree;
  if (!region.header()->consumer_state.compare_exchange_strong(expected, kAttached, std::memory_order_acq_rel))
    core::fail(LF_ERR_BUSY, "the channel already has a consumer");
}

uint32_t Channel::claim_producer(ChannelRegion &region, uint32_t pid) {
  const uint32_t n = region.max_producers();
  for (uint32_t i = 0; i < n; ++i) {
    transport::RingControl *control = region.ring(i).control;
    uint32_t expected = kFree;
    if (!control->state.compare_exchange_strong(expected, kAttached, std::memory_order_acq_rel)) continue;
    control->producer_pid = pid;
    region.header()->producers_attached.fetch_add(1, std::memory_order_acq_rel);
    return i;
  }
  uint32_t dead = 0;
  for (uint32_t i = 0; i < n; ++i) dead += region.ring(i).control->state.load(kAcquire) == kDead;
  if (dead > 0)
    core::fail(LF_ERR_BUSY, "all %u producer slot(s) of the channel are taken (%u by dead producers: each is free again once the "
                            "consumer has received what its producer committed)", n, dead);
  core::fail(LF_ERR_BUSY, "all %u producer slot(s) of the channel are taken", n);
}

void Channel::declare_dead(ChannelRegion &region, int32_t role, uint32_t slot) noexcept {
  transport::RegionHeader *h = region.header();
  if (role == LF_CHANNEL_PRODUCER) {
    uint32_t expected = kAttached;  // one that closed cleanly stays closed
    if (!region.ring(slot).control->state.compare_exchange_strong(expected, kDead, std::memory_order_acq_rel)) return;
    h->data_seq.fetch_add(1, kRelease);
    core::futex_wake(&h->data_seq, INT32_MAX, true);
  } else {
    uint32_t expected = kAttached;
    if (!h->consumer_state.compare_exchange_strong(expected, kDead, std::memory_order_acq_rel)) return;
    for (uint32_t i = 0; i < region.max_producers(); ++i) {
      transport::RingControl *control = region.ring(i).control;
      control->space_seq.fetch_add(1, kRelease);
      core::futex_wake(&control->space_seq, INT32_MAX, true);
    }
  }
}

[[noreturn]] void Channel::refuse_corrupt_ring(uint32_t ring) {
  // The role was claimed: the end is dead from the start, and its peers hear so (close(), in
  // the destructor, leaves a dead end dead).
  declare_dead(*region_, role_, slot_);
  core::fail(LF_ERR_CORRUPT, "ring %u of the channel region holds impossible indices (off a 16-byte record boundary, "
                             "or head > tail, or tail - head > capacity): the region is corrupt", ring);
}

std::unique_ptr<Channel> Channel::consumer(std::shared_ptr<ChannelRegion> region, WaitPolicy wait) {
  std::unique_ptr<Channel> end(new Channel(region, wait, LF_CHANNEL_CONSUMER, 0));
  // Here, in the process that will sleep, not where the role was claimed (maybe the creator).
  region->header()->consumer_promise.store(end->sleep_promise(), kRelease);
  end->rings_.resize(region->max_producers());
  for (uint32_t i = 0; i < region->max_producers(); ++i)
    if (end->rings_[i].attach(region->ring(i)) != LF_OK) end->refuse_corrupt_ring(i);
  return end;
}

std::unique_ptr<Channel> Channel::producer(std::shared_ptr<ChannelRegion> region, WaitPolicy wait, uint32_t slot) {
  std::unique_ptr<Channel> end(new Channel(region, wait, LF_CHANNEL_PRODUCER, slot));
  region->ring(slot).control->producer_promise.store(end->sleep_promise(), kRelease);
  if (end->producer_.attach(region->ring(slot)) != LF_OK) end->refuse_corrupt_ring(slot);
  return end;
}

Channel::~Channel() { close(); }

uint64_t Channel::sleep_promise() const noexcept {
  if (wait_.mode == LF_WAIT_SPIN) return transport::kNeverSleeps;
  const uint64_t token = core::register_for_heavy_fences();
  return token != 0 ? token : transport::kMaySleep;
}

void Link::set_peer_socket(uint32_t slot, std::shared_ptr<core::UniqueFd> socket) {
  std::lock_guard lock(mutex_);
  if (slot < sockets_.size()) sockets_[slot] = std::move(socket);
}

std::shared_ptr<core::UniqueFd> Link::peer_socket(uint32_t slot) const {
  std::lock_guard lock(mutex_);
  return slot < sockets_.size() ? sockets_[slot] : nullptr;
}

void Link::set_first_peer_reason(std::string reason) {
  std::lock_guard lock(mutex_);
  if (first_peer_reason_.empty()) first_peer_reason_ = std::move(reason);
}

const char *Link::first_peer_reason() const {
  std::lock_guard lock(mutex_);
  return first_peer_reason_.empty() ? nullptr : first_peer_reason_.c_str();
}

bool BridgeState::fail(lf_status_t status, std::string message) {
  std::lock_guard lock(mutex_);
  if (fault_.load(kRelaxed) != LF_OK) return false;
  message_ = std::move(message);
  fault_.store(status, kRelease);
  return true;
}

// ---- waiting ----------------------------------------------------------------------------

template <typename Attempt, typename Poll>
lf_status_t Channel::wait_progressing(Attempt attempt, Poll poll, int32_t timeout_ms) noexcept {
  // attempt, poll, attempt: a call that must not wait still lets the add-on deliver first.
  int64_t deadline = INT64_MAX;
  for (uint32_t round = 0;; ++round) {
    const lf_status_t status = attempt();
    if (status != LF_WOULD_BLOCK) return status;
    if (round > 0) {
      if (timeout_ms == 0) return status;
      if (timeout_ms > 0) {
        const int64_t now = core::monotonic_ns();
        if (round == 1) deadline = now + int64_t{timeout_ms} * 1000000;
        if (now >= deadline) return fail(LF_TIMEOUT, "timed out");
      }
    }
    if (poll() == LF_OK) return LF_OK;
  }
}

template <typename Attempt, typename Ready>
lf_status_t Channel::wait(Attempt attempt, Ready ready, std::atomic<uint32_t> &waiting, std::atomic<uint32_t> &seq,
                          std::atomic<uint64_t> &promise, int32_t timeout_ms) noexcept {
  if (progress != nullptr && !progress_helps) {
    return wait_progressing(attempt, [&] {
      progress(progress_arg);
      core::cpu_relax();
      return LF_WOULD_BLOCK;
    }, timeout_ms);
  }
  lf_status_t status = attempt();
  if (status != LF_WOULD_BLOCK || timeout_ms == 0) return status;
  int64_t deadline = INT64_MAX;
  bool clock_read = false;
  if (wait_.mode != LF_WAIT_SLEEP) {
    // Spin on `ready` alone (a load or two, inlined): the loop then notices the peer's store
    // as soon as its cache line arrives. The full attempt, with its end and death checks,
    // runs when `ready` turns true and after every burst, as does the clock read: a message
    // that arrives within the first burst is taken with no clock read in the way, and
    // timeouts count from the end of that burst, a microsecond or so late.
    int64_t spin_until = INT64_MAX;
    for (;;) {
      for (uint32_t i = 0; i < kPollsPerAttempt && !ready(); ++i) core::cpu_relax();
      kick_progress();  // (a bridged end whose add-on has a thread: move data now, not at its wake-up)
      status = attempt();
      if (status != LF_WOULD_BLOCK) return status;
      const int64_t now = core::monotonic_ns();
      if (!clock_read) {
        clock_read = true;
        if (timeout_ms > 0) deadline = now + int64_t{timeout_ms} * 1000000;
        spin_until = wait_.mode == LF_WAIT_SPIN ? deadline : std::min(deadline, now + wait_.spin_ns);
      }
      if (now >= spin_until) break;
    }
    if (wait_.mode == LF_WAIT_SPIN) return fail(LF_TIMEOUT, "timed out");
  }
  if (!clock_read && timeout_ms > 0) deadline = core::monotonic_ns() + int64_t{timeout_ms} * 1000000;
  for (;;) {
    const uint32_t seen = seq.load(kAcquire);
    // Dekker: our store of `waiting` and the peer's publish (ring.cpp) are ordered — by
    // seq_cst on both sides, or by our heavy fence when we promised one (`promise`) — so either
    // the attempt below sees the peer's progress, or the peer sees us waiting and wakes us.
    waiting.store(1, std::memory_order_seq_cst);
    bool bounded_sleep = false;
    if (promise.load(kRelaxed) > transport::kNeverSleeps && !core::heavy_fence()) {
      // The kernel refused after all: from now on peers publish with seq_cst, and this one
      // sleep is bounded, since a peer may have published cheaply just now.
      promise.store(transport::kMaySleep, std::memory_order_seq_cst);
      bounded_sleep = true;
    }
    status = attempt();
    if (status != LF_WOULD_BLOCK) break;
    const int64_t now = core::monotonic_ns();
    if (now >= deadline) {
      status = LF_TIMEOUT;
      problem_ = "timed out";
      break;
    }
    sleeps_.add(1);
    int64_t sleep_ns = deadline == INT64_MAX ? -1 : deadline - now;
    if (bounded_sleep && (sleep_ns < 0 || sleep_ns > kBoundedSleepNs)) sleep_ns = kBoundedSleepNs;
    core::futex_wait(&seq, seen, sleep_ns, shared_);
  }
  waiting.store(0, kRelaxed);
  return status;
}

void Channel::wake_consumer(bool seq_cst) noexcept {
  // After the publish of our record: the other half of the Dekker pair (see wait()).
  bool waiting;
  if (seq_cst) {
    waiting = header_->consumer_waiting.load(std::memory_order_seq_cst) != 0;
  } else {
    // The heavy fence orders the CPU; this keeps the compiler from hoisting the load above
    // the publishing store.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    waiting = header_->consumer_waiting.load(kRelaxed) != 0;
  }
  if (waiting) {
    header_->data_seq.fetch_add(1, kRelease);
    core::futex_wake(&header_->data_seq, 1, shared_);
    wakes_.add(1);
  }
}

void Channel::wake_producer(transport::RingControl *control) noexcept {
  control->space_seq.fetch_add(1, kRelease);
  core::futex_wake(&control->space_seq, 1, shared_);
  wakes_.add(1);
}

// ---- producer ---------------------------------------------------------------------------

lf_status_t Channel::try_reserve(size_t size, void **out_data, bool ahead) noexcept {
  if (corrupt_ != nullptr) return fail(LF_ERR_CORRUPT, corrupt_);
  uint32_t consumer = header_->consumer_state.load(kAcquire);
  if (consumer == kClosed) return peer_gone(LF_ERR_CLOSED, "the consumer closed the channel");
  if (consumer == kDead) return peer_gone(LF_ERR_PEER_DEAD, "the consumer's process died");
  lf_status_t status = ahead ? producer_.try_reserve_ahead(size, out_data) : producer_.try_reserve(size, out_data);
  if (status == LF_ERR_CORRUPT) return corrupted("the consumer's head in the shared ring is impossible: the region is corrupt");
  return status;
}

lf_status_t Channel::reserve(size_t size, int32_t timeout_ms, void **out_data) noexcept {
  if (role_ != LF_CHANNEL_PRODUCER) return fail(LF_ERR_INVALID_STATE, "only a producer can reserve");
  if (closed_) return fail(LF_ERR_CLOSED, "this end was closed");
  if (producer_.reserved() || producer_.ahead_count() != 0)
    return fail(LF_ERR_INVALID_STATE, "a reservation is pending: commit or abort it first");
  if (size > max_message_) return fail(LF_ERR_INVALID_ARGUMENT, "the message is larger than the channel's max_message_size");
  transport::RingControl *control = producer_.control();
  lf_status_t status = wait([&] { return try_reserve(size, out_data); }, [&] { return producer_.space_may_have_grown(); },
                            control->space_waiting, control->space_seq, control->producer_promise, timeout_ms);
  if (status == LF_WOULD_BLOCK) problem_ = "the ring is full";
  return status;
}

lf_status_t Channel::commit(size_t size) noexcept {
  if (role_ != LF_CHANNEL_PRODUCER || !producer_.reserved()) return fail(LF_ERR_INVALID_STATE, "nothing is reserved");
  if (size > producer_.reserved_size()) return fail(LF_ERR_INVALID_ARGUMENT, "commit of more bytes than were reserved");
  publish(size, transport::kRecordData);
  count_message(size);
  kick_progress();
  return LF_OK;
}

void Channel::publish(size_t size, transport::RecordType type) noexcept {
  const bool seq_cst = publish_seq_cst(header_->consumer_promise);
  producer_.commit(size, seq_cst, type);
  wake_consumer(seq_cst);
}

lf_status_t Channel::abort() noexcept {
  if (role_ != LF_CHANNEL_PRODUCER || (!producer_.reserved() && producer_.ahead_count() == 0))
    return fail(LF_ERR_INVALID_STATE, "nothing is reserved");
  producer_.abort();
  producer_.abort_ahead();  // (a bridge's add-on end: every reservation made ahead)
  return LF_OK;
}

lf_status_t Channel::send(const void *data, size_t size, int32_t timeout_ms) noexcept {
  const auto shortcut = send_shortcut(timeout_ms);
  if (shortcut != nullptr && try_send_direct(shortcut, data, size)) return LF_OK;
  void *slot = nullptr;
  lf_status_t status = reserve(size, timeout_ms, &slot);
  if (status != LF_OK) return status;
  if (size > 0) std::memcpy(slot, data, size);
  return commit(size);
}

bool Channel::try_send_direct(lf_status_t (*shortcut)(void *, lf_channel_t *, const void *, size_t), const void *data,
                              size_t size) noexcept {
  // Only when nothing older is queued (the add-on took and released everything: the order
  // holds) and nothing would fail: otherwise the ring path runs and reports as usual.
  if (role_ != LF_CHANNEL_PRODUCER || closed_ || producer_.reserved() || producer_.ahead_count() != 0 ||
      size > max_message_ || header_->consumer_state.load(kAcquire) != kAttached || producer_.queued_bytes() != 0)
    return false;
  if (shortcut(direct_arg, user_handle, data, size) != LF_OK) return false;
  count_message(size);
  return true;
}

// ---- consumer ---------------------------------------------------------------------------

lf_status_t Channel::try_peek(const void **out_data, size_t *out_size) noexcept {
  if (corrupt_ != nullptr) return fail(LF_ERR_CORRUPT, corrupt_);
  const uint32_t n = static_cast<uint32_t>(rings_.size());
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t i = next_ring_ + k;
    if (i >= n) i -= n;
    transport::RecordType type;
    lf_status_t status = rings_[i].try_peek(out_data, out_size, &type);
    while (status == LF_OK && type == transport::kRecordForget) {
      // Not a message: the producer stopped referring to a buffer. Drop it and look again.
      if (*out_size != kForgetBytes) return corrupted("a forget record of the wrong size: the region is corrupt");
      imports_.forget(i, read_forget(static_cast<const uint8_t *>(*out_data)));
      if (rings_[i].release(publish_seq_cst(rings_[i].control()->producer_promise))) wake_producer(rings_[i].control());
      status = rings_[i].try_peek(out_data, out_size, &type);
    }
    if (status == LF_OK) {
      peeked_ref_ = BufferRef{};
      if (type == transport::kRecordBuffer) {
        if (!read_buffer_ref(static_cast<const uint8_t *>(*out_data), *out_size, peeked_ref_))
          return corrupted("a buffer record whose reference is impossible (too short, buffer 0, unknown flags): the region is corrupt");
        *out_data = static_cast<const uint8_t *>(*out_data) + peeked_ref_.bytes();
        *out_size -= peeked_ref_.bytes();
      }
      peeked_ring_ = static_cast<int32_t>(i);
      peeked_size_ = *out_size;
      next_ring_ = i + 1 == n ? 0 : i + 1;
      return LF_OK;
    }
    if (status == LF_ERR_CORRUPT) return corrupted("a producer's ring failed validation: the region is corrupt");
  }
  // Nothing to read. Ended? Read the states first, then make sure nothing arrived meanwhile
  // (a producer publishes its last message before it marks itself closed).
  bool dead = false;
  if (!producers_gone(dead)) return LF_WOULD_BLOCK;
  for (const auto &ring : rings_)
    if (ring.has_record()) return try_peek(out_data, out_size);
  if (dead) return peer_gone(LF_ERR_PEER_DEAD, "a producer's process died (everything it had committed was delivered)");
  return peer_gone(LF_END_OF_STREAM, "");
}

bool Channel::producers_gone(bool &dead) noexcept {
  if (header_->producers_attached.load(kAcquire) == 0) return false;  // (none came yet)
  bool live = false;
  dead = false;
  for (uint32_t i = 0; i < rings_.size(); ++i) {
    transport::RingControl *control = rings_[i].control();
    uint32_t state = control->state.load(std::memory_order_seq_cst);  // Dekker pair with close()
    if (state == kDead) take_back_slot(i);
    live |= state == kAttached;
    dead |= state == kDead;
  }
  dead |= producers_taken_back_.load(kRelaxed) != 0;
  return !live;
}

void Channel::take_back_slot(uint32_t ring) noexcept {
  // A dead producer's slot, once everything it committed was received, goes back to the
  // free ones, for a new producer (it was dead for good: whoever declared it so watched the
  // connection or the process that is now gone). Its buffers go with it.
  if (!rings_[ring].take_back()) return;
  imports_.forget_ring(ring);
  uint32_t expected = kDead;
  if (rings_[ring].control()->state.compare_exchange_strong(expected, kFree, std::memory_order_acq_rel))
    producers_taken_back_.fetch_add(1, kRelaxed);
}

lf_status_t Channel::check_peek() noexcept {
  if (role_ != LF_CHANNEL_CONSUMER) return fail(LF_ERR_INVALID_STATE, "only the consumer can peek");
  if (closed_) return fail(LF_ERR_CLOSED, "this end was closed");
  if (peeked_ring_ >= 0) return fail(LF_ERR_INVALID_STATE, "a message is already peeked: release it first");
  if (rings_.size() == 1 && rings_[0].ahead_count() != 0)
    return fail(LF_ERR_INVALID_STATE, "messages peeked ahead are pending: release them first");
  return LF_OK;
}

lf_status_t Channel::peek(int32_t timeout_ms, const void **out_data, size_t *out_size) noexcept {
  if (const lf_status_t problem = check_peek(); problem != LF_OK) return problem;
  lf_status_t status =
      wait([&] { return try_peek(out_data, out_size); }, [&] { return any_record(); }, header_->consumer_waiting,
           header_->data_seq, header_->consumer_promise, timeout_ms);
  if (status == LF_WOULD_BLOCK) problem_ = "no message is waiting";
  return status;
}

lf_status_t Channel::release() noexcept {
  if (role_ != LF_CHANNEL_CONSUMER || peeked_ring_ < 0) return fail(LF_ERR_INVALID_STATE, "nothing is peeked");
  transport::ConsumerRing &ring = rings_[static_cast<size_t>(peeked_ring_)];
  peeked_ring_ = -1;
  count_message(peeked_size_);
  if (ring.release(publish_seq_cst(ring.control()->producer_promise))) wake_producer(ring.control());
  // (no progress pass here: what the freed room lets a bridge do waits for the next call or
  // the bridge's thread, and a ping-pong's reply is not held up behind it)
  return LF_OK;
}

lf_status_t Channel::recv(void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms) noexcept {
  if (recv_shortcut(timeout_ms) != nullptr && !progress_helps) return recv_direct(buffer, capacity, out_size, timeout_ms);
  const void *data = nullptr;
  size_t size = 0;
  lf_status_t status = peek(timeout_ms, &data, &size);
  if (status != LF_OK) return status;
  return recv_peeked(buffer, capacity, out_size, data, size);
}

lf_status_t Channel::recv_from_ring(void *buffer, size_t capacity, size_t *out_size) noexcept {
  const void *data = nullptr;
  size_t size = 0;
  const lf_status_t status = try_peek(&data, &size);
  if (status != LF_OK) return status;
  return recv_peeked(buffer, capacity, out_size, data, size);
}

lf_status_t Channel::recv_direct(void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms) noexcept {
  // The add-on's shortcut is the poll: the ring first each time (what came before stays
  // first), then the shortcut.
  if (const lf_status_t problem = check_peek(); problem != LF_OK) return problem;
  const auto shortcut = recv_shortcut(timeout_ms);
  const lf_status_t status = wait_progressing(
      [&] { return recv_from_ring(buffer, capacity, out_size); },
      [&] {
        if (shortcut(direct_arg, user_handle, buffer, capacity, out_size) != LF_OK) return LF_WOULD_BLOCK;
        count_message(*out_size);
        return LF_OK;
      },
      timeout_ms);
  if (status == LF_WOULD_BLOCK) problem_ = "no message is waiting";
  return status;
}

lf_status_t Channel::recv_peeked(void *buffer, size_t capacity, size_t *out_size, const void *data, size_t size) noexcept {
  *out_size = size;
  if (peeked_ref_.id != 0) {
    unpeek();
    return fail(LF_ERR_INVALID_STATE,
                "the next message refers to a buffer: receive it with lf_channel_recv_buffer() or "
                "lf_channel_peek(); it stays queued");
  }
  if (size > capacity) {
    unpeek();
    return fail(LF_ERR_BUFFER_TOO_SMALL, "the message is larger than the buffer; it stays queued");
  }
  if (size > 0) std::memcpy(buffer, data, size);
  return release();
}

void Channel::unpeek() noexcept {
  next_ring_ = static_cast<uint32_t>(peeked_ring_);  // not consumed: it stays first in line
  peeked_ring_ = -1;
}

// ---- buffer references ------------------------------------------------------------------

lf_status_t Channel::wait_for_consumer_socket(int32_t timeout_ms, std::shared_ptr<core::UniqueFd> &out) {
  // A producer that created the channel learns its consumer's connection when the consumer
  // connects; until then a buffer cannot be announced. (Slow path: polled.)
  const int64_t deadline = timeout_ms < 0 ? INT64_MAX : core::monotonic_ns() + int64_t{timeout_ms} * 1000000;
  for (;;) {
    out = link->peer_socket(slot_);
    if (out) return LF_OK;
    const uint32_t consumer = header_->consumer_state.load(kAcquire);
    if (consumer == kClosed) return fail(LF_ERR_CLOSED, "the consumer closed the channel");
    if (consumer == kDead) return fail(LF_ERR_PEER_DEAD, "the consumer's process died");
    if (timeout_ms == 0) return fail(LF_WOULD_BLOCK, "no consumer is connected yet to receive the buffer");
    if (core::monotonic_ns() >= deadline) return fail(LF_TIMEOUT, "no consumer connected in time to receive the buffer");
    usleep(1000);
  }
}

lf_status_t Channel::announce(Announcement announcement, int32_t timeout_ms, uint32_t &out_id) {
  if (role_ != LF_CHANNEL_PRODUCER) return fail(LF_ERR_INVALID_STATE, "only a producer sends");
  if (closed_) return fail(LF_ERR_CLOSED, "this end was closed");
  if (bridge || region_->in_caller_buffer())
    core::fail(LF_ERR_UNSUPPORTED, "semaphores and buffers need a connection between the ends: create the channel by name");
  out_id = announced_.find(announcement.key);
  if (out_id != 0) return LF_OK;
  std::shared_ptr<core::UniqueFd> socket;
  lf_status_t status = wait_for_consumer_socket(timeout_ms, socket);
  if (status != LF_OK) return status;
  out_id = announced_.announce(std::move(announcement), socket->get());
  return LF_OK;
}

lf_status_t Channel::send_buffer(const mem::Memory &memory, std::shared_ptr<void> owner, uint64_t offset, uint64_t length,
                                 const SyncRef *sync, const void *data, size_t size, int32_t timeout_ms) {
  if (role_ != LF_CHANNEL_PRODUCER) return fail(LF_ERR_INVALID_STATE, "only a producer can send");
  if (closed_) return fail(LF_ERR_CLOSED, "this end was closed");
  if (producer_.reserved()) return fail(LF_ERR_INVALID_STATE, "a reservation is pending: commit or abort it first");
  if (bridge)
    core::fail(LF_ERR_UNSUPPORTED, "buffer references do not cross a bridged channel (%s): send the bytes",
               reason.c_str());
  if (region_->in_caller_buffer())
    core::fail(LF_ERR_UNSUPPORTED, "buffer references need a connection between the ends, which a channel in a "
                                   "caller's buffer lacks: create the channel by name");
  if (offset > memory.size || length > memory.size - offset)
    core::fail(LF_ERR_INVALID_ARGUMENT, "bytes %llu..%llu are outside the %llu-byte buffer",
               static_cast<unsigned long long>(offset), static_cast<unsigned long long>(offset + length),
               static_cast<unsigned long long>(memory.size));
  if (!(memory.flags & LF_BUFFER_EXPORTABLE))
    core::fail(LF_ERR_UNSUPPORTED, "this buffer cannot be shared with another process (%s): create it as shared or device memory",
               memory.reason().c_str());
  BufferRef ref;
  ref.offset = offset;
  ref.length = length;
  if (sync != nullptr) {
    ref.has_sync = true;
    ref.sync = *sync;
  }
  if (size > max_message_ - ref.bytes())
    core::fail(LF_ERR_INVALID_ARGUMENT, "%zu inline bytes exceed the %llu a buffer message can carry", size,
               static_cast<unsigned long long>(max_message_ - ref.bytes()));
  ref.id = announced_.find(&memory);
  if (ref.id == 0) {
    std::shared_ptr<core::UniqueFd> socket;
    lf_status_t status = wait_for_consumer_socket(timeout_ms, socket);
    if (status != LF_OK) return status;
    ref.id = announced_.announce(announcement_of(memory, std::move(owner)), socket->get());
  }
  void *slot = nullptr;
  lf_status_t status = reserve(ref.bytes() + size, timeout_ms, &slot);
  if (status != LF_OK) return status;  // (the announcement stands: the buffer stays pinned)
  write_buffer_ref(static_cast<uint8_t *>(slot), ref);
  if (size > 0) std::memcpy(static_cast<uint8_t *>(slot) + ref.bytes(), data, size);
  publish(ref.bytes() + size, transport::kRecordBuffer);
  count_message(size);
  return LF_OK;
}

lf_status_t Channel::forget_buffer(const mem::Memory &memory, int32_t timeout_ms) {
  if (role_ != LF_CHANNEL_PRODUCER) return fail(LF_ERR_INVALID_STATE, "only a producer sends buffers");
  if (announced_.find(&memory) == 0) return fail(LF_ERR_NOT_FOUND, "this buffer was never sent on this channel, or was forgotten");
  if (closed_) {  // nobody will read a forget record: just unpin
    announced_.forget(&memory);
    return LF_OK;
  }
  void *slot = nullptr;
  lf_status_t status = reserve(kForgetBytes, timeout_ms, &slot);
  if (status != LF_OK) return status;
  write_forget(static_cast<uint8_t *>(slot), announced_.forget(&memory));
  publish(kForgetBytes, transport::kRecordForget);
  return LF_OK;
}

lf_status_t Channel::peeked_buffer(const BufferImporter &import, const ImportedBuffer **out_buffer, BufferRef *out_ref) {
  if (role_ != LF_CHANNEL_CONSUMER || peeked_ring_ < 0) return fail(LF_ERR_INVALID_STATE, "no message is peeked");
  if (peeked_ref_.id == 0) return fail(LF_ERR_NOT_FOUND, "the peeked message refers to no buffer");
  const auto ring = static_cast<uint32_t>(peeked_ring_);
  std::shared_ptr<core::UniqueFd> socket = link->peer_socket(ring);
  const ImportedBuffer &buffer = imports_.resolve(ring, peeked_ref_.id, socket ? socket->get() : -1, import);
  if (buffer.semaphore) core::fail(LF_ERR_PROTOCOL, "a buffer message names announcement %u, a semaphore", peeked_ref_.id);
  if (peeked_ref_.offset > buffer.size || peeked_ref_.length > buffer.size - peeked_ref_.offset)
    core::fail(LF_ERR_CORRUPT, "a buffer message refers to bytes %llu..%llu of a %llu-byte buffer",
               static_cast<unsigned long long>(peeked_ref_.offset),
               static_cast<unsigned long long>(peeked_ref_.offset + peeked_ref_.length),
               static_cast<unsigned long long>(buffer.size));
  *out_buffer = &buffer;
  *out_ref = peeked_ref_;
  return LF_OK;
}

lf_status_t Channel::peeked_sync(const BufferImporter &import, const ImportedBuffer **out_ready,
                                 const ImportedBuffer **out_done, SyncRef *out_sync) {
  if (role_ != LF_CHANNEL_CONSUMER || peeked_ring_ < 0) return fail(LF_ERR_INVALID_STATE, "no message is peeked");
  *out_ready = *out_done = nullptr;
  *out_sync = SyncRef{};
  if (!peeked_ref_.has_sync) return LF_OK;
  const auto ring = static_cast<uint32_t>(peeked_ring_);
  std::shared_ptr<core::UniqueFd> socket = link->peer_socket(ring);
  auto semaphore = [&](uint32_t id) -> const ImportedBuffer * {
    if (id == 0) return nullptr;
    const ImportedBuffer &imported = imports_.resolve(ring, id, socket ? socket->get() : -1, import);
    if (!imported.semaphore) core::fail(LF_ERR_PROTOCOL, "a buffer message names announcement %u as a semaphore: it is a buffer", id);
    return &imported;
  };
  *out_ready = semaphore(peeked_ref_.sync.ready_id);
  *out_done = semaphore(peeked_ref_.sync.done_id);
  *out_sync = peeked_ref_.sync;
  return LF_OK;
}

lf_status_t Channel::recv_buffer(const BufferImporter &import, const ImportedBuffer **out_buffer, BufferRef *out_ref,
                                 void *buffer, size_t capacity, size_t *out_size, int32_t timeout_ms) {
  const void *data = nullptr;
  size_t size = 0;
  lf_status_t status = peek(timeout_ms, &data, &size);
  if (status != LF_OK) return status;
  *out_size = size;
  if (size > capacity) {
    unpeek();
    return fail(LF_ERR_BUFFER_TOO_SMALL, "the message's inline data is larger than the buffer; it stays queued");
  }
  *out_buffer = nullptr;
  *out_ref = BufferRef{};
  if (peeked_ref_.id != 0) {
    try {
      status = peeked_buffer(import, out_buffer, out_ref);
    } catch (...) {
      unpeek();  // (a later call meets the same problem: nothing is lost silently)
      throw;
    }
    if (status != LF_OK) return status;
  }
  if (size > 0) std::memcpy(buffer, data, size);
  return release();
}

// ---- both -------------------------------------------------------------------------------

void Channel::close() noexcept {
  if (closed_) return;
  closed_ = true;
  if (role_ == LF_CHANNEL_PRODUCER) {
    if (producer_.reserved()) producer_.abort();
    uint32_t expected = kAttached;  // a producer declared dead stays dead
    producer_.control()->state.compare_exchange_strong(expected, kClosed, std::memory_order_seq_cst);
    wake_consumer(true);
  } else {
    uint32_t expected = kAttached;
    header_->consumer_state.compare_exchange_strong(expected, kClosed, std::memory_order_acq_rel);
    for (auto &ring : rings_) wake_producer(ring.control());
  }
}

void Channel::info(lf_channel_info_t &out) const noexcept {
  out.role = role_;
  out.transport = link->transport.load(kRelaxed);
  out.scope = link->scope.load(kRelaxed);
  out.flags = closed_ ? uint32_t{LF_CHANNEL_CLOSED} : 0u;
  out.max_producers = region_->max_producers();
  out.capacity = region_->capacity();
  out.max_message_size = max_message_;
  out.producer_index = role_ == LF_CHANNEL_PRODUCER ? slot_ : 0;
  uint32_t attached = 0, closed = 0, dead = 0;
  for (uint32_t i = 0; i < region_->max_producers(); ++i) {
    uint32_t state = region_->ring(i).control->state.load(kAcquire);
    attached += state == kAttached;
    closed += state == kClosed;
    dead += state == kDead;
  }
  dead += producers_taken_back_.load(kRelaxed);  // (died, and their slots went to new producers)
  out.producers = attached;
  if (role_ == LF_CHANNEL_PRODUCER) {
    uint32_t consumer = header_->consumer_state.load(kAcquire);
    if (consumer == kClosed) out.flags |= LF_CHANNEL_PEER_CLOSED;
    if (consumer == kDead) out.flags |= LF_CHANNEL_PEER_DEAD;
  } else {
    if (dead > 0) out.flags |= LF_CHANNEL_PEER_DEAD;
    if (attached == 0 && closed + dead > 0) out.flags |= LF_CHANNEL_PEER_CLOSED;
  }
  const char *message = nullptr;
  if (bridge && bridge->fault(&message) == LF_ERR_PEER_DEAD) out.flags |= LF_CHANNEL_PEER_DEAD;
  out.messages = messages_.get();
  out.bytes = bytes_.get();
  out.sleeps = sleeps_.get();
  out.wakes = wakes_.get();
}

const char *transport_name(int32_t transport) noexcept {
  switch (transport) {
    case LF_TRANSPORT_NONE: return "none";
    case LF_TRANSPORT_IN_PROCESS: return "in_process";
    case LF_TRANSPORT_SHARED_MEMORY: return "shared_memory";
    case LF_TRANSPORT_MPI: return "mpi";
    default: return "invalid";
  }
}

}  // namespace lavaflow::channel

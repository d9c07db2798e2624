#include "sync/shared_semaphore.hpp"

#include "channel/process_watch.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/futex.hpp"
#include "ipc/user_dir.hpp"
#include "mem/shared_memory.hpp"
#include "sync/semaphore_region.hpp"
#include "topo/host_facts.hpp"

#include <array>
#include <climits>
#include <mutex>
#include <thread>

namespace lavaflow::sync {

using core::fail;

namespace {

constexpr auto kRelaxed = std::memory_order_relaxed;
constexpr auto kAcquire = std::memory_order_acquire;
constexpr auto kRelease = std::memory_order_release;
constexpr auto kSeqCst = std::memory_order_seq_cst;
constexpr auto kAcqRel = std::memory_order_acq_rel;
constexpr uint32_t kPollsPerCheck = 64;          // spins between clock reads and death checks
constexpr int kCreationWaitMs = 100;             // a named region whose creator is still writing it

class SharedSemaphore final : public Semaphore {
 public:
  SharedSemaphore(mem::MemoryPtr memory, const HandleOptions &options, uint32_t flags)
      : memory_(std::move(memory)), region_(static_cast<Region *>(memory_->host)), options_(options), flags_(flags) {
    topo::read_process_facts(me_);
    join();
  }

  ~SharedSemaphore() override {
    {
      std::lock_guard lock(watch_mutex_);
      for (auto &w : watches_) w.watch.reset();  // (no death handler runs after this)
    }
    leave();
  }

  void signal(uint64_t value) override {
    if (options_.wait_only) fail(LF_ERR_INVALID_STATE, "this handle was opened wait-only (LF_SEMAPHORE_FLAG_WAIT_ONLY)");
    // The first compare-exchange guesses the current value instead of loading it: a load
    // would fetch the cache line shared and the exchange then upgrade it, two transfers from
    // the core of a spinning peer instead of one. The guess is the last value this handle saw,
    // right in the usual hand-off (wait for N, then signal N+1); a wrong one costs a retry.
    uint64_t current = last_seen_.load(kRelaxed);
    if (current >= value) {
      current = region_->value.load(kRelaxed);
      check_raises(current, value);
    }
    // (A success means the value was `current`, below `value`; a failure loads the real one.)
    while (!region_->value.compare_exchange_weak(current, value, kSeqCst, kRelaxed)) check_raises(current, value);
    last_seen_.store(value, kRelaxed);
    // Dekker with wait(): our seq_cst value store, then the sleepers load; the waiter's
    // sleepers increment, then its value load. One of us sees the other.
    if (region_->sleepers.load(kSeqCst) != 0) wake_all();
  }

  lf_status_t wait(uint64_t target, int64_t timeout_ns) override {
    if (reached(target)) return LF_OK;
    if (timeout_ns == 0) {
      check_dead(target);
      return LF_TIMEOUT;
    }
    int64_t deadline = INT64_MAX;
    if (options_.wait.mode != LF_WAIT_SLEEP) {
      // Nothing but polls until the first burst ends: a value that arrives within it (the
      // usual hand-off) is taken with no clock read, death check or holder scan in the way.
      // Timeouts count from that burst's end, well under a microsecond late.
      int64_t spin_until = INT64_MIN;
      for (;;) {
        for (uint32_t i = 0; i < kPollsPerCheck; ++i) {
          if (reached(target)) return LF_OK;
          core::cpu_relax();
        }
        check_dead(target);
        const int64_t now = core::monotonic_ns();
        if (spin_until == INT64_MIN) {
          watch_holders();
          if (timeout_ns > 0) deadline = now + timeout_ns;
          spin_until = options_.wait.mode == LF_WAIT_SPIN ? deadline
                                                          : std::min(deadline, now + int64_t{options_.wait.spin_us} * 1000);
        }
        if (now >= spin_until) break;
      }
      if (options_.wait.mode == LF_WAIT_SPIN) return LF_TIMEOUT;
    } else {
      check_dead(target);
      watch_holders();
      if (timeout_ns > 0) deadline = core::monotonic_ns() + timeout_ns;
    }
    for (;;) {
      const uint32_t seen = region_->wake_seq.load(kAcquire);
      region_->sleepers.fetch_add(1, kSeqCst);
      lf_status_t status = LF_WOULD_BLOCK;
      int64_t now = 0;
      if (reached(target, kSeqCst)) {
        status = LF_OK;
      } else if (region_->dead_signallers.load(kSeqCst) != 0) {
        status = LF_ERR_PEER_DEAD;
      } else if ((now = core::monotonic_ns()) >= deadline) {
        status = LF_TIMEOUT;
      } else {
        sleeps_.fetch_add(1, kRelaxed);
        core::futex_wait(&region_->wake_seq, seen, deadline == INT64_MAX ? -1 : deadline - now, true);
      }
      region_->sleepers.fetch_sub(1, kRelaxed);
      if (status == LF_ERR_PEER_DEAD) check_dead(target);
      if (status != LF_WOULD_BLOCK) return status;
    }
  }

  uint64_t value() const override { return region_->value.load(kAcquire); }

  lf_semaphore_info_t info() const override {
    lf_semaphore_info_t i{};
    i.kind = i.requested_kind = LF_SEMAPHORE_SHARED;
    i.flags = flags_ | LF_SEMAPHORE_EXPORTABLE | (options_.wait_only ? uint32_t{LF_SEMAPHORE_WAIT_ONLY} : 0u);
    if (region_->dead_signallers.load(kAcquire) != 0) i.flags |= LF_SEMAPHORE_PEER_DEAD;
    if (unwatched_.load(kRelaxed)) i.flags |= LF_SEMAPHORE_DEATH_UNWATCHED;
    i.value = value();
    for (uint32_t s = 0; s < kMaxHolders; ++s) {
      const uint32_t state = region_->holders[s].state.load(kAcquire) & kHolderStateMask;
      if (state == kHolderLive || state == kHolderDead) ++i.holders;
      if (state == kHolderDead) ++i.dead_holders;
    }
    i.wait_mode = options_.wait.mode;
    i.spin_us = options_.wait.spin_us;
    i.device_index = -1;
    i.sleeps = sleeps_.load(kRelaxed);
    i.wakes = wakes_.load(kRelaxed);
    return i;
  }

  int export_fd() const override { return memory_->export_fd(); }

  SemaphoreDescriptor describe_export() const override {
    SemaphoreDescriptor d;
    d.kind = LF_SEMAPHORE_SHARED;
    d.value = value();
    return d;
  }

 private:
  struct Watched {
    uint32_t word = 0;  // the slot's state word when the watch began
    std::unique_ptr<channel::ProcessWatch> watch;
  };

  bool reached(uint64_t target, std::memory_order order = kAcquire) noexcept {
    const uint64_t value = region_->value.load(order);
    if (value < target) return false;
    last_seen_.store(value, kRelaxed);
    return true;
  }

  void wake_all() noexcept {
    region_->wake_seq.fetch_add(1, kRelease);
    core::futex_wake(&region_->wake_seq, INT_MAX, true);
    wakes_.fetch_add(1, kRelaxed);
  }

  void check_dead(uint64_t target) const {
    if (region_->dead_signallers.load(kAcquire) == 0) return;
    fail(LF_ERR_PEER_DEAD,
         "a process holding the semaphore died before signalling %llu (the value is %llu): it will never come",
         static_cast<unsigned long long>(target), static_cast<unsigned long long>(value()));
  }

  // Takes a free (or dead) holder slot for this handle.
  void join() {
    for (int attempt = 0; attempt < 2; ++attempt) {
      for (uint32_t s = 0; s < kMaxHolders; ++s) {
        Holder &h = region_->holders[s];
        uint32_t word = h.state.load(kAcquire);
        const uint32_t state = word & kHolderStateMask;
        if (state != kHolderFree && state != kHolderDead) continue;
        const uint32_t claiming = ((word & ~kHolderStateMask) + kHolderGeneration) | kHolderClaiming;
        if (!h.state.compare_exchange_strong(word, claiming, kAcqRel, kRelaxed)) continue;
        h.flags.store(options_.wait_only ? uint32_t{kHolderWaitOnly} : 0u, kRelaxed);
        h.pid.store(me_.pid, kRelaxed);
        h.reserved.store(0, kRelaxed);
        h.pid_namespace.store(me_.has(LF_IDENTITY_KNOWN_NAMESPACES) ? me_.namespaces[topo::kPidNs] : 0, kRelaxed);
        h.start_time_ticks.store(me_.start_time_ticks, kRelaxed);
        slot_ = s;
        word_ = (claiming & ~kHolderStateMask) | kHolderLive;
        h.state.store(word_, kRelease);
        region_->holder_seq.fetch_add(1, kRelease);
        return;
      }
      if (attempt == 0) sweep_dead_holders();
    }
    fail(LF_ERR_LIMIT, "all %u holder slots of the semaphore are taken by live processes", kMaxHolders);
  }


  void leave() noexcept {
    uint32_t expected = word_;
    // (If a peer wrongly marked us dead, the slot is already reusable: nothing to undo.)
    if (region_->holders[slot_].state.compare_exchange_strong(expected, word_ & ~kHolderStateMask, kRelease, kRelaxed))
      region_->holder_seq.fetch_add(1, kRelease);
  }

  // The identity watch_process() compares with ours: what the holder recorded of itself.
  static topo::Identity holder_identity(const HolderView &v) {
    topo::Identity peer;
    peer.pid = v.pid;
    peer.start_time_ticks = v.start_time_ticks;
    if (v.start_time_ticks != 0) peer.flags |= LF_IDENTITY_KNOWN_START_TIME;
    if (v.pid_namespace != 0) {
      peer.flags |= LF_IDENTITY_KNOWN_NAMESPACES;
      peer.namespaces[topo::kPidNs] = v.pid_namespace;
    }
    return peer;
  }

  // A holder's process exited: its slot becomes dead (if it still holds it), and if it could
  // have signalled, every waiter learns that its value will never come. Monitor thread, or
  // the thread that found it already gone.
  void on_holder_death(uint32_t slot, uint32_t word) noexcept {
    uint32_t expected = word;
    const uint32_t dead = (word & ~kHolderStateMask) | kHolderDead;
    if (!region_->holders[slot].state.compare_exchange_strong(expected, dead, std::memory_order_acq_rel, kRelaxed)) return;
    if (region_->holders[slot].flags.load(kRelaxed) & kHolderWaitOnly) return;
    region_->dead_signallers.fetch_add(1, kSeqCst);
    wake_all();
  }

  // Watches every other holder's process (once per change of the holder table: later waits
  // only compare holder_seq, a load).
  void watch_holders() {
    const uint32_t seq = region_->holder_seq.load(kAcquire);
    if (seq == watched_seq_.load(kAcquire)) return;
    std::lock_guard lock(watch_mutex_);
    if (seq == watched_seq_.load(kRelaxed)) return;
    for (uint32_t s = 0; s < kMaxHolders; ++s) {
      Watched &w = watches_[s];
      if (s == slot_) continue;
      const HolderView v = read_holder(*region_, s);
      if (v.state() != kHolderLive) {
        w.watch.reset();
        w.word = 0;
        continue;
      }
      if (w.word == v.word) continue;
      w.watch.reset();
      w.word = v.word;
      std::string why;
      w.watch = channel::watch_process(me_, holder_identity(v), [this, s, word = v.word] { on_holder_death(s, word); }, why);
      if (!why.empty()) unwatched_.store(true, kRelaxed);
    }
    watched_seq_.store(seq, kRelease);
  }

  // Marks holders whose processes are gone (checked now, not watched): for join() when every
  // slot looks taken.
  void sweep_dead_holders() {
    for (uint32_t s = 0; s < kMaxHolders; ++s) {
      const HolderView v = read_holder(*region_, s);
      if (v.state() != kHolderLive) continue;
      std::string why;
      channel::watch_process(me_, holder_identity(v), [this, s, word = v.word] { on_holder_death(s, word); }, why);
    }
  }

  mem::MemoryPtr memory_;
  Region *region_;
  HandleOptions options_;
  uint32_t flags_;  // LF_SEMAPHORE_IMPORTED / NAMED
  topo::Identity me_;
  uint32_t slot_ = 0;
  uint32_t word_ = 0;
  std::mutex watch_mutex_;
  std::array<Watched, kMaxHolders> watches_;  // guarded by watch_mutex_
  std::atomic<uint32_t> watched_seq_{UINT32_MAX};
  std::atomic<bool> unwatched_{false};
  std::atomic<uint64_t> sleeps_{0}, wakes_{0};
  std::atomic<uint64_t> last_seen_{0};  // the value this handle last saw: signal's guess
};

std::span<const uint8_t> region_bytes(const mem::Memory &memory) {
  return {static_cast<const uint8_t *>(memory.host), static_cast<size_t>(memory.size)};
}

// Checks a region another process made; waits briefly for a named one still being written.
void validate_mapped(const mem::Memory &memory) {
  if (memory.size != kRegionBytes)
    fail(LF_ERR_CORRUPT, "a semaphore region is %u bytes, this one %llu: not a lavaflow semaphore", kRegionBytes,
         static_cast<unsigned long long>(memory.size));
  for (int waited_ms = 0; region_still_zero(region_bytes(memory)) && waited_ms < kCreationWaitMs; ++waited_ms)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  (void)static_cast<const Region *>(memory.host)->magic.load(kAcquire);  // (pairs with the creator's release)
  validate_region(region_bytes(memory));
}

std::string describe_wait(const HandleOptions &options) {
  switch (options.wait.mode) {
    case LF_WAIT_SPIN: return "waits spin";
    case LF_WAIT_SLEEP: return "waits sleep on a futex";
    default: return "waits spin " + std::to_string(options.wait.spin_us) + " us, then sleep on a futex";
  }
}

}  // namespace

SemaphorePtr create_shared_semaphore(const std::string &base_dir, const std::string &name, uint64_t initial_value,
                                     const HandleOptions &options) {
  mem::AllocationRequest request;
  request.size = kRegionBytes;
  request.kind = LF_MEMORY_SHARED;
  request.flags = LF_BUFFER_FLAG_ZERO;
  request.name = name;
  request.name_folder = "semaphores";
  if (!name.empty()) ipc::validate_name(name, "semaphore name");
  mem::MemoryPtr memory = mem::allocate_shared(nullptr, base_dir, request, mem::NodePolicy{});
  initialize_region(*static_cast<Region *>(memory->host), initial_value);
  std::string reason = "shared semaphore (" + (name.empty() ? std::string("memfd") : "named " + name) + "), " +
                       describe_wait(options);
  auto semaphore = std::make_unique<SharedSemaphore>(std::move(memory), options,
                                                     name.empty() ? 0u : uint32_t{LF_SEMAPHORE_NAMED});
  semaphore->set_reason(std::move(reason));
  return semaphore;
}

SemaphorePtr import_shared_semaphore(int fd, const HandleOptions &options) {
  mem::MemoryPtr memory = mem::import_shared_fd(fd, 0, false);
  validate_mapped(*memory);
  auto semaphore = std::make_unique<SharedSemaphore>(std::move(memory), options, LF_SEMAPHORE_IMPORTED);
  semaphore->set_reason("imported shared semaphore (sealed memfd), " + describe_wait(options));
  return semaphore;
}

SemaphorePtr open_shared_semaphore(const std::string &base_dir, const std::string &name, const HandleOptions &options) {
  ipc::validate_name(name, "semaphore name");
  mem::MemoryPtr memory = mem::open_named_shared(base_dir, name, 0, false, "semaphores");
  validate_mapped(*memory);
  auto semaphore =
      std::make_unique<SharedSemaphore>(std::move(memory), options, LF_SEMAPHORE_IMPORTED | LF_SEMAPHORE_NAMED);
  semaphore->set_reason("opened named shared semaphore " + name + ", " + describe_wait(options));
  return semaphore;
}

}  // namespace lavaflow::sync

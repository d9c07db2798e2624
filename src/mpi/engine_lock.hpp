// The lock of an attachment's engine (its links and every progress pass). A pass takes it
// with try_lock — one that finds it taken is skipped, since another thread is at it — and a
// user's message takes it once on each side, so its unlock is a plain release store rather
// than std::mutex's locked instruction. The few that must wait for it (opening a channel,
// stats, the watcher, detach) spin and yield, and announce themselves first: passes then
// stand aside, so a busy progress thread cannot starve them.
#pragma once

#include <atomic>
#include <cstdint>
#include <sched.h>

namespace lavaflow::mpi {

class EngineLock {
 public:
  bool try_lock() noexcept {
    if (waiters_.load(std::memory_order_relaxed) != 0 || locked_.load(std::memory_order_relaxed)) return false;
    return !locked_.exchange(true, std::memory_order_acquire);
  }
  void lock() noexcept {
    waiters_.fetch_add(1, std::memory_order_relaxed);
    while (locked_.exchange(true, std::memory_order_acquire))
      while (locked_.load(std::memory_order_relaxed)) sched_yield();
    waiters_.fetch_sub(1, std::memory_order_relaxed);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
  std::atomic<uint32_t> waiters_{0};
};

}  // namespace lavaflow::mpi

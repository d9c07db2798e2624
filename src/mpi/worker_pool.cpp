#include "mpi/worker_pool.hpp"

#include "core/futex.hpp"  // (cpu_relax)

#include <sched.h>

namespace lavaflow::mpi {

namespace {
// How long an idle worker watches the queue before it sleeps: a few microseconds, shorter
// than a chunk's compression (so a stream's next chunk finds it awake) and short enough not
// to take a busy machine's core for long.
constexpr int kSpinRounds = 2000;
}  // namespace

WorkerPool::WorkerPool(uint32_t threads) {
  threads_.reserve(threads);
  for (uint32_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto &thread : threads_) thread.join();
}

bool WorkerPool::submit(Job &job) noexcept {
  if (threads_.empty()) return false;
  std::lock_guard lock(mutex_);
  if (queue_.full()) return false;
  job.pending.store(true, std::memory_order_relaxed);
  queue_.push_back(&job);
  queued_.store(queue_.size(), std::memory_order_relaxed);
  if (sleepers_ > 0) wake_.notify_one();
  return true;
}

bool WorkerPool::run(Job &job, CodecContexts &here) noexcept {
  if (submit(job)) return true;
  job.run(job, here);
  return false;
}

bool WorkerPool::help(CodecContexts &here) noexcept {
  if (queued_.load(std::memory_order_relaxed) == 0) return false;
  Job *job;
  {
    std::lock_guard lock(mutex_);
    job = take();
  }
  if (job == nullptr) return false;
  execute(*job, here);
  return true;
}

void WorkerPool::wait(const Job &job) noexcept {
  while (!job.done()) sched_yield();
}

Job *WorkerPool::take() noexcept {
  if (queue_.empty()) return nullptr;
  Job *job = queue_.front();
  queue_.pop_front();
  queued_.store(queue_.size(), std::memory_order_relaxed);
  return job;
}

void WorkerPool::execute(Job &job, CodecContexts &contexts) noexcept {
  job.run(job, contexts);
  job.pending.store(false, std::memory_order_release);
}

void WorkerPool::work() {
  CodecContexts contexts(true, true);
  std::unique_lock lock(mutex_);
  for (;;) {
    // What is queued runs even when stopping: its owner may be waiting on it.
    if (Job *job = take()) {
      lock.unlock();
      execute(*job, contexts);
      lock.lock();
      continue;
    }
    if (stopping_) return;
    lock.unlock();
    for (int round = 0; round < kSpinRounds && queued_.load(std::memory_order_relaxed) == 0; ++round) core::cpu_relax();
    lock.lock();
    if (!queue_.empty() || stopping_) continue;
    ++sleepers_;
    wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    --sleepers_;
  }
}

}  // namespace lavaflow::mpi

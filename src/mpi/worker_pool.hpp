// The worker threads of an attachment: they compress and seal chunks on the producing rank,
// open and decompress them on the consuming rank, while the thread that drives MPI keeps
// frames moving — the transfer pipeline (read -> compress -> encrypt -> send, and back),
// overlapped across chunks and threads. Jobs belong to the links (one per frame slot, made
// at setup); the queue is a fixed ring of pointers, so submitting allocates nothing. A job
// that finds no worker or a full queue runs where it was submitted. A worker spins briefly
// for the next job, then sleeps; a submit wakes one (a system call) only when one sleeps.
#pragma once

#include "mpi/codec.hpp"
#include "mpi/fixed_queue.hpp"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace lavaflow::mpi {

struct Job {
  // What the job does, with the zstd contexts of the thread that runs it.
  void (*run)(Job &job, CodecContexts &contexts) = nullptr;
  // Set by the owner before submit(); cleared (release) when the job is done.
  std::atomic<bool> pending{false};
  bool done() const noexcept { return !pending.load(std::memory_order_acquire); }
};

class WorkerPool {
 public:
  // `threads` 0: no workers (every job runs where it is submitted).
  explicit WorkerPool(uint32_t threads);
  ~WorkerPool();  // runs what is still queued, then joins
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  uint32_t threads() const noexcept { return static_cast<uint32_t>(threads_.size()); }
  // Queues `job` (its `pending` is set here); false when there is no worker or the queue is
  // full: then the caller runs it.
  bool submit(Job &job) noexcept;
  // Runs `job` on a worker (true), or here when none can take it (false).
  bool run(Job &job, CodecContexts &here) noexcept;
  // Runs one queued job here, if there is one (true): a thread that would only spin while
  // the workers are busy (a full machine) does their work instead.
  bool help(CodecContexts &here) noexcept;
  // Waits until `job` is done (it takes at most one chunk's work).
  static void wait(const Job &job) noexcept;

  // The most worker threads an attachment starts.
  static constexpr uint32_t kMaxThreads = 16;

 private:
  Job *take() noexcept;  // with mutex_ held
  static void execute(Job &job, CodecContexts &contexts) noexcept;  // runs it, marks it done
  void work();

  static constexpr size_t kQueueCapacity = 1024;
  std::mutex mutex_;
  std::condition_variable wake_;
  FixedQueue<Job *> queue_{kQueueCapacity};
  std::atomic<size_t> queued_{0};  // queue_.size(), for spinning workers to watch without the lock
  uint32_t sleepers_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lavaflow::mpi

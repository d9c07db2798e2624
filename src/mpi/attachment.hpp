// A communicator attached to a context: its duplicate, every rank's identity and scope, and
// the engine that moves the data of channels over MPI (a progress thread, or the callers'
// lavaflow calls), plus a watcher thread for peer liveness (pidfds, heartbeats).
#pragma once

#include "core/fault_injection.hpp"
#include "mpi/engine_lock.hpp"
#include "mpi/link.hpp"

#include <lavaflow/lavaflow.h>
#include <lavaflow/experimental.h>
#include <lavaflow/lavaflow_mpi.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lavaflow::mpi {

struct ChannelChoice;  // (attachment.cpp)

struct PeerInfo {
  lf_scope_info_t scope{};
  std::string reason;
  uint32_t pid = 0;
  uint64_t start_time_ticks = 0;
  bool same_kernel_pid_namespace = false;  // its pid can be watched from here
};

class Attachment {
 public:
  // Collective over `comm`. Throws Error.
  Attachment(lf_context_t *context, MPI_Comm comm, const lf_mpi_params_t *params);
  // Detach, first half: stops the threads and waits for the engine's lock. False when a
  // pass has held it without ending for the peer timeout (MPI never returned from a call):
  // the attachment must then be left alive, never destroyed, since that thread still uses it.
  bool stop();
  ~Attachment();
  Attachment(const Attachment &) = delete;
  Attachment &operator=(const Attachment &) = delete;

  lf_channel_t *open_channel(int32_t peer, uint32_t channel_id, int32_t role, const lf_channel_params_t *channel_params,
                             const lf_mpi_channel_params_t *mpi_params);
  void info(lf_mpi_info_t &out) const;
  lf_context_t *context() const noexcept { return context_; }
  const PeerInfo &peer(int32_t rank) const;
  bool stats(const lf_channel_t *channel, lf_mpi_channel_stats_t &out) const;
  // One pass over every link; skipped when another thread is at it. True if anything moved.
  bool progress();
  // The same with the engine's lock held; `last` (a link, or null) goes after all the others.
  bool progress_locked(Link *last = nullptr);
  void set_wire_hook(lf_mpi_wire_hook_fn fn, void *user_data);
  // The progress function of user ends (caller progress). Its argument outlives the
  // attachment, since user ends may: after detach it does nothing. Its lock is the engine's
  // lock (the one a pass holds), so a pass from a user's call takes one lock, not two.
  struct ProgressAnchor {
    EngineLock engine;
    Attachment *attachment = nullptr;  // null once detached (written under `engine`)
    // Thread progress: when a user's call last moved data (ns); the thread yields to active
    // callers. Here, not in the attachment, so that a caller can note it without the lock.
    std::atomic<bool> note_callers{false};
    std::atomic<int64_t> caller_progress_ns{0};
    void note_caller() noexcept;  // a user's call is moving data now (when noted at all)
  };
  static void progress_trampoline(void *anchor);
  // The user ends' shortcuts past their rings (extension.h), with the same argument.
  static lf_status_t direct_send_trampoline(void *anchor, lf_channel_t *user_end, const void *data, size_t size);
  static lf_status_t direct_recv_trampoline(void *anchor, lf_channel_t *user_end, void *buffer, size_t capacity,
                                            size_t *out_size);
  // The shortcuts of a call with no timeout (extension.h: the waiting ones): zero-copy for
  // large messages; they return once the user's buffer is theirs again.
  static lf_status_t waiting_send_trampoline(void *anchor, lf_channel_t *user_end, const void *data, size_t size);
  static lf_status_t waiting_recv_trampoline(void *anchor, lf_channel_t *user_end, void *buffer, size_t capacity,
                                             size_t *out_size);
  static ProgressAnchor *new_anchor();

 private:
  void exchange_identities();
  lf_channel_t *open_shared_memory(int32_t peer, uint32_t channel_id, int32_t role, const lf_channel_params_t *params);
  lf_channel_t *open_over_mpi(int32_t peer, const PeerInfo &info, uint32_t channel_id, int32_t role,
                              const lf_channel_params_t *channel_params, const ChannelChoice &choice);
  // The link of a user end, or null (with the engine's lock held).
  Link *find_link(const lf_channel_t *user_end) const noexcept;
  // The same for a user's call, which then works on that link: null also while the engine
  // is stuck by fault injection (stuck_now), as if the call had not got the engine's lock.
  Link *link_for_call(const lf_channel_t *user_end);
  // The receiving shortcuts' body: one poll (waiting: a zero-copy message that begins in it
  // is waited for).
  static lf_status_t recv_shortcut(ProgressAnchor *anchor, lf_channel_t *user_end, void *buffer, size_t capacity,
                                   size_t *out_size, bool waiting);
  // Runs passes of the engine (each under its lock, which other threads get between them)
  // while `busy(link of user_end)`; false when the link or the attachment went meanwhile
  // (detached: the channel reports it).
  template <typename Busy>
  static bool wait_while(ProgressAnchor *anchor, const lf_channel_t *user_end, Busy busy);

  // LAVAFLOW_FAULT_INJECT=mpi_engine_stuck_after_death (tests): once a peer died, no pass
  // moves anything, the progress thread's holds the engine's lock until detach, and a user's
  // call finds no link — as when MPI never returns from a call in a pass — so that only the
  // watcher can report the death. True when a pass or call must stop here (under the
  // engine's lock).
  bool stuck_now();
  bool engine_stuck_after_death_ = core::fault_injected("mpi_engine_stuck_after_death");
  bool engine_stuck_for_good_ = core::fault_injected("mpi_engine_stuck_for_good");  // (detach too)

  void signal_stop();  // the threads are to end (stop(), the destructor)
  void run_progress_thread();
  void run_watcher();
  // How many workers: `asked` (-1: as the cores allow), LAVAFLOW_MPI_WORKERS over both.
  uint32_t worker_count(int64_t asked) const;
  // Ranks (this one included) that can share memory with this one.
  int32_t local_ranks() const;

  ProgressAnchor *anchor_;           // lives as long as the process (a few bytes per attach)
  lf_context_t *context_ = nullptr;  // our own handle (lf_extension_share_context)
  MPI_Comm comm_ = MPI_COMM_NULL;
  int32_t rank_ = 0, size_ = 0, thread_level_ = 0, progress_mode_ = 0;
  int32_t peer_timeout_ms_ = 10000;
  int tag_ub_ = 32767;
  bool finalize_mpi_ = false;
  // direct_recv_trampoline's choice of a full pass or its own channel's (under the lock).
  uint32_t direct_polls_ = 0;
  bool full_pass_due_ = true;
  static constexpr uint32_t kFullPassEvery = 4;
  bool direct_ = true;  // user ends take the shortcuts past their rings (LAVAFLOW_MPI_DIRECT=0: never)
  uint64_t job_nonce_ = 0;
  std::vector<PeerInfo> peers_;

  EngineLock &engine_lock_;  // = anchor_->engine: the list; a progress pass holds it while it walks
  // Changes to the list also take this one (after the engine's lock), so that the watcher
  // can walk it without the engine's lock: a pass stuck inside MPI holds that one for good.
  std::mutex links_mutex_;
  std::vector<std::unique_ptr<Link>> links_;
  core::SingleWriterCounter passes_;  // passes of the engine completed (the watcher sees it stuck)
  std::unique_ptr<WorkerPool> workers_;  // outlives every link (reset after they go)
  CodecContexts helper_contexts_{true, true};  // for the jobs progress() runs (under engine_lock_)
  WireHook hook_;
  std::atomic<bool> stopping_{false};
  static constexpr int64_t kCallerActiveNs = 200000;  // (see ProgressAnchor::caller_progress_ns)
  std::thread progress_thread_;
  std::thread watcher_;
  std::mutex watcher_mutex_;
  std::condition_variable watcher_wake_;
};

}  // namespace lavaflow::mpi

#include "mpi/attachment.hpp"

#include "core/clock.hpp"
#include "core/env.hpp"
#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "core/strings.hpp"
#include "topo/host_facts.hpp"

#include <lavaflow/extension.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace lavaflow::mpi {

using core::fail;

// lf_mpi_channel_params_t, validated, with the defaults filled in.
struct ChannelChoice {
  int32_t compression = LF_MPI_COMPRESSION_NONE;
  int32_t level = 1;
  int32_t cipher = LF_MPI_CIPHER_NONE;
  const uint8_t *key = nullptr;
  uint64_t chunk = 1 << 20;
  uint32_t depth = 0;  // 0: kDefaultPipelineDepth
  uint32_t min_gain = 10;
  int32_t transport = 0;
  uint32_t flags = 0;
};

namespace {

constexpr int kWatchPeriodMs = 250;
// A dead peer's channels are reported to their users by the watcher itself when no pass of
// the engine completed for this long after it saw the death.
constexpr int64_t kStuckEngineMs = 2 * kWatchPeriodMs;
constexpr int64_t kDetachFlushMs = 2000;
constexpr int32_t kDefaultOpenTimeoutMs = 30000;

// The frames in flight per channel when the params do not say. Each worker needs chunks to
// hold (a chunk holds its credit from compression until the receiver decoded it), a stream
// of 64 KiB messages waited for credits with 4 (0.89-0.90x raw MPI vs 0.96-1.02x with 8), and
// credits come back half the window at a time, each batch one more MPI message per direction
// of a ping-pong: 8 B / 4 KiB latency 1.15x / 1.09x raw MPI with 8, 1.10x / 1.04x with 16
// (medians of six interleaved runs, 2-core VM; docs/benchmarks.md).
constexpr uint32_t kDefaultPipelineDepth = 16;

void check_mpi(int rc, const char *what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  fail(LF_ERR_SYSTEM, "%s failed: %.*s", what, length, text);
}

// Throws the status a failing lavaflow call returned, with its message.
void check_lf(lf_status_t status, const char *what) {
  if (status < 0) fail(status, "%s: %s", what, lf_last_error_message());
}

int32_t env_int(const char *name, int32_t fallback) {
  const char *text = core::env_value(name);
  if (text == nullptr) return fallback;
  char *end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0') fail(LF_ERR_INVALID_ARGUMENT, "%s=%s is not an integer", name, text);
  return static_cast<int32_t>(value);
}


constexpr uint64_t kChannelFields = LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION | LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION_LEVEL |
                                    LF_MPI_CHANNEL_PARAM_FIELD_CIPHER | LF_MPI_CHANNEL_PARAM_FIELD_KEY |
                                    LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE | LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH |
                                    LF_MPI_CHANNEL_PARAM_FIELD_ADAPTIVE_MIN_GAIN | LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT |
                                    LF_MPI_CHANNEL_PARAM_FIELD_FLAGS;

ChannelChoice channel_choice(const lf_mpi_channel_params_t *p) {
  ChannelChoice c;
  if (p == nullptr) return c;
  const uint64_t mask = p->field_mask;
  if (mask & ~kChannelFields)
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->field_mask has unknown bits 0x%llx", static_cast<unsigned long long>(mask & ~kChannelFields));
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION) c.compression = p->compression;
  if (c.compression < LF_MPI_COMPRESSION_NONE || c.compression > LF_MPI_COMPRESSION_ADAPTIVE)
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->compression %d is not an lf_mpi_compression_t value", c.compression);
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_COMPRESSION_LEVEL) c.level = p->compression_level;
  if (c.compression != LF_MPI_COMPRESSION_LZ4 && (c.level < 1 || c.level > 19))
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->compression_level %d is not 1..19", c.level);
  if (c.compression == LF_MPI_COMPRESSION_LZ4 && (c.level < 1 || c.level > 65537))
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->compression_level %d is not an lz4 acceleration 1..65537", c.level);
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_CIPHER) c.cipher = p->cipher;
  if (c.cipher < LF_MPI_CIPHER_NONE || c.cipher > LF_MPI_CIPHER_MAC_ONLY)
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->cipher %d is not an lf_mpi_cipher_t value", c.cipher);
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_KEY) {
    if (p->key == nullptr) fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->key is NULL");
    c.key = p->key;
  }
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_CHUNK_SIZE) c.chunk = p->chunk_size;
  if (c.chunk < (64u << 10) || c.chunk > (16u << 20) || (c.chunk & (c.chunk - 1)) != 0)
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->chunk_size %llu is not a power of two from 64 KiB to 16 MiB",
         static_cast<unsigned long long>(c.chunk));
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH) c.depth = p->pipeline_depth;
  if ((mask & LF_MPI_CHANNEL_PARAM_FIELD_PIPELINE_DEPTH) && (c.depth < 2 || c.depth > 64))
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->pipeline_depth %u is not 2..64", c.depth);
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_ADAPTIVE_MIN_GAIN) c.min_gain = p->adaptive_min_gain_percent;
  if (c.min_gain > 90) fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->adaptive_min_gain_percent %u is above 90", c.min_gain);
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_TRANSPORT) c.transport = p->transport;
  if (mask & LF_MPI_CHANNEL_PARAM_FIELD_FLAGS) c.flags = p->flags;
  if (c.flags & ~uint32_t{LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS})
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->flags has unknown bits 0x%x", c.flags & ~uint32_t{LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS});
  if (c.transport != 0 && c.transport != LF_TRANSPORT_MPI && c.transport != LF_TRANSPORT_SHARED_MEMORY)
    fail(LF_ERR_INVALID_ARGUMENT, "mpi_params->transport %d is not 0, LF_TRANSPORT_MPI or LF_TRANSPORT_SHARED_MEMORY", c.transport);
  return c;
}

// The largest message the ring that `params` describes holds (channel.h's rules).
uint64_t ring_max_message(const lf_channel_params_t *params) {
  uint64_t capacity = uint64_t{1} << 20, max = 0;
  if (params != nullptr && (params->field_mask & LF_CHANNEL_PARAM_FIELD_CAPACITY)) capacity = params->capacity;
  if (params != nullptr && (params->field_mask & LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE)) max = params->max_message_size;
  const uint64_t limit = capacity / 2 >= 16 ? capacity / 2 - 16 : 0;
  return max != 0 ? max : std::min<uint64_t>(256 << 10, limit);
}

}  // namespace

void Attachment::ProgressAnchor::note_caller() noexcept {
  if (note_callers.load(std::memory_order_relaxed)) caller_progress_ns.store(core::monotonic_ns(), std::memory_order_relaxed);
}

void Attachment::progress_trampoline(void *arg) {
  auto *anchor = static_cast<ProgressAnchor *>(arg);
  anchor->note_caller();
  std::unique_lock lock(anchor->engine, std::try_to_lock);
  if (!lock.owns_lock() || anchor->attachment == nullptr) return;  // (another thread is at it, or detached)
  anchor->attachment->progress_locked();
}

lf_status_t Attachment::direct_send_trampoline(void *arg, lf_channel_t *user_end, const void *data, size_t size) {
  auto *anchor = static_cast<ProgressAnchor *>(arg);
  std::unique_lock lock(anchor->engine, std::try_to_lock);
  if (!lock.owns_lock() || anchor->attachment == nullptr) return LF_WOULD_BLOCK;
  Attachment &self = *anchor->attachment;
  Link *link = self.link_for_call(user_end);
  if (link == nullptr || link->send_direct(self.hook_, data, size) != LF_OK) return LF_WOULD_BLOCK;
  self.full_pass_due_ = true;  // (its send completes, and credits come back, in a full pass)
  return LF_OK;
}

lf_status_t Attachment::direct_recv_trampoline(void *arg, lf_channel_t *user_end, void *buffer, size_t capacity,
                                               size_t *out_size) {
  return recv_shortcut(static_cast<ProgressAnchor *>(arg), user_end, buffer, capacity, out_size, false);
}

lf_status_t Attachment::waiting_recv_trampoline(void *arg, lf_channel_t *user_end, void *buffer, size_t capacity,
                                                size_t *out_size) {
  return recv_shortcut(static_cast<ProgressAnchor *>(arg), user_end, buffer, capacity, out_size, true);
}

lf_status_t Attachment::recv_shortcut(ProgressAnchor *anchor, lf_channel_t *user_end, void *buffer, size_t capacity,
                                      size_t *out_size, bool waiting) {
  {
    std::unique_lock lock(anchor->engine, std::try_to_lock);
    if (!lock.owns_lock() || anchor->attachment == nullptr) return LF_WOULD_BLOCK;
    Attachment &self = *anchor->attachment;
    Link *armed = self.link_for_call(user_end);
    if (armed == nullptr) {
      self.progress_locked();
      return LF_WOULD_BLOCK;
    }
    if (waiting) armed->arm_waiting(buffer, capacity);
    else armed->arm_direct(buffer, capacity);
    // The user polls in a loop. A poll after a message moved here (the frames and credits it
    // left behind), and every kFullPassEvery-th, moves every channel; the others move only the
    // user's own (one MPI test, which runs MPI's whole progress engine for the other channels'
    // sends and receives too), so that the wait notices its message sooner.
    if (self.full_pass_due_ || ++self.direct_polls_ % kFullPassEvery == 0) {
      self.full_pass_due_ = false;
      self.progress_locked(armed);
      armed = self.find_link(user_end);  // (the pass may have dropped finished links)
      if (armed == nullptr) return LF_WOULD_BLOCK;
    } else {
      armed->progress(self.hook_);
    }
    if (!waiting || !armed->caller_buffer_busy()) {
      if (!armed->disarm_direct(out_size)) return LF_WOULD_BLOCK;
      self.full_pass_due_ = true;
      return LF_OK;
    }
  }
  // A zero-copy message is arriving in `buffer`: the passes go on until it is complete, or
  // until nothing writes there any more after a failure (the user's call reports it).
  const bool still_attached = wait_while(anchor, user_end, [](Link &link) { return link.caller_buffer_busy(); });
  std::lock_guard lock(anchor->engine);
  Link *armed = still_attached && anchor->attachment != nullptr ? anchor->attachment->find_link(user_end) : nullptr;
  if (armed == nullptr || !armed->disarm_direct(out_size)) return LF_WOULD_BLOCK;
  anchor->attachment->full_pass_due_ = true;
  return LF_OK;
}

lf_status_t Attachment::waiting_send_trampoline(void *arg, lf_channel_t *user_end, const void *data, size_t size) {
  // A message that travels inline takes the shortcut that does not wait (a ping-pong's
  // path: one try of the lock, as any send's).
  if (size <= kInlineLimitMax) return direct_send_trampoline(arg, user_end, data, size);
  auto *anchor = static_cast<ProgressAnchor *>(arg);
  // (this call may wait: for the engine's lock too, so that the choice does not depend on
  // whether another thread's pass held it just then)
  {
    std::lock_guard lock(anchor->engine);
    if (anchor->attachment == nullptr) return LF_WOULD_BLOCK;
    Attachment &self = *anchor->attachment;
    Link *link = self.link_for_call(user_end);
    if (link == nullptr) return LF_WOULD_BLOCK;
    if (!link->zero_copy_candidate(size, self.hook_)) return LF_WOULD_BLOCK;  // (the ring takes it)
  }
  // A large message: the ones before it leave first (their sends complete), then its own
  // chunks go straight from `data`, and the call returns when MPI is done with them. A
  // failure meanwhile is the channel's verdict, which the user's call reports once this
  // declines.
  if (!wait_while(anchor, user_end, [](Link &link) { return link.sends_queued(); })) return LF_WOULD_BLOCK;
  {
    std::lock_guard lock(anchor->engine);
    Attachment *self = anchor->attachment;
    Link *link = self != nullptr ? self->link_for_call(user_end) : nullptr;
    if (link == nullptr || link->send_from_caller(self->hook_, data, size) != LF_OK) return LF_WOULD_BLOCK;
    self->full_pass_due_ = true;
  }
  if (!wait_while(anchor, user_end, [](Link &link) { return link.caller_buffer_busy(); })) return LF_WOULD_BLOCK;
  std::lock_guard lock(anchor->engine);
  Link *link = anchor->attachment != nullptr ? anchor->attachment->find_link(user_end) : nullptr;
  return link != nullptr && !link->failed() ? LF_OK : LF_WOULD_BLOCK;
}

template <typename Busy>
bool Attachment::wait_while(ProgressAnchor *anchor, const lf_channel_t *user_end, Busy busy) {
  for (;;) {
    anchor->note_caller();  // (a progress thread stands aside meanwhile)
    std::unique_lock lock(anchor->engine, std::try_to_lock);
    if (!lock.owns_lock()) {
      sched_yield();
      continue;
    }
    if (anchor->attachment == nullptr) return false;
    Attachment &self = *anchor->attachment;
    Link *link = self.link_for_call(user_end);
    if (link == nullptr) return false;
    if (!busy(*link)) return true;
    self.progress_locked(link);
  }
}

Link *Attachment::link_for_call(const lf_channel_t *user_end) {
  if (engine_stuck_after_death_ && stuck_now()) return nullptr;
  return find_link(user_end);
}

Link *Attachment::find_link(const lf_channel_t *user_end) const noexcept {
  for (const auto &link : links_)
    if (link->user_end == user_end) return link.get();
  return nullptr;
}

Attachment::ProgressAnchor *Attachment::new_anchor() {
  // Kept for the life of the process (user ends may outlive the attachment), reachable here.
  static std::mutex mutex;
  static std::vector<std::unique_ptr<ProgressAnchor>> anchors;
  std::lock_guard lock(mutex);
  anchors.push_back(std::make_unique<ProgressAnchor>());
  return anchors.back().get();
}

namespace {

// A rank that survives its peer must get LF_ERR_PEER_DEAD, not die: Open MPI's TCP transport
// writes to a dead peer's socket from its progress engine (ob1 finishing a rendezvous), and
// SIGPIPE's default action would end this process. Like gRPC, lavaflow ignores SIGPIPE then —
// only where the program left it at the default (its own handler or choice stays).
void ignore_sigpipe_if_default() {
  static std::mutex mutex;  // (two attaches at once: one reads and sets)
  std::lock_guard lock(mutex);
  struct sigaction current = {};
  if (sigaction(SIGPIPE, nullptr, &current) != 0 || (current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL)
    return;
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

}  // namespace

Attachment::Attachment(lf_context_t *context, MPI_Comm comm, const lf_mpi_params_t *params)
    : anchor_(new_anchor()), engine_lock_(anchor_->engine) {
  {
    std::lock_guard lock(engine_lock_);
    anchor_->attachment = this;
  }
  int32_t progress = LF_MPI_PROGRESS_AUTO;
  uint32_t flags = 0;
  int64_t workers_asked = -1;
  if (params != nullptr) {
    const uint64_t known = LF_MPI_PARAM_FIELD_PROGRESS | LF_MPI_PARAM_FIELD_PEER_TIMEOUT | LF_MPI_PARAM_FIELD_FLAGS |
                           LF_MPI_PARAM_FIELD_WORKER_THREADS;
    if (params->field_mask & ~known)
      fail(LF_ERR_INVALID_ARGUMENT, "params->field_mask has unknown bits 0x%llx", static_cast<unsigned long long>(params->field_mask & ~known));
    if (params->field_mask & LF_MPI_PARAM_FIELD_PROGRESS) progress = params->progress;
    if (params->field_mask & LF_MPI_PARAM_FIELD_PEER_TIMEOUT) peer_timeout_ms_ = params->peer_timeout_ms;
    if (params->field_mask & LF_MPI_PARAM_FIELD_FLAGS) flags = params->flags;
    if (params->field_mask & LF_MPI_PARAM_FIELD_WORKER_THREADS) {
      if (params->worker_threads > WorkerPool::kMaxThreads)
        fail(LF_ERR_INVALID_ARGUMENT, "params->worker_threads %u is above %u", params->worker_threads, WorkerPool::kMaxThreads);
      workers_asked = params->worker_threads;
    }
  }
  if (progress < LF_MPI_PROGRESS_AUTO || progress > LF_MPI_PROGRESS_CALLER)
    fail(LF_ERR_INVALID_ARGUMENT, "params->progress %d is not an lf_mpi_progress_mode_t value", progress);
  if (flags & ~uint32_t{LF_MPI_FLAG_INIT_MPI}) fail(LF_ERR_INVALID_ARGUMENT, "params->flags has unknown bits 0x%x", flags);
  peer_timeout_ms_ = env_int("LAVAFLOW_MPI_PEER_TIMEOUT_MS", peer_timeout_ms_);
  direct_ = env_int("LAVAFLOW_MPI_DIRECT", 1) != 0;
  if (const char *mode = core::env_value("LAVAFLOW_MPI_PROGRESS")) {
    if (std::strcmp(mode, "thread") == 0) progress = LF_MPI_PROGRESS_THREAD;
    else if (std::strcmp(mode, "caller") == 0) progress = LF_MPI_PROGRESS_CALLER;
    else if (std::strcmp(mode, "auto") != 0) fail(LF_ERR_INVALID_ARGUMENT, "LAVAFLOW_MPI_PROGRESS=%s is not auto, thread or caller", mode);
  }

  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) fail(LF_ERR_INVALID_STATE, "MPI was already finalized");
  if (!initialized) {
    if (!(flags & LF_MPI_FLAG_INIT_MPI))
      fail(LF_ERR_INVALID_STATE, "MPI is not initialised: call MPI_Init_thread first, or pass LF_MPI_FLAG_INIT_MPI");
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
    finalize_mpi_ = true;
  }
  if (comm == MPI_COMM_NULL) fail(LF_ERR_INVALID_ARGUMENT, "comm is MPI_COMM_NULL");
  MPI_Query_thread(&thread_level_);
  if (progress == LF_MPI_PROGRESS_AUTO)
    progress = thread_level_ == MPI_THREAD_MULTIPLE ? LF_MPI_PROGRESS_THREAD : LF_MPI_PROGRESS_CALLER;
  if (progress == LF_MPI_PROGRESS_THREAD && thread_level_ != MPI_THREAD_MULTIPLE)
    fail(LF_ERR_UNSUPPORTED, "a progress thread needs MPI_THREAD_MULTIPLE; MPI provides level %d: use caller progress",
         thread_level_);
  progress_mode_ = progress;

  ignore_sigpipe_if_default();
  check_mpi(MPI_Comm_dup(comm, &comm_), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  int *tag_ub = nullptr, found = 0;
  MPI_Comm_get_attr(comm_, MPI_TAG_UB, &tag_ub, &found);
  if (found && tag_ub != nullptr) tag_ub_ = *tag_ub;
  check_lf(lf_extension_share_context(context, &context_), "context");
  exchange_identities();
  workers_ = std::make_unique<WorkerPool>(worker_count(workers_asked));

  if (progress_mode_ == LF_MPI_PROGRESS_THREAD) {
    anchor_->note_callers.store(true, std::memory_order_relaxed);
    progress_thread_ = std::thread([this] { run_progress_thread(); });
  }
  watcher_ = std::thread([this] { run_watcher(); });
}

void Attachment::signal_stop() {
  stopping_.store(true);  // (before the engine's lock: it also ends a pass stuck by LAVAFLOW_FAULT_INJECT)
  watcher_wake_.notify_all();
}

bool Attachment::stop() {
  signal_stop();
  // A pass that never ends holds the engine's lock for good; one that is slow still ends
  // passes now and then (the count moves).
  StillnessClock engine;
  while (!engine_lock_.try_lock()) {
    if (peer_timeout_ms_ >= 0 &&
        engine.still_for(passes_.get(), core::monotonic_ms()) > std::max(peer_timeout_ms_, int32_t{1000}))
      return false;
    usleep(1000);
  }
  engine_lock_.unlock();
  return true;
}

Attachment::~Attachment() {
  signal_stop();
  {
    std::lock_guard lock(engine_lock_);
    anchor_->attachment = nullptr;
  }
  if (progress_thread_.joinable()) progress_thread_.join();
  if (watcher_.joinable()) watcher_.join();
  // Let closing channels finish their exchange (a peer may still be taking our frames).
  const int64_t deadline = core::monotonic_ms() + kDetachFlushMs;
  auto unfinished = [this] {
    std::lock_guard lock(engine_lock_);
    return std::any_of(links_.begin(), links_.end(), [](const auto &link) { return !link->finished(); });
  };
  while (unfinished() && core::monotonic_ms() < deadline) {
    if (!progress()) usleep(100);
  }
  {
    std::lock_guard lock(engine_lock_);
    for (auto &link : links_) {
      if (!link->finished()) link->abandon(LF_ERR_CLOSED, "the MPI attachment was detached while the channel was open");
      // MPI may still read the buffers of sends that never completed (the peer stopped
      // taking them): those links are kept, never freed, rather than risk that.
      if (link->sends_in_flight()) static_cast<void>(link.release());
    }
    std::lock_guard list_lock(links_mutex_);
    links_.clear();
  }
  workers_.reset();  // (after the links: a leaked link's last job may still be queued)
  MPI_Comm_free(&comm_);
  if (finalize_mpi_) MPI_Finalize();
  lf_context_destroy(context_);
}

void Attachment::exchange_identities() {
  lf_identity_t *me = nullptr;
  check_lf(lf_identity_create(context_, nullptr, &me), "lf_identity_create");
  std::unique_ptr<lf_identity_t, decltype(&lf_identity_destroy)> me_guard(me, lf_identity_destroy);
  size_t blob_size = 0;
  lf_identity_serialize(me, nullptr, 0, &blob_size);
  std::vector<uint8_t> blob(blob_size);
  check_lf(lf_identity_serialize(me, blob.data(), blob.size(), &blob_size), "lf_identity_serialize");
  // One fixed record per rank (blob size, rank 0's job nonce) and then the blobs.
  uint64_t nonce = 0;
  if (rank_ == 0) {
    Salt random{};
    random_salt(random);
    std::memcpy(&nonce, random.data(), sizeof nonce);
  }
  uint64_t mine[2] = {blob_size, nonce};
  std::vector<uint64_t> records(2 * static_cast<size_t>(size_));
  check_mpi(MPI_Allgather(mine, 2, MPI_UINT64_T, records.data(), 2, MPI_UINT64_T, comm_), "MPI_Allgather (identity sizes)");
  job_nonce_ = records[1];
  std::vector<int> counts(size_), displacements(size_);
  int total = 0;
  for (int r = 0; r < size_; ++r) {
    counts[r] = static_cast<int>(records[2 * r]);
    displacements[r] = total;
    total += counts[r];
  }
  std::vector<uint8_t> blobs(static_cast<size_t>(total));
  check_mpi(MPI_Allgatherv(blob.data(), static_cast<int>(blob_size), MPI_BYTE, blobs.data(), counts.data(),
                           displacements.data(), MPI_BYTE, comm_),
            "MPI_Allgatherv (identities)");
  lf_identity_info_t my_info{};
  my_info.struct_size = sizeof my_info;
  lf_identity_get_info(me, &my_info);
  peers_.resize(static_cast<size_t>(size_));
  for (int r = 0; r < size_; ++r) {
    PeerInfo &peer = peers_[static_cast<size_t>(r)];
    lf_identity_t *other = nullptr;
    if (lf_identity_create_from_blob(context_, blobs.data() + displacements[r], static_cast<size_t>(counts[r]), &other) != LF_OK) {
      peer.scope.level = LF_SCOPE_REMOTE;
      peer.reason = core::format_text("rank %d: its identity did not validate (%s): treated as remote", r, lf_last_error_message());
      continue;
    }
    lf_scope_t *scope = nullptr;
    if (r == rank_) {
      peer.scope.level = LF_SCOPE_PROCESS;
      peer.reason = "this rank itself";
    } else if (lf_scope_create(context_, me, other, &scope) == LF_OK) {
      peer.scope.struct_size = sizeof peer.scope;
      lf_scope_get_info(scope, &peer.scope);
      const char *text = nullptr;
      lf_scope_get_reason(scope, &text);
      const bool shared = peer.scope.level <= LF_SCOPE_HOST;
      peer.reason = core::format_text("rank %d: %s -> %s", r, text != nullptr ? text : "",
                                      shared ? "channels use a shared-memory ring" : "channels use MPI");
      lf_scope_destroy(scope);
    }
    lf_identity_info_t info{};
    info.struct_size = sizeof info;
    lf_identity_get_info(other, &info);
    peer.pid = info.pid;
    peer.start_time_ticks = info.start_time_ticks;
    peer.same_kernel_pid_namespace = r != rank_ && (info.flags & my_info.flags & LF_IDENTITY_KNOWN_BOOT_ID) &&
                                     std::memcmp(info.boot_id, my_info.boot_id, 16) == 0 &&
                                     (info.flags & my_info.flags & LF_IDENTITY_KNOWN_NAMESPACES) &&
                                     info.pid_namespace == my_info.pid_namespace &&
                                     (info.flags & LF_IDENTITY_KNOWN_START_TIME);
    lf_identity_destroy(other);
  }
}

uint32_t Attachment::worker_count(int64_t asked) const {
  if (const char *text = core::env_value("LAVAFLOW_MPI_WORKERS")) {
    const int32_t value = env_int("LAVAFLOW_MPI_WORKERS", 0);
    if (value < 0 || static_cast<uint32_t>(value) > WorkerPool::kMaxThreads)
      fail(LF_ERR_INVALID_ARGUMENT, "LAVAFLOW_MPI_WORKERS=%s is not 0..%u", text, WorkerPool::kMaxThreads);
    return static_cast<uint32_t>(value);
  }
  if (asked >= 0) return static_cast<uint32_t>(asked);
  // The cores left to this rank once every rank of its host has one.
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  const int cores = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  const long local = std::max<long>(1, local_ranks());
  constexpr long kAutoMax = 4;
  return static_cast<uint32_t>(std::clamp<long>(cores / local - 1, 0, kAutoMax));
}

int32_t Attachment::local_ranks() const {
  return static_cast<int32_t>(
      std::count_if(peers_.begin(), peers_.end(), [](const PeerInfo &p) { return p.scope.level <= LF_SCOPE_HOST; }));
}

const PeerInfo &Attachment::peer(int32_t rank) const {
  if (rank < 0 || rank >= size_) fail(LF_ERR_INVALID_ARGUMENT, "rank %d is not 0..%d", rank, size_ - 1);
  return peers_[static_cast<size_t>(rank)];
}

void Attachment::info(lf_mpi_info_t &out) const {
  out.rank = rank_;
  out.size = size_;
  out.thread_level = thread_level_;
  out.progress = progress_mode_;
  out.worker_threads = workers_->threads();
  out.local_ranks = local_ranks();
  std::lock_guard lock(engine_lock_);
  out.channels = static_cast<uint32_t>(
      std::count_if(links_.begin(), links_.end(), [](const auto &link) { return !link->finished(); }));
}

lf_channel_t *Attachment::open_channel(int32_t peer_rank, uint32_t channel_id, int32_t role,
                                       const lf_channel_params_t *channel_params, const lf_mpi_channel_params_t *mpi_params) {
  const PeerInfo &p = peer(peer_rank);
  if (peer_rank == rank_) fail(LF_ERR_INVALID_ARGUMENT, "peer_rank %d is this rank: use lf_channel_create for threads", peer_rank);
  if (role != LF_CHANNEL_CONSUMER && role != LF_CHANNEL_PRODUCER) fail(LF_ERR_INVALID_ARGUMENT, "role %d is not an lf_channel_role_t value", role);
  if (channel_params != nullptr && (channel_params->field_mask & LF_CHANNEL_PARAM_FIELD_MAX_PRODUCERS) &&
      channel_params->max_producers != 1)
    fail(LF_ERR_INVALID_ARGUMENT, "channels between ranks have one producer: max_producers must be 1");
  if (static_cast<int64_t>(channel_id) * kTagsPerChannel + kTagsPerChannel - 1 > tag_ub_)
    fail(LF_ERR_INVALID_ARGUMENT, "channel_id %u is above %d, the most this MPI's tag range allows", channel_id,
         tag_ub_ / kTagsPerChannel - 1);
  const ChannelChoice choice = channel_choice(mpi_params);
  const bool can_share = p.scope.level <= LF_SCOPE_HOST;
  if (choice.transport == LF_TRANSPORT_SHARED_MEMORY && !can_share)
    fail(LF_ERR_UNSUPPORTED, "shared memory was required, but %s", p.reason.c_str());
  if (can_share && choice.transport != LF_TRANSPORT_MPI) return open_shared_memory(peer_rank, channel_id, role, channel_params);
  return open_over_mpi(peer_rank, p, channel_id, role, channel_params, choice);
}

lf_channel_t *Attachment::open_shared_memory(int32_t peer_rank, uint32_t channel_id, int32_t role,
                                             const lf_channel_params_t *params) {
  const int32_t producer = role == LF_CHANNEL_PRODUCER ? rank_ : peer_rank;
  const int32_t consumer = role == LF_CHANNEL_PRODUCER ? peer_rank : rank_;
  const std::string name = core::format_text("lfmpi-%016llx-%d-%d-%u", static_cast<unsigned long long>(job_nonce_),
                                             producer, consumer, channel_id);
  lf_channel_params_t mine = params != nullptr ? *params : lf_channel_params_t{};
  mine.field_mask |= LF_CHANNEL_PARAM_FIELD_ROLE;
  mine.role = role;
  lf_channel_t *channel = nullptr;
  if (role == LF_CHANNEL_CONSUMER) {
    check_lf(lf_channel_create(context_, name.c_str(), &mine, &channel), "lf_channel_create");
    // As over MPI, the call returns once the peer's end is there.
    int32_t timeout_ms = kDefaultOpenTimeoutMs;
    if (params != nullptr && (params->field_mask & LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT)) timeout_ms = params->connect_timeout_ms;
    const int64_t deadline = timeout_ms < 0 ? INT64_MAX : core::monotonic_ms() + timeout_ms;
    for (;;) {
      lf_channel_info_t info{};
      info.struct_size = sizeof info;
      lf_channel_get_info(channel, &info);
      if (info.transport != LF_TRANSPORT_NONE) break;
      if (core::monotonic_ms() >= deadline) {
        lf_channel_destroy(channel);
        fail(LF_TIMEOUT, "rank %d did not open channel %u within %d ms", peer_rank, channel_id, timeout_ms);
      }
      usleep(200);
    }
  } else {
    if (!(mine.field_mask & LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT)) {
      mine.field_mask |= LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT;
      mine.connect_timeout_ms = kDefaultOpenTimeoutMs;
    }
    check_lf(lf_channel_open(context_, name.c_str(), &mine, &channel), "lf_channel_open");
  }
  return channel;
}

lf_channel_t *Attachment::open_over_mpi(int32_t peer_rank, const PeerInfo &p, uint32_t channel_id, int32_t role,
                                        const lf_channel_params_t *channel_params, const ChannelChoice &choice) {
  std::string why;
  if (!codec_available(choice.compression))
    fail(LF_ERR_UNSUPPORTED, "compression %s: this build lacks its library (liblz4-dev / libzstd-dev)",
         lf_mpi_compression_name(choice.compression));
  if (!cipher_available(choice.cipher, why)) fail(LF_ERR_UNSUPPORTED, "cipher %s: %s", lf_mpi_cipher_name(choice.cipher), why.c_str());
  Key master{};
  if (choice.cipher != LF_MPI_CIPHER_NONE) master = load_master_key(choice.key);
  {
    std::lock_guard lock(engine_lock_);
    for (const auto &link : links_)
      if (!link->finished() && link->config().peer == peer_rank && link->config().channel_id == channel_id)
        fail(LF_ERR_BUSY, "channel %u to rank %d is open already", channel_id, peer_rank);
  }

  Hello mine;
  mine.role = role;
  mine.channel_id = channel_id;
  mine.cipher = choice.cipher;
  mine.compression = choice.compression;
  mine.pipeline_depth = choice.depth != 0 ? choice.depth : kDefaultPipelineDepth;
  mine.flags = (progress_mode_ == LF_MPI_PROGRESS_THREAD ? kHelloProgressThread : 0) | kHelloShortFrames;
  mine.chunk_size = choice.chunk;
  mine.max_message = ring_max_message(channel_params);
  random_salt(mine.salt);
  uint8_t out[kHelloBytes], in[kHelloBytes];
  encode_hello(mine, out);
  int32_t timeout_ms = kDefaultOpenTimeoutMs;
  if (channel_params != nullptr && (channel_params->field_mask & LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT))
    timeout_ms = channel_params->connect_timeout_ms;
  const int tag = tag_of(channel_id, kTagHello);
  MPI_Request requests[2];
  MPI_Status statuses[2];
  {
    std::lock_guard lock(engine_lock_);  // (below MPI_THREAD_MULTIPLE, one thread calls MPI at a time)
    check_mpi(MPI_Isend(out, kHelloBytes, MPI_BYTE, peer_rank, tag, comm_, &requests[0]), "MPI_Isend (hello)");
    check_mpi(MPI_Irecv(in, kHelloBytes, MPI_BYTE, peer_rank, tag, comm_, &requests[1]), "MPI_Irecv (hello)");
  }
  const int64_t deadline = timeout_ms < 0 ? INT64_MAX : core::monotonic_ms() + timeout_ms;
  for (;;) {
    int done = 0;
    {
      std::lock_guard lock(engine_lock_);
      MPI_Testall(2, requests, &done, statuses);
    }
    if (done) break;
    if (core::monotonic_ms() >= deadline) {
      std::lock_guard lock(engine_lock_);
      for (auto &request : requests) {
        MPI_Cancel(&request);
        MPI_Request_free(&request);
      }
      fail(LF_TIMEOUT, "rank %d did not open channel %u within %d ms", peer_rank, channel_id, timeout_ms);
    }
    if (progress_mode_ == LF_MPI_PROGRESS_CALLER) progress();  // the peer may wait on another channel meanwhile
    else usleep(100);
  }
  int count = 0;
  MPI_Get_count(&statuses[1], MPI_BYTE, &count);
  Hello theirs;
  const char *problem = nullptr;
  if (lf_status_t status = decode_hello(in, static_cast<size_t>(count), theirs, &problem); status != LF_OK)
    fail(status, "rank %d: %s", peer_rank, problem);
  if (theirs.channel_id != channel_id) fail(LF_ERR_PROTOCOL, "rank %d answered for channel %u, not %u", peer_rank, theirs.channel_id, channel_id);
  if (theirs.role == role)
    fail(LF_ERR_PROTOCOL, "rank %d also opened channel %u as the %s", peer_rank, channel_id,
         role == LF_CHANNEL_PRODUCER ? "producer" : "consumer");
  if (theirs.cipher != choice.cipher)
    fail(LF_ERR_PROTOCOL, "rank %d asked for cipher %s on channel %u, this rank for %s", peer_rank,
         lf_mpi_cipher_name(theirs.cipher), channel_id, lf_mpi_cipher_name(choice.cipher));
  const bool producing = role == LF_CHANNEL_PRODUCER;
  const Hello &consumer = producing ? theirs : mine;
  const Hello &producer = producing ? mine : theirs;
  if (consumer.chunk_size < (64u << 10) || consumer.chunk_size > (16u << 20) || consumer.pipeline_depth < 2 ||
      consumer.pipeline_depth > 64)
    fail(LF_ERR_PROTOCOL, "rank %d sent a chunk size or pipeline depth out of range", peer_rank);

  LinkConfig config;
  config.comm = comm_;
  config.peer = peer_rank;
  config.channel_id = channel_id;
  config.chunk_size = consumer.chunk_size;
  config.depth = consumer.pipeline_depth;
  config.max_message = consumer.max_message;
  config.compression = producer.compression;
  config.compression_level = choice.level;
  config.min_gain_percent = choice.min_gain;
  config.cipher = choice.cipher;
  config.zero_copy_sends = !(choice.flags & LF_MPI_CHANNEL_FLAG_BUFFERED_SENDS);
  config.short_frames = (theirs.flags & kHelloShortFrames) != 0 && choice.cipher == LF_MPI_CIPHER_NONE &&
                        producer.compression == LF_MPI_COMPRESSION_NONE;
  config.send_heartbeats = progress_mode_ == LF_MPI_PROGRESS_THREAD;
  config.expect_heartbeats = theirs.flags & kHelloProgressThread;
  config.workers = workers_.get();
  std::unique_ptr<Sealer> sealer;
  if (choice.cipher != LF_MPI_CIPHER_NONE)
    sealer = std::make_unique<Sealer>(choice.cipher, master, channel_id, producing ? rank_ : peer_rank,
                                      producing ? peer_rank : rank_, producer.salt, consumer.salt);

  // The producer's ring never takes a message the consumer's could not.
  lf_channel_params_t ring = channel_params != nullptr ? *channel_params : lf_channel_params_t{};
  ring.field_mask &= ~uint64_t{LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT};
  if (producing && consumer.max_message < mine.max_message) {
    ring.field_mask |= LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE;
    ring.max_message_size = consumer.max_message;
  }
  const std::string reason = core::format_text(
      "mpi to rank %d (%s; cipher %s, compression %s, %llu-byte chunks, %u in flight, %s progress)", peer_rank,
      p.reason.c_str(), lf_mpi_cipher_name(choice.cipher), lf_mpi_compression_name(config.compression),
      static_cast<unsigned long long>(config.chunk_size), config.depth,
      progress_mode_ == LF_MPI_PROGRESS_THREAD ? "thread" : "caller");
  lf_bridge_params_t bridge = {};
  bridge.field_mask = LF_BRIDGE_PARAM_FIELD_USER_ROLE | LF_BRIDGE_PARAM_FIELD_TRANSPORT | LF_BRIDGE_PARAM_FIELD_SCOPE |
                      LF_BRIDGE_PARAM_FIELD_REASON;
  bridge.user_role = role;
  bridge.transport = LF_TRANSPORT_MPI;
  bridge.scope = std::max<int32_t>(p.scope.level, LF_SCOPE_ISOLATED);
  bridge.reason = reason.c_str();
  // The user's calls move data too: all of it with caller progress; with a progress thread,
  // while they spin (a waiting rank answers at once instead of at the thread's next turn).
  bridge.field_mask |= LF_BRIDGE_PARAM_FIELD_PROGRESS;
  bridge.progress = &Attachment::progress_trampoline;
  bridge.progress_arg = anchor_;
  if (progress_mode_ == LF_MPI_PROGRESS_THREAD) {
    bridge.field_mask |= LF_BRIDGE_PARAM_FIELD_FLAGS;
    bridge.flags = LF_BRIDGE_FLAG_PROGRESS_HELPS;
  }
  // A small message skips the rings when nothing is queued: sent from the user's buffer,
  // delivered into it (receiving only with caller progress: the user's end polls then).
  if (direct_) {
    bridge.field_mask |= LF_BRIDGE_PARAM_FIELD_DIRECT;
    bridge.direct_send = &Attachment::direct_send_trampoline;
    if (progress_mode_ == LF_MPI_PROGRESS_CALLER) bridge.direct_recv = &Attachment::direct_recv_trampoline;
    bridge.direct_arg = anchor_;
    // A call that waits as long as it takes moves a large message zero-copy (channels
    // without codec or cipher: the links decide).
    bridge.field_mask |= LF_BRIDGE_PARAM_FIELD_WAITING;
    bridge.waiting_send = &Attachment::waiting_send_trampoline;
    if (progress_mode_ == LF_MPI_PROGRESS_CALLER) bridge.waiting_recv = &Attachment::waiting_recv_trampoline;
  }
  lf_channel_t *user = nullptr, *addon = nullptr;
  check_lf(lf_bridge_create(context_, &ring, &bridge, &user, &addon), "lf_bridge_create");
  std::unique_ptr<Link> link = producing ? make_sender(config, addon, std::move(sealer))
                                         : make_receiver(config, addon, std::move(sealer));
  link->user_end = user;
  std::lock_guard lock(engine_lock_);
  std::lock_guard list_lock(links_mutex_);
  links_.push_back(std::move(link));
  return user;
}

bool Attachment::stats(const lf_channel_t *channel, lf_mpi_channel_stats_t &out) const {
  std::lock_guard lock(engine_lock_);
  for (const auto &link : links_) {
    if (link->user_end != channel) continue;
    const LinkStats &s = link->stats();
    out.cipher = link->config().cipher;
    out.compression = link->config().compression;
    out.peer_rank = link->config().peer;
    out.messages = s.messages.get();
    out.payload_bytes = s.payload_bytes.get();
    out.wire_bytes = s.wire_bytes.get();
    out.frames = s.frames.get();
    out.compressed_chunks = s.compressed_chunks.load();
    out.raw_chunks = s.raw_chunks.load();
    out.auth_failures = s.auth_failures.get();
    out.credit_stalls = s.credit_stalls.get();
    out.worker_chunks = s.worker_chunks.get();
    out.chunk_size = link->config().chunk_size;
    out.pipeline_depth = link->config().depth;
    out.zero_copy_messages = s.zero_copy_messages.get();
    return true;
  }
  return false;
}

bool Attachment::progress() {
  std::unique_lock lock(engine_lock_, std::try_to_lock);
  return lock.owns_lock() && progress_locked();
}

bool Attachment::progress_locked(Link *last) {
  if (engine_stuck_after_death_ && stuck_now()) return false;
  bool moved = false;
  size_t finished = 0;
  // Senders first: a message the user just committed goes out before any receive is tested.
  for (const bool senders : {true, false})
    for (auto &link : links_) {
      if (link->is_sender() != senders || link.get() == last) continue;
      moved |= link->progress(hook_);
      finished += link->finished();
    }
  if (last != nullptr) {  // (the waiting user's: what it finds goes to the user with nothing after it)
    moved |= last->progress(hook_);
    finished += last->finished();
  }
  // Nothing moved: the chunks queued for the workers are what everything waits for.
  if (!moved && workers_->help(helper_contexts_)) moved = true;
  // Finished links stay a while for lf_mpi_channel_get_stats; the oldest go beyond that.
  constexpr size_t kKeptFinished = 64;
  passes_.add(1);
  if (finished <= kKeptFinished) return moved;
  std::lock_guard list_lock(links_mutex_);
  for (auto it = links_.begin(); finished > kKeptFinished && it != links_.end();) {
    if ((*it)->finished()) {
      it = links_.erase(it);
      --finished;
    } else {
      ++it;
    }
  }
  return moved;
}

namespace {
thread_local bool t_on_progress_thread = false;  // (an attachment's progress thread)
}  // namespace

bool Attachment::stuck_now() {
  if (stopping_.load() || std::none_of(links_.begin(), links_.end(), [](const auto &link) {
        return link->peer_dead.load() && !link->finished();
      }))
    return false;
  // The progress thread stays inside this pass, holding the engine's lock, until detach (as
  // one inside MPI that never returns would, without the end); a user's pass does nothing.
  if (t_on_progress_thread)
    while (!stopping_.load() || engine_stuck_for_good_) usleep(1000);
  return true;
}

void Attachment::set_wire_hook(lf_mpi_wire_hook_fn fn, void *user_data) {
  std::lock_guard lock(engine_lock_);
  hook_ = WireHook{fn, user_data};
}

void Attachment::run_progress_thread() {
  t_on_progress_thread = true;
  uint32_t idle = 0;
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (progress()) {
      idle = 0;
      continue;
    }
    ++idle;
    // While the application's own calls are moving the data (they spin in a wait), stay out
    // of their way: on a busy machine this thread would take their core.
    const int64_t since_caller = core::monotonic_ns() - anchor_->caller_progress_ns.load(std::memory_order_relaxed);
    if (since_caller < kCallerActiveNs) {
      usleep(50);
      idle = 0;
      continue;
    }
    // Busy right after traffic (a reply is likely on its way), then gentler: the thread must
    // not take a core from the application when nothing flows.
    if (idle < 2000) sched_yield();
    else usleep(idle < 20000 ? 20 : 200);
  }
}

void Attachment::run_watcher() {
  // Peers on this kernel and in this pid namespace are watched through pidfds.
  std::vector<int> pidfds(static_cast<size_t>(size_), -1);
  for (int r = 0; r < size_; ++r) {
    const PeerInfo &p = peers_[static_cast<size_t>(r)];
    if (!p.same_kernel_pid_namespace) continue;
    const long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(p.pid), 0u);
    uint64_t start = 0;  // (read after opening the pidfd: a reused pid shows another start time)
    if (fd >= 0 && topo::read_start_time_ticks(p.pid, start) && start == p.start_time_ticks)
      pidfds[static_cast<size_t>(r)] = static_cast<int>(fd);
    else if (fd >= 0) close(static_cast<int>(fd));
  }
  std::vector<std::string> dead(static_cast<size_t>(size_));
  std::unique_lock wait_lock(watcher_mutex_);
  while (!stopping_.load()) {
    watcher_wake_.wait_for(wait_lock, std::chrono::milliseconds(kWatchPeriodMs));
    for (int r = 0; r < size_; ++r) {
      int &fd = pidfds[static_cast<size_t>(r)];
      if (fd < 0) continue;
      pollfd item{fd, POLLIN, 0};
      if (poll(&item, 1, 0) == 1) {
        dead[static_cast<size_t>(r)] = core::format_text("rank %d died (its process, pid %u, exited)", r, peers_[static_cast<size_t>(r)].pid);
        close(fd);
        fd = -1;
      }
    }
    const int64_t now = core::monotonic_ms();
    const uint64_t passes = passes_.get();
    std::lock_guard lock(links_mutex_);  // (not the engine's: a pass may be stuck inside MPI)
    for (auto &link : links_) {
      if (link->finished()) continue;
      link->heartbeat_due.store(true, std::memory_order_relaxed);
      const std::string &death = dead[static_cast<size_t>(link->config().peer)];
      std::string why = death;
      const uint64_t heard = link->heard.get();
      if (heard != link->watcher_seen || link->watcher_since_ms == 0) {
        link->watcher_seen = heard;
        link->watcher_since_ms = now;
      } else if (why.empty() && link->config().expect_heartbeats && peer_timeout_ms_ >= 0 &&
                 now - link->watcher_since_ms > peer_timeout_ms_) {
        // (with how far this channel had come: a silence after its last frame reads differently)
        why = core::format_text("rank %d is presumed dead: nothing heard from it for %d ms (%llu frames of channel %u %s)",
                                link->config().peer, peer_timeout_ms_,
                                static_cast<unsigned long long>(link->stats().frames.get()), link->config().channel_id,
                                link->is_sender() ? "sent" : "received");
      }
      if (!why.empty() && !link->peer_dead.load()) {
        link->peer_dead_reason = why;
        link->peer_dead.store(true, std::memory_order_release);
      }
      // A running engine reports the death itself. One where no pass ended for
      // kStuckEngineMs since is stuck (inside MPI, whose TCP progress can spin for good
      // after a peer's reset) or nobody drives it: the user's end learns of the death from
      // here, and the engine abandons the link when it can.
      if (link->peer_dead.load() && !link->watcher_raised &&
          link->watcher_engine_still.still_for(passes, now) >= kStuckEngineMs) {
        link->raise_peer_dead();
        link->watcher_raised = true;
      }
    }
  }
  for (int fd : pidfds)
    if (fd >= 0) close(fd);
}

}  // namespace lavaflow::mpi

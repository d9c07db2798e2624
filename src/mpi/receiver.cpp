// The consuming rank's side of a channel over MPI: keeps `depth` frame receives posted,
// checks every frame (sequence, lengths, tag) before anything of it is delivered, receives
// separate payloads straight into the bridge's ring (or into staging when compressed) —
// several messages at once, in ring room reserved ahead — opens and decodes the chunks (large
// ones on the attachment's workers, several at once), commits them in order, each message
// when its last chunk is in, and
// returns credits, half the window at a time, as frames are taken. After a rejected frame,
// or when the user closed, it tells the sender and keeps draining (discarding) until the
// sender's close, so that no send is left hanging.
#include "core/strings.hpp"
#include "mpi/fixed_queue.hpp"
#include "mpi/frame_checker.hpp"
#include "mpi/link.hpp"
#include "mpi/page_buffer.hpp"

#include <lavaflow/extension.h>

#include <cstring>

namespace lavaflow::mpi {

namespace {

struct FrameBuffer {
  PageBuffer bytes;
  MPI_Request request = MPI_REQUEST_NULL;  // its posted receive
  bool arrived = false;  // received, not yet handled (the ring was full)
  int count = 0;
};

class Receiver;

// A chunk whose payload is on its way (or an inline frame queued behind such chunks: its
// payload copied to staging, its request null), then opened and decoded by its job — on a
// worker or on this thread — and committed in order. One per frame that may be pending;
// taken round-robin, so a slot is free again by the time its turn comes back.
struct PendingChunk : Job {
  Receiver *owner = nullptr;
  std::vector<uint8_t> staging;
  FrameHeader header;
  uint8_t prefix[kFramePrefix];
  uint8_t *destination = nullptr;  // where the decoded chunk goes in the ring (null: discard)
  uint8_t *landing = nullptr;      // where the payload is received
  MPI_Request request = MPI_REQUEST_NULL;
  bool queued_inline = false;
  bool into_caller = false;  // lands in the waiting caller's buffer (a zero-copy message)
  const char *problem = nullptr;  // the job's verdict: null when the chunk opened and decoded
};

class Receiver final : public Link {
 public:
  Receiver(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer)
      : Link(config, bridge, std::move(sealer)), decompressor_(config.compression),
        contexts_(false, uses_zstd(config.compression)), frames_(config.depth),
        chunks_(config.depth),
        pending_(config.depth), inline_limit_(inline_limit(config.chunk_size)),
        credit_batch_(std::max<uint32_t>(1, config.depth / 2)),
        checker_(FrameRules{config.channel_id, config.max_message, config.chunk_size,
                            static_cast<uint32_t>(inline_limit_), config.compression != LF_MPI_COMPRESSION_NONE,
                            config.short_frames}) {
    for (size_t i = 0; i < frames_.size(); ++i) {
      frames_[i].bytes.allocate(kFramePrefix + inline_limit_);
      post(i);
    }
    // Staging holds a compressed payload (a whole chunk) or an inline frame queued behind
    // chunks; a raw chunk lands in the ring. A channel whose sender does not compress needs
    // inline-sized staging only (a drained chunk grows it: the close and reject paths).
    const bool compressed = config.compression != LF_MPI_COMPRESSION_NONE;
    for (auto &chunk : chunks_) {
      chunk.owner = this;
      chunk.run = &Receiver::decode_job;
      chunk.staging.resize(compressed ? config.chunk_size : inline_limit_);
    }
  }

  ~Receiver() override { wait_for_jobs(); }  // (a worker may still write into the ring)

  bool is_sender() const noexcept override { return false; }

  void arm_direct(void *buffer, size_t capacity) override {
    direct_ = DirectTarget{static_cast<uint8_t *>(buffer), capacity, 0, true, false, false};
  }
  void arm_waiting(void *buffer, size_t capacity) override {
    arm_direct(buffer, capacity);
    direct_.waiting = true;
  }
  bool disarm_direct(size_t *out_size) override {
    const DirectTarget target = direct_;
    direct_ = DirectTarget{};
    if (!target.delivered) return false;
    *out_size = target.size;
    return true;
  }

  // A zero-copy message is still on its way into the waiting caller's buffer. After a
  // failure, until no receive writes there any more: the chunks still arriving are drained by
  // progress() while the link runs, tested here once it finished, and cancelled and let go
  // when the peer died (nothing will come from it).
  bool caller_buffer_busy() override {
    if (!caller_message_pending_ || direct_.delivered) return false;
    if (!failed_ && !finished_) return true;
    bool busy = false;
    for (size_t i = 0; i < pending_.size(); ++i) {
      PendingChunk &chunk = *pending_.at(i);
      if (!chunk.into_caller) continue;
      if (!chunk.done()) {  // (a worker still opens it there)
        busy = true;
        continue;
      }
      if (chunk.request == MPI_REQUEST_NULL) continue;
      if (peer_dead.load(std::memory_order_acquire)) {
        MPI_Cancel(&chunk.request);
        MPI_Request_free(&chunk.request);
      } else if (finished_) {
        int done = 0;
        MPI_Test(&chunk.request, &done, MPI_STATUS_IGNORE);
        busy |= done == 0;
      } else {
        busy = true;
      }
    }
    if (busy) return true;
    caller_message_pending_ = false;
    // What landed there is not the message: on a protected channel it may be ciphertext, or a
    // tampered chunk's bytes (MAC-only: readable ones), so none of it stays.
    if (sealer_ && caller_message_bytes_ > 0) std::memset(caller_message_, 0, caller_message_bytes_);
    return false;
  }

  bool progress(const WireHook &) override {
    if (finished_) return false;
    if (check_peer()) return true;
    // The frames taken in the last pass are posted again and their credits go back now, not
    // right after each frame: a ping-pong's reply goes out first (the user's next call runs
    // the senders before the receivers), and the message reaches the user sooner.
    bool moved = repost_taken();
    moved |= return_credits();
    // (the sender's control messages are heartbeats: reading them now and then is enough, and
    // each test of a pending receive runs MPI's whole progress engine)
    moved |= control_poll_due() && read_control();
    moved |= complete_payloads();
    // (after a message went straight to the waiting user, the pass ends here: the next test
    // would run MPI's progress engine once more before the user has it)
    while (!finished_ && !direct_.delivered && pending_.size() < config_.depth && unposted_ < frames_.size()) {
      FrameBuffer &frame = frames_[next_frame_];
      if (!frame.arrived && !test_next_frame(frame)) break;
      if (!handle(frame)) break;  // the ring is full: try again later
      frame.arrived = false;
      ++unposted_;
      next_frame_ = (next_frame_ + 1) % frames_.size();
      moved = true;
    }
    maybe_heartbeat(tag_of(config_.channel_id, kTagToSender));
    if (finished_) cancel_posted();
    return moved;
  }

 private:
  void post(size_t index) {
    PageBuffer &bytes = frames_[index].bytes;
    MPI_Irecv(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, config_.peer, tag_of(config_.channel_id, kTagData),
              config_.comm, &frames_[index].request);
  }

  // Whether the next frame arrived. Frames arrive in the order their receives were posted
  // (MPI does not let messages of one sender and tag overtake each other), so one MPI_Test
  // of the oldest posted receive is enough: a test that fails runs MPI's whole progress
  // engine, one that finds its request complete does not.
  bool test_next_frame(FrameBuffer &frame) {
    int done = 0;
    MPI_Status status;
    MPI_Test(&frame.request, &done, &status);
    if (!done) return false;
    frame.arrived = true;
    MPI_Get_count(&status, MPI_BYTE, &frame.count);
    heard.add(1);
    return true;
  }

  // Posts the receives of the frames taken since, oldest first (the order frames arrive in).
  bool repost_taken() {
    if (unposted_ == 0 || finished_) return false;
    for (size_t i = frames_.size() - unposted_; i < frames_.size(); ++i) post((next_frame_ + i) % frames_.size());
    unposted_ = 0;
    return true;
  }

  void cancel_posted() {
    for (auto &frame : frames_) posted_receives_.push_back(&frame.request);
    cancel_receives();
  }

  bool read_control() {
    bool moved = false;
    ControlKind kind;
    uint64_t value = 0;
    while (poll_control(tag_of(config_.channel_id, kTagToReceiver), kind, value)) moved = true;  // heartbeats
    return moved;
  }

  // Rejects the channel: the user gets everything before this frame, then `status`.
  void reject(const char *problem) { reject(checker_.expected_sequence(), problem); }
  void reject(uint64_t sequence, const char *problem) {
    const lf_status_t status = sealer_ ? LF_ERR_AUTH : LF_ERR_PROTOCOL;
    if (sealer_) stats_.auth_failures.add(1);
    fail(status, core::format_text("frame %llu from rank %d on channel %u rejected: %s; nothing of it was delivered",
                                   static_cast<unsigned long long>(sequence), config_.peer,
                                   config_.channel_id, problem));
    stop_consuming(1);
  }

  // The user closed or a frame was rejected: tell the sender, then discard until its close.
  void stop_consuming(uint64_t why) {
    if (discarding_) return;
    discarding_ = true;
    wait_for_jobs();  // (their ring room goes now)
    if (open_messages_ > 0) lf_channel_abort(bridge_);  // (every message reserved ahead)
    open_messages_ = 0;
    notice_pending_ = true;
    notice_value_ = why;
  }

  // Handles an arrived frame; false when it must wait for room in the ring.
  bool handle(FrameBuffer &frame) {
    const uint8_t *bytes = frame.bytes.data();
    if (discarding_) return discard(frame);
    if (deliver_short_frame(frame)) return true;
    FrameHeader header;
    const size_t count = static_cast<size_t>(frame.count);
    const size_t prefix_bytes = config_.short_frames && is_short_frame_length(count) ? 0 : kFramePrefix;
    const char *problem = checker_.check(bytes, count, header);
    if (problem == nullptr && header.type == kFrameClose) {
      if (!pending_.empty()) return false;  // the last message's payloads are still arriving
      return close_frame(frame, header), true;
    }
    if (problem != nullptr) {
      // Everything before it is delivered first: the chunks still arriving or decoding.
      if (!pending_.empty()) return false;
      reject(problem);
      return discard(frame);  // (its payload, if any, is drained so the sender never hangs)
    }
    const bool direct = takes_direct(header);
    if (header.flags & kFlagFirst) message_to_caller_ = takes_zero_copy(header);
    if (direct || ((header.flags & kFlagFirst) && message_to_caller_)) {
      message_ = direct_.buffer;
      if (message_to_caller_) {
        caller_message_pending_ = true;
        caller_message_ = direct_.buffer;
        caller_message_bytes_ = header.message_bytes;
        stats_.zero_copy_messages.add(1);
      }
    } else if (header.flags & kFlagFirst) {
      // Its ring room, after the messages still arriving.
      void *room = nullptr;
      const lf_status_t status = lf_bridge_reserve_ahead(bridge_, header.message_bytes, &room);
      if (status == LF_WOULD_BLOCK || status == LF_ERR_LIMIT) return false;  // the ring is full: later
      if (status != LF_OK) {  // the user closed its end
        stop_consuming(0);
        return discard(frame);
      }
      ++open_messages_;
      message_ = static_cast<uint8_t *>(room);
    }
    checker_.accept(header);
    stats_.frames.add(1);
    uint8_t *destination = message_ + header.offset;
    if (header.flags & kFlagInline) {
      stats_.wire_bytes.add(static_cast<uint64_t>(frame.count));
      uint8_t *payload = frame.bytes.data() + prefix_bytes;
      if (pending_.empty()) {  // (the common case: nothing before it is still arriving)
        if (const char *wrong = open_and_decode(header, bytes, payload, destination, contexts_))
          reject(header.sequence, wrong);
        else if (direct)
          deliver_direct(header.message_bytes);
        else
          commit_chunk(header);
        ++credits_owed_;
      } else {
        queue_inline(header, bytes, payload, destination);
      }
      return true;
    }
    expect_payload(header, bytes, destination);
    return true;
  }

  // Posts the receive of a chunk's separate payload and queues the chunk: straight into the
  // ring at `destination` when it travels raw, else into the next staging buffer (also when
  // it is only drained: no destination, no prefix).
  void expect_payload(const FrameHeader &header, const uint8_t *prefix, uint8_t *destination) {
    PendingChunk &chunk = next_chunk(header, prefix, destination);
    chunk.into_caller = destination != nullptr && message_to_caller_;
    if (destination == nullptr || header.codec != kCodecRaw) {
      if (chunk.staging.size() < header.payload_bytes) chunk.staging.resize(header.payload_bytes);  // (drained)
      chunk.landing = chunk.staging.data();
    } else {
      chunk.landing = destination;
    }
    MPI_Irecv(chunk.landing, static_cast<int>(header.payload_bytes), MPI_BYTE, config_.peer,
              tag_of(config_.channel_id, kTagPayload), config_.comm, &chunk.request);
  }

  // An inline frame behind chunks still arriving: it is opened and committed after them.
  void queue_inline(const FrameHeader &header, const uint8_t *frame, const uint8_t *payload, uint8_t *destination) {
    PendingChunk &chunk = next_chunk(header, frame, destination);
    chunk.landing = chunk.staging.data();
    if (header.payload_bytes > 0) std::memcpy(chunk.landing, payload, header.payload_bytes);
    chunk.queued_inline = true;
  }

  // The next chunk slot, queued as pending (`prefix` null: a chunk only drained).
  PendingChunk &next_chunk(const FrameHeader &header, const uint8_t *prefix, uint8_t *destination) {
    PendingChunk &chunk = chunks_[chunk_next_];
    chunk_next_ = (chunk_next_ + 1) % chunks_.size();
    chunk.header = header;
    if (prefix != nullptr) std::memcpy(chunk.prefix, prefix, kFramePrefix);
    chunk.destination = destination;
    chunk.queued_inline = false;
    chunk.into_caller = false;
    chunk.problem = nullptr;
    pending_.push_back(&chunk);
    return chunk;
  }

  void wait_for_jobs() {
    for (const auto &chunk : chunks_) WorkerPool::wait(chunk);
  }

  // Opens and decodes one chunk into the ring: null, or what is wrong with it. Runs on a
  // worker or on this thread; touches only the chunk's bytes and the thread-safe sealer and
  // decompressor.
  const char *open_and_decode(const FrameHeader &h, const uint8_t *prefix, uint8_t *payload, uint8_t *destination,
                              CodecContexts &contexts) const {
    if (sealer_ && !sealer_->open(h.sequence, prefix, payload, h.payload_bytes, prefix + kHeaderBytes))
      return "authentication failed (tampered, truncated, or sealed with another key)";
    if (h.codec != kCodecRaw) {
      const char *problem = nullptr;
      if (decompressor_.decompress(static_cast<Codec>(h.codec), payload, h.payload_bytes, destination, h.raw_bytes,
                                   &problem, contexts) != LF_OK)
        return problem;
    } else if (payload != destination && h.raw_bytes > 0) {
      std::memcpy(destination, payload, h.raw_bytes);
    }
    return nullptr;
  }

  static void decode_job(Job &job, CodecContexts &contexts) {
    auto &chunk = static_cast<PendingChunk &>(job);
    chunk.problem = chunk.owner->open_and_decode(chunk.header, chunk.prefix, chunk.landing, chunk.destination, contexts);
  }

  // A ping-pong's receive: a short frame (the message alone, nothing to open or decode) that
  // the waiting user's buffer takes, with nothing before it still arriving or in the ring, is
  // copied there at once — the checks handle() makes of a full frame do not apply to it.
  bool deliver_short_frame(const FrameBuffer &frame) {
    const size_t n = static_cast<size_t>(frame.count);
    if (!checker_.short_frame_fits(n) || !direct_takes(n)) return false;
    if (n > 0) std::memcpy(direct_.buffer, frame.bytes.data(), n);
    FrameHeader whole;
    checker_.check(frame.bytes.data(), n, whole);  // (the implied header of a short frame that fits: never refused)
    checker_.accept(whole);
    stats_.frames.add(1);
    stats_.wire_bytes.add(n);
    ++credits_owed_;
    deliver_direct(n);
    return true;
  }

  // Whether the user's buffer, armed by its lf_channel_recv for this pass, takes the next
  // message of `bytes` bytes: it fits, and nothing before it is still arriving or queued in
  // the ring (asked last: a call through the public API).
  bool direct_takes(uint64_t bytes) {
    if (!direct_.armed || direct_.delivered || bytes > direct_.capacity || !pending_.empty() || open_messages_ != 0)
      return false;
    uint64_t queued = 1;
    return lf_bridge_queued(bridge_, &queued) == LF_OK && queued == 0;
  }

  // Whether a full frame's message goes straight into the user's buffer: a whole message
  // inline, raw (so nothing is written there unless it opens), that the buffer takes.
  bool takes_direct(const FrameHeader &h) {
    constexpr uint8_t kWhole = kFlagFirst | kFlagLast | kFlagInline;
    return (h.flags & kWhole) == kWhole && h.codec == kCodecRaw && direct_takes(h.message_bytes);
  }

  // Whether a message's chunks go straight into the waiting caller's buffer (zero-copy): the
  // caller waits as long as it takes (arm_waiting), the chunks travel raw (a sealed one is
  // opened there in place, as in the ring: its bytes are the message once it opened, and
  // are wiped if anything of the message fails), and the buffer takes it now.
  bool takes_zero_copy(const FrameHeader &h) {
    return direct_.waiting && (h.flags & kFlagSeparate) && h.codec == kCodecRaw &&
           config_.compression == LF_MPI_COMPRESSION_NONE && direct_takes(h.message_bytes);
  }

  void deliver_direct(uint64_t message_bytes) {
    stats_.payload_bytes.add(message_bytes);
    deliver_direct_counted(message_bytes);
  }
  void deliver_direct_counted(uint64_t message_bytes) {
    stats_.messages.add(1);
    caller_message_pending_ = false;
    direct_.delivered = true;
    direct_.size = message_bytes;
  }

  // A decoded chunk is in the ring: commits its message after its last chunk (chunks finish
  // in order: its message is the oldest open one).
  void commit_chunk(const FrameHeader &h, bool into_caller = false) {
    if (h.codec != kCodecRaw) stats_.compressed_chunks.fetch_add(1, std::memory_order_relaxed);
    stats_.payload_bytes.add(h.raw_bytes);
    if (into_caller) {  // (a zero-copy message: delivered in the caller's buffer with its last chunk)
      if (h.flags & kFlagLast) deliver_direct_counted(h.message_bytes);
      return;
    }
    if (h.flags & kFlagLast) {
      lf_bridge_commit_oldest(bridge_);
      --open_messages_;
      stats_.messages.add(1);
    }
  }

  // Starts decoding the chunks whose payloads arrived (in order), then commits those decoded
  // at the head of the queue.
  bool complete_payloads() {
    bool moved = false;
    while (started_ < pending_.size()) {
      PendingChunk &chunk = *pending_.at(started_);
      int count = static_cast<int>(chunk.header.payload_bytes);
      if (!chunk.queued_inline) {
        int done = 0;
        MPI_Status status;
        MPI_Test(&chunk.request, &done, &status);
        if (!done) break;
        MPI_Get_count(&status, MPI_BYTE, &count);
        stats_.wire_bytes.add(kFramePrefix + static_cast<uint64_t>(count));
      }
      ++started_;
      moved = true;
      if (discarding_ || chunk.destination == nullptr) continue;  // only drained
      if (static_cast<uint32_t>(count) != chunk.header.payload_bytes) {
        chunk.problem = "its payload was truncated";
        continue;
      }
      // (the work grows with the decoded size: decompression writes raw_bytes)
      const bool worth_a_worker = chunk.header.raw_bytes >= kWorkerMinBytes &&
                                  (chunk.header.codec != kCodecRaw || sealer_ != nullptr);
      run_chunk_job(chunk, worth_a_worker, contexts_);
    }
    while (started_ > 0 && pending_.front()->done()) {
      PendingChunk &chunk = *pending_.front();
      if (!discarding_ && chunk.destination != nullptr) {
        if (chunk.problem != nullptr) reject(chunk.header.sequence, chunk.problem);
        else commit_chunk(chunk.header, chunk.into_caller);
      }
      ++credits_owed_;
      pending_.pop_front();
      --started_;
      moved = true;
    }
    return moved;
  }

  // Discarding: takes the frame (and any payload) without delivering it; ends at the close.
  bool discard(FrameBuffer &frame) {
    FrameHeader header;
    const char *problem = nullptr;
    if (static_cast<size_t>(frame.count) >= kFramePrefix && decode_header(frame.bytes.data(), header, &problem) == LF_OK) {
      if (header.type == kFrameClose) {
        finished_ = true;
        return true;
      }
      if ((header.flags & kFlagSeparate) && header.payload_bytes <= config_.chunk_size) {
        expect_payload(header, nullptr, nullptr);
        return true;
      }
    }
    ++credits_owed_;
    return true;
  }

  void close_frame(FrameBuffer &frame, const FrameHeader &header) {
    // Either way nothing follows the sender's close.
    finished_ = true;
    if (static_cast<size_t>(frame.count) != kFramePrefix || header.payload_bytes != 0 || checker_.in_message())
      return reject("a close frame in the middle of a message");
    uint8_t nothing = 0;
    if (sealer_ && !sealer_->open(header.sequence, frame.bytes.data(), &nothing, 0, frame.bytes.data() + kHeaderBytes))
      return reject("the close frame failed authentication");
    lf_channel_close(bridge_);  // the user reads what was delivered, then LF_END_OF_STREAM
  }

  bool return_credits() {
    if (notice_pending_ && send_control(kControlConsumerClosed, notice_value_, tag_of(config_.channel_id, kTagToSender))) {
      notice_pending_ = false;
      return true;
    }
    // Credits go back in batches of half the window: one control message per frame would
    // double the messages of a ping-pong. The sender never waits on a batch: with no credit
    // left, all `depth` frames are owed here, and a batch is due as soon as half are taken.
    if (credits_owed_ < credit_batch_ || notice_pending_) return false;
    if (!send_control(kControlCredit, credits_owed_, tag_of(config_.channel_id, kTagToSender))) return false;
    credits_owed_ = 0;
    return true;
  }

  const Decompressor decompressor_;
  CodecContexts contexts_;  // this thread's, for chunks decoded here
  std::vector<FrameBuffer> frames_;
  std::vector<PendingChunk> chunks_;  // one per frame that may be pending
  FixedQueue<PendingChunk *> pending_;  // chunks not yet committed, in order, at most `depth`
  size_t started_ = 0;     // of them, those whose payloads arrived (their jobs started)
  size_t chunk_next_ = 0;
  size_t next_frame_ = 0;  // frames arrive in the order they were posted
  size_t unposted_ = 0;    // the frames before next_frame_ taken, not yet posted again
  const size_t inline_limit_;
  const uint32_t credit_batch_;
  FrameChecker checker_;         // the sequence and the message in progress: what may come next
  uint8_t *message_ = nullptr;  // the ring room reserved for the message whose frames arrive
  uint32_t open_messages_ = 0;   // reserved ahead, not yet committed
  uint64_t credits_owed_ = 0;
  bool discarding_ = false;
  struct DirectTarget {
    uint8_t *buffer = nullptr;
    size_t capacity = 0;
    size_t size = 0;
    bool armed = false;
    bool delivered = false;
    bool waiting = false;  // the caller waits as long as it takes (arm_waiting): zero-copy allowed
  } direct_;  // the user's buffer for this pass (arm_direct), or for its whole wait (arm_waiting)
  bool message_to_caller_ = false;  // the message whose chunks arrive goes into the caller's buffer
  bool caller_message_pending_ = false;  // such a message is not yet delivered there (chunks arriving)
  uint8_t *caller_message_ = nullptr;    // where it goes
  uint64_t caller_message_bytes_ = 0;
  bool notice_pending_ = false;
  uint64_t notice_value_ = 0;
};

}  // namespace

std::unique_ptr<Link> make_receiver(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer) {
  return std::make_unique<Receiver>(config, bridge, std::move(sealer));
}

}  // namespace lavaflow::mpi

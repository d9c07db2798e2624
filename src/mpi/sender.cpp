// The producing rank's side of a channel over MPI: takes messages from the bridge's ring in
// order, cuts them into frames (a small message inline in one frame; a large one as chunks,
// each a header frame followed by its payload as a separate MPI message sent straight from
// the ring), compresses and seals them, and sends at most as many frames as the receiver
// has granted credits for. Several messages are in flight at once: they stay in the ring
// (peeked ahead) until their sends complete, and go back to the user's end in order. Large
// chunks of a channel that compresses or seals are prepared on the attachment's workers
// while this thread keeps sending; frames still go out in their sequence order.
#include "core/strings.hpp"
#include "mpi/fixed_queue.hpp"
#include "mpi/link.hpp"
#include "mpi/page_buffer.hpp"

#include <lavaflow/extension.h>

#include <cstdio>
#include <cstring>

namespace lavaflow::mpi {

namespace {

// A message peeked ahead from the bridge's ring, until its sends complete.
struct OpenMessage {
  const uint8_t *data = nullptr;
  size_t size = 0;
  size_t issued = 0;       // bytes cut into frames so far
  bool started = false;    // a frame was issued (an empty message has one too)
  uint32_t ring_refs = 0;  // frames whose sends read its ring bytes
  bool callers = false;    // the bytes are the waiting caller's, not the ring's
  bool issuing() const noexcept { return !started || issued < size; }
};

class Sender;

// One frame from issue to the completion of its sends. Its job (compress, seal) runs on a
// worker or right away; it is posted once it and every frame issued before it are prepared.
struct SendSlot : Job {
  Sender *owner = nullptr;
  PageBuffer frame;              // prefix + inline payload
  std::vector<uint8_t> staging;  // a separate payload that is not the ring's bytes (compressed)
  MPI_Request requests[4] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  bool busy = false;    // issued, sends not yet complete
  bool queued = false;  // issued, not yet posted
  bool is_close = false;
  OpenMessage *ring_bytes_of = nullptr;  // its job or its send reads this message's ring bytes
  // The chunk, set at issue (prepare() adds the codec, the payload length and the tag).
  FrameHeader header;
  const uint8_t *source = nullptr;
  bool inline_payload = false;
  // What goes out.
  size_t frame_size = 0;
  const uint8_t *payload = nullptr;  // separate payload, or null
  size_t payload_size = 0;
};

class Sender final : public Link {
 public:
  Sender(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer)
      : Link(config, bridge, std::move(sealer)),
        compressor_(config.compression, config.compression_level, config.min_gain_percent),
        contexts_(uses_zstd(config.compression), false),
        slots_(config.depth),
        unsent_(config.depth),
        credits_(config.depth),
        inline_limit_(inline_limit(config.chunk_size)),
        open_(kMaxOpen) {
    for (auto &slot : slots_) {
      slot.owner = this;
      slot.run = &Sender::prepare_job;
      slot.frame.allocate(kFramePrefix + inline_limit_);
      if (config.compression != LF_MPI_COMPRESSION_NONE) slot.staging.resize(config.chunk_size);
    }
  }

  ~Sender() override {
    for (auto &slot : slots_) WorkerPool::wait(slot);  // (a worker may still read the ring)
    // Sends that never completed (a dead peer) must keep their buffers until MPI lets go.
    for (auto &slot : slots_)
      for (auto &request : slot.requests)
        if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
  }

  bool sends_in_flight() override { return !all_idle() || Link::sends_in_flight(); }

  bool is_sender() const noexcept override { return true; }

  lf_status_t send_direct(const WireHook &hook, const void *data, size_t size) override {
    // In order only when nothing of this channel waits to be framed or posted; inline only,
    // so the bytes are copied into the frame before this returns.
    if (finished_ || check_peer() || consumer_closed_ || close_pending_ || close_issued_ || !travels_inline(size) ||
        !open_.empty() || !unsent_.empty())
      return LF_WOULD_BLOCK;
    if (credits_ == 0) read_control();
    if (free_slot() == nullptr) complete_slots();
    if (credits_ == 0 || free_slot() == nullptr) return LF_WOULD_BLOCK;
    if (config_.short_frames && hook.fn == nullptr) {
      send_short_frame(static_cast<const uint8_t *>(data), size);
      return LF_OK;
    }
    OpenMessage message;
    message.data = static_cast<const uint8_t *>(data);
    message.size = size;
    issue_chunk(message, hook);
    return LF_OK;
  }

  // Zero-copy only for what travels as a separate payload, as it is (nothing compressed into
  // staging, nothing sealed in place), when no test hook may hold a frame past the call, and
  // the channel does not ask for buffered sends.
  bool zero_copy_candidate(size_t size, const WireHook &hook) override {
    return config_.zero_copy_sends && size > inline_limit_ && config_.compression == LF_MPI_COMPRESSION_NONE &&
           sealer_ == nullptr && hook.fn == nullptr;
  }
  bool sends_queued() override {
    if (finished_ || failed_ || check_peer()) return false;
    complete_slots();
    release_sent();
    return !open_.empty() || !unsent_.empty();
  }

  lf_status_t send_from_caller(const WireHook &hook, const void *data, size_t size) override {
    // (nothing of this channel is queued — the user's end saw its ring empty, and the
    // messages peeked from it left — so the order holds)
    if (!zero_copy_candidate(size, hook) || finished_ || check_peer() || consumer_closed_ || close_pending_ ||
        close_issued_ || !open_.empty() || !unsent_.empty())
      return LF_WOULD_BLOCK;
    OpenMessage message;
    message.data = static_cast<const uint8_t *>(data);
    message.size = size;
    message.callers = true;
    open_.push_back(message);
    stats_.zero_copy_messages.add(1);
    issue(hook, false);  // (its first chunks now; the rest as credits come back)
    return LF_OK;
  }

  // The caller's message is still read by sends (it leaves open_ once they all completed).
  // After a failure the caller goes: what MPI still holds then is to a peer that is dead, or
  // that discards it (lf_bridge_fail() reports the verdict to the caller).
  // (it went into an empty open_, so it is the oldest until it leaves)
  bool caller_buffer_busy() override { return !open_.empty() && open_.front().callers && !failed_ && !finished_; }

  bool progress(const WireHook &hook) override {
    if (finished_) return false;
    if (check_peer()) return true;
    // What the user just committed goes out first: the tests below each run MPI's whole
    // progress engine, and a ping-pong waits for this frame.
    bool moved = issue(hook, false);
    // The control channel (credits, the consumer's notices) is read when the credits ran
    // out, else now and then: each test of its pending receive runs MPI's whole progress
    // engine, and the receiver returns credits long before they run out (half the window at
    // a time), so they are read in the pass that needs them.
    moved |= (credits_ == 0 || control_poll_due()) && read_control();
    moved |= complete_slots();
    moved |= post_prepared(hook);
    moved |= release_sent();
    // (again, unless the first try found the ring empty: nothing freed above changes that)
    if (!ring_was_empty_) moved |= issue(hook, true);
    maybe_heartbeat(tag_of(config_.channel_id, kTagToReceiver));
    if (close_issued_ && all_idle() && control_idle()) finished_ = true;
    return moved;
  }

 private:
  // Cuts messages from the ring into frames while credits and slots last; `last_try`: no
  // credit or slot is coming in this pass (a stall, if there is something to send).
  bool issue(const WireHook &hook, bool last_try) {
    bool moved = false;
    ring_was_empty_ = false;
    for (;;) {
      if (close_issued_) break;
      if (credits_ == 0 || free_slot() == nullptr) {
        if (!last_try) break;
        // Held back by the receiver (no credit, or its frames not yet taken): a stall if
        // there is something to send.
        if (!stalled_ && (issuing() != nullptr || next_message())) stats_.credit_stalls.add(1);
        stalled_ = true;
        break;
      }
      stalled_ = false;
      OpenMessage *message = issuing();
      if (message == nullptr && !next_message()) break;
      if (close_pending_) {
        if (!open_.empty()) break;  // (its data frames first: the close follows them)
        issue_close(hook);
        moved = true;
        break;
      }
      issue_chunk(message != nullptr ? *message : open_.back(), hook);
      moved = true;
    }
    return moved;
  }

  bool read_control() {
    bool moved = false;
    ControlKind kind;
    uint64_t value = 0;
    while (poll_control(tag_of(config_.channel_id, kTagToSender), kind, value)) {
      moved = true;
      if (kind == kControlCredit) credits_ += static_cast<uint32_t>(std::min<uint64_t>(value, config_.depth));
      if (kind == kControlConsumerClosed && !consumer_closed_) {
        consumer_closed_ = true;
        // (as the consumer reports it: LF_ERR_AUTH on a protected channel, else LF_ERR_PROTOCOL)
        fail(value == 0 ? LF_ERR_CLOSED : sealer_ ? LF_ERR_AUTH : LF_ERR_PROTOCOL,
             value == 0 ? core::format_text("the consumer (rank %d) closed the channel", config_.peer)
                        : core::format_text("the consumer (rank %d) rejected a frame of this channel and stopped "
                                            "(authentication or validation failed there)", config_.peer));
      }
    }
    return moved;
  }

  // The open message still being cut into frames, if any.
  OpenMessage *issuing() noexcept { return !open_.empty() && open_.back().issuing() ? &open_.back() : nullptr; }

  // The next message from the ring (now the newest open one), or the close. False when there
  // is nothing to do, or too many messages are open.
  bool next_message() {
    if (consumer_closed_ || failed_) {
      close_pending_ = true;
      return true;
    }
    if (open_.full()) return false;
    const void *data = nullptr;
    size_t size = 0;
    const lf_status_t status = lf_bridge_peek_ahead(bridge_, &data, &size);
    ring_was_empty_ = status == LF_WOULD_BLOCK;
    if (status == LF_WOULD_BLOCK || status == LF_ERR_LIMIT) return false;
    if (status != LF_OK) {  // the user closed (LF_END_OF_STREAM) or is gone
      close_pending_ = true;
      return true;
    }
    OpenMessage message;
    message.data = static_cast<const uint8_t *>(data);
    message.size = size;
    open_.push_back(message);
    return true;
  }

  // Gives the ring's room of fully sent messages back to the user's end, oldest first.
  bool release_sent() {
    bool moved = false;
    while (!open_.empty() && !open_.front().issuing() && open_.front().ring_refs == 0) {
      if (!open_.front().callers) lf_bridge_release_oldest(bridge_);  // (a caller's bytes were never the ring's)
      open_.pop_front();
      moved = true;
    }
    return moved;
  }

  SendSlot *free_slot() {
    for (auto &slot : slots_)
      if (!slot.busy) return &slot;
    return nullptr;
  }

  bool all_idle() const {
    for (const auto &slot : slots_)
      if (slot.busy) return false;
    return true;
  }

  bool complete_slots() {
    bool moved = false;
    for (auto &slot : slots_) {
      if (!slot.busy || slot.queued || &slot == held_) continue;
      int done = 0;
      MPI_Testall(4, slot.requests, &done, MPI_STATUSES_IGNORE);
      if (!done) continue;
      slot.busy = false;
      if (slot.ring_bytes_of != nullptr) --slot.ring_bytes_of->ring_refs;
      slot.ring_bytes_of = nullptr;
      moved = true;
    }
    return moved;
  }

  void issue_chunk(OpenMessage &message, const WireHook &hook) {
    SendSlot &slot = *free_slot();
    const size_t n = std::min<size_t>(message.size - message.issued, config_.chunk_size);
    slot.source = message.data + message.issued;
    slot.inline_payload = travels_inline(message.size);
    FrameHeader &header = slot.header;
    header = FrameHeader{};
    header.type = kFrameData;
    header.channel_id = config_.channel_id;
    header.sequence = sequence_;
    header.message_bytes = message.size;
    header.offset = message.issued;
    header.raw_bytes = static_cast<uint32_t>(n);
    header.flags = static_cast<uint8_t>((message.issued == 0 ? kFlagFirst : 0) |
                                        (message.issued + n == message.size ? kFlagLast : 0) |
                                        (slot.inline_payload ? kFlagInline : kFlagSeparate));
    if (!slot.inline_payload) {  // (read by its job, maybe sent as they are: kept until then)
      slot.ring_bytes_of = &message;
      ++message.ring_refs;
    }
    slot.is_close = false;
    message.issued += n;
    message.started = true;
    stats_.payload_bytes.add(n);
    if (message.issued == message.size) stats_.messages.add(1);
    enqueue(slot);
    const bool worth_a_worker = !slot.inline_payload && n >= kWorkerMinBytes &&
                                (config_.compression != LF_MPI_COMPRESSION_NONE || sealer_ != nullptr);
    run_chunk_job(slot, worth_a_worker, contexts_);
    post_prepared(hook);
    release_sent();  // (copied: the ring's room may go back at once)
  }

  // A ping-pong's send: the message is the frame (a short frame: nothing to compress, seal
  // or describe), copied into a free slot and posted at once — issue_chunk()'s queue, job
  // and header are for frames that may wait behind others, and this one never does (nothing
  // is queued; no test hook holds it). Needs a credit and a free slot.
  void send_short_frame(const uint8_t *data, size_t size) {
    SendSlot &slot = *free_slot();
    fill_short_frame(slot, data, size);
    slot.header.sequence = sequence_;
    slot.is_close = false;
    slot.busy = true;
    ++sequence_;
    --credits_;
    stats_.payload_bytes.add(size);
    stats_.messages.add(1);
    post(slot, 0);
  }

  // A short frame's bytes: the whole message, nothing else.
  static void fill_short_frame(SendSlot &slot, const uint8_t *message, size_t size) {
    if (size > 0) std::memcpy(slot.frame.data(), message, size);
    slot.frame_size = size;
    slot.payload = nullptr;
    slot.payload_size = 0;
  }

  // Whether a message of `size` bytes travels inline, in its one frame. On a channel of short
  // frames not one whose length would read as a full frame's (frame.hpp): such a message goes
  // as a chunk header and its payload.
  bool travels_inline(size_t size) const noexcept {
    return size <= inline_limit_ && (!config_.short_frames || is_short_frame_length(size));
  }

  // Takes a credit and a sequence number; frames are posted in this order.
  void enqueue(SendSlot &slot) {
    ++sequence_;
    --credits_;
    slot.busy = true;
    slot.queued = true;
    unsent_.push_back(&slot);
  }

  static void prepare_job(Job &job, CodecContexts &contexts) {
    auto &slot = static_cast<SendSlot &>(job);
    slot.owner->prepare(slot, contexts);
  }

  // Compresses and seals a chunk: on a worker, or on this thread. Touches only the slot, the
  // ring bytes it was given, and the (thread-safe) settings, sealer and counters.
  void prepare(SendSlot &slot, CodecContexts &contexts) {
    FrameHeader &header = slot.header;
    const size_t n = header.raw_bytes;
    if (slot.inline_payload && config_.short_frames) {
      header.payload_bytes = static_cast<uint32_t>(n);
      fill_short_frame(slot, slot.source, n);
      return;
    }
    uint8_t *out = slot.inline_payload ? slot.frame.data() + kFramePrefix : slot.staging.data();
    size_t packed = 0;
    const Codec codec = compressor_.compress(slot.source, n, out, &packed, contexts);
    header.codec = codec;
    if (config_.compression != LF_MPI_COMPRESSION_NONE && n > 0)
      (codec == kCodecRaw ? stats_.raw_chunks : stats_.compressed_chunks).fetch_add(1, std::memory_order_relaxed);
    uint8_t *payload;
    size_t payload_size;
    if (codec != kCodecRaw) {
      payload = out;
      payload_size = packed;
    } else if (slot.inline_payload) {
      if (n > 0) std::memcpy(out, slot.source, n);
      payload = out;
      payload_size = n;
    } else {
      // The ring's bytes are sent (and sealed) in place: the bridge is their only reader now.
      payload = const_cast<uint8_t *>(slot.source);
      payload_size = n;
    }
    header.payload_bytes = static_cast<uint32_t>(payload_size);
    seal_frame(slot, payload, payload_size);
    slot.frame_size = kFramePrefix + (slot.inline_payload ? payload_size : 0);
    slot.payload = slot.inline_payload ? nullptr : payload;
    slot.payload_size = slot.inline_payload ? 0 : payload_size;
  }

  // Writes the slot's header into its frame and the tag over header and payload (zeros
  // without protection).
  void seal_frame(SendSlot &slot, uint8_t *payload, size_t size) const {
    encode_header(slot.header, slot.frame.data());
    uint8_t *tag = slot.frame.data() + kHeaderBytes;
    if (sealer_) sealer_->seal(slot.header.sequence, slot.frame.data(), payload, size, tag);
    else std::memset(tag, 0, kTagBytes);
  }

  // Posts the prepared frames at the head of the send order.
  bool post_prepared(const WireHook &hook) {
    bool moved = false;
    while (!unsent_.empty() && unsent_.front()->done()) {
      SendSlot &slot = *unsent_.front();
      unsent_.pop_front();
      slot.queued = false;
      if (slot.ring_bytes_of != nullptr && slot.payload != slot.source) {  // compressed: the ring's bytes are done with
        --slot.ring_bytes_of->ring_refs;
        slot.ring_bytes_of = nullptr;
      }
      send_slot(slot, hook);
      if (slot.is_close) flush_held();
      moved = true;
    }
    return moved;
  }

  void issue_close(const WireHook &hook) {
    SendSlot &slot = *free_slot();
    FrameHeader header;
    header.type = kFrameClose;
    header.channel_id = config_.channel_id;
    header.sequence = sequence_;
    slot.header = header;
    uint8_t nothing = 0;
    seal_frame(slot, &nothing, 0);
    slot.frame_size = kFramePrefix;
    slot.source = nullptr;
    slot.payload = nullptr;
    slot.payload_size = 0;
    slot.is_close = true;
    close_issued_ = true;
    enqueue(slot);
    post_prepared(hook);
  }

  // Sends a sealed slot (or lets the test hook drop, duplicate or hold it).
  void send_slot(SendSlot &slot, const WireHook &hook) {
    int32_t action = LF_MPI_WIRE_PASS;
    if (hook.fn != nullptr)
      action = hook.fn(hook.user_data, config_.channel_id, slot.header.sequence, slot.frame.data(), &slot.frame_size);
    if (action == LF_MPI_WIRE_DROP) {
      ++credits_;  // nothing reached the receiver
      return;      // (the slot completes at once: its requests stay null)
    }
    if (action == LF_MPI_WIRE_HOLD && held_ == nullptr) {
      held_ = &slot;
      return;
    }
    post(slot, 0);
    if (action == LF_MPI_WIRE_DUPLICATE) post(slot, 2);
    flush_held_after(slot);
  }

  void post(SendSlot &slot, int first_request) {
    MPI_Isend(slot.frame.data(), static_cast<int>(slot.frame_size), MPI_BYTE, config_.peer,
              tag_of(config_.channel_id, kTagData), config_.comm, &slot.requests[first_request]);
    if (slot.payload != nullptr)
      MPI_Isend(slot.payload, static_cast<int>(slot.payload_size), MPI_BYTE, config_.peer,
                tag_of(config_.channel_id, kTagPayload), config_.comm, &slot.requests[first_request + 1]);
    stats_.frames.add(1);
    stats_.wire_bytes.add(slot.frame_size + slot.payload_size);
  }

  void flush_held_after(const SendSlot &sent) {
    if (held_ != nullptr && held_ != &sent) flush_held();
  }
  void flush_held() {
    if (held_ == nullptr) return;
    SendSlot *held = held_;
    held_ = nullptr;
    post(*held, 0);
  }

  const Compressor compressor_;
  CodecContexts contexts_;  // this thread's, for chunks prepared here
  std::vector<SendSlot> slots_;
  FixedQueue<SendSlot *> unsent_;  // issued, in sequence order, not yet posted
  uint32_t credits_;
  const size_t inline_limit_;
  static constexpr size_t kMaxOpen = 64;  // the bridge's limit on messages peeked ahead
  FixedQueue<OpenMessage> open_;  // oldest first; the newest may still be issuing
  uint64_t sequence_ = 0;
  SendSlot *held_ = nullptr;  // the test hook's held frame
  bool stalled_ = false;
  bool ring_was_empty_ = false;  // the last issue() stopped because the user's ring was empty
  bool consumer_closed_ = false;
  bool close_pending_ = false;
  bool close_issued_ = false;
};

}  // namespace

std::unique_ptr<Link> make_sender(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer) {
  return std::make_unique<Sender>(config, bridge, std::move(sealer));
}

}  // namespace lavaflow::mpi

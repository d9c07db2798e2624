// The producing rank's side of a channel over MPI: takes messages from the bridge's ring in
// order, cuts them into frames (a small message inline in one frame; a large one as chunks,
// each a header frame followed by its payload as a separate MPI message sent straight from
// the ring), compresses and seals them, and sends at most as many frames as the receiver
// has granted credits for. Several messages are in flight at once: they stay in the ring
// (peeked ahead) until their sends complete, and go back to the user's end in order.
#include "core/strings.hpp"
#include "mpi/fixed_queue.hpp"
#include "mpi/link.hpp"

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
  bool issuing() const noexcept { return !started || issued < size; }
};

struct SendSlot {
  std::vector<uint8_t> frame;    // prefix + inline payload
  std::vector<uint8_t> staging;  // a separate payload that is not the ring's bytes (compressed)
  MPI_Request requests[4] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  bool busy = false;
  OpenMessage *ring_bytes_of = nullptr;  // its payload lies in this message's ring bytes
  size_t frame_size = 0;
  const uint8_t *payload = nullptr;  // separate payload, or null
  size_t payload_size = 0;
};

class Sender final : public Link {
 public:
  Sender(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer)
      : Link(config, bridge, std::move(sealer)),
        compressor_(config.compression, config.compression_level, config.min_gain_percent),
        slots_(config.depth),
        credits_(config.depth),
        inline_limit_(inline_limit(config.chunk_size)),
        open_(kMaxOpen) {
    for (auto &slot : slots_) {
      slot.frame.resize(kFramePrefix + inline_limit_);
      if (config.compression != LF_MPI_COMPRESSION_NONE) slot.staging.resize(config.chunk_size);
    }
  }

  ~Sender() override {
    // Sends that never completed (a dead peer) must keep their buffers until MPI lets go.
    for (auto &slot : slots_)
      for (auto &request : slot.requests)
        if (request != MPI_REQUEST_NULL) MPI_Request_free(&request);
  }

  bool sends_in_flight() override { return !all_idle() || Link::sends_in_flight(); }

  bool progress(const WireHook &hook) override {
    if (finished_) return false;
    if (check_peer()) return true;
    // Each test of a pending receive runs MPI's whole progress engine: the control channel
    // (credits, the consumer's notices) is read when credits run low, else now and then.
    bool moved = (credits_ <= config_.depth / 2 || control_poll_due()) && read_control();
    moved |= complete_slots();
    moved |= release_sent();
    for (;;) {
      if (close_issued_) break;
      if (credits_ == 0 || free_slot() == nullptr) {
        // Held back by the receiver (no credit, or its frames not yet taken): a stall if
        // there is something to send.
        if (!stalled_ && (issuing() != nullptr || next_message())) stats_.credit_stalls.fetch_add(1, std::memory_order_relaxed);
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
    maybe_heartbeat(tag_of(config_.channel_id, kTagToReceiver));
    if (close_issued_ && all_idle() && control_idle()) finished_ = true;
    return moved;
  }

 private:
  bool read_control() {
    bool moved = false;
    ControlKind kind;
    uint64_t value = 0;
    while (poll_control(tag_of(config_.channel_id, kTagToSender), kind, value)) {
      moved = true;
      if (kind == kControlCredit) credits_ += static_cast<uint32_t>(std::min<uint64_t>(value, config_.depth));
      if (kind == kControlConsumerClosed && !consumer_closed_) {
        consumer_closed_ = true;
        fail(value == 0 ? LF_ERR_CLOSED : LF_ERR_AUTH,
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
      lf_bridge_release_oldest(bridge_);
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
      if (!slot.busy || &slot == held_) continue;
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
    const uint8_t *source = message.data + message.issued;
    FrameHeader header;
    header.type = kFrameData;
    header.channel_id = config_.channel_id;
    header.sequence = sequence_;
    header.message_bytes = message.size;
    header.offset = message.issued;
    header.raw_bytes = static_cast<uint32_t>(n);
    header.flags = static_cast<uint8_t>((message.issued == 0 ? kFlagFirst : 0) |
                                        (message.issued + n == message.size ? kFlagLast : 0));
    const bool inline_payload = message.size <= inline_limit_;
    uint8_t *out = inline_payload ? slot.frame.data() + kFramePrefix : slot.staging.data();
    size_t packed = 0;
    const Codec codec = compressor_.compress(source, n, out, &packed);
    header.codec = codec;
    if (config_.compression != LF_MPI_COMPRESSION_NONE && n > 0)
      (codec == kCodecRaw ? stats_.raw_chunks : stats_.compressed_chunks).fetch_add(1, std::memory_order_relaxed);
    uint8_t *payload;
    size_t payload_size;
    if (codec != kCodecRaw) {
      payload = out;
      payload_size = packed;
    } else if (inline_payload) {
      if (n > 0) std::memcpy(out, source, n);
      payload = out;
      payload_size = n;
    } else {
      // The ring's bytes are sent (and sealed) in place: the bridge is their only reader now.
      payload = const_cast<uint8_t *>(source);
      payload_size = n;
      slot.ring_bytes_of = &message;
      ++message.ring_refs;
    }
    header.flags |= inline_payload ? kFlagInline : kFlagSeparate;
    header.payload_bytes = static_cast<uint32_t>(payload_size);
    encode_header(header, slot.frame.data());
    if (sealer_) sealer_->seal(sequence_, slot.frame.data(), payload, payload_size, slot.frame.data() + kHeaderBytes);
    else std::memset(slot.frame.data() + kHeaderBytes, 0, kTagBytes);
    slot.frame_size = kFramePrefix + (inline_payload ? payload_size : 0);
    slot.payload = inline_payload ? nullptr : payload;
    slot.payload_size = inline_payload ? 0 : payload_size;
    message.issued += n;
    message.started = true;
    stats_.payload_bytes.fetch_add(n, std::memory_order_relaxed);
    if (message.issued == message.size) stats_.messages.fetch_add(1, std::memory_order_relaxed);
    send_slot(slot, hook);
    release_sent();  // (copied or compressed: the ring's room may go back at once)
  }

  void issue_close(const WireHook &hook) {
    SendSlot &slot = *free_slot();
    FrameHeader header;
    header.type = kFrameClose;
    header.channel_id = config_.channel_id;
    header.sequence = sequence_;
    encode_header(header, slot.frame.data());
    uint8_t nothing = 0;
    if (sealer_) sealer_->seal(sequence_, slot.frame.data(), &nothing, 0, slot.frame.data() + kHeaderBytes);
    else std::memset(slot.frame.data() + kHeaderBytes, 0, kTagBytes);
    slot.frame_size = kFramePrefix;
    slot.payload = nullptr;
    slot.payload_size = 0;
    close_issued_ = true;
    send_slot(slot, hook);
    flush_held();
  }

  // Sends a sealed slot (or lets the test hook drop, duplicate or hold it).
  void send_slot(SendSlot &slot, const WireHook &hook) {
    ++sequence_;
    --credits_;
    slot.busy = true;
    int32_t action = LF_MPI_WIRE_PASS;
    if (hook.fn != nullptr) action = hook.fn(hook.user_data, config_.channel_id, sequence_ - 1, slot.frame.data(), &slot.frame_size);
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
    stats_.frames.fetch_add(1, std::memory_order_relaxed);
    stats_.wire_bytes.fetch_add(slot.frame_size + slot.payload_size, std::memory_order_relaxed);
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

  Compressor compressor_;
  std::vector<SendSlot> slots_;
  uint32_t credits_;
  const size_t inline_limit_;
  static constexpr size_t kMaxOpen = 64;  // the bridge's limit on messages peeked ahead
  FixedQueue<OpenMessage> open_;  // oldest first; the newest may still be issuing
  uint64_t sequence_ = 0;
  SendSlot *held_ = nullptr;  // the test hook's held frame
  bool stalled_ = false;
  bool consumer_closed_ = false;
  bool close_pending_ = false;
  bool close_issued_ = false;
};

}  // namespace

std::unique_ptr<Link> make_sender(const LinkConfig &config, lf_channel_t *bridge, std::unique_ptr<Sealer> sealer) {
  return std::make_unique<Sender>(config, bridge, std::move(sealer));
}

}  // namespace lavaflow::mpi

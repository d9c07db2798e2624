// The producing rank's side of a channel over MPI: takes messages from the bridge's ring in
// order, cuts them into frames (a small message inline in one frame; a large one as chunks,
// each a header frame followed by its payload as a separate MPI message sent straight from
// the ring), compresses and seals them, and sends at most as many frames as the receiver
// has granted credits for.
#include "core/strings.hpp"
#include "mpi/link.hpp"

#include <lavaflow/extension.h>

#include <cstdio>
#include <cstring>

namespace lavaflow::mpi {

namespace {

struct SendSlot {
  std::vector<uint8_t> frame;    // prefix + inline payload
  std::vector<uint8_t> staging;  // a separate payload that is not the ring's bytes (compressed)
  MPI_Request requests[4] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL, MPI_REQUEST_NULL};
  bool busy = false;
  bool holds_ring = false;  // its payload lies in the current message's ring bytes
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
        copy_limit_(static_cast<size_t>(std::min<uint64_t>(config.chunk_size, kCopyLimit))) {
    for (auto &slot : slots_) {
      slot.frame.resize(kFramePrefix + inline_limit_);
      slot.staging.resize(config.compression != LF_MPI_COMPRESSION_NONE ? config.chunk_size : copy_limit_);
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
    if (current_.active && current_.issued == current_.size && current_.ring_refs == 0 && current_.frames > 0) {
      lf_channel_release(bridge_);
      current_.active = false;
      moved = true;
    }
    for (;;) {
      if (close_issued_) break;
      if (credits_ == 0 || free_slot() == nullptr) {
        // Held back by the receiver (no credit, or its frames not yet taken): a stall if
        // there is something to send.
        if (!stalled_ && (current_.active || next_message())) stats_.credit_stalls.fetch_add(1, std::memory_order_relaxed);
        stalled_ = true;
        break;
      }
      stalled_ = false;
      if (!current_.active && !next_message()) break;
      if (close_pending_) {
        issue_close(hook);
        moved = true;
        break;
      }
      if (current_.issued == current_.size && current_.frames > 0) {  // waiting for its chunks to be taken
        if (!stalled_) stats_.credit_stalls.fetch_add(1, std::memory_order_relaxed);
        stalled_ = true;
        break;
      }
      issue_chunk(hook);
      moved = true;
    }
    maybe_heartbeat(tag_of(config_.channel_id, kTagToReceiver));
    if (close_issued_ && all_idle() && control_idle()) finished_ = true;
    return moved;
  }

 private:
  struct Current {
    bool active = false;
    const uint8_t *data = nullptr;
    size_t size = 0;
    size_t issued = 0;
    uint32_t ring_refs = 0;
    uint32_t frames = 0;
  };

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

  // The next message from the ring, or the close. False when there is nothing to do.
  bool next_message() {
    if (consumer_closed_ || failed_) {
      close_pending_ = true;
      return true;
    }
    const void *data = nullptr;
    size_t size = 0;
    const lf_status_t status = lf_channel_peek(bridge_, 0, &data, &size);
    if (status == LF_WOULD_BLOCK) return false;
    if (status != LF_OK) {  // the user closed (LF_END_OF_STREAM) or is gone
      close_pending_ = true;
      return true;
    }
    current_ = Current{true, static_cast<const uint8_t *>(data), size, 0, 0, 0};
    return true;
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
      if (slot.holds_ring) --current_.ring_refs;
      slot.holds_ring = false;
      moved = true;
    }
    return moved;
  }

  void issue_chunk(const WireHook &hook) {
    SendSlot &slot = *free_slot();
    const size_t n = std::min<size_t>(current_.size - current_.issued, config_.chunk_size);
    const uint8_t *source = current_.data + current_.issued;
    FrameHeader header;
    header.type = kFrameData;
    header.channel_id = config_.channel_id;
    header.sequence = sequence_;
    header.message_bytes = current_.size;
    header.offset = current_.issued;
    header.raw_bytes = static_cast<uint32_t>(n);
    header.flags = static_cast<uint8_t>((current_.issued == 0 ? kFlagFirst : 0) |
                                        (current_.issued + n == current_.size ? kFlagLast : 0));
    const bool inline_payload = current_.size <= inline_limit_;
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
    } else if (inline_payload || current_.size <= copy_limit_) {
      if (n > 0) std::memcpy(out, source, n);
      payload = out;
      payload_size = n;
    } else {
      // The ring's bytes are sent (and sealed) in place: the bridge is their only reader now.
      payload = const_cast<uint8_t *>(source);
      payload_size = n;
      slot.holds_ring = true;
      ++current_.ring_refs;
    }
    header.flags |= inline_payload ? kFlagInline : kFlagSeparate;
    header.payload_bytes = static_cast<uint32_t>(payload_size);
    encode_header(header, slot.frame.data());
    if (sealer_) sealer_->seal(sequence_, slot.frame.data(), payload, payload_size, slot.frame.data() + kHeaderBytes);
    else std::memset(slot.frame.data() + kHeaderBytes, 0, kTagBytes);
    slot.frame_size = kFramePrefix + (inline_payload ? payload_size : 0);
    slot.payload = inline_payload ? nullptr : payload;
    slot.payload_size = inline_payload ? 0 : payload_size;
    current_.issued += n;
    ++current_.frames;
    stats_.payload_bytes.fetch_add(n, std::memory_order_relaxed);
    if (current_.issued == current_.size) stats_.messages.fetch_add(1, std::memory_order_relaxed);
    send_slot(slot, hook);
    if (inline_payload || current_.size <= copy_limit_) {  // copied: the ring's room goes back at once
      lf_channel_release(bridge_);
      current_.active = false;
    }
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
  // Messages up to this size are copied out of the ring, so that several can be in flight;
  // larger ones are sent from the ring in place, chunk after chunk.
  static constexpr uint64_t kCopyLimit = 256 << 10;
  const size_t copy_limit_;
  uint64_t sequence_ = 0;
  Current current_;
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

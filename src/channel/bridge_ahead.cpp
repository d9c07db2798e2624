// The add-on end of a bridge (extension.h) keeps several messages open at once: a sender
// over MPI sends several messages straight from the ring while they stay unreleased, and a
// receiver receives several into ring room it reserved ahead. Both hand them over in order.
#include "channel/channel.hpp"

namespace lavaflow::channel {

lf_status_t Channel::reserve_ahead(size_t size, void **out_data) noexcept {
  if (role_ != LF_CHANNEL_PRODUCER) return fail(LF_ERR_INVALID_STATE, "only a producer can reserve");
  if (closed_) return fail(LF_ERR_CLOSED, "this end was closed");
  if (producer_.reserved()) return fail(LF_ERR_INVALID_STATE, "a reservation made by lf_channel_reserve() is pending");
  if (size > max_message_) return fail(LF_ERR_INVALID_ARGUMENT, "the message is larger than the channel's max_message_size");
  const lf_status_t status = try_reserve(size, out_data, true);
  if (status == LF_WOULD_BLOCK) return fail(status, "the ring is full");
  if (status == LF_ERR_LIMIT) return fail(status, "64 reservations are open: commit the oldest first");
  return status;
}

lf_status_t Channel::commit_oldest() noexcept {
  if (role_ != LF_CHANNEL_PRODUCER || producer_.ahead_count() == 0)
    return fail(LF_ERR_INVALID_STATE, "nothing is reserved ahead");
  const bool seq_cst = publish_seq_cst(header_->consumer_promise);
  const size_t size = producer_.commit_oldest(seq_cst);
  wake_consumer(seq_cst);
  count_message(size);
  return LF_OK;
}

lf_status_t Channel::queued(uint64_t *out_bytes) noexcept {
  if (role_ != LF_CHANNEL_PRODUCER) return fail(LF_ERR_INVALID_STATE, "only a producer end knows what it queued");
  *out_bytes = producer_.queued_bytes();
  return LF_OK;
}

lf_status_t Channel::peek_ahead(const void **out_data, size_t *out_size) noexcept {
  if (role_ != LF_CHANNEL_CONSUMER || rings_.size() != 1)
    return fail(LF_ERR_INVALID_STATE, "only a single-producer channel's consumer can peek ahead");
  if (closed_) return fail(LF_ERR_CLOSED, "this end was closed");
  if (peeked_ring_ >= 0) return fail(LF_ERR_INVALID_STATE, "a message peeked by lf_channel_peek() is pending");
  transport::ConsumerRing &ring = rings_[0];
  transport::RecordType type;
  lf_status_t status = ring.try_peek_ahead(out_data, out_size, &type);
  if (status == LF_WOULD_BLOCK) {
    bool dead = false;
    if (!producers_gone(dead)) return fail(LF_WOULD_BLOCK, "no message is waiting");
    status = ring.try_peek_ahead(out_data, out_size, &type);
    if (status == LF_WOULD_BLOCK && ring.ahead_count() > 0) return fail(status, "no message is waiting");
    if (status == LF_WOULD_BLOCK)
      return dead ? peer_gone(LF_ERR_PEER_DEAD, "the producing end died") : peer_gone(LF_END_OF_STREAM, "");
  }
  if (status == LF_ERR_CORRUPT) return fail(status, "the ring failed validation: the region is corrupt");
  if (status == LF_ERR_LIMIT) return fail(status, "64 messages are open: release the oldest first");
  if (status == LF_OK && type != transport::kRecordData) {
    ring.release_oldest(false, out_size);  // (only buffer messages make such records, and they cannot cross a bridge)
    return fail(LF_ERR_PROTOCOL, "a buffer message in a bridged channel's ring");
  }
  return status;
}

lf_status_t Channel::release_oldest() noexcept {
  if (role_ != LF_CHANNEL_CONSUMER || rings_.size() != 1 || rings_[0].ahead_count() == 0)
    return fail(LF_ERR_INVALID_STATE, "nothing is peeked ahead");
  transport::ConsumerRing &ring = rings_[0];
  size_t size = 0;
  if (ring.release_oldest(publish_seq_cst(ring.control()->producer_promise), &size)) wake_producer(ring.control());
  count_message(size);
  return LF_OK;
}

}  // namespace lavaflow::channel

#include "mpi/frame_checker.hpp"


namespace lavaflow::mpi {

const char *FrameChecker::check(const uint8_t *bytes, size_t count, FrameHeader &h) const noexcept {
  if (rules_.short_frames && is_short_frame_length(count)) return short_frame_header(count, h);
  if (count < kFramePrefix) return "shorter than a frame header";
  const char *problem = nullptr;
  if (decode_header(bytes, h, &problem) != LF_OK) return problem;
  if (h.channel_id != rules_.channel_id) return "it names another channel";
  if (h.sequence != expected_sequence_)
    return h.sequence < expected_sequence_ ? "replayed (its sequence number was already seen)"
                                           : "out of order (a frame before it is missing)";
  if (h.type == kFrameClose) return nullptr;
  return check_lengths(h, count);
}

void FrameChecker::accept(const FrameHeader &h) noexcept {
  if (h.flags & kFlagFirst) message_bytes_ = h.message_bytes;
  in_message_ = (h.flags & kFlagLast) == 0;
  ++expected_sequence_;
  next_offset_ = h.offset + h.raw_bytes;  // what the next header must continue from
}

const char *FrameChecker::short_frame_header(size_t count, FrameHeader &h) const noexcept {
  const uint32_t n = static_cast<uint32_t>(count);
  h.type = kFrameData;
  h.flags = kFlagFirst | kFlagLast | kFlagInline;
  h.codec = kCodecRaw;
  h.channel_id = rules_.channel_id;
  h.payload_bytes = h.raw_bytes = n;
  h.message_bytes = n;
  h.sequence = expected_sequence_;
  h.offset = 0;
  if (in_message_) return "a short frame in the middle of a chunked message";
  return count > rules_.inline_limit ? "a short frame longer than the inline limit" : nullptr;
}

const char *FrameChecker::check_lengths(const FrameHeader &h, size_t count) const noexcept {
  const bool first = h.flags & kFlagFirst, last = h.flags & kFlagLast;
  if (h.message_bytes > rules_.max_message) return "its message is larger than this end's max_message_size";
  if (h.raw_bytes > rules_.chunk_size) return "a chunk larger than the channel's chunk size";
  if (h.codec != kCodecRaw && !rules_.compression) return "compressed, but its sender announced no compression";
  if (h.codec == kCodecRaw ? h.payload_bytes != h.raw_bytes : h.payload_bytes >= h.raw_bytes)
    return "its payload length does not fit its codec";
  if (first && in_message_) return "a new message before the last chunk of the one in progress";
  if (first != (h.offset == 0)) return "the first-chunk flag disagrees with the offset";
  if (!first && (h.message_bytes != message_bytes_ || h.offset != next_offset_))
    return "a chunk that does not continue the message in progress";
  if (h.offset + h.raw_bytes > h.message_bytes || last != (h.offset + h.raw_bytes == h.message_bytes))
    return "the last-chunk flag or the lengths disagree with the message's size";
  if (h.flags & kFlagInline) {
    if (!first || !last) return "an inline frame must carry a whole message";
    if (count != kFramePrefix + h.payload_bytes) return "truncated (its length disagrees with its header)";
  } else if (count != kFramePrefix) {
    return "a chunk header with bytes after it";
  }
  return nullptr;
}

}  // namespace lavaflow::mpi

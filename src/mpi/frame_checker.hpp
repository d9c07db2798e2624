// The receiving end's rules for the frames of one channel direction (docs/wire-formats.md,
// "MPI frames"): what a frame of `count` bytes stands for — a short frame's implied header or
// a full frame's decoded one — and whether it may come now, given the sequence and the
// message in progress. Pure bookkeeping over bytes another host sent, with no MPI in it: the
// receiver runs every frame through it, and so does the fuzz target (tests/fuzz).
#pragma once

#include "mpi/frame.hpp"

#include <cstddef>
#include <cstdint>

namespace lavaflow::mpi {

struct FrameRules {
  uint32_t channel_id = 0;
  uint64_t max_message = 0;  // this end's max_message_size
  uint64_t chunk_size = 0;   // the channel's
  uint32_t inline_limit = 0;  // the largest inline payload (inline_limit() of the chunk size)
  bool compression = false;   // the sender announced a codec
  bool short_frames = false;  // both ends announced short frames (kHelloShortFrames)
};

class FrameChecker {
 public:
  explicit FrameChecker(const FrameRules &rules) noexcept : rules_(rules) {}

  // The header of the frame of `count` bytes at `bytes` (implied for a short frame) in `h`;
  // nullptr when it may be handled now (a close frame too: its own rules are the caller's),
  // else why it is refused. Changes nothing.
  const char *check(const uint8_t *bytes, size_t count, FrameHeader &h) const noexcept;
  // A data frame `check` let through was taken: the sequence and the message move on.
  void accept(const FrameHeader &h) noexcept;

  // Whether the frame of `count` bytes is a short frame this end may take as a whole message.
  bool short_frame_fits(size_t count) const noexcept {
    return rules_.short_frames && !in_message_ && is_short_frame_length(count) && count <= rules_.inline_limit;
  }
  uint64_t expected_sequence() const noexcept { return expected_sequence_; }
  bool in_message() const noexcept { return in_message_; }  // its first frame came, its last not yet

 private:
  const char *short_frame_header(size_t count, FrameHeader &h) const noexcept;
  const char *check_lengths(const FrameHeader &h, size_t count) const noexcept;

  FrameRules rules_;
  uint64_t expected_sequence_ = 0;
  uint64_t message_bytes_ = 0;  // of the message in progress
  uint64_t next_offset_ = 0;    // where its next chunk must continue
  bool in_message_ = false;
};

}  // namespace lavaflow::mpi

// A consumer's position in a stream and the choice of which frame to read next, by mode
// (tensor-pool.md, "Consumer modes and drops"), with exact accounting: every sequence below
// position() has been counted exactly once as read, gapped (overwritten before it was read),
// late (overwritten while it was read), invalid (its header failed validation) or skipped (passed
// over by choice: LATEST, DECIMATED, RATE_LIMITED). Pure logic: no memory access, no clock read.
#pragma once

#include <cstdint>
#include <optional>

namespace lavaflow::pool {

enum class Mode { stream, latest, decimated, rate_limited };

struct CursorConfig {
  Mode mode = Mode::stream;
  uint32_t nslots = 0;            // of the stream's ring (frames older than published - nslots are gone)
  uint32_t every = 1;             // decimated: read sequences that are multiples of this
  uint64_t min_interval_ns = 0;   // rate limited: 1e9 / max_rate_hz
};

struct CursorCounters {
  uint64_t read = 0;
  uint64_t drops_gap = 0;
  uint64_t drops_late = 0;
  uint64_t invalid = 0;
  uint64_t skipped = 0;
  uint64_t total() const noexcept { return read + drops_gap + drops_late + invalid + skipped; }
  CursorCounters &operator+=(const CursorCounters &other) noexcept {
    read += other.read;
    drops_gap += other.drops_gap;
    drops_late += other.drops_late;
    invalid += other.invalid;
    skipped += other.skipped;
    return *this;
  }
};

class Cursor {
 public:
  // Starts at sequence `start` (frames before it are not this consumer's business).
  Cursor(const CursorConfig &config, uint64_t start) noexcept : config_(config), position_(start) {}

  // The sequence to read now, given that frames [0, published) were published, or nothing
  // (nothing new, or a rate limit not yet elapsed). Counts what it passes over.
  std::optional<uint64_t> next(uint64_t published, int64_t now_ns) noexcept;

  // What became of the sequence next() chose; each advances past it.
  void read(uint64_t seq, int64_t now_ns) noexcept;
  void lapped(uint64_t seq) noexcept;
  void late(uint64_t seq) noexcept;
  void invalid(uint64_t seq) noexcept;

  // Leaves the epoch: [position, published) is counted as gapped (wanted) or skipped.
  void abandon(uint64_t published) noexcept { pass(published, true); }
  // Rate limited: when the next read is allowed (nothing if it is now).
  std::optional<int64_t> due_ns() const noexcept {
    if (config_.mode != Mode::rate_limited || !last_read_ns_) return std::nullopt;
    return *last_read_ns_ + static_cast<int64_t>(config_.min_interval_ns);
  }

  uint64_t position() const noexcept { return position_; }
  const CursorCounters &counters() const noexcept { return counters_; }

 private:
  // Frames older than published - nslots are certainly gone: account for them at once
  // (gapped if this mode wanted them, skipped otherwise) instead of one failed read each.
  void pass_gone(uint64_t published) noexcept;
  // Counts [position_, to) as skipped (or, for the wanted ones, gapped) and moves there.
  void pass(uint64_t to, bool wanted_are_gaps) noexcept;
  uint64_t wanted_in(uint64_t from, uint64_t to) const noexcept;  // how many of [from, to) this mode would read
  void advance(uint64_t seq) noexcept { position_ = seq + 1; }

  CursorConfig config_;
  uint64_t position_;
  CursorCounters counters_;
  std::optional<int64_t> last_read_ns_;
};

}  // namespace lavaflow::pool

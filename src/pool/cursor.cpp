#include "pool/cursor.hpp"

namespace lavaflow::pool {

namespace {

uint64_t multiples_below(uint64_t n, uint32_t every) noexcept { return (n + every - 1) / every; }  // in [0, n)

}  // namespace

uint64_t Cursor::wanted_in(uint64_t from, uint64_t to) const noexcept {
  if (to <= from) return 0;
  switch (config_.mode) {
    case Mode::stream: return to - from;
    case Mode::decimated: {
      const uint32_t every = config_.every == 0 ? 1 : config_.every;
      return multiples_below(to, every) - multiples_below(from, every);
    }
    default: return 0;  // latest, rate limited: only the newest, chosen in next()
  }
}

void Cursor::pass(uint64_t to, bool wanted_are_gaps) noexcept {
  if (to <= position_) return;
  const uint64_t wanted = wanted_are_gaps ? wanted_in(position_, to) : 0;
  counters_.drops_gap += wanted;
  counters_.skipped += (to - position_) - wanted;
  position_ = to;
}

void Cursor::pass_gone(uint64_t published) noexcept {
  if (config_.nslots != 0 && published > config_.nslots) pass(published - config_.nslots, true);
}

std::optional<uint64_t> Cursor::next(uint64_t published, int64_t now_ns) noexcept {
  if (published <= position_) return std::nullopt;
  pass_gone(published);
  switch (config_.mode) {
    case Mode::stream: return position_;
    case Mode::decimated: {
      const uint32_t every = config_.every == 0 ? 1 : config_.every;
      const uint64_t candidate = multiples_below(position_, every) * every;  // the first multiple >= position
      if (candidate >= published) {
        pass(published, false);  // nothing wanted among them
        return std::nullopt;
      }
      pass(candidate, false);
      return candidate;
    }
    case Mode::rate_limited:
      if (last_read_ns_ && now_ns - *last_read_ns_ < static_cast<int64_t>(config_.min_interval_ns)) return std::nullopt;
      [[fallthrough]];
    case Mode::latest:
      pass(published - 1, false);  // older frames: passed over by choice
      return published - 1;
  }
  return std::nullopt;
}

void Cursor::read(uint64_t seq, int64_t now_ns) noexcept {
  ++counters_.read;
  last_read_ns_ = now_ns;
  advance(seq);
}

void Cursor::lapped(uint64_t seq) noexcept {
  ++counters_.drops_gap;
  advance(seq);
}

void Cursor::late(uint64_t seq) noexcept {
  ++counters_.drops_late;
  advance(seq);
}

void Cursor::invalid(uint64_t seq) noexcept {
  ++counters_.invalid;
  advance(seq);
}

}  // namespace lavaflow::pool

#include "core/bitmap.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <bit>
#include <charconv>

namespace lavaflow::core {

Bitmap::Bitmap(std::vector<uint64_t> words) : words_(std::move(words)) { trim(); }

void Bitmap::trim() noexcept {
  while (!words_.empty() && words_.back() == 0) words_.pop_back();
}

void Bitmap::set(uint32_t index) {
  size_t word = index / 64;
  if (words_.size() <= word) words_.resize(word + 1, 0);
  words_[word] |= uint64_t{1} << (index % 64);
}

bool Bitmap::test(uint32_t index) const noexcept {
  size_t word = index / 64;
  return word < words_.size() && ((words_[word] >> (index % 64)) & 1u) != 0;
}

uint32_t Bitmap::count() const noexcept {
  uint32_t total = 0;
  for (uint64_t w : words_) total += static_cast<uint32_t>(std::popcount(w));
  return total;
}

uint32_t Bitmap::first() const noexcept {
  for (size_t i = 0; i < words_.size(); ++i)
    if (words_[i] != 0) return static_cast<uint32_t>(i * 64 + static_cast<size_t>(std::countr_zero(words_[i])));
  return UINT32_MAX;
}

bool Bitmap::intersects(const Bitmap &other) const noexcept {
  size_t n = std::min(words_.size(), other.words_.size());
  for (size_t i = 0; i < n; ++i)
    if ((words_[i] & other.words_[i]) != 0) return true;
  return false;
}

bool Bitmap::is_subset_of(const Bitmap &other) const noexcept {
  for (size_t i = 0; i < words_.size(); ++i) {
    uint64_t theirs = i < other.words_.size() ? other.words_[i] : 0;
    if ((words_[i] & ~theirs) != 0) return false;
  }
  return true;
}

Bitmap Bitmap::intersection(const Bitmap &other) const {
  size_t n = std::min(words_.size(), other.words_.size());
  std::vector<uint64_t> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = words_[i] & other.words_[i];
  return Bitmap(std::move(out));
}

std::string Bitmap::to_list() const {
  std::string out;
  uint32_t limit = static_cast<uint32_t>(words_.size() * 64);
  uint32_t i = 0;
  while (i < limit) {
    if (!test(i)) {
      ++i;
      continue;
    }
    uint32_t start = i;
    while (i + 1 < limit && test(i + 1)) ++i;
    if (!out.empty()) out += ',';
    out += std::to_string(start);
    if (i > start) {
      out += '-';  // (not "-" + to_string(i): GCC 12 warns falsely on that at -O2, bug 105329)
      out += std::to_string(i);
    }
    ++i;
  }
  return out;
}

namespace {

uint32_t parse_index(std::string_view list, std::string_view token) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size())
    fail(LF_ERR_INVALID_ARGUMENT, "cpuset list '%.*s': '%.*s' is not a non-negative number",
         static_cast<int>(list.size()), list.data(), static_cast<int>(token.size()), token.data());
  if (value > Bitmap::kMaxIndex)
    fail(LF_ERR_INVALID_ARGUMENT, "cpuset list '%.*s': index %u is above the limit %u",
         static_cast<int>(list.size()), list.data(), value, Bitmap::kMaxIndex);
  return value;
}

}  // namespace

Bitmap Bitmap::parse_list(std::string_view text) {
  std::string_view list = core::trim(text);
  if (list.empty()) fail(LF_ERR_INVALID_ARGUMENT, "cpuset list is empty");
  Bitmap out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string_view item = core::trim(list.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    size_t dash = item.find('-');
    uint32_t lo = parse_index(list, core::trim(item.substr(0, dash)));
    uint32_t hi = dash == std::string_view::npos ? lo : parse_index(list, core::trim(item.substr(dash + 1)));
    if (hi < lo)
      fail(LF_ERR_INVALID_ARGUMENT, "cpuset list '%.*s': range %u-%u is reversed",
           static_cast<int>(list.size()), list.data(), lo, hi);
    for (uint32_t i = lo; i <= hi; ++i) out.set(i);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::vector<uint32_t> Bitmap::indices() const {
  std::vector<uint32_t> out;
  for (size_t w = 0; w < words_.size(); ++w)
    for (uint64_t word = words_[w]; word != 0; word &= word - 1)
      out.push_back(static_cast<uint32_t>(w * 64 + static_cast<size_t>(__builtin_ctzll(word))));
  return out;
}

}  // namespace lavaflow::core

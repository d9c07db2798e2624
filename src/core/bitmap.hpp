// A set of small non-negative integers (PU, NUMA node or package indices), stored as
// 64-bit words. Kept canonical (no trailing zero words) so that equality is word equality
// and the serialized form is unique.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lavaflow::core {

class Bitmap {
 public:
  // Largest index a Bitmap accepts when parsed from text or bytes (65535 PUs).
  static constexpr uint32_t kMaxIndex = 65535;
  static constexpr uint32_t kMaxWords = (kMaxIndex + 1) / 64;

  Bitmap() = default;
  explicit Bitmap(std::vector<uint64_t> words);

  // Parses a list such as "0-3,8,10-11". Throws Error(LF_ERR_INVALID_ARGUMENT) on bad text.
  static Bitmap parse_list(std::string_view text);

  void set(uint32_t index);
  bool test(uint32_t index) const noexcept;
  bool empty() const noexcept { return words_.empty(); }
  uint32_t count() const noexcept;
  uint32_t first() const noexcept;  // requires !empty()
  bool is_single() const noexcept { return count() == 1; }
  bool intersects(const Bitmap &other) const noexcept;
  bool is_subset_of(const Bitmap &other) const noexcept;
  Bitmap intersection(const Bitmap &other) const;
  // The members, ascending.
  std::vector<uint32_t> indices() const;

  const std::vector<uint64_t> &words() const noexcept { return words_; }

  // "0-3,8,10-11"; "" for the empty set.
  std::string to_list() const;

  bool operator==(const Bitmap &other) const noexcept { return words_ == other.words_; }

 private:
  void trim() noexcept;
  std::vector<uint64_t> words_;
};

}  // namespace lavaflow::core

#include "core/checksum.hpp"

#include "core/byte_io.hpp"

#include <array>

namespace lavaflow::core {

namespace {

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}

constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

}  // namespace

uint32_t crc32(const void *data, size_t size, uint32_t crc) noexcept {
  const auto *p = static_cast<const uint8_t *>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xffu] ^ (crc >> 8);
  return ~crc;
}

void Fnv1a64::add(const void *data, size_t size) noexcept {
  const auto *p = static_cast<const uint8_t *>(data);
  for (size_t i = 0; i < size; ++i) {
    hash_ ^= p[i];
    hash_ *= 0x100000001b3ull;
  }
}

void Fnv1a64::add_u64(uint64_t value) noexcept {
  uint8_t bytes[8];
  store_le(bytes, value);
  add(bytes, sizeof bytes);
}

}  // namespace lavaflow::core

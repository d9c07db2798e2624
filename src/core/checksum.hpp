// Checksums and hashes used by wire formats and fingerprints.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lavaflow::core {

// CRC-32 (IEEE 802.3, the polynomial of zlib and Ethernet): every language has it, so
// peers in Rust or Julia can produce and check lavaflow blobs without lavaflow.
uint32_t crc32(const void *data, size_t size, uint32_t crc = 0) noexcept;

// 64-bit FNV-1a, for fingerprints that only need to be equal for equal inputs.
class Fnv1a64 {
 public:
  void add(const void *data, size_t size) noexcept;
  void add(std::string_view text) noexcept { add(text.data(), text.size()); }
  void add_u64(uint64_t value) noexcept;
  uint64_t value() const noexcept { return hash_; }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ull;
};

}  // namespace lavaflow::core

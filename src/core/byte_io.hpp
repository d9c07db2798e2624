// Little-endian encoding into and decoding out of byte buffers, for every wire format
// lavaflow defines. Fields may be unaligned, so every access is a byte copy, never a cast.
// ByteReader checks every read against the end of the input and throws
// Error(LF_ERR_CORRUPT) naming the field, so a truncated input can never be over-read.
#pragma once

#include "core/error.hpp"

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lavaflow::core {

template <typename T>
inline void store_le(uint8_t *out, T value) noexcept {
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

template <typename T>
inline T load_le(const uint8_t *in) noexcept {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return static_cast<T>(value);
}

class ByteWriter {
 public:
  void u8(uint8_t v) { bytes_.push_back(v); }
  void u16(uint16_t v) { put(v); }
  void u32(uint32_t v) { put(v); }
  void u64(uint64_t v) { put(v); }
  void raw(const void *data, size_t size) {
    const auto *p = static_cast<const uint8_t *>(data);
    bytes_.insert(bytes_.end(), p, p + size);
  }
  void zeros(size_t count) { bytes_.insert(bytes_.end(), count, 0); }
  void pad_to(size_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
  }
  size_t size() const noexcept { return bytes_.size(); }
  // Overwrites an already written field (lengths and checksums known only at the end).
  void patch_u32(size_t offset, uint32_t v) noexcept { store_le(bytes_.data() + offset, v); }
  std::vector<uint8_t> &bytes() noexcept { return bytes_; }

 private:
  template <typename T>
  void put(T v) {
    uint8_t b[sizeof(T)];
    store_le(b, v);
    raw(b, sizeof b);
  }
  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  // `what` names the structure in error messages ("identity blob").
  ByteReader(std::span<const uint8_t> data, const char *what) : data_(data), what_(what) {}

  uint8_t u8(const char *field) { return get<uint8_t>(field); }
  uint16_t u16(const char *field) { return get<uint16_t>(field); }
  uint32_t u32(const char *field) { return get<uint32_t>(field); }
  uint64_t u64(const char *field) { return get<uint64_t>(field); }
  std::span<const uint8_t> raw(size_t size, const char *field) {
    need(size, field);
    auto out = data_.subspan(pos_, size);
    pos_ += size;
    return out;
  }
  std::string_view text(size_t size, const char *field) {
    auto bytes = raw(size, field);
    return {reinterpret_cast<const char *>(bytes.data()), bytes.size()};
  }
  void skip(size_t size, const char *field) { (void)raw(size, field); }
  size_t position() const noexcept { return pos_; }
  size_t remaining() const noexcept { return data_.size() - pos_; }

 private:
  void need(size_t size, const char *field) const {
    if (size > data_.size() - pos_)
      fail(LF_ERR_CORRUPT, "%s is truncated: %s needs %zu bytes at offset %zu, only %zu remain", what_,
           field, size, pos_, data_.size() - pos_);
  }
  template <typename T>
  T get(const char *field) {
    need(sizeof(T), field);
    T v = load_le<T>(data_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  const char *what_;
};

}  // namespace lavaflow::core

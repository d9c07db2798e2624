#include "pool/metadata.hpp"

#include "core/byte_io.hpp"
#include "core/error.hpp"
#include "core/seqlock.hpp"

#include <cstring>

namespace lavaflow::pool {

using core::fail;

namespace {

void check_text(const std::string &text, size_t max, const char *what) {
  if (text.size() > max) fail(LF_ERR_INVALID_ARGUMENT, "metadata %s is %zu bytes; at most %zu", what, text.size(), max);
  if (text.find('\0') != std::string::npos) fail(LF_ERR_INVALID_ARGUMENT, "metadata %s contains a NUL byte", what);
}

void put_text(core::ByteWriter &w, const std::string &text) {
  w.u8(static_cast<uint8_t>(text.size()));
  w.raw(text.data(), text.size());
}

std::string get_text(core::ByteReader &r, size_t max, const char *field) {
  const uint8_t length = r.u8(field);
  if (length > max) fail(LF_ERR_CORRUPT, "stream metadata: %s is %u bytes; at most %zu", field, length, max);
  return std::string(r.text(length, field));
}

}  // namespace

void validate_metadata(const StreamMetadata &meta) {
  check_text(meta.name, kMetaNameMax, "name");
  check_text(meta.units, kMetaUnitsMax, "units");
  if (meta.attributes.size() > kMetaAttributesMax)
    fail(LF_ERR_INVALID_ARGUMENT, "metadata has %zu attributes; at most %zu", meta.attributes.size(), kMetaAttributesMax);
  for (const auto &[key, value] : meta.attributes) {
    if (key.empty()) fail(LF_ERR_INVALID_ARGUMENT, "a metadata attribute has an empty key");
    check_text(key, kMetaKeyMax, "attribute key");
    check_text(value, kMetaValueMax, "attribute value");
  }
}

std::vector<uint8_t> encode_metadata(const StreamMetadata &meta) {
  validate_metadata(meta);
  core::ByteWriter w;
  put_text(w, meta.name);
  put_text(w, meta.units);
  w.u8(static_cast<uint8_t>(meta.attributes.size()));
  for (const auto &[key, value] : meta.attributes) {
    put_text(w, key);
    put_text(w, value);
  }
  return std::move(w.bytes());
}

StreamMetadata decode_metadata(const uint8_t *data, size_t size, uint32_t version) {
  core::ByteReader r({data, size}, "stream metadata");
  StreamMetadata meta;
  meta.version = version;
  meta.name = get_text(r, kMetaNameMax, "name");
  meta.units = get_text(r, kMetaUnitsMax, "units");
  const uint8_t count = r.u8("attribute count");
  if (count > kMetaAttributesMax) fail(LF_ERR_CORRUPT, "stream metadata: %u attributes; at most %zu", count, kMetaAttributesMax);
  for (uint8_t i = 0; i < count; ++i) {
    std::string key = get_text(r, kMetaKeyMax, "attribute key");
    std::string value = get_text(r, kMetaValueMax, "attribute value");
    meta.attributes.emplace_back(std::move(key), std::move(value));
  }
  if (r.remaining() != 0) fail(LF_ERR_CORRUPT, "stream metadata: %zu bytes after the last attribute", r.remaining());
  return meta;
}

void write_metadata(const ControlView &control, const StreamMetadata &meta) {
  namespace o = control_offset;
  std::vector<uint8_t> record = encode_metadata(meta);
  alignas(8) uint8_t image[o::meta_capacity] = {};
  std::memcpy(image, record.data(), record.size());
  auto seq = control.u64(o::meta_seq);
  const uint64_t before = seq.load(std::memory_order_relaxed);
  seq.store(before | 1, std::memory_order_relaxed);  // odd: being written
  core::seqlock_write_fence();
  control.u32(o::meta_record_version).store(meta.version, std::memory_order_relaxed);
  control.u32(o::meta_bytes).store(static_cast<uint32_t>(record.size()), std::memory_order_relaxed);
  core::store_words(reinterpret_cast<uint64_t *>(control.base() + o::meta_data), reinterpret_cast<const uint64_t *>(image),
                    (record.size() + 7) / 8);
  seq.store((before | 1) + 1, std::memory_order_release);
  control.u32(o::meta_version).store(meta.version, std::memory_order_release);
}

StreamMetadata read_metadata(const ControlView &control) {
  namespace o = control_offset;
  alignas(8) uint8_t image[o::meta_capacity];
  auto seq = control.u64(o::meta_seq);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const uint64_t before = seq.load(std::memory_order_acquire);
    if (before & 1) continue;
    const uint32_t version = control.u32(o::meta_record_version).load(std::memory_order_relaxed);
    const uint32_t bytes = control.u32(o::meta_bytes).load(std::memory_order_relaxed);
    if (bytes > o::meta_capacity) {
      core::seqlock_read_fence();
      if (seq.load(std::memory_order_relaxed) != before) continue;
      fail(LF_ERR_CORRUPT, "stream metadata: length %u exceeds the %zu bytes reserved for it", bytes, o::meta_capacity);
    }
    core::load_words(reinterpret_cast<uint64_t *>(image), reinterpret_cast<const uint64_t *>(control.base() + o::meta_data),
                     (bytes + 7) / 8);
    core::seqlock_read_fence();
    if (seq.load(std::memory_order_relaxed) != before) continue;
    if (version == 0) return {};
    return decode_metadata(image, bytes, version);
  }
  fail(LF_ERR_BUSY, "the stream metadata kept changing while it was read");
}

}  // namespace lavaflow::pool

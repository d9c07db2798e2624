#include "mpi/pool_bridge_wire.hpp"

#include "core/byte_io.hpp"

#include <cstring>

namespace lavaflow::mpi {

using core::load_le;
using core::store_le;

namespace {

constexpr size_t kNameBytes = sizeof(lf_pool_metadata_t::name);
constexpr size_t kUnitsBytes = sizeof(lf_pool_metadata_t::units);
constexpr size_t kKeyBytes = sizeof(lf_pool_metadata_t::attributes[0].key);
constexpr size_t kValueBytes = sizeof(lf_pool_metadata_t::attributes[0].value);
constexpr size_t kMaxAttributes = sizeof(lf_pool_metadata_t::attributes) / sizeof(lf_pool_metadata_t::attributes[0]);
static_assert(16 + kNameBytes + kUnitsBytes + kMaxAttributes * (kKeyBytes + kValueBytes) == kBridgeMetadataBytes);

void put_prefix(uint8_t *out, BridgeKind kind) noexcept {
  store_le<uint32_t>(out, kBridgeMagic);
  store_le<uint16_t>(out + 4, kBridgeVersion);
  store_le<uint16_t>(out + 6, kind);
}

// A text field: NUL-terminated inside its bytes.
bool text_field(const uint8_t *in, size_t bytes, char *out) noexcept {
  if (std::memchr(in, 0, bytes) == nullptr) return false;
  std::memcpy(out, in, bytes);
  return true;
}

}  // namespace

void encode_bridge_frame(uint8_t *out, const lf_pool_view_t &view) noexcept {
  const lf_pool_tensor_t &t = view.tensor;
  put_prefix(out, kBridgeFrame);
  store_le<uint32_t>(out + 8, view.bytes);
  store_le<int32_t>(out + 12, t.dtype);
  store_le<int32_t>(out + 16, t.major_order);
  store_le<uint32_t>(out + 20, t.ndims);
  for (size_t i = 0; i < LF_POOL_MAX_DIMS; ++i) {
    store_le<int32_t>(out + 24 + 4 * i, t.dims[i]);
    store_le<int32_t>(out + 56 + 4 * i, t.strides[i]);
  }
  store_le<uint64_t>(out + 88, t.timestamp_ns);
  store_le<uint64_t>(out + 96, view.seq);
  store_le<uint64_t>(out + 104, view.epoch);
  store_le<uint32_t>(out + 112, t.progress_unit);
  store_le<uint32_t>(out + 116, t.progress_stride_bytes);
  store_le<uint32_t>(out + 120, t.meta_version);
  store_le<uint32_t>(out + 124, 0);
}

void encode_bridge_metadata(uint8_t *out, const lf_pool_metadata_t &m) noexcept {
  std::memset(out, 0, kBridgeMetadataBytes);
  put_prefix(out, kBridgeMetadata);
  store_le<uint32_t>(out + 8, m.version);
  store_le<uint32_t>(out + 12, m.attribute_count);
  std::memcpy(out + 16, m.name, kNameBytes);
  std::memcpy(out + 16 + kNameBytes, m.units, kUnitsBytes);
  uint8_t *attribute = out + 16 + kNameBytes + kUnitsBytes;
  for (size_t i = 0; i < kMaxAttributes; ++i, attribute += kKeyBytes + kValueBytes) {
    std::memcpy(attribute, m.attributes[i].key, kKeyBytes);
    std::memcpy(attribute + kKeyBytes, m.attributes[i].value, kValueBytes);
  }
}

const char *decode_bridge_message(const uint8_t *in, size_t size, BridgeMessage &out) noexcept {
  if (size < 8) return "shorter than a bridge message's prefix";
  if (load_le<uint32_t>(in) != kBridgeMagic) return "not a pool bridge message (bad magic)";
  if (load_le<uint16_t>(in + 4) != kBridgeVersion) return "a pool bridge message of another version";
  const uint16_t kind = load_le<uint16_t>(in + 6);
  if (kind == kBridgeFrame) {
    if (size < kBridgeFrameHeader) return "a frame message shorter than its header";
    const uint32_t bytes = load_le<uint32_t>(in + 8);
    if (size != kBridgeFrameHeader + bytes) return "a frame message whose length disagrees with its payload size";
    if (load_le<uint32_t>(in + 124) != 0) return "a frame message with a nonzero reserved field";
    out.kind = kBridgeFrame;
    lf_pool_tensor_t &t = out.tensor;
    t = lf_pool_tensor_t{};
    t.dtype = load_le<int32_t>(in + 12);
    t.major_order = load_le<int32_t>(in + 16);
    t.ndims = load_le<uint32_t>(in + 20);
    if (t.ndims < 1 || t.ndims > LF_POOL_MAX_DIMS) return "a frame with 0 or more than 8 dimensions";
    for (size_t i = 0; i < LF_POOL_MAX_DIMS; ++i) {
      t.dims[i] = load_le<int32_t>(in + 24 + 4 * i);
      t.strides[i] = load_le<int32_t>(in + 56 + 4 * i);
    }
    t.timestamp_ns = load_le<uint64_t>(in + 88);
    t.progress_unit = load_le<uint32_t>(in + 112);
    t.progress_stride_bytes = load_le<uint32_t>(in + 116);
    t.meta_version = 0;  // (the sink's current metadata)
    out.payload = in + kBridgeFrameHeader;
    out.bytes = bytes;
    return nullptr;  // (the pool validates the tensor fields again when it commits)
  }
  if (kind == kBridgeMetadata) {
    if (size != kBridgeMetadataBytes) return "a metadata message of the wrong length";
    lf_pool_metadata_t &m = out.metadata;
    m = lf_pool_metadata_t{};
    m.struct_size = sizeof m;
    m.version = load_le<uint32_t>(in + 8);
    m.attribute_count = load_le<uint32_t>(in + 12);
    if (m.attribute_count > kMaxAttributes) return "metadata with more than 16 attributes";
    if (!text_field(in + 16, kNameBytes, m.name) || !text_field(in + 16 + kNameBytes, kUnitsBytes, m.units))
      return "metadata whose name or units are not NUL-terminated";
    const uint8_t *attribute = in + 16 + kNameBytes + kUnitsBytes;
    for (size_t i = 0; i < kMaxAttributes; ++i, attribute += kKeyBytes + kValueBytes)
      if (!text_field(attribute, kKeyBytes, m.attributes[i].key) ||
          !text_field(attribute + kKeyBytes, kValueBytes, m.attributes[i].value))
        return "metadata with an attribute that is not NUL-terminated";
    out.kind = kBridgeMetadata;
    return nullptr;
  }
  return "a pool bridge message of an unknown kind";
}

}  // namespace lavaflow::mpi

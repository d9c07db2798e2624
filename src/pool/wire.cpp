#include "pool/wire.hpp"

#include "core/error.hpp"
#include "pool/control.hpp"

#include <algorithm>
#include <cstring>

namespace lavaflow::pool {

using core::fail;

namespace {

template <typename T>
void put(uint8_t *at, T value) noexcept {
  std::memcpy(at, &value, sizeof value);  // little-endian hosts only (x86-64, aarch64): as the spec
}

template <typename T>
T get(const uint8_t *at) noexcept {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

}  // namespace

void write_superblock(uint8_t *at, const Superblock &sb) noexcept {
  namespace o = superblock_offset;
  put(at + o::magic, sb.magic);
  put(at + o::layout_version, sb.layout_version);
  put(at + o::epoch, sb.epoch);
  put(at + o::stream_id, sb.stream_id);
  put(at + o::region_type, sb.region_type);
  put(at + o::pool_id, sb.pool_id);
  put(at + o::nslots, sb.nslots);
  put(at + o::slot_bytes, sb.slot_bytes);
  put(at + o::stride_bytes, sb.stride_bytes);
  put(at + o::pid, sb.pid);
  put(at + o::start_timestamp_ns, sb.start_timestamp_ns);
  put(at + o::activity_timestamp_ns, sb.activity_timestamp_ns);
}

Superblock read_superblock(const uint8_t *at) noexcept {
  namespace o = superblock_offset;
  Superblock sb;
  sb.magic = get<uint64_t>(at + o::magic);
  sb.layout_version = get<uint32_t>(at + o::layout_version);
  sb.epoch = get<uint64_t>(at + o::epoch);
  sb.stream_id = get<uint32_t>(at + o::stream_id);
  sb.region_type = get<int16_t>(at + o::region_type);
  sb.pool_id = get<uint16_t>(at + o::pool_id);
  sb.nslots = get<uint32_t>(at + o::nslots);
  sb.slot_bytes = get<uint32_t>(at + o::slot_bytes);
  sb.stride_bytes = get<uint32_t>(at + o::stride_bytes);
  sb.pid = get<uint64_t>(at + o::pid);
  sb.start_timestamp_ns = get<uint64_t>(at + o::start_timestamp_ns);
  sb.activity_timestamp_ns = get<uint64_t>(at + o::activity_timestamp_ns);
  return sb;
}

uint64_t region_bytes(const Superblock &sb) noexcept {
  if (sb.region_type == kHeaderRing) return kSuperblockBytes + uint64_t{sb.nslots} * kSlotBytes;
  if (sb.region_type == kPayloadPool) return kSuperblockBytes + uint64_t{sb.nslots} * sb.stride_bytes;
  return 0;
}

void validate_superblock(const Superblock &sb, uint64_t file_bytes, const std::string &what) {
  const char *w = what.c_str();
  if (sb.magic != kMagic) fail(LF_ERR_CORRUPT, "%s: not a tensor pool region (magic 0x%016llx)", w, static_cast<unsigned long long>(sb.magic));
  if (sb.layout_version != kLayoutVersion)
    fail(LF_ERR_VERSION_MISMATCH, "%s: layout version %u; this library reads version %u", w, sb.layout_version, kLayoutVersion);
  if (sb.region_type != kHeaderRing && sb.region_type != kPayloadPool && sb.region_type != kControl)
    fail(LF_ERR_CORRUPT, "%s: unknown region_type %d", w, sb.region_type);
  if (sb.region_type == kControl) return validate_control(sb, file_bytes, what);  // lavaflow's own layout
  if (!valid_slot_count(sb.nslots))
    fail(LF_ERR_CORRUPT, "%s: nslots %u is not a power of two up to %u", w, sb.nslots, kMaxSlots);
  if (sb.region_type == kHeaderRing) {
    if (sb.slot_bytes != kSlotBytes) fail(LF_ERR_CORRUPT, "%s: header ring slot_bytes %u, expected 256", w, sb.slot_bytes);
    if (sb.pool_id != 0) fail(LF_ERR_CORRUPT, "%s: header ring with pool_id %u, expected 0", w, sb.pool_id);
  } else {
    if (!valid_stride(sb.stride_bytes))
      fail(LF_ERR_CORRUPT, "%s: stride_bytes %u is not a power-of-two multiple of 64", w, sb.stride_bytes);
  }
  const uint64_t expected = region_bytes(sb);
  if (file_bytes != expected)
    fail(LF_ERR_CORRUPT, "%s: the file is %llu bytes; its superblock describes %llu", w,
         static_cast<unsigned long long>(file_bytes), static_cast<unsigned long long>(expected));
}

void write_slot_header(uint8_t *slot, const SlotHeader &h) noexcept {
  namespace o = slot_offset;
  std::memset(slot + o::values_len_bytes, 0, kSlotBytes - o::values_len_bytes);  // never rely on old contents
  put(slot + o::values_len_bytes, h.values_len_bytes);
  put(slot + o::payload_slot, h.payload_slot);
  put(slot + o::pool_id, h.pool_id);
  put(slot + o::payload_offset, h.payload_offset);
  put(slot + o::timestamp_ns, h.timestamp_ns);
  put(slot + o::meta_version, h.meta_version);
  put(slot + o::header_bytes_len, h.header_bytes_len);
  put(slot + o::block_length, h.block_length);
  put(slot + o::template_id, h.template_id);
  put(slot + o::schema_id, h.schema_id);
  put(slot + o::version, h.version);
  put(slot + o::dtype, h.dtype);
  put(slot + o::major_order, h.major_order);
  put(slot + o::ndims, h.ndims);
  put(slot + o::pad_align, h.pad_align);
  put(slot + o::progress_unit, h.progress_unit);
  put(slot + o::progress_stride_bytes, h.progress_stride_bytes);
  for (uint32_t i = 0; i < kMaxDims; ++i) {
    put(slot + o::dims + 4 * i, h.dims[i]);
    put(slot + o::strides + 4 * i, h.strides[i]);
  }
}

SlotHeader read_slot_header(const uint8_t *slot) noexcept {
  namespace o = slot_offset;
  SlotHeader h;
  h.seq_commit = get<uint64_t>(slot + o::seq_commit);
  h.values_len_bytes = get<uint32_t>(slot + o::values_len_bytes);
  h.payload_slot = get<uint32_t>(slot + o::payload_slot);
  h.pool_id = get<uint16_t>(slot + o::pool_id);
  h.payload_offset = get<uint32_t>(slot + o::payload_offset);
  h.timestamp_ns = get<uint64_t>(slot + o::timestamp_ns);
  h.meta_version = get<uint32_t>(slot + o::meta_version);
  h.header_bytes_len = get<uint32_t>(slot + o::header_bytes_len);
  h.block_length = get<uint16_t>(slot + o::block_length);
  h.template_id = get<uint16_t>(slot + o::template_id);
  h.schema_id = get<uint16_t>(slot + o::schema_id);
  h.version = get<uint16_t>(slot + o::version);
  h.dtype = get<int16_t>(slot + o::dtype);
  h.major_order = get<int16_t>(slot + o::major_order);
  h.ndims = get<uint8_t>(slot + o::ndims);
  h.pad_align = get<uint8_t>(slot + o::pad_align);
  h.progress_unit = get<uint8_t>(slot + o::progress_unit);
  h.progress_stride_bytes = get<uint32_t>(slot + o::progress_stride_bytes);
  for (uint32_t i = 0; i < kMaxDims; ++i) {
    h.dims[i] = get<int32_t>(slot + o::dims + 4 * i);
    h.strides[i] = get<int32_t>(slot + o::strides + 4 * i);
  }
  return h;
}

namespace {

uint64_t saturating_mul(uint64_t a, uint64_t b) noexcept {
  uint64_t product;
  return __builtin_mul_overflow(a, b, &product) ? UINT64_MAX : product;
}
uint64_t saturating_add(uint64_t a, uint64_t b) noexcept {
  uint64_t sum;
  return __builtin_add_overflow(a, b, &sum) ? UINT64_MAX : sum;
}

bool known_dtype(int16_t d) noexcept { return (d >= kUnknown && d <= kBoolean) || d == kBytes || d == kBit; }

// Nonzero strides must step outward in the major order without overlapping: each one at
// least the extent of the next-inner dimension.
const char *stride_problem(const SlotHeader &h) noexcept {
  bool any = false;
  for (uint32_t i = 0; i < h.ndims; ++i) {
    if (h.strides[i] < 0) return "a negative stride";
    any |= h.strides[i] != 0;
  }
  if (!any) return nullptr;  // contiguous
  if (h.major_order != kRowMajor && h.major_order != kColumnMajor) return "strides without a row or column major order";
  for (uint32_t k = 0; k + 1 < h.ndims; ++k) {
    // inner = the dimension that varies faster than `outer`
    const uint32_t outer = h.major_order == kRowMajor ? k : h.ndims - 1 - k;
    const uint32_t inner = h.major_order == kRowMajor ? k + 1 : h.ndims - 2 - k;
    if (h.strides[inner] == 0 || h.strides[outer] == 0) return "strides partly zero";
    if (int64_t{h.strides[outer]} < int64_t{h.strides[inner]} * h.dims[inner])
      return "overlapping strides (an outer stride smaller than the inner dimension's extent)";
  }
  return nullptr;
}

// The byte stride of each dimension (ndims valid, strides checked): as given, or inferred for
// a contiguous tensor from its dims, element size and major order. False when a contiguous
// tensor's element size or order is unknown.
bool effective_strides(const SlotHeader &h, uint64_t (&out)[kMaxDims]) noexcept {
  if (!contiguous(h)) {
    for (uint32_t i = 0; i < h.ndims; ++i) out[i] = static_cast<uint64_t>(h.strides[i]);
    return true;
  }
  const uint64_t element = dtype_bytes(h.dtype);
  if (element == 0 || (h.major_order != kRowMajor && h.major_order != kColumnMajor)) return false;
  uint64_t step = element;
  for (uint32_t k = 0; k < h.ndims; ++k) {  // innermost first
    const uint32_t i = h.major_order == kRowMajor ? h.ndims - 1 - k : k;
    out[i] = step;
    step = saturating_mul(step, static_cast<uint64_t>(h.dims[i]));
  }
  return true;
}

// The spec: a progress unit needs progress_stride_bytes equal to the true row (dimension 0) or
// column (dimension 1) stride, given or inferred.
const char *progress_problem(const SlotHeader &h) noexcept {
  if (h.progress_unit == kProgressNone) return nullptr;
  if (h.progress_stride_bytes == 0) return "a progress unit with progress_stride_bytes 0";
  const uint32_t dimension = h.progress_unit == kProgressRows ? 0 : 1;
  if (dimension >= h.ndims) return "progress by columns of a tensor without a second dimension";
  uint64_t strides[kMaxDims] = {};
  if (!effective_strides(h, strides)) return "a progress unit on a contiguous tensor of unknown element size or order";
  if (strides[dimension] != h.progress_stride_bytes)
    return "progress_stride_bytes is not the row or column stride of the tensor";
  return nullptr;
}

}  // namespace

bool contiguous(const SlotHeader &h) noexcept {
  for (uint32_t i = 0; i < h.ndims && i < kMaxDims; ++i)
    if (h.strides[i] != 0) return false;
  return true;
}

std::optional<uint64_t> tensor_span_bytes(const SlotHeader &h) noexcept {
  const uint64_t element = dtype_bytes(h.dtype);
  const bool bits = h.dtype == kBit;
  if (element == 0 && !bits) return std::nullopt;  // UNKNOWN: no element size to count with
  for (uint32_t i = 0; i < h.ndims; ++i)
    if (h.dims[i] == 0) return 0;
  if (contiguous(h)) {
    uint64_t count = 1;
    for (uint32_t i = 0; i < h.ndims; ++i) count = saturating_mul(count, static_cast<uint64_t>(h.dims[i]));
    return bits ? count / 8 + (count % 8 != 0) : saturating_mul(count, element);
  }
  if (bits) return std::nullopt;  // byte strides over bits: not a layout this check can count
  uint64_t last = 0;  // the offset of the last element
  for (uint32_t i = 0; i < h.ndims; ++i)
    last = saturating_add(last, saturating_mul(static_cast<uint64_t>(h.dims[i] - 1), static_cast<uint64_t>(h.strides[i])));
  return saturating_add(last, element);
}

const char *slot_header_problem(const SlotHeader &h, const SlotLimits &limits) noexcept {
  if (h.header_bytes_len != 192) return "header_bytes_len is not 192";
  if (h.block_length != 184 || h.template_id != 52 || h.schema_id != 900 || h.version != 1)
    return "the embedded message header is not block_length 184, template 52, schema 900, version 1";
  if (h.ndims == 0 || h.ndims > kMaxDims) return "ndims is not 1..8";
  for (uint32_t i = 0; i < kMaxDims; ++i) {
    if (i < h.ndims && h.dims[i] < 0) return "a negative dimension";
    if (i >= h.ndims && (h.dims[i] != 0 || h.strides[i] != 0)) return "dims or strides set beyond ndims";
  }
  if (!known_dtype(h.dtype)) return "an unknown dtype";
  if (h.major_order < kOrderUnknown || h.major_order > kColumnMajor) return "an unknown major_order";
  if (h.progress_unit > kProgressColumns) return "an unknown progress_unit";
  if (const char *problem = stride_problem(h)) return problem;
  if (const char *problem = progress_problem(h)) return problem;
  if (h.payload_offset != 0) return "payload_offset is not 0";
  if (h.payload_slot >= limits.nslots) return "payload_slot out of range";
  if (h.pool_id == 0 || h.pool_id >= limits.pool_strides.size() || limits.pool_strides[h.pool_id] == 0)
    return "pool_id names no pool of the stream";
  if (h.values_len_bytes > limits.pool_strides[h.pool_id]) return "values_len_bytes exceeds the pool's stride";
  // (what lavaflow adds to the spec: a reader of the tensor must stay inside the payload)
  if (const auto span = tensor_span_bytes(h); span && *span > h.values_len_bytes)
    return "the tensor's dims, strides and dtype span more bytes than values_len_bytes";
  // Pad and reserved bytes are not looked at: the spec says consumers MUST ignore them.
  return nullptr;
}

const char *dtype_name(int16_t dtype) noexcept {
  switch (dtype) {
    case kUnknown: return "unknown";
    case kUint8: return "uint8";
    case kInt8: return "int8";
    case kUint16: return "uint16";
    case kInt16: return "int16";
    case kUint32: return "uint32";
    case kInt32: return "int32";
    case kUint64: return "uint64";
    case kInt64: return "int64";
    case kFloat32: return "float32";
    case kFloat64: return "float64";
    case kBoolean: return "boolean";
    case kBytes: return "bytes";
    case kBit: return "bit";
    default: return "invalid";
  }
}

uint32_t dtype_bytes(int16_t dtype) noexcept {
  switch (dtype) {
    case kUint8: case kInt8: case kBoolean: case kBytes: return 1;
    case kUint16: case kInt16: return 2;
    case kUint32: case kInt32: case kFloat32: return 4;
    case kUint64: case kInt64: case kFloat64: return 8;
    default: return 0;
  }
}

}  // namespace lavaflow::pool

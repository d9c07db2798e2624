// The tensor pool's region layout (docs/wire-formats.md "Tensor pool regions", from
// ../shared/design/tensor-pool.md and the SHM Tensor Pool Wire Spec v1.2): a 64-byte superblock
// at the start of every region file, and 256-byte slot headers in the header ring. Fields are
// packed and some unaligned, so they are read and written with byte accessors into plain
// structs, never by casting the mapping. Every decoded value is validated before use.
#pragma once

#include <lavaflow/status.h>

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace lavaflow::pool {

constexpr uint64_t kMagic = 0x544F504C53484D31ull;  // "TPOLSHM1"
constexpr uint32_t kLayoutVersion = 1;
constexpr size_t kSuperblockBytes = 64;
constexpr size_t kSlotBytes = 256;
constexpr uint32_t kMaxDims = 8;
constexpr uint32_t kMaxSlots = uint32_t{1} << 24;

// A header ring's (and so every pool's) slot count: a power of two up to kMaxSlots.
constexpr bool valid_slot_count(uint64_t nslots) noexcept { return std::has_single_bit(nslots) && nslots <= kMaxSlots; }
// A payload pool's stride: a power-of-two multiple of 64 bytes.
constexpr bool valid_stride(uint64_t bytes) noexcept { return bytes >= 64 && std::has_single_bit(bytes); }

enum RegionType : int16_t { kHeaderRing = 1, kPayloadPool = 2, kControl = 3 };

struct Superblock {
  uint64_t magic = kMagic;
  uint32_t layout_version = kLayoutVersion;
  uint64_t epoch = 0;
  uint32_t stream_id = 0;
  int16_t region_type = kHeaderRing;
  uint16_t pool_id = 0;
  uint32_t nslots = 0;
  uint32_t slot_bytes = 0;
  uint32_t stride_bytes = 0;
  uint64_t pid = 0;
  uint64_t start_timestamp_ns = 0;
  uint64_t activity_timestamp_ns = 0;
};

// Field offsets (the table in tensor-pool.md).
namespace superblock_offset {
constexpr size_t magic = 0, layout_version = 8, epoch = 12, stream_id = 20, region_type = 24, pool_id = 26,
                 nslots = 28, slot_bytes = 32, stride_bytes = 36, pid = 40, start_timestamp_ns = 48,
                 activity_timestamp_ns = 56;
}

void write_superblock(uint8_t *at, const Superblock &sb) noexcept;
Superblock read_superblock(const uint8_t *at) noexcept;

// The size a region of this superblock's shape has (0 for a type without a fixed size).
uint64_t region_bytes(const Superblock &sb) noexcept;

// Checks a superblock read from a file of `file_bytes`: magic, version (LF_ERR_VERSION_MISMATCH),
// a known region type, a power-of-two slot count, the slot size or stride its type requires,
// and the file's size. Throws Error(LF_ERR_CORRUPT) naming the field.
void validate_superblock(const Superblock &sb, uint64_t file_bytes, const std::string &what);

enum Dtype : int16_t {
  kUnknown = 0, kUint8 = 1, kInt8 = 2, kUint16 = 3, kInt16 = 4, kUint32 = 5, kInt32 = 6, kUint64 = 7, kInt64 = 8,
  kFloat32 = 9, kFloat64 = 10, kBoolean = 11, kBytes = 13, kBit = 14
};
enum MajorOrder : int16_t { kOrderUnknown = 0, kRowMajor = 1, kColumnMajor = 2 };
enum ProgressUnit : uint8_t { kProgressNone = 0, kProgressRows = 1, kProgressColumns = 2 };

// A slot header, decoded (the seqlock word is handled apart: slot.hpp).
struct SlotHeader {
  uint64_t seq_commit = 0;
  uint32_t values_len_bytes = 0;
  uint32_t payload_slot = 0;
  uint16_t pool_id = 0;
  uint32_t payload_offset = 0;
  uint64_t timestamp_ns = 0;
  uint32_t meta_version = 0;
  uint32_t header_bytes_len = 192;
  uint16_t block_length = 184, template_id = 52, schema_id = 900, version = 1;
  int16_t dtype = kUnknown;
  int16_t major_order = kRowMajor;
  uint8_t ndims = 1;
  uint8_t pad_align = 0;
  uint8_t progress_unit = kProgressNone;
  uint32_t progress_stride_bytes = 0;
  std::array<int32_t, kMaxDims> dims{};
  std::array<int32_t, kMaxDims> strides{};
};

namespace slot_offset {
constexpr size_t seq_commit = 0, values_len_bytes = 8, payload_slot = 12, pool_id = 16, payload_offset = 18,
                 timestamp_ns = 22, meta_version = 30, reserved = 34, header_bytes_len = 60, block_length = 64,
                 template_id = 66, schema_id = 68, version = 70, dtype = 72, major_order = 74, ndims = 76,
                 pad_align = 77, progress_unit = 78, progress_stride_bytes = 79, dims = 83, strides = 115,
                 tail_reserved = 147;
}

// Writes every byte of the slot but the commit word (reserved bytes zero).
void write_slot_header(uint8_t *slot, const SlotHeader &h) noexcept;
SlotHeader read_slot_header(const uint8_t *slot) noexcept;

// What a slot header may refer to: the pools of its stream (stride by pool id) and the slot count.
struct SlotLimits {
  uint32_t nslots = 0;
  std::array<uint32_t, 16> pool_strides{};  // 0: no such pool
};

// Checks a decoded header as tensor-pool.md requires of consumers: ndims 1..8, dims >= 0 and
// zero beyond ndims, strides non-negative and consistent with the major order (no overlap),
// known enum values, the embedded header, a progress unit's stride equal to the row or column
// stride, values_len_bytes <= the pool's stride, payload_offset 0, the slot and pool in range,
// and (lavaflow's own rule) a tensor that spans no more than values_len_bytes. Pad and
// reserved bytes are ignored, as the spec says. Returns nullptr if valid, else what is wrong.
const char *slot_header_problem(const SlotHeader &h, const SlotLimits &limits) noexcept;

// The bytes a tensor spans from its first element to the end of its last: the product of its
// dims times the element size when contiguous (BIT: rounded up to bytes), else the last
// element's offset plus one element; saturated. Nothing when it cannot be counted (dtype
// UNKNOWN; BIT with byte strides). `h` must have passed the checks on ndims, dims and strides.
std::optional<uint64_t> tensor_span_bytes(const SlotHeader &h) noexcept;
// Whether every stride is 0 (the layout is inferred from the dims and the major order).
bool contiguous(const SlotHeader &h) noexcept;

const char *dtype_name(int16_t dtype) noexcept;
// Bytes per element, 0 for BIT/UNKNOWN (and BYTES: 1).
uint32_t dtype_bytes(int16_t dtype) noexcept;

}  // namespace lavaflow::pool

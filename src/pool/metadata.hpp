// The stream's metadata record (the spec's DataSourceMeta): a name, units and free-form
// key/value attributes, with a version that frames carry in their meta_version field. The
// producer writes it into the control region under a seqlock of its own; readers copy it and
// decode it with every length checked.
#pragma once

#include "pool/control.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lavaflow::pool {

constexpr size_t kMetaNameMax = 63, kMetaUnitsMax = 31, kMetaKeyMax = 31, kMetaValueMax = 127, kMetaAttributesMax = 16;

struct StreamMetadata {
  uint32_t version = 0;  // 0: never set
  std::string name;
  std::string units;
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Checks the limits above (LF_ERR_INVALID_ARGUMENT naming the field). Throws Error.
void validate_metadata(const StreamMetadata &meta);

// Encoded record: u8 length + bytes for name and units, u8 count, then u8 length + bytes for
// each key and value.
std::vector<uint8_t> encode_metadata(const StreamMetadata &meta);
StreamMetadata decode_metadata(const uint8_t *data, size_t size, uint32_t version);  // throws LF_ERR_CORRUPT

// Producer: publishes `meta` (its version already set) into the control region.
void write_metadata(const ControlView &control, const StreamMetadata &meta);

// Reader: the current record, copied under the seqlock. LF_ERR_BUSY if the producer kept
// rewriting it; LF_ERR_CORRUPT if it does not decode. Throws Error.
StreamMetadata read_metadata(const ControlView &control);

}  // namespace lavaflow::pool

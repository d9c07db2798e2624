// The identity blob: versioned, little-endian, checksummed (docs/wire-formats.md).
#pragma once

#include "topo/identity.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace lavaflow::topo {

constexpr uint32_t kIdentityMagic = 0x4449464C;  // bytes "LFID"
// Version 2 added the NUMA nodes and packages the cpuset lies in, and allows empty sets
// (version 1 is still read: see decode_location).
constexpr uint16_t kIdentityFormatVersion = 2;
constexpr uint16_t kIdentityHeaderBytes = 32;

enum IdentitySectionType : uint16_t {
  kSectionHost = 1,
  kSectionProcess = 2,
  kSectionLocation = 3,
};
constexpr uint16_t kSectionFlagRequired = 1;

std::vector<uint8_t> encode_identity(const Identity &identity);

// Validates everything; throws Error(LF_ERR_CORRUPT) saying what and where.
Identity decode_identity(std::span<const uint8_t> blob);

}  // namespace lavaflow::topo

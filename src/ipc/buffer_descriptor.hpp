// The 64-byte descriptor lf_buffer_send puts beside the fd (docs/wire-formats.md).
#pragma once

#include "mem/memory.hpp"

#include <cstdint>
#include <span>

namespace lavaflow::ipc {

constexpr uint32_t kBufferDescriptorMagic = 0x4442464C;  // bytes "LFBD"
constexpr uint16_t kBufferDescriptorVersion = 2;  // (version 1, read too: its tail field was "flags", 0)
constexpr size_t kBufferDescriptorBytes = 64;

void encode_buffer_descriptor(const mem::ExportDescriptor &descriptor, uint8_t (&out)[kBufferDescriptorBytes]);

// Throws Error: LF_ERR_PROTOCOL (not a buffer descriptor: wrong length or magic),
// LF_ERR_VERSION_MISMATCH, LF_ERR_CORRUPT (checksum, values).
mem::ExportDescriptor decode_buffer_descriptor(std::span<const uint8_t> bytes);

}  // namespace lavaflow::ipc

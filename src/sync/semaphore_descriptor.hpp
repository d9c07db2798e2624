// The 64-byte descriptor lf_semaphore_send puts beside the fd (docs/wire-formats.md).
#pragma once

#include "sync/semaphore.hpp"

#include <cstdint>
#include <span>

namespace lavaflow::sync {

constexpr uint32_t kSemaphoreDescriptorMagic = 0x4453464C;  // bytes "LFSD"
constexpr uint16_t kSemaphoreDescriptorVersion = 1;
constexpr size_t kSemaphoreDescriptorBytes = 64;

void encode_semaphore_descriptor(const SemaphoreDescriptor &descriptor, uint8_t (&out)[kSemaphoreDescriptorBytes]);

// Throws Error: LF_ERR_PROTOCOL (not a semaphore descriptor: wrong length or magic),
// LF_ERR_VERSION_MISMATCH, LF_ERR_CORRUPT (checksum, values).
SemaphoreDescriptor decode_semaphore_descriptor(std::span<const uint8_t> bytes);

}  // namespace lavaflow::sync

#include "sync/semaphore_descriptor.hpp"

#include "core/byte_io.hpp"
#include "core/checksum.hpp"
#include "core/error.hpp"

#include <cstring>

namespace lavaflow::sync {

using core::fail;

namespace {
constexpr size_t kCrcOffset = 60;
}

void encode_semaphore_descriptor(const SemaphoreDescriptor &d, uint8_t (&out)[kSemaphoreDescriptorBytes]) {
  core::ByteWriter w;
  w.bytes().reserve(kSemaphoreDescriptorBytes);  // (one allocation; also spares GCC 12 a false overflow warning)
  w.u32(kSemaphoreDescriptorMagic);
  w.u16(kSemaphoreDescriptorVersion);
  w.u16(static_cast<uint16_t>(d.kind));
  w.u64(d.value);
  w.zeros(8);  // reserved
  w.raw(d.device_uuid.data(), d.device_uuid.size());
  w.raw(d.driver_uuid.data(), d.driver_uuid.size());
  w.u32(0);  // reserved
  w.u32(0);  // crc, below
  w.patch_u32(kCrcOffset, core::crc32(w.bytes().data(), kCrcOffset));
  std::memcpy(out, w.bytes().data(), kSemaphoreDescriptorBytes);
}

SemaphoreDescriptor decode_semaphore_descriptor(std::span<const uint8_t> bytes) {
  if (bytes.size() != kSemaphoreDescriptorBytes)
    fail(LF_ERR_PROTOCOL, "not a semaphore message: %zu bytes, a semaphore descriptor has %zu", bytes.size(),
         kSemaphoreDescriptorBytes);
  core::ByteReader r(bytes, "semaphore descriptor");
  const uint32_t magic = r.u32("magic");
  if (magic != kSemaphoreDescriptorMagic)
    fail(LF_ERR_PROTOCOL, "not a semaphore message: magic 0x%08x, expected 0x%08x (\"LFSD\")", magic, kSemaphoreDescriptorMagic);
  const uint16_t version = r.u16("version");
  if (version != kSemaphoreDescriptorVersion)
    fail(LF_ERR_VERSION_MISMATCH, "semaphore descriptor version %u; this library reads version %u", version,
         kSemaphoreDescriptorVersion);
  if (core::load_le<uint32_t>(bytes.data() + kCrcOffset) != core::crc32(bytes.data(), kCrcOffset))
    fail(LF_ERR_CORRUPT, "semaphore descriptor checksum mismatch");
  SemaphoreDescriptor d;
  d.kind = r.u16("kind");
  d.value = r.u64("value");
  const uint64_t reserved = r.u64("reserved");
  std::memcpy(d.device_uuid.data(), r.raw(16, "device_uuid").data(), 16);
  std::memcpy(d.driver_uuid.data(), r.raw(16, "driver_uuid").data(), 16);
  const uint32_t reserved2 = r.u32("reserved");
  if (reserved != 0 || reserved2 != 0) fail(LF_ERR_CORRUPT, "semaphore descriptor: reserved fields are not zero");
  if (d.kind != LF_SEMAPHORE_SHARED && d.kind != LF_SEMAPHORE_VULKAN) fail(LF_ERR_CORRUPT, "semaphore descriptor: kind %d", d.kind);
  return d;
}

}  // namespace lavaflow::sync

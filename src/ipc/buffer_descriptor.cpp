#include "ipc/buffer_descriptor.hpp"

#include "core/byte_io.hpp"
#include "core/checksum.hpp"
#include "core/error.hpp"

#include <cstring>

namespace lavaflow::ipc {

using core::fail;

namespace {
constexpr size_t kCrcOffset = 60;
}

void encode_buffer_descriptor(const mem::ExportDescriptor &d, uint8_t (&out)[kBufferDescriptorBytes]) {
  core::ByteWriter w;
  w.u32(kBufferDescriptorMagic);
  w.u16(kBufferDescriptorVersion);
  w.u16(static_cast<uint16_t>(d.kind));
  w.u64(d.size);
  w.u32(d.memory_type_index);
  w.u32(d.memory_property_flags);
  w.raw(d.device_uuid.data(), d.device_uuid.size());
  w.raw(d.driver_uuid.data(), d.driver_uuid.size());
  if (d.usable == 0 || d.usable > d.size || d.size - d.usable > UINT32_MAX)
    fail(LF_ERR_INTERNAL, "buffer descriptor: %llu usable bytes of %llu", static_cast<unsigned long long>(d.usable),
         static_cast<unsigned long long>(d.size));
  w.u32(static_cast<uint32_t>(d.size - d.usable));  // tail: allocated past the usable bytes
  w.u32(0);  // crc, below
  w.patch_u32(kCrcOffset, core::crc32(w.bytes().data(), kCrcOffset));
  std::memcpy(out, w.bytes().data(), kBufferDescriptorBytes);
}

mem::ExportDescriptor decode_buffer_descriptor(std::span<const uint8_t> bytes) {
  if (bytes.size() != kBufferDescriptorBytes)
    fail(LF_ERR_PROTOCOL, "not a buffer message: %zu bytes, a buffer descriptor has %zu", bytes.size(), kBufferDescriptorBytes);
  core::ByteReader r(bytes, "buffer descriptor");
  uint32_t magic = r.u32("magic");
  if (magic != kBufferDescriptorMagic) fail(LF_ERR_PROTOCOL, "not a buffer message: magic 0x%08x, expected 0x%08x (\"LFBD\")", magic, kBufferDescriptorMagic);
  uint16_t version = r.u16("version");
  if (version != kBufferDescriptorVersion && version != 1)
    fail(LF_ERR_VERSION_MISMATCH, "buffer descriptor version %u; this library reads versions 1 and %u", version, kBufferDescriptorVersion);
  if (core::load_le<uint32_t>(bytes.data() + kCrcOffset) != core::crc32(bytes.data(), kCrcOffset))
    fail(LF_ERR_CORRUPT, "buffer descriptor checksum mismatch");
  mem::ExportDescriptor d;
  d.kind = r.u16("kind");
  d.size = r.u64("size");
  d.memory_type_index = r.u32("memory_type_index");
  d.memory_property_flags = r.u32("memory_property_flags");
  std::memcpy(d.device_uuid.data(), r.raw(16, "device_uuid").data(), 16);
  std::memcpy(d.driver_uuid.data(), r.raw(16, "driver_uuid").data(), 16);
  const uint32_t tail = r.u32(version == 1 ? "flags" : "tail");  // (version 1: flags, always 0)
  if (version == 1 && tail != 0) fail(LF_ERR_CORRUPT, "buffer descriptor: unknown flags");
  if (d.kind != LF_MEMORY_SHARED && d.kind != LF_MEMORY_DEVICE) fail(LF_ERR_CORRUPT, "buffer descriptor: kind %d", d.kind);
  if (d.size == 0) fail(LF_ERR_CORRUPT, "buffer descriptor: size 0");
  if (tail >= d.size)
    fail(LF_ERR_CORRUPT, "buffer descriptor: %u bytes past the usable ones of a %llu-byte buffer", tail,
         static_cast<unsigned long long>(d.size));
  d.usable = d.size - tail;
  return d;
}

}  // namespace lavaflow::ipc

#include "channel/handshake.hpp"

#include "core/byte_io.hpp"
#include "core/error.hpp"

#include <lavaflow/identity.h>

namespace lavaflow::channel {

using core::fail;

namespace {

enum : uint16_t { kHello = 1, kReply = 2, kAnnounce = 3 };
constexpr size_t kDescriptorBytes = 64;  // ipc::kBufferDescriptorBytes

void header(core::ByteWriter &w, uint16_t kind) {
  w.u32(kHandshakeMagic);
  w.u16(kHandshakeVersion);
  w.u16(kind);
}

void check_header(core::ByteReader &r, uint16_t kind) {
  uint32_t magic = r.u32("magic");
  if (magic != kHandshakeMagic) fail(LF_ERR_PROTOCOL, "not a lavaflow channel handshake (magic 0x%08x)", magic);
  uint16_t version = r.u16("version");
  if (version != kHandshakeVersion)
    fail(LF_ERR_VERSION_MISMATCH, "channel handshake version %u; this library speaks version %u", version, kHandshakeVersion);
  uint16_t got = r.u16("kind");
  if (got != kind) fail(LF_ERR_PROTOCOL, "channel handshake message of kind %u, expected %u", got, kind);
}

std::vector<uint8_t> identity_field(core::ByteReader &r) {
  uint32_t size = r.u32("identity length");
  if (size > LF_IDENTITY_BLOB_MAX_SIZE) fail(LF_ERR_PROTOCOL, "identity of %u bytes in a handshake", size);
  auto bytes = r.raw(size, "identity");
  return {bytes.begin(), bytes.end()};
}

}  // namespace

std::vector<uint8_t> encode_hello(const Hello &hello) {
  core::ByteWriter w;
  header(w, kHello);
  w.u32(static_cast<uint32_t>(hello.role));
  w.u32(static_cast<uint32_t>(hello.identity.size()));
  w.raw(hello.identity.data(), hello.identity.size());
  return std::move(w.bytes());
}

std::vector<uint8_t> encode_reply(const Reply &reply) {
  core::ByteWriter w;
  header(w, kReply);
  w.u32(static_cast<uint32_t>(reply.status));
  w.u32(reply.slot);
  w.u32(static_cast<uint32_t>(reply.scope));
  w.u32(static_cast<uint32_t>(reply.identity.size()));
  w.raw(reply.identity.data(), reply.identity.size());
  std::string message = reply.message.substr(0, 1000);
  w.u32(static_cast<uint32_t>(message.size()));
  w.raw(message.data(), message.size());
  return std::move(w.bytes());
}

Hello decode_hello(std::span<const uint8_t> bytes) {
  core::ByteReader r(bytes, "channel hello");
  check_header(r, kHello);
  Hello hello;
  hello.role = static_cast<int32_t>(r.u32("role"));
  hello.identity = identity_field(r);
  if (r.remaining() != 0) fail(LF_ERR_PROTOCOL, "channel hello has %zu trailing bytes", r.remaining());
  return hello;
}

Reply decode_reply(std::span<const uint8_t> bytes) {
  core::ByteReader r(bytes, "channel reply");
  check_header(r, kReply);
  Reply reply;
  reply.status = static_cast<lf_status_t>(r.u32("status"));
  // A refusal passes its status on to the opener's caller: only one of lavaflow's errors will do.
  if (reply.status != LF_OK && !core::is_known_error(reply.status))
    fail(LF_ERR_PROTOCOL, "channel reply with status %d, which is neither LF_OK nor a lavaflow error", reply.status);
  reply.slot = r.u32("slot");
  reply.scope = static_cast<int32_t>(r.u32("scope"));
  reply.identity = identity_field(r);
  uint32_t length = r.u32("message length");
  if (length > 1000) fail(LF_ERR_PROTOCOL, "channel reply message of %u bytes", length);
  reply.message = std::string(r.text(length, "message"));
  if (r.remaining() != 0) fail(LF_ERR_PROTOCOL, "channel reply has %zu trailing bytes", r.remaining());
  return reply;
}

std::vector<uint8_t> encode_announce(const Announce &announce) {
  core::ByteWriter w;
  header(w, kAnnounce);
  w.u32(announce.id);
  w.u32(static_cast<uint32_t>(announce.descriptor.size()));
  w.raw(announce.descriptor.data(), announce.descriptor.size());
  return std::move(w.bytes());
}

Announce decode_announce(std::span<const uint8_t> bytes) {
  core::ByteReader r(bytes, "buffer announcement");
  check_header(r, kAnnounce);
  Announce announce;
  announce.id = r.u32("buffer id");
  if (announce.id == 0) fail(LF_ERR_PROTOCOL, "buffer announcement for id 0");
  uint32_t size = r.u32("descriptor length");
  if (size != kDescriptorBytes) fail(LF_ERR_PROTOCOL, "buffer announcement with a %u-byte descriptor", size);
  auto descriptor = r.raw(size, "descriptor");
  announce.descriptor.assign(descriptor.begin(), descriptor.end());
  if (r.remaining() != 0) fail(LF_ERR_PROTOCOL, "buffer announcement has %zu trailing bytes", r.remaining());
  return announce;
}

}  // namespace lavaflow::channel

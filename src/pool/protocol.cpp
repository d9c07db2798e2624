#include "pool/protocol.hpp"

#include "core/byte_io.hpp"
#include "core/error.hpp"
#include "pool/control.hpp"

#include <cstring>

namespace lavaflow::pool::protocol {

using core::fail;

namespace {

// Fixed body sizes by type (0: variable).
constexpr size_t kAttachRequestBytes = 8 + 4 + 1 + 1 + 1 + 1 + 8 + kProfileNameBytes;  // 56
constexpr size_t kPoolEntryBytes = 8;
constexpr size_t kAnnouncementBytes = 4 + 4 + 8 + 4 + 4 + 4 + 1 + 1 + 2 + kMaxPools * kPoolEntryBytes + kDirBytes;  // 408
constexpr size_t kAttachResponseBytes = 4 + 4 + 8 + kAnnouncementBytes + kMessageTextBytes;
constexpr size_t kStreamStatusBytes = 4 + 8 + 4 + 4 + 4 + 8 + kDirBytes;

size_t fixed_body_bytes(Type type) {
  switch (type) {
    case Type::attach_request: return kAttachRequestBytes;
    case Type::attach_response: return kAttachResponseBytes;
    case Type::detach_request: return 8;
    case Type::detach_response: return 16;
    case Type::keepalive: return 8;
    case Type::lease_revoked: return 24;
    case Type::shutdown_notice: return 8;
    case Type::shutdown_request: return kTokenBytes;
    case Type::shutdown_response: return 8;
    case Type::announce: return 8 + kAnnouncementBytes;
    case Type::list_request: return 0;
    case Type::list_response: return SIZE_MAX;  // 4 + n * entry
  }
  return SIZE_MAX;
}

bool known_type(uint16_t value) { return value >= 1 && value <= 12; }

void put_fixed_text(core::ByteWriter &w, const std::string &text, size_t field_bytes) {
  const size_t n = text.size() < field_bytes ? text.size() : field_bytes - 1;
  w.raw(text.data(), n);
  w.zeros(field_bytes - n);
}

// A NUL-terminated text field of `field_bytes`; everything after the NUL must be zero.
std::string get_fixed_text(core::ByteReader &r, size_t field_bytes, const char *field) {
  std::string_view raw = r.text(field_bytes, field);
  const size_t end = raw.find('\0');
  if (end == std::string_view::npos) fail(LF_ERR_PROTOCOL, "driver message: %s is not NUL-terminated", field);
  for (size_t i = end; i < raw.size(); ++i)
    if (raw[i] != '\0') fail(LF_ERR_PROTOCOL, "driver message: %s has bytes after its end", field);
  return std::string(raw.substr(0, end));
}

void put_status(core::ByteWriter &w, lf_status_t status) { w.u32(static_cast<uint32_t>(status)); }

lf_status_t get_status(core::ByteReader &r) {
  const auto status = static_cast<lf_status_t>(r.u32("status"));
  // Passed on to the client's caller: LF_OK or one of lavaflow's errors, nothing else.
  if (status != LF_OK && !core::is_known_error(status))
    fail(LF_ERR_PROTOCOL, "driver message: status %d is neither LF_OK nor a lavaflow error", status);
  return status;
}

void put_announcement(core::ByteWriter &w, const Announcement &a) {
  w.u32(a.stream_id);
  w.u32(a.consumer_index);
  w.u64(a.epoch);
  w.u32(a.keepalive_ms);
  w.u32(a.nslots);
  w.u32(a.control_entries);
  w.u8(static_cast<uint8_t>(a.pools.size()));
  w.u8(a.hugepages ? 1 : 0);
  w.u16(0);
  for (size_t i = 0; i < kMaxPools; ++i) {
    if (i < a.pools.size()) {
      w.u16(a.pools[i].id);
      w.u16(0);
      w.u32(a.pools[i].stride);
    } else {
      w.zeros(kPoolEntryBytes);
    }
  }
  put_fixed_text(w, a.epoch_dir, kDirBytes);
}

// Every field present and in range: a client maps nothing described by less (fail closed).
Announcement get_announcement(core::ByteReader &r) {
  Announcement a;
  a.stream_id = r.u32("stream_id");
  a.consumer_index = r.u32("consumer_index");
  a.epoch = r.u64("epoch");
  a.keepalive_ms = r.u32("keepalive_ms");
  a.nslots = r.u32("nslots");
  a.control_entries = r.u32("control_entries");
  const uint8_t pool_count = r.u8("pool_count");
  const uint8_t hugepages = r.u8("hugepages");
  r.skip(2, "reserved");
  if (a.epoch == 0) fail(LF_ERR_PROTOCOL, "driver announcement: epoch 0");
  if (a.keepalive_ms == 0) fail(LF_ERR_PROTOCOL, "driver announcement: keepalive_ms 0");
  if (!valid_slot_count(a.nslots)) fail(LF_ERR_PROTOCOL, "driver announcement: nslots %u is not a power of two up to %u", a.nslots, kMaxSlots);
  if (!valid_entry_count(a.control_entries))
    fail(LF_ERR_PROTOCOL, "driver announcement: control_entries %u is not a power of two up to 65536", a.control_entries);
  if (a.consumer_index != 0xFFFFFFFFu && a.consumer_index >= a.control_entries)
    fail(LF_ERR_PROTOCOL, "driver announcement: consumer_index %u is outside the %u entries", a.consumer_index, a.control_entries);
  if (pool_count == 0 || pool_count > kMaxPools) fail(LF_ERR_PROTOCOL, "driver announcement: %u pools (1..%u)", pool_count, kMaxPools);
  if (hugepages > 1) fail(LF_ERR_PROTOCOL, "driver announcement: hugepages flag %u", hugepages);
  a.hugepages = hugepages == 1;
  uint32_t seen = 0;
  for (uint32_t i = 0; i < kMaxPools; ++i) {
    const uint16_t id = r.u16("pool id");
    const uint16_t reserved = r.u16("pool reserved");
    const uint32_t stride = r.u32("pool stride");
    if (i >= pool_count) {
      if (id != 0 || reserved != 0 || stride != 0) fail(LF_ERR_PROTOCOL, "driver announcement: pool entry %u beyond pool_count is not zero", i);
      continue;
    }
    if (id == 0 || id > kMaxPools || (seen & (1u << id)) != 0) fail(LF_ERR_PROTOCOL, "driver announcement: pool id %u invalid or repeated", id);
    if (!valid_stride(stride)) fail(LF_ERR_PROTOCOL, "driver announcement: pool %u stride %u is not a power-of-two multiple of 64", id, stride);
    if (reserved != 0) fail(LF_ERR_PROTOCOL, "driver announcement: pool %u reserved bytes not zero", id);
    seen |= 1u << id;
    a.pools.push_back({id, stride});
  }
  a.epoch_dir = get_fixed_text(r, kDirBytes, "epoch_dir");
  if (a.epoch_dir.empty() || a.epoch_dir[0] != '/') fail(LF_ERR_PROTOCOL, "driver announcement: epoch_dir is not an absolute path");
  return a;
}

}  // namespace

std::vector<uint8_t> encode(const Message &m) {
  core::ByteWriter w;
  w.u32(kMagic);
  w.u16(kVersion);
  w.u16(static_cast<uint16_t>(m.type));
  w.u32(0);  // body length, patched below
  w.u32(m.request_id);
  switch (m.type) {
    case Type::attach_request:
      w.u64(m.attach.client_id);
      w.u32(m.attach.stream_id);
      w.u8(static_cast<uint8_t>(m.attach.role));
      w.u8(m.attach.require_hugepages ? 1 : 0);
      w.u8(m.attach.mode);
      w.u8(0);
      w.u64(m.attach.mode_arg);
      put_fixed_text(w, m.attach.profile, kProfileNameBytes);
      break;
    case Type::attach_response:
      put_status(w, m.attached.status);
      w.u32(0);
      w.u64(m.attached.lease_id);
      if (m.attached.status == LF_OK) put_announcement(w, m.attached.announcement);
      else w.zeros(kAnnouncementBytes);
      put_fixed_text(w, m.attached.message, kMessageTextBytes);
      break;
    case Type::detach_request:
    case Type::keepalive:
      w.u64(m.lease_id);
      break;
    case Type::detach_response:
      put_status(w, m.status);
      w.u32(0);
      w.u64(m.lease_id);
      break;
    case Type::lease_revoked:
      w.u64(m.lease_id);
      w.u32(m.stream_id);
      w.u8(static_cast<uint8_t>(m.reason));
      w.zeros(3);
      w.u64(m.epoch);
      break;
    case Type::shutdown_notice:
      w.u32(m.drain_ms);
      w.u32(0);
      break;
    case Type::shutdown_request:
      w.raw(m.token.data(), m.token.size());
      break;
    case Type::shutdown_response:
      put_status(w, m.status);
      w.u32(0);
      break;
    case Type::announce:
      w.u64(m.lease_id);
      put_announcement(w, m.announcement);
      break;
    case Type::list_request:
      break;
    case Type::list_response: {
      const size_t n = m.streams.size() < kMaxListedStreams ? m.streams.size() : kMaxListedStreams;
      w.u32(static_cast<uint32_t>(n));
      for (size_t i = 0; i < n; ++i) {
        const StreamStatus &s = m.streams[i];
        w.u32(s.stream_id);
        w.u64(s.epoch);
        w.u32(s.producer_pid);
        w.u32(s.consumers);
        w.u32(s.nslots);
        w.u64(s.bytes);
        put_fixed_text(w, s.epoch_dir, kDirBytes);
      }
      break;
    }
  }
  w.patch_u32(8, static_cast<uint32_t>(w.size() - kHeaderBytes));
  return std::move(w.bytes());
}

Message decode(const uint8_t *data, size_t size, uint32_t fd_count) {
  try {
    if (size < kHeaderBytes) fail(LF_ERR_PROTOCOL, "driver message of %zu bytes: shorter than its header", size);
    core::ByteReader r({data, size}, "driver message");
    if (r.u32("magic") != kMagic) fail(LF_ERR_PROTOCOL, "driver message: wrong magic");
    const uint16_t version = r.u16("version");
    if (version != kVersion) fail(LF_ERR_VERSION_MISMATCH, "driver message: protocol version %u; this library speaks %u", version, kVersion);
    const uint16_t type = r.u16("type");
    if (!known_type(type)) fail(LF_ERR_PROTOCOL, "driver message: unknown type %u", type);
    Message m;
    m.type = static_cast<Type>(type);
    const uint32_t body = r.u32("body length");
    m.request_id = r.u32("request id");
    const size_t expected = fixed_body_bytes(m.type);
    if (body != size - kHeaderBytes) fail(LF_ERR_PROTOCOL, "driver %s: body length %u but %zu bytes follow", type_name(m.type), body, size - kHeaderBytes);
    if (expected != SIZE_MAX && body != expected)
      fail(LF_ERR_PROTOCOL, "driver %s: body of %u bytes, expected %zu", type_name(m.type), body, expected);
    uint32_t fds_expected = 0;
    switch (m.type) {
      case Type::attach_request: {
        m.attach.client_id = r.u64("client_id");
        m.attach.stream_id = r.u32("stream_id");
        const uint8_t role = r.u8("role");
        const uint8_t hugepages = r.u8("require_hugepages");
        m.attach.mode = r.u8("mode");
        const uint8_t reserved = r.u8("reserved");
        m.attach.mode_arg = r.u64("mode_arg");
        m.attach.profile = get_fixed_text(r, kProfileNameBytes, "profile");
        if (role != 1 && role != 2) fail(LF_ERR_PROTOCOL, "driver attach request: role %u", role);
        if (hugepages > 1 || reserved != 0) fail(LF_ERR_PROTOCOL, "driver attach request: flags %u/%u", hugepages, reserved);
        if (m.attach.mode > 3) fail(LF_ERR_PROTOCOL, "driver attach request: consumer mode %u", m.attach.mode);
        m.attach.role = static_cast<Role>(role);
        m.attach.require_hugepages = hugepages == 1;
        break;
      }
      case Type::attach_response: {
        m.attached.status = get_status(r);
        r.skip(4, "reserved");
        m.attached.lease_id = r.u64("lease_id");
        if (m.attached.status == LF_OK) {
          if (m.attached.lease_id == 0) fail(LF_ERR_PROTOCOL, "driver attach response: OK without a lease id");
          m.attached.announcement = get_announcement(r);
          fds_expected = m.attached.announcement.fd_count();
        } else {
          r.skip(kAnnouncementBytes, "announcement");
        }
        m.attached.message = get_fixed_text(r, kMessageTextBytes, "message");
        if (m.attached.status < 0 && m.attached.message.empty()) fail(LF_ERR_PROTOCOL, "driver attach response: refusal without a reason");
        break;
      }
      case Type::detach_request:
      case Type::keepalive:
        m.lease_id = r.u64("lease_id");
        break;
      case Type::detach_response:
        m.status = get_status(r);
        r.skip(4, "reserved");
        m.lease_id = r.u64("lease_id");
        break;
      case Type::lease_revoked: {
        m.lease_id = r.u64("lease_id");
        m.stream_id = r.u32("stream_id");
        const uint8_t reason = r.u8("reason");
        if (reason < 1 || reason > 4) fail(LF_ERR_PROTOCOL, "driver lease revoked: reason %u", reason);
        m.reason = static_cast<RevokeReason>(reason);
        r.skip(3, "reserved");
        m.epoch = r.u64("epoch");
        break;
      }
      case Type::shutdown_notice:
        m.drain_ms = r.u32("drain_ms");
        r.skip(4, "reserved");
        break;
      case Type::shutdown_request: {
        auto token = r.raw(kTokenBytes, "token");
        std::memcpy(m.token.data(), token.data(), kTokenBytes);
        break;
      }
      case Type::shutdown_response:
        m.status = get_status(r);
        r.skip(4, "reserved");
        break;
      case Type::announce:
        m.lease_id = r.u64("lease_id");
        m.announcement = get_announcement(r);
        fds_expected = m.announcement.fd_count();
        break;
      case Type::list_request:
        break;
      case Type::list_response: {
        const uint32_t n = r.u32("stream count");
        if (n > kMaxListedStreams || r.remaining() != size_t{n} * kStreamStatusBytes)
          fail(LF_ERR_PROTOCOL, "driver list response: %u streams in %zu bytes", n, r.remaining());
        for (uint32_t i = 0; i < n; ++i) {
          StreamStatus s;
          s.stream_id = r.u32("stream_id");
          s.epoch = r.u64("epoch");
          s.producer_pid = r.u32("producer_pid");
          s.consumers = r.u32("consumers");
          s.nslots = r.u32("nslots");
          s.bytes = r.u64("bytes");
          s.epoch_dir = get_fixed_text(r, kDirBytes, "epoch_dir");
          m.streams.push_back(std::move(s));
        }
        break;
      }
    }
    if (fd_count != fds_expected)
      fail(LF_ERR_PROTOCOL, "driver %s came with %u descriptors, expected %u", type_name(m.type), fd_count, fds_expected);
    return m;
  } catch (const core::Error &e) {
    if (e.status() == LF_ERR_CORRUPT) throw core::Error(LF_ERR_PROTOCOL, e.what());
    throw;
  }
}

const char *type_name(Type type) noexcept {
  switch (type) {
    case Type::attach_request: return "attach request";
    case Type::attach_response: return "attach response";
    case Type::detach_request: return "detach request";
    case Type::detach_response: return "detach response";
    case Type::keepalive: return "keepalive";
    case Type::lease_revoked: return "lease revoked";
    case Type::shutdown_notice: return "shutdown notice";
    case Type::shutdown_request: return "shutdown request";
    case Type::shutdown_response: return "shutdown response";
    case Type::announce: return "announce";
    case Type::list_request: return "list request";
    case Type::list_response: return "list response";
  }
  return "unknown message";
}

const char *revoke_reason_name(RevokeReason reason) noexcept {
  switch (reason) {
    case RevokeReason::detached: return "detached";
    case RevokeReason::expired: return "expired";
    case RevokeReason::revoked: return "revoked";
    case RevokeReason::shutdown: return "driver shutdown";
  }
  return "unknown";
}

}  // namespace lavaflow::pool::protocol

// The tensor pool's driver protocol (docs/wire-formats.md "Tensor pool driver protocol"):
// messages over a SOCK_SEQPACKET Unix socket, one message per packet, little-endian, each with
// a 16-byte header (magic, version, type, body length, request id). Region files travel as
// descriptors (SCM_RIGHTS) with the announcement that describes them. Decoding fails closed:
// an unknown version is LF_ERR_VERSION_MISMATCH; an unknown type or enum value, a body of the
// wrong length, a missing field or descriptor is LF_ERR_PROTOCOL.
#pragma once

#include "pool/frame_ring.hpp"

#include <lavaflow/status.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace lavaflow::pool::protocol {

constexpr uint32_t kMagic = 0x5054464Cu;  // "LFTP" in memory order
constexpr uint16_t kVersion = 1;
constexpr size_t kHeaderBytes = 16;
constexpr size_t kMaxMessageBytes = 65536;
constexpr size_t kMaxListedStreams = 200;
constexpr size_t kProfileNameBytes = 32;
constexpr size_t kDirBytes = 256;
constexpr size_t kMessageTextBytes = 160;
constexpr size_t kTokenBytes = 32;

enum class Type : uint16_t {
  attach_request = 1,
  attach_response = 2,
  detach_request = 3,
  detach_response = 4,
  keepalive = 5,
  lease_revoked = 6,
  shutdown_notice = 7,
  shutdown_request = 8,
  shutdown_response = 9,
  announce = 10,
  list_request = 11,
  list_response = 12,
};

enum class Role : uint8_t { producer = 1, consumer = 2 };
enum class RevokeReason : uint8_t { detached = 1, expired = 2, revoked = 3, shutdown = 4 };

struct AttachRequest {
  uint64_t client_id = 0;
  uint32_t stream_id = 0;
  Role role = Role::consumer;
  bool require_hugepages = false;
  uint8_t mode = 0;       // consumers: lavaflow::pool::Mode as its wire value (0..3)
  uint64_t mode_arg = 0;  // DECIMATED: N; RATE_LIMITED: the minimum interval in ns
  std::string profile;    // empty: the stream's configured profile or the default
};

// A stream epoch's layout and where its files are: the body of an ANNOUNCE and the tail of an
// OK attach response. Descriptors, in order: header ring, control region, then each pool.
struct Announcement {
  uint32_t stream_id = 0;
  uint32_t consumer_index = 0xFFFFFFFFu;  // the recipient's consumer entry, or none
  uint64_t epoch = 0;
  uint32_t keepalive_ms = 0;
  uint32_t nslots = 0;
  uint32_t control_entries = 0;
  bool hugepages = false;
  struct Pool {
    uint16_t id = 0;
    uint32_t stride = 0;
  };
  std::vector<Pool> pools;  // 1..15, ids unique, ascending strides not required
  std::string epoch_dir;    // for tools and messages; the descriptors are what gets mapped
  uint32_t fd_count() const noexcept { return 2 + static_cast<uint32_t>(pools.size()); }
};

struct AttachResponse {
  lf_status_t status = LF_OK;
  uint64_t lease_id = 0;
  Announcement announcement;  // OK only
  std::string message;        // errors: why
};

struct StreamStatus {
  uint32_t stream_id = 0;
  uint64_t epoch = 0;
  uint32_t producer_pid = 0;  // 0: no producer
  uint32_t consumers = 0;
  uint32_t nslots = 0;
  uint64_t bytes = 0;  // all of the epoch's region files
  std::string epoch_dir;
};

// One decoded message (the fields of its type are set).
struct Message {
  Type type = Type::keepalive;
  uint32_t request_id = 0;
  AttachRequest attach;
  AttachResponse attached;
  uint64_t lease_id = 0;       // detach request/response, keepalive, lease revoked, announce
  lf_status_t status = LF_OK;  // detach/shutdown response
  uint32_t stream_id = 0;      // lease revoked
  RevokeReason reason = RevokeReason::revoked;
  uint64_t epoch = 0;          // lease revoked
  uint32_t drain_ms = 0;       // shutdown notice
  std::array<uint8_t, kTokenBytes> token{};  // shutdown request
  Announcement announcement;   // announce
  std::vector<StreamStatus> streams;  // list response
};

std::vector<uint8_t> encode(const Message &message);

// Decodes one received packet; `fd_count` descriptors came with it (checked against what the
// type carries). Throws Error(LF_ERR_PROTOCOL / LF_ERR_VERSION_MISMATCH).
Message decode(const uint8_t *data, size_t size, uint32_t fd_count);

const char *type_name(Type type) noexcept;
const char *revoke_reason_name(RevokeReason reason) noexcept;

}  // namespace lavaflow::pool::protocol

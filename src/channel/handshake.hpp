// The messages of a channel connection (docs/wire-formats.md, "Channel handshake"): HELLO
// from the opener (its role and identity), REPLY from the creator (accepted or not, with the
// slot, the scope and its identity; the region's fd rides along on acceptance). Afterwards a
// producer sends ANNOUNCE once for each buffer it refers to in a message (the buffer's id and
// export descriptor, with its fd).
#pragma once

#include <lavaflow/status.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace lavaflow::channel {

constexpr uint32_t kHandshakeMagic = 0x5348464C;  // bytes "LFHS"
constexpr uint16_t kHandshakeVersion = 1;
constexpr size_t kMaxHandshakeBytes = 40000;

struct Hello {
  int32_t role = 0;
  std::vector<uint8_t> identity;
};

struct Reply {
  lf_status_t status = LF_OK;  // LF_OK: accepted
  uint32_t slot = 0;
  int32_t scope = 0;
  std::vector<uint8_t> identity;
  std::string message;         // why not, when refused
};

struct Announce {
  uint32_t id = 0;                  // the producer's number for the buffer, never 0
  std::vector<uint8_t> descriptor;  // ipc::encode_buffer_descriptor()'s 64 bytes
};

std::vector<uint8_t> encode_hello(const Hello &hello);
std::vector<uint8_t> encode_reply(const Reply &reply);
// Throw Error(LF_ERR_PROTOCOL / LF_ERR_VERSION_MISMATCH) for anything malformed.
Hello decode_hello(std::span<const uint8_t> bytes);
Reply decode_reply(std::span<const uint8_t> bytes);
std::vector<uint8_t> encode_announce(const Announce &announce);
Announce decode_announce(std::span<const uint8_t> bytes);

}  // namespace lavaflow::channel

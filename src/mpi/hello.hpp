// The two small messages of the MPI transport besides frames: the hello each end sends when
// a channel opens (what it is and asks for), and control messages from one end to the other
// (credit, heartbeat, consumer closed). docs/wire-formats.md, "MPI frames".
#pragma once

#include "mpi/crypto.hpp"

#include <lavaflow/status.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::mpi {

constexpr size_t kHelloBytes = 72;
constexpr size_t kControlBytes = 16;

struct Hello {
  int32_t role = 0;             // the sender's role
  uint32_t channel_id = 0;
  int32_t cipher = 0;
  int32_t compression = 0;      // informational: the producer's choice
  uint32_t pipeline_depth = 0;  // the receiver's posted frames (binding when sent by the consumer)
  uint32_t flags = 0;           // kHelloProgressThread
  uint64_t chunk_size = 0;      // binding when sent by the consumer
  uint64_t max_message = 0;     // the sender's ring
  Salt salt{};
};
constexpr uint32_t kHelloProgressThread = 1u << 0;  // the end sends heartbeats
// (1u << 1 announced the first short frames, a mark byte and the message: no longer sent, so a
// peer that knows only those gets full frames)
constexpr uint32_t kHelloShortFrames = 1u << 2;     // the end sends and takes short frames (frame.hpp)

void encode_hello(const Hello &hello, uint8_t *out) noexcept;
// LF_ERR_PROTOCOL / LF_ERR_VERSION_MISMATCH with `problem` for anything but a valid hello.
lf_status_t decode_hello(const uint8_t *in, size_t size, Hello &hello, const char **problem) noexcept;

enum ControlKind : uint32_t {
  kControlCredit = 1,          // value: frames the receiver has room for again
  kControlHeartbeat = 2,       // the end is alive
  kControlConsumerClosed = 3,  // the consumer closed its end: stop sending
};

void encode_control(ControlKind kind, uint64_t value, uint8_t *out) noexcept;
// false for anything but a valid control message.
bool decode_control(const uint8_t *in, size_t size, ControlKind &kind, uint64_t &value) noexcept;

}  // namespace lavaflow::mpi

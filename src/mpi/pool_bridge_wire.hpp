// The messages of a tensor pool bridge (lavaflow_mpi.h): a frame (its header fields, then its
// payload) or a metadata record, little-endian, in one channel message each. Layout in
// docs/wire-formats.md ("Tensor pool bridge messages"). Encoding writes straight into channel
// room and allocates nothing; decoding checks every length and field the sink relies on.
#pragma once

#include <lavaflow/pool.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::mpi {

constexpr uint32_t kBridgeMagic = 0x4250464cu;  // "LFPB"
constexpr uint16_t kBridgeVersion = 1;
enum BridgeKind : uint16_t { kBridgeFrame = 1, kBridgeMetadata = 2 };
constexpr size_t kBridgeFrameHeader = 128;
constexpr size_t kBridgeMetadataBytes = 2672;

// Writes a frame's header at `out` (kBridgeFrameHeader bytes; the payload follows).
void encode_bridge_frame(uint8_t *out, const lf_pool_view_t &view) noexcept;
// Writes a metadata message (kBridgeMetadataBytes).
void encode_bridge_metadata(uint8_t *out, const lf_pool_metadata_t &metadata) noexcept;

struct BridgeMessage {
  BridgeKind kind = kBridgeFrame;
  lf_pool_tensor_t tensor{};      // frame: meta_version 0 (the sink's current version)
  const uint8_t *payload = nullptr;
  uint32_t bytes = 0;
  lf_pool_metadata_t metadata{};  // metadata
};

// Decodes and validates one message; nullptr, or what is wrong with it.
const char *decode_bridge_message(const uint8_t *data, size_t size, BridgeMessage &out) noexcept;

}  // namespace lavaflow::mpi

#include "mpi/hello.hpp"

#include "core/byte_io.hpp"

#include <cstring>

namespace lavaflow::mpi {

using core::load_le;
using core::store_le;

namespace {
constexpr uint32_t kHelloMagic = 0x484d464c;    // "LFMH"
constexpr uint32_t kControlMagic = 0x434d464c;  // "LFMC"
constexpr uint32_t kHelloVersion = 1;
}  // namespace

// Offsets: magic 0, version 4, role 8, channel_id 12, cipher 16, compression 20, depth 24,
// flags 28, chunk_size 32, max_message 40, salt 48..63, reserved 64..71.
void encode_hello(const Hello &h, uint8_t *out) noexcept {
  std::memset(out, 0, kHelloBytes);
  store_le<uint32_t>(out, kHelloMagic);
  store_le<uint32_t>(out + 4, kHelloVersion);
  store_le<uint32_t>(out + 8, static_cast<uint32_t>(h.role));
  store_le<uint32_t>(out + 12, h.channel_id);
  store_le<uint32_t>(out + 16, static_cast<uint32_t>(h.cipher));
  store_le<uint32_t>(out + 20, static_cast<uint32_t>(h.compression));
  store_le<uint32_t>(out + 24, h.pipeline_depth);
  store_le<uint32_t>(out + 28, h.flags);
  store_le<uint64_t>(out + 32, h.chunk_size);
  store_le<uint64_t>(out + 40, h.max_message);
  std::memcpy(out + 48, h.salt.data(), h.salt.size());
}

lf_status_t decode_hello(const uint8_t *in, size_t size, Hello &h, const char **problem) noexcept {
  if (size != kHelloBytes || load_le<uint32_t>(in) != kHelloMagic)
    return *problem = "the peer's hello is not a lavaflow MPI hello", LF_ERR_PROTOCOL;
  if (load_le<uint32_t>(in + 4) != kHelloVersion)
    return *problem = "the peer speaks another version of the MPI transport", LF_ERR_VERSION_MISMATCH;
  h.role = static_cast<int32_t>(load_le<uint32_t>(in + 8));
  h.channel_id = load_le<uint32_t>(in + 12);
  h.cipher = static_cast<int32_t>(load_le<uint32_t>(in + 16));
  h.compression = static_cast<int32_t>(load_le<uint32_t>(in + 20));
  h.pipeline_depth = load_le<uint32_t>(in + 24);
  h.flags = load_le<uint32_t>(in + 28);
  h.chunk_size = load_le<uint64_t>(in + 32);
  h.max_message = load_le<uint64_t>(in + 40);
  std::memcpy(h.salt.data(), in + 48, h.salt.size());
  return LF_OK;
}

void encode_control(ControlKind kind, uint64_t value, uint8_t *out) noexcept {
  store_le<uint32_t>(out, kControlMagic);
  store_le<uint32_t>(out + 4, kind);
  store_le<uint64_t>(out + 8, value);
}

bool decode_control(const uint8_t *in, size_t size, ControlKind &kind, uint64_t &value) noexcept {
  if (size != kControlBytes || load_le<uint32_t>(in) != kControlMagic) return false;
  const uint32_t k = load_le<uint32_t>(in + 4);
  if (k < kControlCredit || k > kControlConsumerClosed) return false;
  kind = static_cast<ControlKind>(k);
  value = load_le<uint64_t>(in + 8);
  return true;
}

}  // namespace lavaflow::mpi

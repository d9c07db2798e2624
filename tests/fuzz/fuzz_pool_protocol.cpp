// The tensor pool driver protocol (docs/wire-formats.md, "Tensor pool driver protocol"), both
// ways: the driver parses its clients' requests and the clients parse the driver's answers,
// with the same decoder. The first byte says how many descriptors came with the packet. What
// decodes must encode and decode again to the same bytes.
#include "fuzz_support.hpp"

#include "core/error.hpp"
#include "pool/protocol.hpp"

using namespace lavaflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Bytes in(data, size);
  const uint32_t fds = in.byte() % 18;
  try {
    const pool::protocol::Message m = pool::protocol::decode(in.rest(), in.left(), fds);
    const std::vector<uint8_t> again = pool::protocol::encode(m);
    const pool::protocol::Message twice = pool::protocol::decode(again.data(), again.size(), fds);
    if (pool::protocol::encode(twice) != again) fuzz::broken("driver message round trip");
  } catch (const core::Error &) {
    // refused
  }
  return 0;
}

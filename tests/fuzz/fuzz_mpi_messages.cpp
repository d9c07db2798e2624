// The MPI transport's other messages from another host (docs/wire-formats.md): the hello each
// end of a channel sends, the control messages (credits, heartbeats, consumer closed), and the
// tensor pool bridge's frame and metadata messages. The first byte picks which. What decodes
// must encode and decode again to the same thing.
#include "fuzz_support.hpp"

#include "mpi/hello.hpp"
#include "mpi/pool_bridge_wire.hpp"

#include <vector>

using namespace lavaflow::mpi;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Bytes in(data, size);
  const uint8_t which = in.byte() % 3;
  const uint8_t *bytes = in.rest();
  const size_t n = in.left();
  if (which == 0) {
    Hello h;
    const char *problem = nullptr;
    if (decode_hello(bytes, n, h, &problem) != LF_OK) return 0;
    uint8_t again[kHelloBytes];
    encode_hello(h, again);
    Hello twice;
    if (decode_hello(again, sizeof again, twice, &problem) != LF_OK || twice.channel_id != h.channel_id ||
        twice.flags != h.flags || twice.chunk_size != h.chunk_size || twice.max_message != h.max_message)
      fuzz::broken("hello round trip");
  } else if (which == 1) {
    ControlKind kind;
    uint64_t value = 0;
    if (!decode_control(bytes, n, kind, value)) return 0;
    uint8_t again[kControlBytes];
    encode_control(kind, value, again);
    ControlKind kind2;
    uint64_t value2 = 0;
    if (!decode_control(again, sizeof again, kind2, value2) || kind2 != kind || value2 != value)
      fuzz::broken("control round trip");
  } else {
    BridgeMessage m;
    if (decode_bridge_message(bytes, n, m) != nullptr) return 0;
    if (m.kind == kBridgeFrame && m.bytes > 0) {  // every payload byte it points at must lie in the message
      volatile uint8_t last = m.payload[m.bytes - 1];
      (void)last;
    }
  }
  return 0;
}

// The messages on a channel's connection socket (docs/wire-formats.md, "Channel connection
// messages"): HELLO (the creator parses it), REPLY (the opener parses it) and ANNOUNCE (a
// consumer parses a producer's), through the decoders the sockets' readers use. What decodes
// must encode and decode to the same message.
#include "fuzz_support.hpp"

#include "channel/handshake.hpp"
#include "core/error.hpp"

using namespace lavaflow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Bytes in(data, size);
  const uint8_t which = in.byte() % 3;
  std::span<const uint8_t> bytes(in.rest(), in.left());
  try {
    if (which == 0) {
      channel::Hello h = channel::decode_hello(bytes);
      channel::Hello again = channel::decode_hello(channel::encode_hello(h));
      if (again.role != h.role || again.identity != h.identity) fuzz::broken("hello round trip");
    } else if (which == 1) {
      channel::Reply r = channel::decode_reply(bytes);
      channel::Reply again = channel::decode_reply(channel::encode_reply(r));
      if (again.status != r.status || again.slot != r.slot || again.scope != r.scope || again.identity != r.identity ||
          again.message != r.message)
        fuzz::broken("reply round trip");
    } else {
      channel::Announce a = channel::decode_announce(bytes);
      channel::Announce again = channel::decode_announce(channel::encode_announce(a));
      if (again.id != a.id || again.descriptor != a.descriptor) fuzz::broken("announce round trip");
    }
  } catch (const core::Error &) {
    // refused: what a peer's garbage must get
  }
  return 0;
}

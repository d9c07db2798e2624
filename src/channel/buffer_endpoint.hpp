// Channels laid out in a caller's buffer instead of created under a name. The ends share no
// socket: each writes its identity into its page of the region (ring_layout.hpp), the opener
// decides the scope from the creator's, and every end runs a small thread that waits for
// peers to attach (a futex in the region) and watches their processes with pidfds, so that a
// peer's death is still noticed at once. Buffer references need a socket: not here.
#pragma once

#include "channel/endpoint.hpp"

#include <memory>

namespace lavaflow::channel {

struct CallerBuffer {
  void *base = nullptr;         // the buffer's host address, never null (the C API checks)
  uint64_t bytes = 0;
  uint64_t page_size = 4096;
  bool shared = false;          // other processes may map it (shared memory); else this process only
  std::shared_ptr<void> owner;  // keeps the memory alive as long as the channel end
};

std::unique_ptr<Channel> create_channel_in_buffer(const std::shared_ptr<const context::Context> &context,
                                                  const CallerBuffer &buffer, const EndpointOptions &options);
std::unique_ptr<Channel> open_channel_in_buffer(const std::shared_ptr<const context::Context> &context,
                                                const CallerBuffer &buffer, const EndpointOptions &options);

}  // namespace lavaflow::channel

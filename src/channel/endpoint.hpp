// Creating and opening channel ends: identities, scope, the transport it allows, and the
// connection (in-process registry or the listener's socket).
#pragma once

#include "channel/channel.hpp"

#include <memory>
#include <string>

namespace lavaflow::context {
class Context;
}

namespace lavaflow::channel {

struct EndpointOptions {
  int32_t role = 0;  // 0: the default for create (consumer) or open (producer)
  WaitPolicy wait;
  uint64_t capacity = uint64_t{1} << 20;
  uint64_t max_message = 0;  // 0: min(256 KiB, capacity / 2 - 16)
  uint32_t max_producers = 1;
  int32_t connect_timeout_ms = 0;
};

std::unique_ptr<Channel> create_channel(const std::shared_ptr<const context::Context> &context, const std::string &name,
                                        const EndpointOptions &options);
std::unique_ptr<Channel> open_channel(const std::shared_ptr<const context::Context> &context, const std::string &name,
                                      const EndpointOptions &options);

}  // namespace lavaflow::channel

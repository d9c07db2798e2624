// Creating and opening channel ends: identities, scope, the transport it allows, and the
// connection (in-process registry or the listener's socket).
#pragma once

#include "channel/channel.hpp"
#include "topo/identity.hpp"

#include <memory>
#include <string>

namespace lavaflow::context {
class Context;
}

namespace lavaflow::channel {

struct EndpointOptions {
  int32_t role = 0;  // 0: the default for create (consumer) or open (producer)
  WaitPolicy wait;
  uint64_t capacity = 0;  // 0: 1 MiB, or in a caller's buffer the largest that fits
  uint64_t max_message = 0;  // 0: min(256 KiB, capacity / 2 - 16)
  uint32_t max_producers = 1;
  int32_t connect_timeout_ms = 0;
};

// What create validated: the creator's role (default consumer) and the region's shape.
struct RegionShape {
  int32_t role = LF_CHANNEL_CONSUMER;
  uint64_t capacity = 0;
  uint64_t max_message = 0;
  uint32_t producers = 1;
};
RegionShape creator_shape(const EndpointOptions &options);
// The bytes of a region of `producers` rings of `capacity` bytes, both validated as create does.
uint64_t region_size(uint64_t capacity, uint32_t producers);
// The opener's role (default producer), validated.
int32_t opener_role(const EndpointOptions &options);
topo::Identity my_identity(const context::Context &context);
std::unique_ptr<Channel> make_end(std::shared_ptr<ChannelRegion> region, const EndpointOptions &options, int32_t role,
                                  uint32_t slot);

std::unique_ptr<Channel> create_channel(const std::shared_ptr<const context::Context> &context, const std::string &name,
                                        const EndpointOptions &options);
std::unique_ptr<Channel> open_channel(const std::shared_ptr<const context::Context> &context, const std::string &name,
                                      const EndpointOptions &options);

}  // namespace lavaflow::channel

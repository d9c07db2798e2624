#include "channel/channel_region.hpp"

#include "core/error.hpp"
#include "mem/host_memory.hpp"
#include "mem/shared_memory.hpp"

#include <random>

namespace lavaflow::channel {

using transport::kPage;

namespace {

uint64_t random_instance_id() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) | device();
}

}  // namespace

std::shared_ptr<ChannelRegion> ChannelRegion::create(uint64_t capacity, uint64_t max_message, uint32_t producers) {
  auto region = std::make_shared<ChannelRegion>();
  mem::AllocationRequest request;
  request.size = transport::region_bytes(capacity, producers);
  request.alignment = kPage;
  // Prefaulted here and when mapped (below): a ring's first lap would otherwise take a page
  // fault every few messages, on the hot path.
  request.flags = LF_BUFFER_FLAG_ZERO | LF_BUFFER_FLAG_PREFAULT;
  request.kind = LF_MEMORY_SHARED;
  const mem::NodePolicy default_placement;  // binds nothing: no topology needed
  region->memory_ = mem::allocate_shared(nullptr, std::string(), request, default_placement);
  region->base_ = region->memory_->host;
  transport::initialize_region(region->base_, capacity, max_message, producers, random_instance_id());
  return region;
}

std::shared_ptr<ChannelRegion> ChannelRegion::map(int fd) {
  auto region = std::make_shared<ChannelRegion>();
  region->memory_ = mem::import_shared_fd(fd, 0, false);
  region->base_ = region->memory_->host;
  transport::validate_region(region->base_, region->memory_->size);
  mem::prefault_in_use(region->base_, region->memory_->size, region->memory_->page_size);
  return region;
}

transport::RingView ChannelRegion::ring(uint32_t index) const noexcept {
  const transport::RegionHeader *h = header();
  return {transport::control_of(base_, h->capacity, index), transport::data_of(base_, h->capacity, index), h->capacity,
          h->max_message_size};
}

}  // namespace lavaflow::channel

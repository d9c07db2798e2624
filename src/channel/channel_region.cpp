#include "channel/channel_region.hpp"

#include "core/error.hpp"
#include "mem/host_memory.hpp"
#include "mem/shared_memory.hpp"

#include <cstring>
#include <random>

namespace lavaflow::channel {

using transport::kPage;

namespace {

uint64_t random_instance_id() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) | device();
}

// What a region of its own asks for, whichever memory it lies in.
mem::AllocationRequest fresh_region_request(uint64_t capacity, uint32_t producers) {
  mem::AllocationRequest request;
  request.size = transport::region_bytes(capacity, producers);
  request.alignment = kPage;
  // Prefaulted here and when mapped (map()): a ring's first lap would otherwise take a page
  // fault every few messages, on the hot path.
  request.flags = LF_BUFFER_FLAG_ZERO | LF_BUFFER_FLAG_PREFAULT;
  return request;
}

}  // namespace

void ChannelRegion::lay_out(void *base, uint64_t capacity, uint64_t max_message, uint32_t producers) {
  base_ = base;
  transport::initialize_region(base_, capacity, max_message, producers, random_instance_id());
  shape_ = {capacity, max_message, producers};
}

std::shared_ptr<ChannelRegion> ChannelRegion::create(uint64_t capacity, uint64_t max_message, uint32_t producers) {
  auto region = std::make_shared<ChannelRegion>();
  mem::AllocationRequest request = fresh_region_request(capacity, producers);
  request.kind = LF_MEMORY_SHARED;
  const mem::NodePolicy default_placement;  // binds nothing: no topology needed
  region->memory_ = mem::allocate_shared(nullptr, std::string(), request, default_placement);
  region->lay_out(region->memory_->host, capacity, max_message, producers);
  return region;
}

std::shared_ptr<ChannelRegion> ChannelRegion::create_private(uint64_t capacity, uint64_t max_message) {
  auto region = std::make_shared<ChannelRegion>();
  mem::AllocationRequest request = fresh_region_request(capacity, 1);
  request.kind = LF_MEMORY_HOST;
  request.huge_pages = LF_HUGE_PAGES_PREFER;
  request.transparent_huge_pages_only = true;
  const mem::NodePolicy default_placement;
  region->memory_ = mem::allocate_host(nullptr, request, default_placement);
  region->lay_out(region->memory_->host, capacity, max_message, 1);
  return region;
}

std::shared_ptr<ChannelRegion> ChannelRegion::map(int fd) {
  auto region = std::make_shared<ChannelRegion>();
  region->memory_ = mem::import_shared_fd(fd, 0, false);
  region->base_ = region->memory_->host;
  region->shape_ = transport::validate_region(region->base_, region->memory_->size, true);
  mem::prefault_in_use(region->base_, region->memory_->size, region->memory_->page_size);
  return region;
}

std::shared_ptr<ChannelRegion> ChannelRegion::create_in(void *base, uint64_t bytes, std::shared_ptr<void> owner,
                                                        uint64_t capacity, uint64_t max_message, uint32_t producers) {
  const uint64_t needed = transport::region_bytes(capacity, producers);
  if (bytes < needed)
    core::fail(LF_ERR_INVALID_ARGUMENT, "the buffer holds %llu bytes; a channel of %u %llu-byte ring(s) needs %llu (lf_channel_buffer_size)",
               static_cast<unsigned long long>(bytes), producers, static_cast<unsigned long long>(capacity),
               static_cast<unsigned long long>(needed));
  if (reinterpret_cast<uintptr_t>(base) % kPage != 0)
    core::fail(LF_ERR_INVALID_ARGUMENT, "the buffer's memory is not page-aligned");
  auto region = std::make_shared<ChannelRegion>();
  region->owner_ = std::move(owner);
  std::memset(base, 0, needed);  // also touches every page now, not on the hot path
  region->lay_out(base, capacity, max_message, producers);
  return region;
}

std::shared_ptr<ChannelRegion> ChannelRegion::attach_to(void *base, uint64_t bytes, std::shared_ptr<void> owner,
                                                        uint64_t page_size) {
  if (reinterpret_cast<uintptr_t>(base) % kPage != 0)
    core::fail(LF_ERR_INVALID_ARGUMENT, "the buffer's memory is not page-aligned");
  auto region = std::make_shared<ChannelRegion>();
  region->owner_ = std::move(owner);
  region->base_ = base;
  region->shape_ = transport::validate_region(base, bytes, false);
  mem::prefault_in_use(base, transport::region_bytes(region->shape_.capacity, region->shape_.producers), page_size);
  return region;
}

int ChannelRegion::export_fd() const {
  if (!memory_) core::fail(LF_ERR_UNSUPPORTED, "the channel lies in a caller's buffer: share that buffer instead");
  return memory_->export_fd();
}

transport::RingView ChannelRegion::ring(uint32_t index) const noexcept {
  return {transport::control_of(base_, shape_.capacity, index), transport::data_of(base_, shape_.capacity, index),
          shape_.capacity, shape_.max_message};
}

}  // namespace lavaflow::channel

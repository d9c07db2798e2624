#include "transport/ring_layout.hpp"

#include "core/error.hpp"

#include <lavaflow/version.h>

#include <cstring>
#include <unistd.h>

namespace lavaflow::transport {

using core::fail;

void initialize_region(void *region, uint64_t capacity, uint64_t max_message, uint32_t producers, uint64_t instance_id) {
  RegionHeader *h = header_of(region);
  h->layout_version = kChannelLayoutVersion;
  h->header_bytes = kPage;
  h->region_bytes = region_bytes(capacity, producers);
  h->capacity = capacity;
  h->max_message_size = max_message;
  h->instance_id = instance_id;
  h->max_producers = producers;
  h->creator_pid = static_cast<uint32_t>(getpid());
  h->creator_uid = geteuid();
  h->magic = kChannelMagic;  // (nobody else maps the region before the handshake hands it out)
}

RegionGeometry validate_region(const void *region, uint64_t mapped_bytes, bool exact) {
  if (mapped_bytes < kPage) fail(LF_ERR_CORRUPT, "channel region is %llu bytes, smaller than its header", static_cast<unsigned long long>(mapped_bytes));
  RegionHeader copy;
  std::memcpy(static_cast<void *>(&copy), region, sizeof copy);
  const RegionHeader *h = &copy;
  if (h->magic != kChannelMagic) fail(LF_ERR_CORRUPT, "not a lavaflow channel region (magic 0x%016llx)", static_cast<unsigned long long>(h->magic));
  if (h->layout_version != kChannelLayoutVersion)
    fail(LF_ERR_VERSION_MISMATCH, "channel region layout version %u; this library (lavaflow " LF_VERSION_STRING ") uses version %u",
         h->layout_version, kChannelLayoutVersion);
  if (h->header_bytes != kPage) fail(LF_ERR_CORRUPT, "channel region header_bytes %u, expected %llu", h->header_bytes, static_cast<unsigned long long>(kPage));
  const uint64_t capacity = h->capacity;
  if (capacity < kMinCapacity || capacity > kMaxCapacity || (capacity & (capacity - 1)) != 0)
    fail(LF_ERR_CORRUPT, "channel region capacity %llu is not a power of two in 4 KiB..1 GiB", static_cast<unsigned long long>(capacity));
  if (h->max_producers == 0 || h->max_producers > kMaxProducers)
    fail(LF_ERR_CORRUPT, "channel region has %u producer slots, expected 1..%u", h->max_producers, kMaxProducers);
  if (h->max_message_size > max_message_limit(capacity))
    fail(LF_ERR_CORRUPT, "channel region max_message_size %llu exceeds %llu for its capacity",
         static_cast<unsigned long long>(h->max_message_size), static_cast<unsigned long long>(max_message_limit(capacity)));
  uint64_t expected = region_bytes(capacity, h->max_producers);
  if (h->region_bytes != expected || (exact ? mapped_bytes != expected : mapped_bytes < expected))
    fail(LF_ERR_CORRUPT, "channel region is %llu bytes (header says %llu), its layout needs %llu",
         static_cast<unsigned long long>(mapped_bytes), static_cast<unsigned long long>(h->region_bytes),
         static_cast<unsigned long long>(expected));
  return {capacity, h->max_message_size, h->max_producers};
}

}  // namespace lavaflow::transport

#include "pool/epoch_mapping.hpp"

#include "core/error.hpp"
#include "ipc/user_dir.hpp"

#include <sys/mman.h>

namespace lavaflow::pool {

using core::fail;

namespace {

// The superblock must say exactly what the announcement said of this file.
void check_matches(const Superblock &sb, const protocol::Announcement &a, int16_t type, uint16_t pool_id, uint32_t nslots,
                   uint32_t stride, const std::string &what) {
  const char *w = what.c_str();
  if (sb.epoch != a.epoch) fail(LF_ERR_CORRUPT, "%s: superblock epoch %llu, announced %llu", w, static_cast<unsigned long long>(sb.epoch), static_cast<unsigned long long>(a.epoch));
  if (sb.stream_id != a.stream_id) fail(LF_ERR_CORRUPT, "%s: superblock stream %u, announced %u", w, sb.stream_id, a.stream_id);
  if (sb.region_type != type) fail(LF_ERR_CORRUPT, "%s: region_type %d, expected %d", w, sb.region_type, type);
  if (sb.pool_id != pool_id) fail(LF_ERR_CORRUPT, "%s: pool_id %u, expected %u", w, sb.pool_id, pool_id);
  if (sb.nslots != nslots) fail(LF_ERR_CORRUPT, "%s: nslots %u, announced %u", w, sb.nslots, nslots);
  if (type == kPayloadPool && sb.stride_bytes != stride) fail(LF_ERR_CORRUPT, "%s: stride_bytes %u, announced %u", w, sb.stride_bytes, stride);
}

}  // namespace

std::shared_ptr<EpochMapping> EpochMapping::map(const protocol::Announcement &a, std::vector<core::UniqueFd> fds, bool producer,
                                                uid_t owner) {
  if (fds.size() != a.fd_count()) fail(LF_ERR_PROTOCOL, "the announcement of epoch %llu came with %zu descriptors, expected %u", static_cast<unsigned long long>(a.epoch), fds.size(), a.fd_count());
  std::shared_ptr<EpochMapping> m(new EpochMapping());
  m->announcement_ = a;
  auto map_one = [&](size_t index, uint64_t bytes, bool writable, int16_t type, uint16_t pool_id, uint32_t nslots, uint32_t stride,
                     const std::string &name) -> uint8_t * {
    const std::string what = a.epoch_dir + "/" + name;
    ipc::check_private_file(fds[index].get(), what, bytes, owner);  // before mapping: type, owner, mode, size
    void *base = mmap(nullptr, bytes, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fds[index].get(), 0);
    if (base == MAP_FAILED) core::fail_errno(errno, "mmap('%s')", what.c_str());
    m->regions_.push_back({base, bytes});
    const Superblock sb = read_superblock(static_cast<uint8_t *>(base));
    validate_superblock(sb, bytes, what);
    check_matches(sb, a, type, pool_id, nslots, stride, what);
    return static_cast<uint8_t *>(base);
  };
  m->stream_.nslots = a.nslots;
  m->stream_.ring = map_one(0, kSuperblockBytes + uint64_t{a.nslots} * kSlotBytes, producer, kHeaderRing, 0, a.nslots, 0, "header.ring");
  uint8_t *control = map_one(1, control_region_bytes(a.control_entries), true, kControl, 0, a.control_entries, 0, "control");
  m->control_ = ControlView(control, a.control_entries);
  for (size_t i = 0; i < a.pools.size(); ++i) {
    const auto &p = a.pools[i];
    m->stream_.pools[p.id].base = map_one(2 + i, kSuperblockBytes + uint64_t{a.nslots} * p.stride, producer, kPayloadPool, p.id,
                                          a.nslots, p.stride, std::to_string(p.id) + ".pool");
    m->stream_.pools[p.id].stride = p.stride;
  }
  m->limits_ = m->stream_.limits();
  return m;
}

EpochMapping::~EpochMapping() {
  for (const Region &r : regions_) munmap(r.base, r.bytes);
}

}  // namespace lavaflow::pool

#include "pool/inspect.hpp"

#include "core/error.hpp"
#include "ipc/contained_path.hpp"
#include "pool/frame_ring.hpp"

#include <algorithm>
#include <memory>
#include <cerrno>
#include <sys/mman.h>
#include <sys/stat.h>

namespace lavaflow::pool {

namespace {

// A read-only mapping, unmapped on scope exit.
struct ReadOnlyMapping {
  ReadOnlyMapping(int fd, uint64_t bytes) : size(bytes) {
    base = mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) core::fail_errno(errno, "mmap of %llu bytes", static_cast<unsigned long long>(bytes));
  }
  ReadOnlyMapping(const ReadOnlyMapping &) = delete;
  ReadOnlyMapping &operator=(const ReadOnlyMapping &) = delete;
  ~ReadOnlyMapping() { munmap(base, size); }
  const uint8_t *bytes() const { return static_cast<const uint8_t *>(base); }
  void *base;
  uint64_t size;
};

// Opens (containment-checked) and maps a region read-only, and validates its superblock.
std::unique_ptr<ReadOnlyMapping> map_region(const std::string &path, const std::string &allowed_dir, Superblock &sb,
                                            uint64_t &file_bytes) {
  core::UniqueFd fd = ipc::open_contained(path, allowed_dir, false);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) core::fail_errno(errno, "fstat('%s')", path.c_str());
  file_bytes = static_cast<uint64_t>(st.st_size);
  if (file_bytes < kSuperblockBytes)
    core::fail(LF_ERR_CORRUPT, "'%s' is %llu bytes, smaller than a superblock", path.c_str(), static_cast<unsigned long long>(file_bytes));
  auto map = std::make_unique<ReadOnlyMapping>(fd.get(), file_bytes);
  sb = read_superblock(map->bytes());
  validate_superblock(sb, file_bytes, "'" + path + "'");
  return map;
}

}  // namespace

ControlSnapshot read_control_region(const std::string &path, const std::string &allowed_dir) {
  ControlSnapshot out;
  uint64_t file_bytes = 0;
  auto map = map_region(path, allowed_dir, out.superblock, file_bytes);
  if (out.superblock.region_type != kControl)
    core::fail(LF_ERR_INVALID_ARGUMENT, "'%s' is not a control region (region_type %d)", path.c_str(), out.superblock.region_type);
  const ControlView control(const_cast<uint8_t *>(map->bytes()), out.superblock.nslots);  // (read-only: only loads)
  out.producer = read_producer_qos(control);
  out.waiters = control.u32(control_offset::waiters).load(std::memory_order_relaxed);
  for (uint32_t i = 0; i < out.superblock.nslots; ++i) {
    const ConsumerEntry e = read_consumer_entry(control, i);
    if (e.state == kEntryAttached) out.consumers.emplace_back(i, e);
  }
  return out;
}

Inspection inspect_region(const std::string &path, const std::string &allowed_dir, uint32_t max_frames) {
  Inspection out;
  auto map_owner = map_region(path, allowed_dir, out.superblock, out.file_bytes);
  const ReadOnlyMapping &map = *map_owner;
  if (out.superblock.region_type != kHeaderRing) return out;

  StreamMapping stream;
  stream.ring = const_cast<uint8_t *>(map.bytes());  // (mapped read-only: the reader only loads through it)
  stream.nslots = out.superblock.nslots;
  SlotLimits limits;
  limits.nslots = out.superblock.nslots;
  limits.pool_strides.fill(UINT32_MAX);  // the pools are other files: their strides are unknown here
  limits.pool_strides[0] = 0;
  for (uint32_t i = 0; i < out.superblock.nslots; ++i) {
    const uint64_t word = slot_commit_word(stream, i);
    if ((word & 1) == 0) continue;  // empty or being written
    const uint64_t seq = word >> 1;
    if ((seq & (out.superblock.nslots - 1)) != i) {
      ++out.invalid_slots;  // a sequence that does not belong in this slot
      continue;
    }
    SlotHeader header;
    const SlotState state = read_frame(stream, limits, seq, header);
    if (state == SlotState::invalid) ++out.invalid_slots;
    if (state != SlotState::committed) continue;  // (or overwritten meanwhile)
    out.newest_seq = out.committed_slots == 0 ? seq : std::max(out.newest_seq, seq);
    ++out.committed_slots;
    out.newest.push_back({i, seq, header});
  }
  std::sort(out.newest.begin(), out.newest.end(), [](const InspectedFrame &a, const InspectedFrame &b) { return a.seq > b.seq; });
  if (out.newest.size() > max_frames) out.newest.resize(max_frames);
  return out;
}

}  // namespace lavaflow::pool

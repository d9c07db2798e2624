#include "pool/inspect.hpp"

#include "core/error.hpp"
#include "core/seqlock.hpp"
#include "ipc/contained_path.hpp"

#include <algorithm>
#include <atomic>
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

uint64_t load_commit(const uint8_t *slot) {
  // The commit word is an aligned u64 at slot offset 0 (slots start at 64 + i * 256).
  return std::atomic_ref<const uint64_t>(*reinterpret_cast<const uint64_t *>(slot)).load(std::memory_order_acquire);
}

}  // namespace

Inspection inspect_region(const std::string &path, const std::string &allowed_dir, uint32_t max_frames) {
  core::UniqueFd fd = ipc::open_contained(path, allowed_dir, false);
  struct stat st {};
  if (fstat(fd.get(), &st) != 0) core::fail_errno(errno, "fstat('%s')", path.c_str());
  Inspection out;
  out.file_bytes = static_cast<uint64_t>(st.st_size);
  if (out.file_bytes < kSuperblockBytes)
    core::fail(LF_ERR_CORRUPT, "'%s' is %llu bytes, smaller than a superblock", path.c_str(),
               static_cast<unsigned long long>(out.file_bytes));
  ReadOnlyMapping map(fd.get(), out.file_bytes);
  out.superblock = read_superblock(map.bytes());
  validate_superblock(out.superblock, out.file_bytes, "'" + path + "'");
  if (out.superblock.region_type != kHeaderRing) return out;

  SlotLimits limits;
  limits.nslots = out.superblock.nslots;
  limits.pool_strides.fill(UINT32_MAX);  // the pools are other files: their strides are unknown here
  limits.pool_strides[0] = 0;
  bool any = false;
  for (uint32_t i = 0; i < out.superblock.nslots; ++i) {
    const uint8_t *slot = map.bytes() + kSuperblockBytes + uint64_t{i} * kSlotBytes;
    const uint64_t before = load_commit(slot);
    if ((before & 1) == 0) continue;  // empty or being written
    uint8_t copy[kSlotBytes];
    std::copy(slot, slot + kSlotBytes, copy);
    core::seqlock_read_fence();
    if (load_commit(slot) != before) continue;  // overwritten while read
    const uint64_t seq = before >> 1;
    if ((seq & (out.superblock.nslots - 1)) != i) {
      ++out.invalid_slots;  // a sequence that does not belong in this slot
      continue;
    }
    SlotHeader header = read_slot_header(copy);
    if (slot_header_problem(header, copy, limits) != nullptr || header.payload_slot != i) {
      ++out.invalid_slots;
      continue;
    }
    ++out.committed_slots;
    out.newest_seq = any ? std::max(out.newest_seq, seq) : seq;
    any = true;
    out.newest.push_back({i, seq, header});
  }
  std::sort(out.newest.begin(), out.newest.end(), [](const InspectedFrame &a, const InspectedFrame &b) { return a.seq > b.seq; });
  if (out.newest.size() > max_frames) out.newest.resize(max_frames);
  return out;
}

}  // namespace lavaflow::pool

#include "mem/host_memory.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"
#include "mem/huge_page_arena.hpp"
#include "mem/mapping.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

namespace lavaflow::mem {

namespace {

// malloc's own guarantee: asking for no more keeps the plain path a plain malloc.
constexpr uint64_t kDefaultHostAlignment = alignof(std::max_align_t);

class MallocMemory final : public Memory {
 public:
  MallocMemory() { kind = LF_MEMORY_HOST; }
  ~MallocMemory() override { std::free(host); }

 protected:
  std::string describe() const override { return "host memory, " + format_size(size) + " (malloc)"; }
};

class MappedMemory final : public Memory {
 public:
  MappedMemory() { kind = LF_MEMORY_HOST; }
  ~MappedMemory() override {
    if (host != nullptr) munmap(host, mapped_size);
  }

 protected:
  std::string describe() const override { return "host memory, " + format_size(size) + " (mmap)"; }
};

}  // namespace

void finish_mapping(Memory &memory, const topo::Topology *topology, const NodePolicy &policy, uint64_t request_flags,
                    std::string huge_note) {
  memory.flags |= LF_BUFFER_ZEROED;  // fresh anonymous and memfd pages are zero
  apply_placement(topology, memory.host, memory.mapped_size, policy);
  if (policy.mode == NodePolicy::Mode::bind) memory.flags |= LF_BUFFER_NUMA_BOUND;
  if (policy.mode == NodePolicy::Mode::interleave) memory.flags |= LF_BUFFER_INTERLEAVED;
  if (policy.mode != NodePolicy::Mode::none && policy.nodes.is_single()) memory.numa_node = policy.nodes.first();
  if (request_flags & LF_BUFFER_FLAG_PREFAULT) prefault(memory.host, memory.mapped_size, memory.page_size);
  memory.policy = policy;
  memory.huge_note = std::move(huge_note);
}

void prefault(void *address, uint64_t length, uint64_t page) noexcept {
  if (madvise(address, length, MADV_POPULATE_WRITE) == 0) return;
  auto *bytes = static_cast<volatile uint8_t *>(address);  // older kernels: touch each page
  for (uint64_t offset = 0; offset < length; offset += page) bytes[offset] = bytes[offset];
}

void prefault_in_use(const void *address, uint64_t length, uint64_t page) noexcept {
  if (madvise(const_cast<void *>(address), length, MADV_POPULATE_WRITE) == 0) return;
  auto *bytes = static_cast<const volatile uint8_t *>(address);
  for (uint64_t offset = 0; offset < length; offset += page) (void)bytes[offset];
}

MemoryPtr allocate_host(const topo::Topology *topology, const AllocationRequest &request, const NodePolicy &policy) {
  check_alignment(request.alignment);
  const uint64_t alignment = request.alignment != 0 ? request.alignment : kDefaultHostAlignment;
  const uint64_t page = page_size();
  // lavaflow's own memory under a huge page shares one with its other small buffers.
  if (request.transparent_huge_pages_only && request.huge_pages != LF_HUGE_PAGES_NONE &&
      policy.mode == NodePolicy::Mode::none && alignment <= page)
    if (MemoryPtr block = allocate_from_huge_page_arena(request.size)) return block;
  HugePagePlan plan = plan_huge_pages(request.huge_pages, request.size, false);
  if (request.transparent_huge_pages_only) plan.try_hugetlb = false;

  // Plain requests: malloc is what a user would call, and it is fast for small sizes.
  if (policy.mode == NodePolicy::Mode::none && !plan.try_hugetlb && !plan.try_thp) {
    auto memory = std::make_unique<MallocMemory>();
    void *p = nullptr;
    if (alignment <= kDefaultHostAlignment) {
      p = std::malloc(request.size);
      if (p == nullptr) core::fail(LF_ERR_NO_MEMORY, "malloc(%llu) failed", static_cast<unsigned long long>(request.size));
    } else if (int rc = posix_memalign(&p, alignment, request.size); rc != 0) {
      core::fail(LF_ERR_NO_MEMORY, "posix_memalign(%llu, %llu) failed", static_cast<unsigned long long>(alignment),
                 static_cast<unsigned long long>(request.size));
    }
    memory->host = p;
    memory->mapped_size = request.size;
    memory->page_size = page;
    memory->alignment = alignment;
    if (request.flags & LF_BUFFER_FLAG_ZERO) {
      std::memset(p, 0, request.size);
      memory->flags |= LF_BUFFER_ZEROED;
    }
    if (request.flags & LF_BUFFER_FLAG_PREFAULT) prefault(p, request.size, page);
    memory->policy = policy;
    memory->huge_note = plan.skipped;
    return memory;
  }

  auto memory = std::make_unique<MappedMemory>();
  std::string huge_note = plan.skipped;
  if (plan.try_hugetlb) {
    uint64_t length = round_up(request.size, plan.huge_page_size);
    void *p = alignment <= plan.huge_page_size ? map_aligned(length, alignment, plan.huge_page_size, MAP_HUGETLB) : nullptr;
    int error = p == nullptr ? (alignment > plan.huge_page_size ? EINVAL : errno) : 0;
    if (p != nullptr) {
      memory->host = p;
      memory->mapped_size = length;
      memory->page_size = plan.huge_page_size;
      memory->flags |= LF_BUFFER_HUGETLB;
      huge_note = "huge pages " + std::string(plan.require_hugetlb ? "required" : "preferred") + ": got " +
                  format_size(plan.huge_page_size) + " hugetlbfs pages";
    } else if (plan.require_hugetlb) {
      fail_required_huge_pages(plan, request.size, error);
    } else {
      huge_note = "huge pages preferred: " + hugetlb_shortage(plan);
    }
  }
  if (memory->host == nullptr) {
    // Transparent huge pages need 2 MiB-aligned ranges to be of any use. A buffer is rounded
    // up to whole huge pages; lavaflow's own memory is not (its tail keeps normal pages
    // rather than take a huge page for a few of them).
    const uint64_t granule = plan.try_thp ? plan.huge_page_size : page;
    const uint64_t length = round_up(request.size, request.transparent_huge_pages_only ? page : granule);
    void *p = map_aligned(length, std::max(alignment, granule), page, 0);
    if (p == nullptr) core::fail_errno(errno, "mmap of %s", format_size(length).c_str());
    memory->host = p;
    memory->mapped_size = length;
    memory->page_size = page;
    if (plan.try_thp) {
      if (madvise(p, length, MADV_HUGEPAGE) == 0) {
        memory->flags |= LF_BUFFER_THP;
        huge_note += "; got transparent huge pages (madvise, THP mode '" + plan.facts.thp_mode + "')";
      } else {
        huge_note += core::format_text("; madvise(MADV_HUGEPAGE) failed (%s): normal pages", std::strerror(errno));
      }
    } else if (plan.try_hugetlb) {
      huge_note += "; transparent huge pages are '" + plan.facts.thp_mode + "': normal pages";
    }
  }
  memory->alignment = std::max(alignment, memory->page_size);
  finish_mapping(*memory, topology, policy, request.flags, std::move(huge_note));
  return memory;
}

}  // namespace lavaflow::mem

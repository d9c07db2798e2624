// Anonymous and file mappings with a requested alignment, and the huge-page decision shared
// by host and shared memory.
#pragma once

#include "mem/system_memory.hpp"

#include <lavaflow/memory.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace lavaflow::mem {

constexpr uint64_t kMaxAlignment = uint64_t{1} << 30;

uint64_t round_up(uint64_t value, uint64_t multiple) noexcept;

// Throws Error(LF_ERR_INVALID_ARGUMENT) unless `alignment` is 0 or a power of two up to 1 GiB.
void check_alignment(uint64_t alignment);

// mmap(MAP_PRIVATE|MAP_ANONYMOUS|extra_flags) of `length` bytes starting at a multiple of
// `alignment` (over-allocating and trimming when alignment exceeds `granule`). Returns
// nullptr with errno set on failure.
void *map_aligned(size_t length, size_t alignment, size_t granule, int extra_flags) noexcept;

// What to try for a huge-page request of `size` bytes, and the words for the reason.
struct HugePagePlan {
  bool try_hugetlb = false;
  bool require_hugetlb = false;
  bool try_thp = false;
  uint64_t huge_page_size = 0;
  HugePageFacts facts;
  std::string skipped;  // why huge pages are not tried at all ("" if they are)
};
HugePagePlan plan_huge_pages(int32_t policy, uint64_t size, bool shared);

// Throws the right error for a REQUIRE that hugetlbfs could not satisfy.
[[noreturn]] void fail_required_huge_pages(const HugePagePlan &plan, uint64_t size, int error);

// "hugetlbfs has no free 2 MiB pages (nr_hugepages 0)" and friends.
std::string hugetlb_shortage(const HugePagePlan &plan);

std::string format_size(uint64_t bytes);

}  // namespace lavaflow::mem

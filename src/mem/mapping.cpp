#include "mem/mapping.hpp"

#include "core/error.hpp"
#include "core/strings.hpp"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>

namespace lavaflow::mem {

uint64_t round_up(uint64_t value, uint64_t multiple) noexcept {
  return multiple == 0 ? value : (value + multiple - 1) / multiple * multiple;
}

void check_alignment(uint64_t alignment) {
  if (alignment != 0 && ((alignment & (alignment - 1)) != 0 || alignment > kMaxAlignment))
    core::fail(LF_ERR_INVALID_ARGUMENT, "alignment %llu is not a power of two up to 1 GiB",
               static_cast<unsigned long long>(alignment));
}

void *map_aligned(size_t length, size_t alignment, size_t granule, int extra_flags) noexcept {
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | extra_flags;
  if (alignment <= granule) {
    void *p = mmap(nullptr, length, PROT_READ | PROT_WRITE, flags, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }
  void *raw = mmap(nullptr, length + alignment, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + alignment - 1) & ~(uintptr_t{alignment} - 1);
  if (aligned > start) munmap(raw, aligned - start);
  size_t tail = (start + length + alignment) - (aligned + length);
  if (tail > 0) munmap(reinterpret_cast<void *>(aligned + length), tail);
  return reinterpret_cast<void *>(aligned);
}

std::string format_size(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30) && bytes % (uint64_t{1} << 30) == 0) return core::format_text("%llu GiB", static_cast<unsigned long long>(bytes >> 30));
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) return core::format_text("%llu MiB", static_cast<unsigned long long>(bytes >> 20));
  if (bytes >= 1024 && bytes % 1024 == 0) return core::format_text("%llu KiB", static_cast<unsigned long long>(bytes >> 10));
  return core::format_text("%llu bytes", static_cast<unsigned long long>(bytes));
}

HugePagePlan plan_huge_pages(int32_t policy, uint64_t size, bool shared) {
  HugePagePlan plan;
  if (policy == LF_HUGE_PAGES_NONE) return plan;
  if (policy != LF_HUGE_PAGES_PREFER && policy != LF_HUGE_PAGES_REQUIRE)
    core::fail(LF_ERR_INVALID_ARGUMENT, "huge_pages %d is not an lf_huge_pages_t value", policy);
  plan.facts = read_huge_page_facts();
  plan.huge_page_size = plan.facts.hugetlb_page_size != 0 ? plan.facts.hugetlb_page_size : (uint64_t{2} << 20);
  plan.require_hugetlb = policy == LF_HUGE_PAGES_REQUIRE;
  if (!plan.require_hugetlb && size < plan.huge_page_size / 2) {
    plan.skipped = core::format_text("huge pages preferred, but %s is under half a %s page: normal pages",
                                     format_size(size).c_str(), format_size(plan.huge_page_size).c_str());
    return plan;
  }
  plan.try_hugetlb = true;
  const std::string &mode = shared ? plan.facts.shmem_thp_mode : plan.facts.thp_mode;
  plan.try_thp = !plan.require_hugetlb && !mode.empty() && mode != "never" && mode != "deny";
  return plan;
}

std::string hugetlb_shortage(const HugePagePlan &plan) {
  return core::format_text("hugetlbfs has %llu free %s page(s) (nr_hugepages %llu)",
                           static_cast<unsigned long long>(plan.facts.hugetlb_free),
                           format_size(plan.huge_page_size).c_str(),
                           static_cast<unsigned long long>(plan.facts.hugetlb_total));
}

void fail_required_huge_pages(const HugePagePlan &plan, uint64_t size, int error) {
  if (plan.facts.hugetlb_total == 0)
    core::fail(LF_ERR_UNSUPPORTED,
               "huge pages required for %s, but none are reserved: %s; reserve some with sysctl vm.nr_hugepages",
               format_size(size).c_str(), hugetlb_shortage(plan).c_str());
  core::fail(LF_ERR_NO_MEMORY, "huge pages required for %s, but the reserve is exhausted: %s (%s)",
             format_size(size).c_str(), hugetlb_shortage(plan).c_str(), std::strerror(error));
}

}  // namespace lavaflow::mem

// What this machine offers for huge pages, read from /proc and /sys when asked (the
// settings can change at run time, and the reasons must say what was true).
#pragma once

#include <cstdint>
#include <string>

namespace lavaflow::mem {

size_t page_size() noexcept;

struct HugePageFacts {
  uint64_t hugetlb_page_size = 0;  // default hugetlbfs page size (bytes), 0 if unknown
  uint64_t hugetlb_free = 0;       // free pages of that size
  uint64_t hugetlb_total = 0;      // reserved pages of that size (nr_hugepages)
  std::string thp_mode;            // "always", "madvise", "never" or "" (no THP)
  uint64_t thp_page_size = 0;      // a transparent huge page (hpage_pmd_size), 0 if unknown
  std::string shmem_thp_mode;      // "always", "within_size", "advise", "never", ...
};

HugePageFacts read_huge_page_facts();

}  // namespace lavaflow::mem

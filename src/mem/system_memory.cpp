#include "mem/system_memory.hpp"

#include <fstream>
#include <sstream>
#include <unistd.h>

namespace lavaflow::mem {

namespace {

std::string first_line(const std::string &path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// "always [madvise] never" -> "madvise"
std::string bracketed(const std::string &line) {
  size_t open = line.find('['), close = line.find(']');
  if (open == std::string::npos || close == std::string::npos || close < open) return {};
  return line.substr(open + 1, close - open - 1);
}

uint64_t number_in(const std::string &path) {
  std::string line = first_line(path);
  return line.empty() ? 0 : std::strtoull(line.c_str(), nullptr, 10);
}

}  // namespace

size_t page_size() noexcept {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

HugePageFacts read_huge_page_facts() {
  HugePageFacts facts;
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (line.rfind("Hugepagesize:", 0) == 0) {
      std::istringstream fields(line.substr(13));
      uint64_t kib = 0;
      fields >> kib;
      facts.hugetlb_page_size = kib * 1024;
    }
  }
  if (facts.hugetlb_page_size != 0) {
    std::string dir = "/sys/kernel/mm/hugepages/hugepages-" + std::to_string(facts.hugetlb_page_size / 1024) + "kB/";
    facts.hugetlb_free = number_in(dir + "free_hugepages");
    facts.hugetlb_total = number_in(dir + "nr_hugepages");
  }
  facts.thp_mode = bracketed(first_line("/sys/kernel/mm/transparent_hugepage/enabled"));
  facts.thp_page_size = number_in("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");
  facts.shmem_thp_mode = bracketed(first_line("/sys/kernel/mm/transparent_hugepage/shmem_enabled"));
  return facts;
}

}  // namespace lavaflow::mem

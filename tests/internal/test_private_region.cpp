// A bridge's region lies in private memory on transparent huge pages where whole ones fit
// (channel_region.hpp: an add-on moves whole messages in and out of it). The public API shows
// neither the memory kind nor the pages of a bridge's ring, so these run below it.
#include "channel/channel_region.hpp"
#include "core/error.hpp"
#include "mem/host_memory.hpp"
#include "mem/system_memory.hpp"

#include <cstdint>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
}

using namespace lavaflow;

namespace {

// The huge page size the memory layer plans with (hugetlbfs's default, else 2 MiB).
uint64_t huge_page_size() {
  const uint64_t size = mem::read_huge_page_facts().hugetlb_page_size;
  return size != 0 ? size : uint64_t{2} << 20;
}

bool thp_available() {
  const std::string mode = mem::read_huge_page_facts().thp_mode;
  return !mode.empty() && mode != "never";
}

mem::MemoryPtr allocate(uint64_t size, bool transparent_only) {
  mem::AllocationRequest request;
  request.size = size;
  request.kind = LF_MEMORY_HOST;
  request.huge_pages = LF_HUGE_PAGES_PREFER;
  request.transparent_huge_pages_only = transparent_only;
  request.flags = LF_BUFFER_FLAG_PREFAULT;
  return mem::allocate_host(nullptr, request, mem::NodePolicy{});
}

// lavaflow's own memory takes huge pages where whole ones fit and normal pages for the rest,
// never hugetlbfs pages; a user's buffer with the same preference is rounded up to whole
// huge pages.
void own_memory_is_not_rounded_up_to_huge_pages(void **) {
  const uint64_t kHuge = huge_page_size();
  const uint64_t size = 2 * kHuge + 8192;
  const mem::MemoryPtr own = allocate(size, true);
  assert_int_equal(own->mapped_size, size);
  assert_false(own->flags & LF_BUFFER_HUGETLB);
  const mem::MemoryPtr users = allocate(size, false);
  if (!thp_available()) {
    print_message("transparent huge pages are off here: only the sizes are checked\n");
    assert_false(own->flags & LF_BUFFER_THP);
    return;
  }
  assert_true(own->flags & LF_BUFFER_THP);
  assert_int_equal(reinterpret_cast<uintptr_t>(own->host) % kHuge, 0);  // (its first 4 MiB can be huge pages)
  if (!(users->flags & LF_BUFFER_HUGETLB)) assert_int_equal(users->mapped_size, 3 * kHuge);
}

// Under half a huge page nothing is asked for: no huge page's alignment for nothing.
void small_own_memory_stays_plain(void **) {
  const mem::MemoryPtr own = allocate(256 << 10, true);
  assert_false(own->flags & (LF_BUFFER_THP | LF_BUFFER_HUGETLB));
  assert_true(own->mapped_size >= (256u << 10));
}

// A bridge's region cannot be exported: its ends never leave this process.
void a_private_region_is_not_exportable(void **) {
  const auto region = channel::ChannelRegion::create_private(4u << 20, 1u << 20);
  assert_int_equal(region->capacity(), 4u << 20);
  assert_int_equal(region->max_message(), 1u << 20);
  lf_status_t status = LF_OK;
  try {
    static_cast<void>(region->export_fd());
  } catch (const core::Error &e) {
    status = e.status();
  }
  assert_int_equal(status, LF_ERR_INVALID_STATE);
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(own_memory_is_not_rounded_up_to_huge_pages),
      cmocka_unit_test(small_own_memory_stays_plain),
      cmocka_unit_test(a_private_region_is_not_exportable),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}

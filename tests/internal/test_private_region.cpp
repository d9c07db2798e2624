// A bridge's region lies in private memory on transparent huge pages: whole ones where they fit,
// a block of one shared with lavaflow's other small buffers under that
// (channel_region.hpp: an add-on moves whole messages in and out of it). The public API shows
// neither the memory kind nor the pages of a bridge's ring, so these run below it.
#include "channel/channel_region.hpp"
#include "core/error.hpp"
#include "mem/host_memory.hpp"
#include "mem/huge_page_arena.hpp"
#include "mem/system_memory.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

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

// Under a huge page, lavaflow's own memory is a block of a huge page shared with its other
// small buffers (huge_page_arena.hpp): no 2 MiB per 256 KiB ring, and still on a huge page.
void small_own_memory_shares_a_huge_page(void **) {
  const uint64_t chunk = mem::huge_page_arena_chunk_size();
  mem::MemoryPtr first = allocate(256 << 10, true);
  assert_true(first->mapped_size >= (256u << 10));
  if (chunk == 0) {
    print_message("transparent huge pages are off here: small memory takes normal pages\n");
    assert_false(first->flags & (LF_BUFFER_THP | LF_BUFFER_HUGETLB));
    return;
  }
  assert_int_equal(chunk, mem::read_huge_page_facts().thp_page_size);  // (one transparent huge page)
  const uint64_t chunks_before = mem::huge_page_arena_chunks();
  const mem::MemoryPtr second = allocate(100 << 10, true);  // (not a whole number of pages)
  for (const mem::Memory *block : {first.get(), second.get()}) {
    assert_true(block->flags & LF_BUFFER_THP);
    assert_false(block->flags & LF_BUFFER_HUGETLB);
    assert_int_equal(reinterpret_cast<uintptr_t>(block->host) % 4096, 0);
    assert_true(block->reason().find("shared with lavaflow's other small buffers") != std::string::npos);
  }
  assert_int_equal(second->mapped_size, 100u << 10);
  const auto a = reinterpret_cast<uintptr_t>(first->host), b = reinterpret_cast<uintptr_t>(second->host);
  assert_true(a + first->mapped_size <= b || b + second->mapped_size <= a);  // apart
  // Both in the chunk that had room: the arena did not grow for the second.
  assert_int_equal(mem::huge_page_arena_chunks(), chunks_before);
  // A block given back is handed out again, zeroed.
  std::memset(first->host, 0xab, first->mapped_size);
  const uintptr_t freed = a;
  first.reset();
  const mem::MemoryPtr again = allocate(256 << 10, true);
  assert_int_equal(reinterpret_cast<uintptr_t>(again->host), freed);
  const auto *bytes = static_cast<const uint8_t *>(again->host);
  for (uint64_t i = 0; i < again->mapped_size; ++i)
    if (bytes[i] != 0) fail_msg("byte %llu of a reused block is 0x%02x", static_cast<unsigned long long>(i), bytes[i]);
  // A block as large as a huge page, or larger, is not the arena's.
  const mem::MemoryPtr whole = allocate(chunk, true);
  assert_true(whole->reason().find("shared with lavaflow's other small buffers") == std::string::npos);
}

// Blocks of every size under a huge page until three chunks' worth are live; given back, the
// chunks are again those from before plus at most the one empty chunk the arena keeps.
void the_arena_grows_and_shrinks(void **) {
  const uint64_t chunk = mem::huge_page_arena_chunk_size();
  if (chunk == 0) {
    print_message("transparent huge pages are off here: no arena\n");
    return;
  }
  const uint64_t chunks_before = mem::huge_page_arena_chunks();
  std::vector<mem::MemoryPtr> blocks;
  uint64_t bytes = 0;
  for (uint64_t size = 4096; bytes < 3 * chunk; size = size * 2 >= chunk ? 4096 : size * 2) {
    blocks.push_back(allocate(size, true));
    assert_true(blocks.back()->flags & LF_BUFFER_THP);
    bytes += blocks.back()->mapped_size;
  }
  assert_true(mem::huge_page_arena_chunks() >= 3);  // (three chunks' worth of blocks live)
  blocks.clear();
  assert_true(mem::huge_page_arena_chunks() <= chunks_before + 1);
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
      cmocka_unit_test(small_own_memory_shares_a_huge_page),
      cmocka_unit_test(the_arena_grows_and_shrinks),
      cmocka_unit_test(a_private_region_is_not_exportable),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}

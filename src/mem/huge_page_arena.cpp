#include "mem/huge_page_arena.hpp"

#include "mem/host_memory.hpp"
#include "mem/mapping.hpp"
#include "mem/system_memory.hpp"

#include <cstring>
#include <mutex>
#include <sys/mman.h>
#include <vector>

namespace lavaflow::mem {

namespace {

// Above this a "huge page" (64 KiB base pages make it 512 MiB) is no place for small blocks.
constexpr uint64_t kLargestChunk = uint64_t{32} << 20;

class Arena {
 public:
  // Never destroyed: a block may be given back while the process's statics are destroyed.
  static Arena &instance() {
    static Arena *arena = new Arena();
    return *arena;
  }

  uint64_t chunk_size() const noexcept { return chunk_size_; }
  const std::string &thp_mode() const noexcept { return thp_mode_; }

  // First fit over the chunks' pages; a new chunk when none has the room.
  void *take(uint64_t pages) {
    std::lock_guard lock(mutex_);
    for (Chunk &chunk : chunks_)
      if (void *block = chunk.take(pages, page_)) return block;
    Chunk chunk;
    chunk.base = static_cast<uint8_t *>(map_aligned(chunk_size_, chunk_size_, page_, 0));
    if (chunk.base == nullptr) return nullptr;
    // (no huge page if the kernel has none to give: the chunk still works, on normal pages)
    madvise(chunk.base, chunk_size_, MADV_HUGEPAGE);
    prefault(chunk.base, chunk_size_, page_);  // the one fault that brings the huge page
    chunk.used.assign(chunk_size_ / page_, false);
    chunks_.push_back(std::move(chunk));
    return chunks_.back().take(pages, page_);
  }

  void give_back(void *block, uint64_t pages) noexcept {
    std::lock_guard lock(mutex_);
    auto *bytes = static_cast<uint8_t *>(block);
    for (auto it = chunks_.begin(); it != chunks_.end(); ++it) {
      if (bytes < it->base || bytes >= it->base + chunk_size_) continue;
      const uint64_t first = static_cast<uint64_t>(bytes - it->base) / page_;
      for (uint64_t p = first; p < first + pages; ++p) it->used[p] = false;
      it->used_pages -= pages;
      // One empty chunk stays for the next channel; a second goes back to the system.
      if (it->used_pages == 0 && empty_chunks() > 1) {
        munmap(it->base, chunk_size_);
        chunks_.erase(it);
      }
      return;
    }
  }

  uint64_t chunks() {
    std::lock_guard lock(mutex_);
    return chunks_.size();
  }

 private:
  struct Chunk {
    uint8_t *base = nullptr;
    std::vector<bool> used;  // per page
    uint64_t used_pages = 0;

    void *take(uint64_t pages, uint64_t page) {
      uint64_t run = 0;
      for (uint64_t p = 0; p < used.size(); ++p) {
        run = used[p] ? 0 : run + 1;
        if (run < pages) continue;
        const uint64_t first = p + 1 - pages;
        for (uint64_t q = first; q <= p; ++q) used[q] = true;
        used_pages += pages;
        return base + first * page;
      }
      return nullptr;
    }
  };

  Arena() : page_(page_size()) {
    const HugePageFacts facts = read_huge_page_facts();
    thp_mode_ = facts.thp_mode;
    const bool usable = (thp_mode_ == "always" || thp_mode_ == "madvise") && facts.thp_page_size > page_ &&
                        facts.thp_page_size <= kLargestChunk && facts.thp_page_size % page_ == 0;
    chunk_size_ = usable ? facts.thp_page_size : 0;
  }

  size_t empty_chunks() const noexcept {
    size_t empty = 0;
    for (const Chunk &chunk : chunks_) empty += chunk.used_pages == 0;
    return empty;
  }

  const uint64_t page_;
  uint64_t chunk_size_ = 0;
  std::string thp_mode_;
  std::mutex mutex_;
  std::vector<Chunk> chunks_;
};

class ArenaMemory final : public Memory {
 public:
  ArenaMemory() { kind = LF_MEMORY_HOST; }
  ~ArenaMemory() override { Arena::instance().give_back(host, mapped_size / page_size); }

 protected:
  std::string describe() const override {
    return "host memory, " + format_size(size) + " (a block of a huge page shared with lavaflow's other small buffers)";
  }
};

}  // namespace

MemoryPtr allocate_from_huge_page_arena(uint64_t size) {
  Arena &arena = Arena::instance();
  if (arena.chunk_size() == 0 || size == 0 || size >= arena.chunk_size()) return nullptr;
  const uint64_t page = page_size();
  const uint64_t pages = round_up(size, page) / page;
  void *block = arena.take(pages);
  if (block == nullptr) return nullptr;
  auto memory = std::make_unique<ArenaMemory>();
  memory->host = block;
  memory->size = size;
  memory->mapped_size = pages * page;
  memory->page_size = page;
  memory->alignment = page;
  std::memset(block, 0, memory->mapped_size);  // (a block given back holds its last owner's bytes)
  memory->flags = LF_BUFFER_THP | LF_BUFFER_ZEROED;
  memory->huge_note = "transparent huge pages (madvise, THP mode '" + arena.thp_mode() + "'): " +
                      format_size(arena.chunk_size()) + " pages shared by lavaflow's small buffers";
  return memory;
}

uint64_t huge_page_arena_chunk_size() { return Arena::instance().chunk_size(); }

uint64_t huge_page_arena_chunks() { return Arena::instance().chunks(); }

}  // namespace lavaflow::mem

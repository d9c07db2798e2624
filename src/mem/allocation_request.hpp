// Everything lf_buffer_create was asked for, validated, in one place.
#pragma once

#include "mem/placement.hpp"

#include <lavaflow/memory.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace lavaflow::mem {

struct AllocationRequest {
  uint64_t size = 0;
  int32_t kind = LF_MEMORY_HOST;
  PlacementRequest placement;
  uint64_t alignment = 0;  // 0: the kind's default
  int32_t huge_pages = LF_HUGE_PAGES_NONE;
  // Internal (no lf_buffer_params_t field): LF_HUGE_PAGES_PREFER without hugetlbfs, for
  // memory lavaflow takes for itself — the reserved pages stay the application's. Under one
  // huge page it is a block of the huge-page arena (huge_page_arena.hpp).
  bool transparent_huge_pages_only = false;
  uint64_t flags = 0;      // lf_buffer_flag
  uint64_t fallback = 0;   // lf_fallback
  std::string name;        // shared: publish under this name
  const char *name_folder = "buffers";  // ... in this folder of the user directory (semaphores: "semaphores")
  int32_t device_index = 0;
  std::optional<std::array<uint8_t, 16>> device_uuid;
};

}  // namespace lavaflow::mem

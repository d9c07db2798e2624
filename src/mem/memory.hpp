// A piece of memory lavaflow owns: what was obtained (kind, placement, page size, flags),
// why, and how to release and export it. Subclasses own the backing (malloc, mmap, memfd,
// Vulkan) and release it in their destructors.
#pragma once

#include "mem/placement.hpp"

#include <lavaflow/memory.h>
#include <lavaflow/topology.h>

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace lavaflow::mem {

// What a receiver needs besides the fd (the lf_buffer_send descriptor, docs/wire-formats.md).
struct ExportDescriptor {
  int32_t kind = LF_MEMORY_SHARED;
  uint64_t size = 0;                 // exact size of the memory file / allocation
  uint64_t usable = 0;               // the exporter's usable bytes (<= size): what the importer reports
  uint32_t memory_type_index = 0;    // device memory
  uint32_t memory_property_flags = 0;
  std::array<uint8_t, 16> device_uuid{};
  std::array<uint8_t, 16> driver_uuid{};
};

class Memory {
 public:
  virtual ~Memory() = default;
  Memory(const Memory &) = delete;
  Memory &operator=(const Memory &) = delete;

  void *host = nullptr;
  uint64_t size = 0;
  uint64_t mapped_size = 0;
  uint64_t page_size = 0;
  uint64_t alignment = 0;
  int32_t kind = LF_MEMORY_HOST;
  int32_t requested_kind = LF_MEMORY_HOST;
  uint32_t flags = 0;  // lf_buffer_info_flag bits
  uint32_t numa_node = LF_TOPOLOGY_INDEX_NONE;
  int32_t device_index = -1;

  // What the allocator recorded for the reason; the text is built only when asked for, so
  // allocating formats nothing.
  NodePolicy policy;
  std::string huge_note;      // "" unless huge pages were asked for
  std::string fallback_note;  // "" unless another kind was used

  // "host memory, 4 KiB (malloc); default placement (first touch)". Thread-safe.
  const std::string &reason() const;

  // A new close-on-exec fd the caller owns. Throws Error(LF_ERR_INVALID_STATE) when the
  // memory cannot leave this process.
  virtual int export_fd() const;
  virtual ExportDescriptor describe_export() const;

 protected:
  friend class DeviceMappedMemory;  // (which adds a device's mapping to another Memory's reason)
  Memory() = default;
  // The subclass's part of the reason: what it is and how it was obtained.
  virtual std::string describe() const = 0;

 private:
  mutable std::once_flag reason_once_;
  mutable std::string reason_;
};

using MemoryPtr = std::unique_ptr<Memory>;

}  // namespace lavaflow::mem

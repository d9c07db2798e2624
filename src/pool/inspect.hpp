// Reading a region file from outside its stream (lavaflow pool inspect): containment-checked
// open, read-only mapping, superblock validation, and a seqlock read of every header slot.
#pragma once

#include "pool/control.hpp"
#include "pool/wire.hpp"

#include <string>
#include <vector>

namespace lavaflow::pool {

struct InspectedFrame {
  uint32_t slot = 0;
  uint64_t seq = 0;
  SlotHeader header;
};

struct Inspection {
  Superblock superblock;
  uint64_t file_bytes = 0;
  uint32_t committed_slots = 0;
  uint32_t invalid_slots = 0;
  uint64_t newest_seq = 0;
  std::vector<InspectedFrame> newest;  // valid committed frames, newest first, at most max_frames
};

// Throws Error (see lf_pool_inspect in pool.h).
Inspection inspect_region(const std::string &path, const std::string &allowed_dir, uint32_t max_frames);

// A control region's counters, as a supervisor reads them (lf_pool_read_control).
struct ControlSnapshot {
  Superblock superblock;
  ProducerQos producer;
  uint32_t waiters = 0;
  std::vector<std::pair<uint32_t, ConsumerEntry>> consumers;  // attached entries, by index
};

// Same checks as inspect_region, then requires a control region. Throws Error.
ControlSnapshot read_control_region(const std::string &path, const std::string &allowed_dir);

}  // namespace lavaflow::pool

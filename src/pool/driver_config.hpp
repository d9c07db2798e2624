// The tensor pool driver's configuration: the defaults of tensor-pool.md, then what the caller
// set (lf_pool_driver_params_t; the standalone daemon fills those from its TOML file), then
// LAVAFLOW_DRIVER_* environment overrides — each value remembers where it came from, for
// `lavaflow driver --print-config` and for error messages.
#pragma once

#include "pool/protocol.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace lavaflow::pool {

// The shape of a stream epoch: header slots, payload pools, huge pages.
struct StreamProfile {
  std::string name;
  uint32_t header_slots = 1024;
  std::vector<protocol::Announcement::Pool> pools;
  bool require_hugepages = false;
  bool operator==(const StreamProfile &other) const noexcept;
};

struct DriverConfig {
  std::string base_dir;                 // canonical (the context's)
  std::string namespace_name = "default";
  uint32_t announce_period_ms = 1000;
  uint32_t keepalive_ms = 1000;
  uint32_t expiry_intervals = 3;
  uint32_t file_mode = 0600;
  bool prefault = true;
  bool mlock = false;
  uint32_t shutdown_drain_ms = 2000;
  bool dynamic_streams = false;
  uint32_t consumer_entries = 64;       // per control region (a power of two)
  uint32_t max_streams_per_uid = 64;
  uint64_t max_bytes_per_uid = uint64_t{16} << 30;
  // Group sharing (opt-in): processes of another uid in this group may attach. The user
  // directory becomes 0710 and the socket 0660, both of this group; region files stay 0600 (a
  // client maps the descriptors the driver passes, never paths).
  std::optional<gid_t> allowed_group;
  std::map<std::string, StreamProfile> profiles;  // always holds "default"
  std::map<uint32_t, std::string> streams;         // configured streams -> profile
  std::map<std::string, std::string> origins;      // field -> "default" / "params" / variable name

  const StreamProfile &profile(const std::string &name) const;  // throws LF_ERR_NOT_FOUND
};

// The default profile: 1024 header slots, pools of 4 KiB and 64 KiB.
StreamProfile default_profile(uint32_t header_slots);

// Checks a profile (power-of-two slot count, 1..15 pools with unique ids 1..15 and strides
// that are power-of-two multiples of 64, at most 4 GiB per pool file). Throws
// Error(LF_ERR_INVALID_ARGUMENT) naming `what`.
void validate_profile(const StreamProfile &profile, const std::string &what);

// Applies LAVAFLOW_DRIVER_{NAMESPACE, ANNOUNCE_PERIOD_MS, KEEPALIVE_MS, EXPIRY_INTERVALS,
// PREFAULT, MLOCK, SHUTDOWN_DRAIN_MS, DYNAMIC_STREAMS, HEADER_SLOTS, CONSUMER_ENTRIES,
// MAX_STREAMS_PER_UID, MAX_BYTES_PER_UID, ALLOWED_GROUP (a gid)} and validates the whole. Throws Error naming the
// variable or field.
void finish_driver_config(DriverConfig &config, bool use_environment);

// The configuration as TOML (the format `lavaflow driver --config` reads), each value with its
// origin in a comment.
std::string describe_driver_config(const DriverConfig &config);

}  // namespace lavaflow::pool

// The standalone driver's TOML configuration file (docs/tensor-pool.md, "Driver
// configuration"), read with toml++ into lf_pool_driver_params_t: lavaflow's own keys, or the
// Driver Model spec's canonical ones ([driver], [shm], [policies], payload_pools, [streams.NAME]).
// Unknown keys and values of the wrong type are errors naming the key: a typo must not silently
// fall back to a default. Canonical keys lavaflow has no use for (Aeron channels) are noted.
#pragma once

#include <lavaflow/pool.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lavaflow_cli {

// The params and the storage their pointers refer to.
struct DriverConfigFile {
  lf_pool_driver_params_t params{};
  std::vector<lf_pool_profile_t> profiles;
  std::vector<lf_pool_stream_config_t> streams;
  std::vector<std::unique_ptr<std::string>> strings;
  std::string base_dir;            // shm.base_dir ("" when not given)
  std::string instance_id;         // driver.instance_id, for the log
  std::vector<std::string> notes;  // "file:line: 'key' is ignored: why", for canonical keys lavaflow has no use for
};

// Throws CliError with the file, line and key of the problem.
std::unique_ptr<DriverConfigFile> load_driver_config(const std::string &path);
// The same from text (`name` stands for the file in messages): what the fuzz target reads.
std::unique_ptr<DriverConfigFile> load_driver_config_text(std::string_view text, const std::string &name);

}  // namespace lavaflow_cli

// The tensor pool driver's TOML configuration (docs/tensor-pool.md, "Driver configuration"):
// lavaflow's keys and the Driver Model spec's canonical ones, read as `lavaflow driver
// --config` reads a file, then checked and described by the library as the driver would.
#include "fuzz_support.hpp"

#include "cli_common.hpp"
#include "driver_config_file.hpp"

#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  try {
    auto file = lavaflow_cli::load_driver_config_text(text, "fuzz.toml");
    size_t length = 0;
    static char described[1 << 16];
    (void)lf_pool_driver_describe_config(&file->params, described, sizeof described, &length);
  } catch (const lavaflow_cli::CliError &) {
    // refused, with file:line
  } catch (const lf::error &) {
    // refused by the library's checks
  }
  return 0;
}

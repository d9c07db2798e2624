// lavaflow version: library version and built features.
#include "cli_common.hpp"

#include <iostream>

namespace lavaflow_cli {

CLI::App *add_version_command(CLI::App &app) {
  auto *cmd = app.add_subcommand("version", "Show the library version and the optional features it was built with");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([json] {
    uint64_t features = lf_build_features();
    if (*json) {
      JsonWriter writer(std::cout);
      writer.begin_object().field("version", lf_version_string()).field("version_number", lf_version_number());
      writer.key("features").begin_array();
      for (uint64_t bit = 1; bit <= LF_FEATURE_SODIUM; bit <<= 1)
        if (features & bit) writer.value(lf_feature_name(bit));
      writer.end_array().end_object();
      return;
    }
    std::cout << "lavaflow " << lf_version_string() << " (headers " << LF_VERSION_STRING << ")\nfeatures:";
    for (uint64_t bit = 1; bit <= LF_FEATURE_SODIUM; bit <<= 1)
      std::cout << " " << lf_feature_name(bit) << ((features & bit) ? "=yes" : "=no");
    std::cout << "\n";
  });
  return cmd;
}

}  // namespace lavaflow_cli

// lavaflow version: each library's release and ABI version, and the optional features each
// was built with (liblavaflow: numa, vulkan; liblavaflow_mpi: mpi, zstd, lz4, sodium).
#include "cli_common.hpp"

#ifdef LAVAFLOW_CLI_HAVE_MPI
#include <lavaflow/lavaflow_mpi.h>
#endif

#include <iostream>
#include <string>
#include <vector>

namespace lavaflow_cli {
namespace {

constexpr uint64_t kLavaflowFeatures = LF_FEATURE_NUMA | LF_FEATURE_VULKAN;
constexpr uint64_t kMpiFeatures = LF_FEATURE_MPI | LF_FEATURE_ZSTD | LF_FEATURE_LZ4 | LF_FEATURE_SODIUM;

// The names of the bits of `possible`, split by whether `features` has them.
void split(uint64_t features, uint64_t possible, std::vector<std::string> &with, std::vector<std::string> &without) {
  for (uint64_t bit = 1; bit != 0 && bit <= possible; bit <<= 1) {
    if (!(possible & bit)) continue;
    (features & bit ? with : without).push_back(lf_feature_name(bit));
  }
}

std::string joined(const std::vector<std::string> &names) {
  std::string text;
  for (const auto &name : names) text += (text.empty() ? "" : " ") + name;
  return text.empty() ? "-" : text;
}

void print_library(const char *name, const char *version, uint32_t abi, uint64_t features, uint64_t possible) {
  std::vector<std::string> with, without;
  split(features, possible, with, without);
  std::cout << name << " " << version << " (ABI " << abi << ": " << name << ".so." << abi << ")\n"
            << "  built with:    " << joined(with) << "\n"
            << "  built without: " << joined(without) << "\n";
}

void json_library(JsonWriter &writer, const char *name, const char *version, uint32_t abi, uint64_t features,
                  uint64_t possible) {
  std::vector<std::string> with, without;
  split(features, possible, with, without);
  writer.key(name).begin_object().field("version", version).field("abi_version", abi);
  writer.key("features").begin_array();
  for (const auto &feature : with) writer.value(feature.c_str());
  writer.end_array();
  writer.key("without").begin_array();
  for (const auto &feature : without) writer.value(feature.c_str());
  writer.end_array().end_object();
}

}  // namespace

CLI::App *add_version_command(CLI::App &app) {
  auto *cmd = app.add_subcommand("version", "Show each library's version, ABI version and the optional features it was built with");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON instead of text");
  cmd->callback([json] {
    const uint64_t features = lf_build_features();
#ifdef LAVAFLOW_CLI_HAVE_MPI
    const uint64_t all_features = features | lf_mpi_build_features();
#else
    const uint64_t all_features = features;
#endif
    if (*json) {
      JsonWriter writer(std::cout);
      writer.begin_object()
          .field("version", lf_version_string())
          .field("version_number", lf_version_number())
          .field("abi_version", lf_abi_version())
          .field("headers", LF_VERSION_STRING);
      writer.key("features").begin_array();  // (every library's, as the earlier flat list)
      for (uint64_t bit = 1; bit <= LF_FEATURE_SODIUM; bit <<= 1)
        if (all_features & bit) writer.value(lf_feature_name(bit));
      writer.end_array();
      json_library(writer, "liblavaflow", lf_version_string(), lf_abi_version(), features, kLavaflowFeatures);
#ifdef LAVAFLOW_CLI_HAVE_MPI
      json_library(writer, "liblavaflow_mpi", LF_VERSION_STRING, LF_ABI_VERSION, lf_mpi_build_features(), kMpiFeatures);
      writer.field("mpi_library", lf_mpi_library_version());
#else
      writer.key("liblavaflow_mpi").null_value();
#endif
      writer.end_object();
      return;
    }
    std::cout << "lavaflow " << lf_version_string() << " (headers " << LF_VERSION_STRING << ")\n";
    print_library("liblavaflow", lf_version_string(), lf_abi_version(), features, kLavaflowFeatures);
#ifdef LAVAFLOW_CLI_HAVE_MPI
    // (liblavaflow_mpi is always of the same release: it refuses any other liblavaflow)
    print_library("liblavaflow_mpi", LF_VERSION_STRING, LF_ABI_VERSION, lf_mpi_build_features(), kMpiFeatures);
    std::cout << "  MPI library:   " << lf_mpi_library_version() << "\n";
#else
    std::cout << "liblavaflow_mpi: not built (no MPI found when lavaflow was configured)\n";
#endif
  });
  return cmd;
}

}  // namespace lavaflow_cli

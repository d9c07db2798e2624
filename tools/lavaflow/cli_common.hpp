// Shared pieces of the lavaflow command-line tool.
#pragma once

#include "json_writer.hpp"

#include <lavaflow/lavaflow.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace lavaflow_cli {

// Options every command accepts (they fill lf_context_params_t).
struct GlobalOptions {
  std::string topology;  // "" = default / LAVAFLOW_TOPOLOGY
  std::string base_dir;  // "" = default / LAVAFLOW_BASE_DIR
};

// A failure to report on one line (exit status 1).
class CliError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// log_level: an lf_log_level_t threshold for the context, or -1 for the default (LAVAFLOW_LOG
// still wins).
lf::context make_context(const GlobalOptions &options, int32_t log_level = -1);

// Reads an identity blob file (at most LF_IDENTITY_BLOB_MAX_SIZE + 1 bytes, so that an
// oversized file is reported by the library's validation rather than read whole).
std::vector<uint8_t> read_blob_file(const std::string &path);
// Writes bytes to a file, or to stdout for "-" (refused when stdout is a terminal).
void write_blob_file(const std::string &path, const std::vector<uint8_t> &blob);

std::string format_bytes(uint64_t bytes);
std::string hex64(uint64_t value);

// Views shared by the commands and the demo.
void print_topology(std::ostream &out, const lf::context &ctx);
void write_topology_json(JsonWriter &json, const lf::context &ctx);
void print_identity(std::ostream &out, const lf::identity &id, const std::string &title);
void write_identity_json(JsonWriter &json, const lf::identity &id);
void print_scope(std::ostream &out, const lf::scope &scope);
void write_scope_json(JsonWriter &json, const lf::scope &scope);

// Subcommands; each returns the subcommand so main can dispatch on it.
CLI::App *add_topo_command(CLI::App &app, GlobalOptions &options);
CLI::App *add_identity_command(CLI::App &app, GlobalOptions &options);
CLI::App *add_scope_command(CLI::App &app, GlobalOptions &options);
CLI::App *add_version_command(CLI::App &app);
CLI::App *add_devices_command(CLI::App &app, GlobalOptions &options);
CLI::App *add_demo_command(CLI::App &app, GlobalOptions &options, const std::string &self_path);
CLI::App *add_channel_peer_command(CLI::App &app, GlobalOptions &options);
CLI::App *add_pool_command(CLI::App &app, GlobalOptions &options);
CLI::App *add_driver_command(CLI::App &app, GlobalOptions &options);
void add_pool_status_commands(CLI::App &pool, GlobalOptions &options);

// The demo's channel section: a child process (`self_path channel-peer`) as the consumer.
void run_channel_demo(std::ostream &out, const GlobalOptions &options, const std::string &self_path);

}  // namespace lavaflow_cli

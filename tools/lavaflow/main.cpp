// lavaflow: the command-line tool. Exit status: 0 success, 1 failure, 2 usage error.
#include "cli_common.hpp"

#include <climits>
#include <iostream>
#include <unistd.h>

using namespace lavaflow_cli;

namespace {

std::string self_path(const char *argv0) {
  char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return argv0;
  path[n] = '\0';
  return path;
}

}  // namespace

int main(int argc, char **argv) {
  CLI::App app{"lavaflow: where is my peer, and what can we share?\n"
               "Environment: LAVAFLOW_TOPOLOGY, LAVAFLOW_BASE_DIR, LAVAFLOW_SCOPE_OVERRIDE, LAVAFLOW_LOG.",
               "lavaflow"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may also follow the subcommand
  app.set_version_flag("--version", std::string("lavaflow ") + lf_version_string());
  GlobalOptions options;
  app.add_option("--topology", options.topology,
                 "Topology: system, synthetic:DESCRIPTION (e.g. 'synthetic:pack:2 numa:2 core:2 pu:1') or xml:PATH");
  app.add_option("--base-dir", options.base_dir, "Shared-memory base directory (default /dev/shm)");

  add_topo_command(app, options);
  add_identity_command(app, options);
  add_scope_command(app, options);
  add_devices_command(app, options);
  add_pool_command(app, options);
  add_driver_command(app, options);
  add_version_command(app);
  add_demo_command(app, options, self_path(argv[0]));
  add_channel_peer_command(app, options);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError &e) {
    int code = app.exit(e);  // prints help, version or the usage error
    return code == 0 ? 0 : 2;
  } catch (const CliError &e) {
    std::cerr << "lavaflow: " << e.what() << "\n";
    return 1;
  } catch (const lf::error &e) {
    std::cerr << "lavaflow: " << lf_status_string(e.status()) << ": " << e.what() << "\n";
    return 1;
  } catch (const std::exception &e) {
    std::cerr << "lavaflow: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

// lavaflow driver: the tensor pool driver as a standalone daemon. Reads a TOML file
// (--config), applies LAVAFLOW_DRIVER_* overrides, serves until SIGTERM/SIGINT or a
// token-protected shutdown request (`lavaflow driver --stop`), logs to stderr, and shuts down
// gracefully (clients get a notice and keep their mapped regions).
#include "cli_common.hpp"
#include "driver_config_file.hpp"

#include <lavaflow/pool.h>

#include <csignal>
#include <ctime>
#include <iostream>

namespace lavaflow_cli {

namespace {

void run_driver(const GlobalOptions &given, const std::string &config_path, bool print_config, bool stop) {
  std::unique_ptr<DriverConfigFile> file = config_path.empty() ? std::make_unique<DriverConfigFile>() : load_driver_config(config_path);
  for (const std::string &note : file->notes) std::cerr << "lavaflow driver: " << note << "\n";
  GlobalOptions options = given;
  if (options.base_dir.empty()) options.base_dir = file->base_dir;  // (--base-dir wins over shm.base_dir)
  if (!file->instance_id.empty()) std::cerr << "lavaflow driver: instance " << file->instance_id << "\n";
  if (print_config) {
    size_t length = 0;
    lf_status_t status = lf_pool_driver_describe_config(&file->params, nullptr, 0, &length);
    if (status != LF_ERR_BUFFER_TOO_SMALL) lf::check(status);
    std::string text(length + 1, '\0');
    lf::check(lf_pool_driver_describe_config(&file->params, text.data(), text.size(), &length));
    text.resize(length);
    std::cout << text;
    return;
  }
  if (stop) {
    lf::context ctx = make_context(options);
    lf::check(lf_pool_driver_request_shutdown(ctx.get(), 5000));
    std::cerr << "lavaflow driver: shutdown requested\n";
    return;
  }
  // Signals are taken synchronously: blocked here, before the driver's thread starts, so that
  // every thread inherits the mask and sigtimedwait below receives them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  lf::context ctx = make_context(options, LF_LOG_INFO);
  lf_pool_driver_t *driver = nullptr;
  lf::check(lf_pool_driver_create(ctx.get(), &file->params, &driver));
  std::cerr << "lavaflow driver: running (pid " << getpid() << "); SIGTERM or `lavaflow driver --stop` stops it\n";
  while (true) {
    timespec tick{0, 200 * 1000 * 1000};
    const int signal = sigtimedwait(&signals, nullptr, &tick);
    if (signal == SIGTERM || signal == SIGINT) {
      std::cerr << "lavaflow driver: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ": shutting down\n";
      break;
    }
    if (lf_pool_driver_wait(driver, 0) == LF_OK) {
      std::cerr << "lavaflow driver: shutdown requested by a client\n";
      break;
    }
  }
  lf::check(lf_pool_driver_destroy(driver));
}

}  // namespace

CLI::App *add_driver_command(CLI::App &app, GlobalOptions &options) {
  auto *cmd = app.add_subcommand("driver", "Run the tensor pool driver for the base directory (a daemon; logs to stderr)");
  cmd->footer(
      "The TOML file sets: namespace, announce_period_ms, keepalive_ms, expiry_intervals, prefault, mlock,\n"
      "shutdown_drain_ms, dynamic_streams, header_slots, consumer_entries, max_streams_per_uid,\n"
      "max_bytes_per_uid, allowed_group, [profiles.NAME] (header_slots, pools = [{ id, stride }], require_hugepages) and\n"
      "[[streams]] (id, profile). The Driver Model spec's canonical keys are read too ([driver], [shm] base_dir and\n"
      "require_hugepages, [policies], [profiles.NAME] header_nslots and payload_pools = [{ pool_id, stride_bytes }],\n"
      "[streams.NAME] stream_id and profile); its Aeron keys are noted and ignored.\n"
      "LAVAFLOW_DRIVER_<KEY> variables override the file. See docs/tensor-pool.md.");
  auto config = std::make_shared<std::string>();
  auto print = std::make_shared<bool>(false);
  auto stop = std::make_shared<bool>(false);
  cmd->add_option("--config", *config, "TOML configuration file");
  cmd->add_flag("--print-config", *print, "Print the effective configuration (TOML, with each value's origin) and exit");
  cmd->add_flag("--stop", *stop, "Ask the running driver to shut down (with its token) and exit");
  cmd->callback([&options, config, print, stop] { run_driver(options, *config, *print, *stop); });
  return cmd;
}

}  // namespace lavaflow_cli

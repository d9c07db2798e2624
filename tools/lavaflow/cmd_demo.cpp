// lavaflow demo: the README's main demo. Shows the topology, this process's identity, and
// the scope between this process and a child process it starts (fork + exec of this very
// tool, which sends its identity blob back through a pipe); then runs a channel between this
// process and another child (cmd_channel_demo.cpp).
#include "child_process.hpp"
#include "cli_common.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <fcntl.h>
#include <unistd.h>

namespace lavaflow_cli {

namespace {

struct Child {
  pid_t pid;
  std::vector<uint8_t> blob;
};

// Runs `self identity --out -` (with our global options) and collects its blob.
Child identity_of_child(const std::string &self, const GlobalOptions &options) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw CliError(std::string("pipe2: ") + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  pid_t pid = -1;
  try {
    pid = spawn_command(self_command(self, options, {"identity", "--out", "-"}), &actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  Child child{pid, {}};
  uint8_t chunk[4096];
  for (;;) {
    ssize_t n = read(pipe_fds[0], chunk, sizeof chunk);
    if (n > 0) {
      child.blob.insert(child.blob.end(), chunk, chunk + n);
      if (child.blob.size() > LF_IDENTITY_BLOB_MAX_SIZE) break;
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  if (wait_child(pid) != 0)
    throw CliError("the child process " + std::to_string(pid) + " failed to report its identity");
  return child;
}

}  // namespace

CLI::App *add_demo_command(CLI::App &app, GlobalOptions &options, const std::string &self_path) {
  auto *cmd = app.add_subcommand(
      "demo", "Topology, this process's identity, its scope with a child process, and a channel to another");
  cmd->callback([&options, self_path] {
    lf::context ctx = make_context(options);
    std::cout << "== topology ==\n";
    print_topology(std::cout, ctx);

    lf::identity self(ctx);
    std::cout << "\n== this process ==\n";
    print_identity(std::cout, self, "identity of pid " + std::to_string(self.info().pid));

    Child child = identity_of_child(self_path, options);
    lf::identity other(ctx, child.blob);
    std::cout << "\n== a child process (fork + exec of " << self_path << ") ==\n";
    print_identity(std::cout, other, "identity of pid " + std::to_string(child.pid) + ", received as a blob");

    std::cout << "\n== scope between this process and the child ==\n";
    print_scope(std::cout, lf::scope(ctx, self, other));

    lf_identity_params_t same_process{};
    std::cout << "\n== scope between this process and itself ==\n";
    print_scope(std::cout, lf::scope(ctx, self, lf::identity(ctx, &same_process)));

    std::cout << "\n== a channel to another child process ==\n";
    run_channel_demo(std::cout, options, self_path);
  });
  return cmd;
}

}  // namespace lavaflow_cli

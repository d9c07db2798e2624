#include "child_process.hpp"

#include <cerrno>
#include <cstring>
#include <sys/wait.h>

extern char **environ;

namespace lavaflow_cli {

std::vector<std::string> self_command(const std::string &self, const GlobalOptions &options,
                                      std::initializer_list<std::string> args) {
  std::vector<std::string> command = {self};
  if (!options.topology.empty()) command.insert(command.end(), {"--topology", options.topology});
  if (!options.base_dir.empty()) command.insert(command.end(), {"--base-dir", options.base_dir});
  command.insert(command.end(), args);
  return command;
}

pid_t spawn_command(std::vector<std::string> command, const posix_spawn_file_actions_t *actions) {
  std::vector<char *> argv;
  for (auto &a : command) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, command[0].c_str(), actions, nullptr, argv.data(), environ);
  if (rc != 0) throw CliError("cannot start '" + command[0] + "': " + std::strerror(rc));
  return pid;
}

int wait_child(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace lavaflow_cli

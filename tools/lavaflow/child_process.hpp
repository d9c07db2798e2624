// Starting this tool again as a child process (the demo's peers) with the same global options.
#pragma once

#include "cli_common.hpp"

#include <initializer_list>
#include <spawn.h>
#include <string>
#include <sys/types.h>
#include <vector>

namespace lavaflow_cli {

// `self`, the global options in effect, then `args`.
std::vector<std::string> self_command(const std::string &self, const GlobalOptions &options,
                                      std::initializer_list<std::string> args);

// posix_spawn of `command` (`actions` may be null); throws CliError naming what failed.
pid_t spawn_command(std::vector<std::string> command, const posix_spawn_file_actions_t *actions);

// Waits for the child (retrying on EINTR): its exit status, or 128 + the signal that ended it.
int wait_child(pid_t pid);

}  // namespace lavaflow_cli

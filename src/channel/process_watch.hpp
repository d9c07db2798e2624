// Watching another process of this host for its death: a pidfd turns readable when the
// process exits, and the process's Monitor thread calls the handler at once. Channels watch
// their peers with it, shared semaphores their holders.
#pragma once

#include "core/unique_fd.hpp"
#include "topo/identity.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lavaflow::channel {

// One process watched; the handler runs once, on the Monitor thread. Destroying the watch
// stops it (when the destructor returns, the handler is not running and will not run).
class ProcessWatch {
 public:
  ProcessWatch(core::UniqueFd pidfd, std::function<void()> on_death);
  ProcessWatch(const ProcessWatch &) = delete;
  ProcessWatch &operator=(const ProcessWatch &) = delete;
  ~ProcessWatch();

 private:
  core::UniqueFd pidfd_;
  std::atomic<uint64_t> watch_{0};
};

// Starts watching `peer`; calls on_death at once if it is already gone. nullptr when there is
// nothing to watch (this process) or no way to (another pid namespace: its pid means nothing
// here; no pidfd_open): `why` then says so. Only `pid`, the pid namespace and the start time
// of the identities are used.
std::unique_ptr<ProcessWatch> watch_process(const topo::Identity &me, const topo::Identity &peer,
                                            const std::function<void()> &on_death, std::string &why);

}  // namespace lavaflow::channel

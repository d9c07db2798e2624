#include "channel/process_watch.hpp"

#include "channel/monitor.hpp"
#include "core/strings.hpp"
#include "topo/host_facts.hpp"
#include "topo/scope.hpp"

#include <cerrno>
#include <cstring>
#include <sys/syscall.h>
#include <unistd.h>

namespace lavaflow::channel {

ProcessWatch::ProcessWatch(core::UniqueFd pidfd, std::function<void()> on_death) : pidfd_(std::move(pidfd)) {
  watch_ = Monitor::instance().watch(pidfd_.get(), Monitor::Event::readable, [this, on_death = std::move(on_death)] {
    on_death();
    Monitor::instance().unwatch(watch_.load());  // (the pidfd stays readable)
  });
}

ProcessWatch::~ProcessWatch() { Monitor::instance().unwatch(watch_.load()); }

std::unique_ptr<ProcessWatch> watch_process(const topo::Identity &me, const topo::Identity &peer,
                                            const std::function<void()> &on_death, std::string &why) {
  if (topo::same_process(me, peer)) return nullptr;
  if (!me.has(LF_IDENTITY_KNOWN_NAMESPACES) || !peer.has(LF_IDENTITY_KNOWN_NAMESPACES) ||
      me.namespaces[topo::kPidNs] != peer.namespaces[topo::kPidNs]) {
    why = "the peer is in another pid namespace: its death is not detected";
    return nullptr;
  }
  const long fd = syscall(SYS_pidfd_open, static_cast<pid_t>(peer.pid), 0u);
  if (fd < 0 && errno == ESRCH) {
    on_death();
    return nullptr;
  }
  if (fd < 0) {
    why = core::format_text("pidfd_open failed (%s): the peer's death is not detected", std::strerror(errno));
    return nullptr;
  }
  core::UniqueFd pidfd(static_cast<int>(fd));
  // The pid may have been reused since the peer wrote its identity: the pidfd is the peer's
  // only if the start time still matches (read after opening it, so it cannot change after).
  uint64_t start = 0;
  if (!topo::read_start_time_ticks(peer.pid, start) || start != peer.start_time_ticks) {
    on_death();
    return nullptr;
  }
  return std::make_unique<ProcessWatch>(std::move(pidfd), on_death);
}

}  // namespace lavaflow::channel

// One background thread per process that watches file descriptors for the channel layer:
// listening sockets (a peer wants to connect) and pidfds (a peer process exited). It lets a
// peer's death be noticed at once, without timeouts and without any work on the hot path.
#pragma once

#include <cstdint>
#include <functional>

namespace lavaflow::channel {

class Monitor {
 public:
  using Handler = std::function<void()>;

  // The process's monitor, started on first use (and restarted in a forked child).
  static Monitor &instance();

  // Calls `handler` on the monitor thread whenever `fd` is readable (or hung up), until
  // unwatch(). The fd is borrowed: keep it open until unwatch() returns.
  uint64_t watch(int fd, Handler handler);

  // Stops watching. When it returns the handler is not running and will not run again
  // (unless called from the handler itself, which is allowed).
  void unwatch(uint64_t id) noexcept;

  Monitor(const Monitor &) = delete;
  Monitor &operator=(const Monitor &) = delete;

 private:
  Monitor();
  struct State;
  State *state_;
};

}  // namespace lavaflow::channel

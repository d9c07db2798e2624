// One background thread per process that watches file descriptors for the channel layer:
// listening sockets (a peer wants to connect) and peers' connections (hung up: the peer
// process exited). It lets a
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

  // What to wait for: data (a listening socket's connections), or only a hang-up (a peer's
  // connection, which may also carry messages that its end reads itself).
  enum class Event { readable, hangup };

  // Calls `handler` on the monitor thread whenever `fd` has the event (a hang-up counts for
  // both), until unwatch(). The fd is borrowed: keep it open until unwatch() returns.
  uint64_t watch(int fd, Event event, Handler handler);

  // Stops watching. When it returns the handler is not running and will not run again
  // (unless called from the handler itself, which is allowed) — also when the handler had
  // unwatched itself and is still finishing.
  void unwatch(uint64_t id) noexcept;

  Monitor(const Monitor &) = delete;
  Monitor &operator=(const Monitor &) = delete;

 private:
  Monitor();
  struct State;
  State *state_;
};

}  // namespace lavaflow::channel

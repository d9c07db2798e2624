#include "channel/monitor.hpp"

#include "core/error.hpp"

#include <cerrno>
#include <condition_variable>
#include <map>
#include <mutex>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

namespace lavaflow::channel {

struct Monitor::State {
  int epoll_fd = -1;
  int wake_fd = -1;
  std::mutex mutex;
  std::condition_variable idle;
  std::map<uint64_t, std::pair<int, Handler>> watches;  // guarded by mutex
  uint64_t next_id = 1;
  uint64_t running = 0;  // id of the handler running now (0: none); guarded by mutex
  std::thread::id thread_id;  // guarded by mutex

  void run() {
    epoll_event events[16];
    for (;;) {
      int n = epoll_wait(epoll_fd, events, 16, -1);
      if (n < 0 && errno != EINTR) return;
      for (int i = 0; i < n; ++i) {
        uint64_t id = events[i].data.u64;
        if (id == 0) {  // the wake eventfd
          uint64_t drain;
          (void)!read(wake_fd, &drain, sizeof drain);
          continue;
        }
        Handler handler;
        {
          std::lock_guard lock(mutex);
          auto it = watches.find(id);
          if (it == watches.end()) continue;  // unwatched meanwhile
          handler = it->second.second;
          running = id;
        }
        try {
          handler();
        } catch (...) {
          // A handler must not take the monitor down.
        }
        {
          std::lock_guard lock(mutex);
          running = 0;
        }
        idle.notify_all();
      }
    }
  }
};

namespace {

Monitor *g_monitor = nullptr;
std::mutex g_start_mutex;

void forget_after_fork() {
  // The child has no monitor thread: start a fresh one when it first needs it. (The parent's
  // watches are the parent's business; the old state is leaked on purpose.)
  g_monitor = nullptr;
}

}  // namespace

Monitor &Monitor::instance() {
  std::lock_guard lock(g_start_mutex);
  if (g_monitor == nullptr) {
    static bool registered = [] { return pthread_atfork(nullptr, nullptr, forget_after_fork) == 0; }();
    (void)registered;
    g_monitor = new Monitor;  // never destroyed: the thread may be blocked in epoll_wait at exit
  }
  return *g_monitor;
}

Monitor::Monitor() : state_(new State) {
  state_->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  state_->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (state_->epoll_fd < 0 || state_->wake_fd < 0) core::fail_errno(errno, "starting the channel monitor (epoll/eventfd)");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = 0;
  epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, state_->wake_fd, &event);
  State *state = state_;
  std::thread thread([state] { state->run(); });
  {
    std::lock_guard lock(state_->mutex);
    state_->thread_id = thread.get_id();
  }
  thread.detach();
}

uint64_t Monitor::watch(int fd, Event what, Handler handler) {
  std::lock_guard lock(state_->mutex);
  uint64_t id = state_->next_id++;
  epoll_event event{};
  event.events = what == Event::readable ? EPOLLIN | EPOLLRDHUP : EPOLLRDHUP;  // (EPOLLHUP and EPOLLERR always)
  event.data.u64 = id;
  if (epoll_ctl(state_->epoll_fd, EPOLL_CTL_ADD, fd, &event) != 0) core::fail_errno(errno, "watching fd %d", fd);
  state_->watches.emplace(id, std::make_pair(fd, std::move(handler)));
  return id;
}

void Monitor::unwatch(uint64_t id) noexcept {
  std::unique_lock lock(state_->mutex);
  auto it = state_->watches.find(id);
  if (it != state_->watches.end()) {
    epoll_ctl(state_->epoll_fd, EPOLL_CTL_DEL, it->second.first, nullptr);
    state_->watches.erase(it);
  }
  if (std::this_thread::get_id() == state_->thread_id) return;  // from inside a handler
  // Also when the watch is gone already: a handler that unwatched itself may still be
  // running (a listener's hang-up handler does, then takes the listener's lock), and the
  // caller is about to free what it uses.
  state_->idle.wait(lock, [&] { return state_->running != id; });
}

}  // namespace lavaflow::channel

#include "core/log.hpp"

#include "core/strings.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace lavaflow::core {

namespace {

struct GlobalLog {
  std::mutex mutex;
  lf_log_fn callback = nullptr;  // guarded by mutex
  void *user_data = nullptr;     // guarded by mutex
  std::atomic<bool> has_callback{false};
  std::atomic<int32_t> explicit_level{-1};
  int32_t env_level = -1;  // from LAVAFLOW_LOG, read once
  bool env_set = false;
};

GlobalLog &global() {
  // Never destroyed: messages may be logged from other threads during exit.
  static GlobalLog *log = [] {
    auto *g = new GlobalLog;
    if (const char *env = std::getenv("LAVAFLOW_LOG"); env != nullptr && *env != '\0') {
      g->env_set = true;
      g->env_level = parse_log_level(env);
      if (g->env_level < 0) {
        // The user asked for logging, so printing this one line is not "printing unasked".
        std::fprintf(stderr,
                     "lavaflow: LAVAFLOW_LOG='%s' is not one of off, error, warn, info, debug, "
                     "trace; using warn\n",
                     env);
        g->env_level = LF_LOG_WARN;
      }
    }
    return g;
  }();
  return *log;
}

}  // namespace

int32_t parse_log_level(const char *text) noexcept {
  if (text == nullptr) return -1;
  static const char *const names[] = {"off", "error", "warn", "info", "debug", "trace"};
  for (int32_t i = 0; i <= LF_LOG_TRACE; ++i)
    if (equals_ignore_case(trim(text), names[i])) return i;
  if (equals_ignore_case(trim(text), "warning")) return LF_LOG_WARN;
  return -1;
}

const char *log_level_name(int32_t level) noexcept {
  switch (level) {
    case LF_LOG_OFF: return "off";
    case LF_LOG_ERROR: return "error";
    case LF_LOG_WARN: return "warn";
    case LF_LOG_INFO: return "info";
    case LF_LOG_DEBUG: return "debug";
    case LF_LOG_TRACE: return "trace";
    default: return "unknown";
  }
}

int32_t effective_log_level(const LogSink *sink) noexcept {
  if (sink != nullptr && sink->level >= 0) return sink->level;
  GlobalLog &g = global();
  int32_t level = g.explicit_level.load(std::memory_order_relaxed);
  if (level >= 0) return level;
  if (g.env_set) return g.env_level;
  bool callback = g.has_callback.load(std::memory_order_relaxed) ||
                  (sink != nullptr && sink->callback != nullptr);
  return callback ? LF_LOG_WARN : LF_LOG_OFF;
}

void log_message(const LogSink *sink, int32_t level, const char *format, ...) noexcept {
  if (level <= LF_LOG_OFF || !log_enabled(sink, level)) return;
  try {
    va_list args;
    va_start(args, format);
    std::string message = vformat(format, args);
    va_end(args);

    if (sink != nullptr && sink->callback != nullptr) {
      sink->callback(level, message.c_str(), sink->user_data);
      return;
    }
    GlobalLog &g = global();
    lf_log_fn callback;
    void *user_data;
    {
      std::lock_guard lock(g.mutex);
      callback = g.callback;
      user_data = g.user_data;
    }
    if (callback != nullptr) {
      callback(level, message.c_str(), user_data);  // outside the lock: it may log again
    } else if (g.env_set) {
      const char *name = (sink != nullptr && !sink->name.empty()) ? sink->name.c_str() : "-";
      std::fprintf(stderr, "lavaflow[%s] %s: %s\n", name, log_level_name(level), message.c_str());
    }
  } catch (...) {
    // Out of memory while logging: drop the message rather than fail the caller.
  }
}

void set_global_log_callback(lf_log_fn callback, void *user_data) noexcept {
  GlobalLog &g = global();
  std::lock_guard lock(g.mutex);
  g.callback = callback;
  g.user_data = user_data;
  g.has_callback.store(callback != nullptr, std::memory_order_relaxed);
}

void set_global_log_level(int32_t level) noexcept {
  global().explicit_level.store(level, std::memory_order_relaxed);
}

}  // namespace lavaflow::core

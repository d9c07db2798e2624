// Routing of lavaflow's own log messages (rules in include/lavaflow/log.h).
#pragma once

#include <lavaflow/log.h>

#include <cstdint>
#include <string>

namespace lavaflow::core {

// Where a context's messages go. A default-constructed sink follows the global settings.
struct LogSink {
  lf_log_fn callback = nullptr;
  void *user_data = nullptr;
  int32_t level = -1;  // -1: inherit the global threshold
  std::string name;    // context name, shown on stderr lines
};

// The threshold that applies to messages of this sink (nullptr: no context).
int32_t effective_log_level(const LogSink *sink) noexcept;

inline bool log_enabled(const LogSink *sink, int32_t level) noexcept {
  return level <= effective_log_level(sink);
}

// Formats and delivers one message if its level passes the threshold. Never throws.
void log_message(const LogSink *sink, int32_t level, const char *format, ...) noexcept
    __attribute__((format(printf, 3, 4)));

void set_global_log_callback(lf_log_fn callback, void *user_data) noexcept;
void set_global_log_level(int32_t level) noexcept;

// Parses "off|error|warn|info|debug|trace" (case-insensitive); -1 if not a level.
int32_t parse_log_level(const char *text) noexcept;

const char *log_level_name(int32_t level) noexcept;

}  // namespace lavaflow::core

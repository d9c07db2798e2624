#include "pool/embedded_driver.hpp"

#include "core/error.hpp"

#include <map>
#include <mutex>

namespace lavaflow::pool {

std::shared_ptr<Driver> share_embedded_driver(const std::string &base_dir, const core::LogSink &log) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<Driver>> drivers;  // by base directory
  std::lock_guard lock(mutex);
  if (auto running = drivers[base_dir].lock(); running && !running->stopped()) return running;
  DriverConfig config;
  config.base_dir = base_dir;
  config.dynamic_streams = true;
  finish_driver_config(config, true);
  try {
    auto driver = std::make_shared<Driver>(std::move(config), log);
    drivers[base_dir] = driver;
    return driver;
  } catch (const core::Error &e) {
    if (e.status() == LF_ERR_EXISTS) return nullptr;
    throw;
  }
}

}  // namespace lavaflow::pool

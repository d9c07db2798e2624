#include "pool/driver_config.hpp"

#include "core/env.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "ipc/user_dir.hpp"
#include "pool/control.hpp"

#include <cerrno>
#include <cstdlib>
#include <unistd.h>

namespace lavaflow::pool {

using core::fail;

bool StreamProfile::operator==(const StreamProfile &other) const noexcept {
  if (header_slots != other.header_slots || require_hugepages != other.require_hugepages || pools.size() != other.pools.size())
    return false;
  for (size_t i = 0; i < pools.size(); ++i)
    if (pools[i].id != other.pools[i].id || pools[i].stride != other.pools[i].stride) return false;
  return true;
}

const StreamProfile &DriverConfig::profile(const std::string &name) const {
  auto found = profiles.find(name.empty() ? "default" : name);
  if (found == profiles.end()) fail(LF_ERR_NOT_FOUND, "the driver has no stream profile named '%s'", name.c_str());
  return found->second;
}

StreamProfile default_profile(uint32_t header_slots) {
  StreamProfile p;
  p.name = "default";
  p.header_slots = header_slots;
  p.pools = {{1, 4096}, {2, 65536}};
  return p;
}

namespace {

uint64_t parse_unsigned(const char *variable, const char *text, uint64_t min, uint64_t max) {
  errno = 0;
  char *end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || value < min || value > max)
    fail(LF_ERR_INVALID_ARGUMENT, "%s='%s' is not a number in %llu..%llu", variable, text, static_cast<unsigned long long>(min),
         static_cast<unsigned long long>(max));
  return value;
}

bool parse_bool(const char *variable, const char *text) {
  const std::string t(core::trim(text));
  if (core::equals_ignore_case(t, "1") || core::equals_ignore_case(t, "true") || core::equals_ignore_case(t, "on") ||
      core::equals_ignore_case(t, "yes"))
    return true;
  if (core::equals_ignore_case(t, "0") || core::equals_ignore_case(t, "false") || core::equals_ignore_case(t, "off") ||
      core::equals_ignore_case(t, "no"))
    return false;
  fail(LF_ERR_INVALID_ARGUMENT, "%s='%s' is not a boolean (true/false, on/off, 1/0)", variable, text);
}

template <typename T>
void override_number(DriverConfig &config, const char *variable, const char *field, T &value, uint64_t min, uint64_t max) {
  if (const char *text = core::env_value(variable)) {
    value = static_cast<T>(parse_unsigned(variable, text, min, max));
    config.origins[field] = variable;
  }
}

void override_bool(DriverConfig &config, const char *variable, const char *field, bool &value) {
  if (const char *text = core::env_value(variable)) {
    value = parse_bool(variable, text);
    config.origins[field] = variable;
  }
}

}  // namespace

void validate_profile(const StreamProfile &p, const std::string &what) {
  const char *w = what.c_str();
  if (!valid_slot_count(p.header_slots))
    fail(LF_ERR_INVALID_ARGUMENT, "%s: header_slots %u is not a power of two up to %u", w, p.header_slots, kMaxSlots);
  if (p.pools.empty() || p.pools.size() > kMaxPools) fail(LF_ERR_INVALID_ARGUMENT, "%s: %zu pools (1..%u)", w, p.pools.size(), kMaxPools);
  uint32_t seen = 0;
  for (const auto &pool : p.pools) {
    if (pool.id == 0 || pool.id > kMaxPools || (seen & (1u << pool.id)) != 0)
      fail(LF_ERR_INVALID_ARGUMENT, "%s: pool id %u is not in 1..%u or repeated", w, pool.id, kMaxPools);
    seen |= 1u << pool.id;
    if (!valid_stride(pool.stride))
      fail(LF_ERR_INVALID_ARGUMENT, "%s: pool %u stride %u is not a power-of-two multiple of 64", w, pool.id, pool.stride);
    if (uint64_t{pool.stride} * p.header_slots > (uint64_t{1} << 32))
      fail(LF_ERR_INVALID_ARGUMENT, "%s: pool %u is %u slots of %u bytes: over 4 GiB", w, pool.id, p.header_slots, pool.stride);
  }
}

void finish_driver_config(DriverConfig &config, bool use_environment) {
  uint32_t header_slots = config.profiles.count("default") ? config.profiles["default"].header_slots : 1024;
  if (use_environment) {
    if (const char *ns = core::env_value("LAVAFLOW_DRIVER_NAMESPACE")) {
      config.namespace_name = ns;
      config.origins["namespace"] = "LAVAFLOW_DRIVER_NAMESPACE";
    }
    override_number(config, "LAVAFLOW_DRIVER_ANNOUNCE_PERIOD_MS", "announce_period_ms", config.announce_period_ms, 10, 3600000);
    override_number(config, "LAVAFLOW_DRIVER_KEEPALIVE_MS", "keepalive_ms", config.keepalive_ms, 10, 3600000);
    override_number(config, "LAVAFLOW_DRIVER_EXPIRY_INTERVALS", "expiry_intervals", config.expiry_intervals, 1, 1000);
    override_bool(config, "LAVAFLOW_DRIVER_PREFAULT", "prefault", config.prefault);
    override_bool(config, "LAVAFLOW_DRIVER_MLOCK", "mlock", config.mlock);
    override_number(config, "LAVAFLOW_DRIVER_SHUTDOWN_DRAIN_MS", "shutdown_drain_ms", config.shutdown_drain_ms, 0, 600000);
    override_bool(config, "LAVAFLOW_DRIVER_DYNAMIC_STREAMS", "dynamic_streams", config.dynamic_streams);
    override_number(config, "LAVAFLOW_DRIVER_HEADER_SLOTS", "header_slots", header_slots, 1, kMaxSlots);
    override_number(config, "LAVAFLOW_DRIVER_CONSUMER_ENTRIES", "consumer_entries", config.consumer_entries, 1, kMaxConsumerEntries);
    override_number(config, "LAVAFLOW_DRIVER_MAX_STREAMS_PER_UID", "max_streams_per_uid", config.max_streams_per_uid, 1, 1u << 20);
    override_number(config, "LAVAFLOW_DRIVER_MAX_BYTES_PER_UID", "max_bytes_per_uid", config.max_bytes_per_uid, 4096, UINT64_MAX);
    if (const char *text = core::env_value("LAVAFLOW_DRIVER_ALLOWED_GROUP")) {
      config.allowed_group = static_cast<gid_t>(parse_unsigned("LAVAFLOW_DRIVER_ALLOWED_GROUP", text, 0, UINT32_MAX - 1));
      config.origins["allowed_group"] = "LAVAFLOW_DRIVER_ALLOWED_GROUP";
    }
  }
  ipc::validate_name(config.namespace_name, "driver namespace");
  if (!config.profiles.count("default")) config.profiles["default"] = default_profile(header_slots);
  else config.profiles["default"].header_slots = header_slots;
  if (!valid_entry_count(config.consumer_entries))
    fail(LF_ERR_INVALID_ARGUMENT, "consumer_entries %u (%s) is not a power of two up to 65536", config.consumer_entries,
         config.origins.count("consumer_entries") ? config.origins["consumer_entries"].c_str() : "params");
  if (config.keepalive_ms == 0 || config.announce_period_ms == 0 || config.expiry_intervals == 0)
    fail(LF_ERR_INVALID_ARGUMENT, "keepalive_ms, announce_period_ms and expiry_intervals must not be 0");
  for (auto &[name, profile] : config.profiles) {
    profile.name = name;
    validate_profile(profile, "profile '" + name + "'");
  }
  for (const auto &[stream, profile] : config.streams)
    if (!config.profiles.count(profile))
      fail(LF_ERR_INVALID_ARGUMENT, "stream %u uses profile '%s', which is not defined", stream, profile.c_str());
  for (const char *field : {"namespace", "announce_period_ms", "keepalive_ms", "expiry_intervals", "prefault", "mlock",
                            "shutdown_drain_ms", "dynamic_streams", "header_slots", "consumer_entries",
                            "max_streams_per_uid", "max_bytes_per_uid", "allowed_group"})
    config.origins.try_emplace(field, "default");
}

std::string describe_driver_config(const DriverConfig &c) {
  std::string out;
  auto origin = [&](const char *field) {
    auto found = c.origins.find(field);
    return found == c.origins.end() ? std::string("default") : found->second;
  };
  auto line = [&](const char *field, const std::string &value) {
    out += core::format_text("%-20s = %-14s # %s\n", field, value.c_str(), origin(field).c_str());
  };
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  line("namespace", "\"" + c.namespace_name + "\"");
  line("announce_period_ms", std::to_string(c.announce_period_ms));
  line("keepalive_ms", std::to_string(c.keepalive_ms));
  line("expiry_intervals", std::to_string(c.expiry_intervals));
  line("prefault", flag(c.prefault));
  line("mlock", flag(c.mlock));
  line("shutdown_drain_ms", std::to_string(c.shutdown_drain_ms));
  line("dynamic_streams", flag(c.dynamic_streams));
  line("header_slots", std::to_string(c.profile("default").header_slots));
  line("consumer_entries", std::to_string(c.consumer_entries));
  line("max_streams_per_uid", std::to_string(c.max_streams_per_uid));
  line("max_bytes_per_uid", std::to_string(c.max_bytes_per_uid));
  if (c.allowed_group) line("allowed_group", std::to_string(*c.allowed_group));
  else out += core::format_text("# %-18s   (not set: only uid %u may attach)\n", "allowed_group", geteuid());
  for (const auto &[name, p] : c.profiles) {
    out += "\n[profiles." + name + "]\n";
    out += "header_slots = " + std::to_string(p.header_slots) + "\n";
    out += "require_hugepages = " + flag(p.require_hugepages) + "\n";
    out += "pools = [";
    for (size_t i = 0; i < p.pools.size(); ++i)
      out += core::format_text("%s{ id = %u, stride = %u }", i ? ", " : " ", p.pools[i].id, p.pools[i].stride);
    out += " ]\n";
  }
  for (const auto &[id, profile] : c.streams) out += core::format_text("\n[[streams]]\nid = %u\nprofile = \"%s\"\n", id, profile.c_str());
  return out;
}

}  // namespace lavaflow::pool

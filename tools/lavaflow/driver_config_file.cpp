#include "driver_config_file.hpp"

#include "cli_common.hpp"

#include <toml++/toml.h>

#include <grp.h>

#include <set>
#include <sstream>

namespace lavaflow_cli {

namespace {

std::string where(const std::string &path, const toml::node &node) {
  std::ostringstream out;
  out << path << ":" << node.source().begin.line;
  return out.str();
}

void check_keys(const std::string &path, const toml::table &table, const std::set<std::string> &known, const std::string &section) {
  for (const auto &[key, node] : table)
    if (!known.count(std::string(key.str())))
      throw CliError(where(path, node) + ": unknown key '" + std::string(key.str()) + "'" + (section.empty() ? "" : " in " + section));
}

template <typename T>
T integer(const std::string &path, const toml::node &node, const std::string &key, int64_t min, int64_t max) {
  const auto value = node.value<int64_t>();
  if (!node.is_integer() || !value || *value < min || *value > max)
    throw CliError(where(path, node) + ": '" + key + "' must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  return static_cast<T>(*value);
}

bool boolean(const std::string &path, const toml::node &node, const std::string &key) {
  if (!node.is_boolean()) throw CliError(where(path, node) + ": '" + key + "' must be true or false");
  return *node.value<bool>();
}

const char *text(DriverConfigFile &out, const std::string &path, const toml::node &node, const std::string &key) {
  if (!node.is_string()) throw CliError(where(path, node) + ": '" + key + "' must be a string");
  out.strings.push_back(std::make_unique<std::string>(*node.value<std::string>()));
  return out.strings.back()->c_str();
}

}  // namespace

std::unique_ptr<DriverConfigFile> load_driver_config(const std::string &path) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error &e) {
    std::ostringstream out;
    out << path << ":" << e.source().begin.line << ": " << e.description();
    throw CliError(out.str());
  }
  auto out = std::make_unique<DriverConfigFile>();
  lf_pool_driver_params_t &p = out->params;
  check_keys(path, root,
             {"namespace", "announce_period_ms", "keepalive_ms", "expiry_intervals", "prefault", "mlock", "shutdown_drain_ms",
              "dynamic_streams", "header_slots", "consumer_entries", "max_streams_per_uid", "max_bytes_per_uid", "allowed_group",
              "profiles", "streams"},
             "");
  for (const auto &[k, node] : root) {
    const std::string key(k.str());
    if (key == "namespace") {
      p.namespace_name = text(*out, path, node, key);
      p.field_mask |= LF_POOL_DRIVER_FIELD_NAMESPACE;
    } else if (key == "announce_period_ms") {
      p.announce_period_ms = integer<uint32_t>(path, node, key, 10, 3600000);
      p.field_mask |= LF_POOL_DRIVER_FIELD_ANNOUNCE_PERIOD;
    } else if (key == "keepalive_ms") {
      p.keepalive_ms = integer<uint32_t>(path, node, key, 10, 3600000);
      p.field_mask |= LF_POOL_DRIVER_FIELD_KEEPALIVE;
    } else if (key == "expiry_intervals") {
      p.expiry_intervals = integer<uint32_t>(path, node, key, 1, 1000);
      p.field_mask |= LF_POOL_DRIVER_FIELD_EXPIRY_INTERVALS;
    } else if (key == "prefault") {
      p.prefault = boolean(path, node, key);
      p.field_mask |= LF_POOL_DRIVER_FIELD_PREFAULT;
    } else if (key == "mlock") {
      p.mlock = boolean(path, node, key);
      p.field_mask |= LF_POOL_DRIVER_FIELD_MLOCK;
    } else if (key == "shutdown_drain_ms") {
      p.shutdown_drain_ms = integer<uint32_t>(path, node, key, 0, 600000);
      p.field_mask |= LF_POOL_DRIVER_FIELD_SHUTDOWN_DRAIN;
    } else if (key == "dynamic_streams") {
      p.dynamic_streams = boolean(path, node, key);
      p.field_mask |= LF_POOL_DRIVER_FIELD_DYNAMIC_STREAMS;
    } else if (key == "header_slots") {
      p.header_slots = integer<uint32_t>(path, node, key, 1, 1 << 24);
      p.field_mask |= LF_POOL_DRIVER_FIELD_HEADER_SLOTS;
    } else if (key == "consumer_entries") {
      p.consumer_entries = integer<uint32_t>(path, node, key, 1, 65536);
      p.field_mask |= LF_POOL_DRIVER_FIELD_CONSUMER_ENTRIES;
    } else if (key == "max_streams_per_uid") {
      p.max_streams_per_uid = integer<uint32_t>(path, node, key, 1, 1 << 20);
      p.field_mask |= LF_POOL_DRIVER_FIELD_MAX_STREAMS_PER_UID;
    } else if (key == "allowed_group") {
      // A group name or a gid.
      if (node.is_string()) {
        const std::string name = *node.value<std::string>();
        const group *g = getgrnam(name.c_str());
        if (g == nullptr) throw CliError(where(path, node) + ": allowed_group '" + name + "' is not a group of this system");
        p.allowed_gid = g->gr_gid;
      } else {
        p.allowed_gid = integer<uint32_t>(path, node, key, 0, UINT32_MAX - 1);
      }
      p.field_mask |= LF_POOL_DRIVER_FIELD_ALLOWED_GROUP;
    } else if (key == "max_bytes_per_uid") {
      p.max_bytes_per_uid = integer<uint64_t>(path, node, key, 4096, INT64_MAX);
      p.field_mask |= LF_POOL_DRIVER_FIELD_MAX_BYTES_PER_UID;
    }
  }
  if (const toml::node *profiles = root.get("profiles")) {
    if (!profiles->is_table()) throw CliError(where(path, *profiles) + ": 'profiles' must be a table of [profiles.NAME]");
    for (const auto &[name, node] : *profiles->as_table()) {
      const std::string section = "[profiles." + std::string(name.str()) + "]";
      if (!node.is_table()) throw CliError(where(path, node) + ": " + section + " must be a table");
      const toml::table &t = *node.as_table();
      check_keys(path, t, {"header_slots", "pools", "require_hugepages"}, section);
      lf_pool_profile_t profile{};
      out->strings.push_back(std::make_unique<std::string>(name.str()));
      profile.name = out->strings.back()->c_str();
      profile.header_slots = 1024;
      if (const toml::node *n = t.get("header_slots")) profile.header_slots = integer<uint32_t>(path, *n, "header_slots", 1, 1 << 24);
      if (const toml::node *n = t.get("require_hugepages")) profile.require_hugepages = boolean(path, *n, "require_hugepages");
      const toml::node *pools = t.get("pools");
      if (pools == nullptr || !pools->is_array()) throw CliError(where(path, node) + ": " + section + " needs pools = [ { id = 1, stride = 4096 }, ... ]");
      for (const toml::node &entry : *pools->as_array()) {
        if (!entry.is_table()) throw CliError(where(path, entry) + ": each pool is { id = N, stride = BYTES }");
        check_keys(path, *entry.as_table(), {"id", "stride"}, section + " pools");
        const toml::node *id = entry.as_table()->get("id");
        const toml::node *stride = entry.as_table()->get("stride");
        if (id == nullptr || stride == nullptr) throw CliError(where(path, entry) + ": each pool needs id and stride");
        if (profile.pool_count == 15) throw CliError(where(path, entry) + ": at most 15 pools");
        profile.pools[profile.pool_count].pool_id = integer<uint32_t>(path, *id, "id", 1, 15);
        profile.pools[profile.pool_count].stride_bytes = integer<uint32_t>(path, *stride, "stride", 64, UINT32_MAX);
        ++profile.pool_count;
      }
      out->profiles.push_back(profile);
    }
    p.profiles = out->profiles.data();
    p.profile_count = static_cast<uint32_t>(out->profiles.size());
    p.field_mask |= LF_POOL_DRIVER_FIELD_PROFILES;
  }
  if (const toml::node *streams = root.get("streams")) {
    if (!streams->is_array()) throw CliError(where(path, *streams) + ": streams must be [[streams]] entries");
    for (const toml::node &entry : *streams->as_array()) {
      if (!entry.is_table()) throw CliError(where(path, entry) + ": each [[streams]] is a table");
      check_keys(path, *entry.as_table(), {"id", "profile"}, "[[streams]]");
      const toml::node *id = entry.as_table()->get("id");
      if (id == nullptr) throw CliError(where(path, entry) + ": [[streams]] needs an id");
      lf_pool_stream_config_t s{};
      s.stream_id = integer<uint32_t>(path, *id, "id", 0, UINT32_MAX);
      const toml::node *profile = entry.as_table()->get("profile");
      s.profile = profile != nullptr ? text(*out, path, *profile, "profile") : "default";
      out->streams.push_back(s);
    }
    p.streams = out->streams.data();
    p.stream_count = static_cast<uint32_t>(out->streams.size());
    p.field_mask |= LF_POOL_DRIVER_FIELD_STREAMS;
  }
  return out;
}

}  // namespace lavaflow_cli

#include "driver_config_file.hpp"

#include "cli_common.hpp"

#include <toml++/toml.h>

#include <grp.h>

#include <map>
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
  // (is_integer first: toml++'s value<int64_t>() converts a float, with undefined behaviour
  // when it does not fit — found by fuzz_driver_config with `stride = 4194E304`)
  const auto value = node.is_integer() ? node.value<int64_t>() : std::nullopt;
  if (!value || *value < min || *value > max)
    throw CliError(where(path, node) + ": '" + key + "' must be an integer in " + std::to_string(min) + ".." + std::to_string(max));
  return static_cast<T>(*value);
}

bool boolean(const std::string &path, const toml::node &node, const std::string &key) {
  if (!node.is_boolean()) throw CliError(where(path, node) + ": '" + key + "' must be true or false");
  return *node.value<bool>();
}

std::string string_of(const std::string &path, const toml::node &node, const std::string &key) {
  if (!node.is_string()) throw CliError(where(path, node) + ": '" + key + "' must be a string");
  return *node.value<std::string>();
}

const char *text(DriverConfigFile &out, const std::string &path, const toml::node &node, const std::string &key) {
  out.strings.push_back(std::make_unique<std::string>(string_of(path, node, key)));
  return out.strings.back()->c_str();
}

// Reads one file into params. The keys have two spellings: lavaflow's own (flat, as in
// `lavaflow driver --print-config`) and the Driver Model spec's canonical ones (§17:
// [driver], [shm], [policies], [profiles.NAME] with header_nslots and payload_pools,
// [streams.NAME]). Each setting may be given once, in either spelling.
class Reader {
 public:
  Reader(const std::string &path, DriverConfigFile &out) : path_(path), out_(out), p_(out.params) {}

  void read(const toml::table &root) {
    check_keys(path_, root,
               {"namespace", "announce_period_ms", "keepalive_ms", "expiry_intervals", "prefault", "mlock",
                "shutdown_drain_ms", "dynamic_streams", "header_slots", "consumer_entries", "max_streams_per_uid",
                "max_bytes_per_uid", "allowed_group", "profiles", "streams", "driver", "shm", "policies"},
               "");
    for (const auto &[k, node] : root) flat(std::string(k.str()), node);
    if (const toml::node *n = root.get("driver")) driver(section(*n, "driver"));
    if (const toml::node *n = root.get("shm")) shm(section(*n, "shm"));
    if (const toml::node *n = root.get("policies")) policies(section(*n, "policies"));
    if (const toml::node *n = root.get("profiles")) profiles(*n);
    if (const toml::node *n = root.get("streams")) streams(*n);
    if (!default_profile_.empty()) use_as_default(default_profile_);
  }

 private:
  const toml::table &section(const toml::node &node, const char *name) {
    if (!node.is_table()) throw CliError(where(path_, node) + ": '" + name + "' must be a table [" + name + "]");
    return *node.as_table();
  }

  // A setting given once: `name` is how it was spelled, for the error if it comes again.
  void claim(const toml::node &node, uint64_t field, const std::string &name) {
    auto [it, fresh] = given_.emplace(field, name);
    if (!fresh) throw CliError(where(path_, node) + ": '" + name + "' sets what '" + it->second + "' already set");
    p_.field_mask |= field;
  }

  // A canonical key lavaflow has no use for: accepted (a canonical file must load), and said.
  void note(const toml::node &node, const std::string &key, const std::string &why) {
    out_.notes.push_back(where(path_, node) + ": '" + key + "' is ignored: " + why);
  }

  void flat(const std::string &key, const toml::node &node) {
    if (key == "namespace") {
      p_.namespace_name = text(out_, path_, node, key);
      claim(node, LF_POOL_DRIVER_PARAM_FIELD_NAMESPACE, key);
    } else if (key == "announce_period_ms") {
      announce_period(node, key);
    } else if (key == "keepalive_ms") {
      keepalive(node, key);
    } else if (key == "expiry_intervals") {
      expiry(node, key);
    } else if (key == "prefault") {
      prefault(node, key);
    } else if (key == "mlock") {
      mlock(node, key);
    } else if (key == "shutdown_drain_ms") {
      drain(node, key);
    } else if (key == "dynamic_streams") {
      dynamic_streams(node, key);
    } else if (key == "header_slots") {
      p_.header_slots = integer<uint32_t>(path_, node, key, 1, 1 << 24);
      claim(node, LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS, key);
    } else if (key == "consumer_entries") {
      p_.consumer_entries = integer<uint32_t>(path_, node, key, 1, 65536);
      claim(node, LF_POOL_DRIVER_PARAM_FIELD_CONSUMER_ENTRIES, key);
    } else if (key == "max_streams_per_uid") {
      p_.max_streams_per_uid = integer<uint32_t>(path_, node, key, 1, 1 << 20);
      claim(node, LF_POOL_DRIVER_PARAM_FIELD_MAX_STREAMS_PER_UID, key);
    } else if (key == "max_bytes_per_uid") {
      p_.max_bytes_per_uid = integer<uint64_t>(path_, node, key, 4096, INT64_MAX);
      claim(node, LF_POOL_DRIVER_PARAM_FIELD_MAX_BYTES_PER_UID, key);
    } else if (key == "allowed_group") {
      // A group name or a gid.
      if (node.is_string()) {
        const std::string name = *node.value<std::string>();
        const group *g = getgrnam(name.c_str());
        if (g == nullptr) throw CliError(where(path_, node) + ": allowed_group '" + name + "' is not a group of this system");
        p_.allowed_gid = g->gr_gid;
      } else {
        p_.allowed_gid = integer<uint32_t>(path_, node, key, 0, UINT32_MAX - 1);
      }
      claim(node, LF_POOL_DRIVER_PARAM_FIELD_ALLOWED_GROUP, key);
    }
  }

  void announce_period(const toml::node &n, const std::string &key) {
    p_.announce_period_ms = integer<uint32_t>(path_, n, key, 10, 3600000);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_ANNOUNCE_PERIOD, key);
  }
  void keepalive(const toml::node &n, const std::string &key) {
    p_.keepalive_ms = integer<uint32_t>(path_, n, key, 10, 3600000);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_KEEPALIVE, key);
  }
  void expiry(const toml::node &n, const std::string &key) {
    p_.expiry_intervals = integer<uint32_t>(path_, n, key, 1, 1000);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_EXPIRY_INTERVALS, key);
  }
  void prefault(const toml::node &n, const std::string &key) {
    p_.prefault = boolean(path_, n, key);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_PREFAULT, key);
  }
  void mlock(const toml::node &n, const std::string &key) {
    p_.mlock = boolean(path_, n, key);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_MLOCK, key);
  }
  void drain(const toml::node &n, const std::string &key) {
    p_.shutdown_drain_ms = integer<uint32_t>(path_, n, key, 0, 600000);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_SHUTDOWN_DRAIN, key);
  }
  void dynamic_streams(const toml::node &n, const std::string &key) {
    p_.dynamic_streams = boolean(path_, n, key);
    claim(n, LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS, key);
  }

  void driver(const toml::table &t) {
    static const char *const aeron[] = {"control_channel", "control_stream_id", "aeron_dir", "announce_channel",
                                        "announce_stream_id", "qos_channel", "qos_stream_id", "stream_id_range",
                                        "descriptor_stream_id_range", "control_stream_id_range"};
    std::set<std::string> known{"instance_id"};
    for (const char *key : aeron) known.insert(key);
    check_keys(path_, t, known, "[driver]");
    for (const auto &[k, node] : t) {
      const std::string key = "driver." + std::string(k.str());
      if (k.str() == "instance_id") {
        out_.instance_id = string_of(path_, node, key);
      } else {
        note(node, key, "lavaflow's control plane is a Unix socket in the base directory, not Aeron");
      }
    }
  }

  void shm(const toml::table &t) {
    check_keys(path_, t, {"base_dir", "require_hugepages", "page_size_bytes", "permissions_mode", "allowed_base_dirs"}, "[shm]");
    for (const auto &[k, node] : t) {
      const std::string name(k.str()), key = "shm." + name;
      if (name == "base_dir") {
        out_.base_dir = string_of(path_, node, key);
      } else if (name == "require_hugepages") {
        default_hugepages_ = boolean(path_, node, key);
      } else if (name == "page_size_bytes") {
        if (integer<uint32_t>(path_, node, key, 1, UINT32_MAX) != 4096)
          throw CliError(where(path_, node) + ": '" + key + "' must be 4096: huge pages are asked for per profile (require_hugepages)");
      } else if (name == "permissions_mode") {
        const std::string mode = string_of(path_, node, key);
        if (mode != "600" && mode != "0600" && mode != "660" && mode != "0660")
          throw CliError(where(path_, node) + ": '" + key + "' must be \"600\" or \"660\"");
        if (mode != "600" && mode != "0600")
          note(node, key, "region files are always 0600: clients map the descriptors the driver passes them "
                          "(to admit a group, set allowed_group)");
      } else {
        note(node, key, "files are contained in <base_dir>/lavaflow-<uid>/ (tensor-pool.md, \"Paths and containment\")");
      }
    }
  }

  void policies(const toml::table &t) {
    check_keys(path_, t,
               {"allow_dynamic_streams", "default_profile", "announce_period_ms", "lease_keepalive_interval_ms",
                "lease_expiry_grace_intervals", "prefault_shm", "mlock_shm", "epoch_gc_enabled", "epoch_gc_keep",
                "epoch_gc_min_age_ns", "epoch_gc_on_startup", "shutdown_timeout_ms", "shutdown_token"},
               "[policies]");
    for (const auto &[k, node] : t) {
      const std::string name(k.str()), key = "policies." + name;
      if (name == "allow_dynamic_streams") dynamic_streams(node, key);
      else if (name == "default_profile") {
        default_profile_ = string_of(path_, node, key);
        default_profile_node_ = &node;
      }
      else if (name == "announce_period_ms") announce_period(node, key);
      else if (name == "lease_keepalive_interval_ms") keepalive(node, key);
      else if (name == "lease_expiry_grace_intervals") expiry(node, key);
      else if (name == "prefault_shm") prefault(node, key);
      else if (name == "mlock_shm") mlock(node, key);
      else if (name == "shutdown_timeout_ms") drain(node, key);
      else if (name == "epoch_gc_enabled") {
        if (!boolean(path_, node, key))
          throw CliError(where(path_, node) + ": '" + key + "' must be true: the driver always collects old epochs");
      } else if (name == "epoch_gc_keep") {
        if (integer<uint32_t>(path_, node, key, 1, 1000) != 2)
          note(node, key, "the driver keeps the current and the previous epoch (2)");
      } else if (name == "epoch_gc_min_age_ns") {
        (void)integer<uint64_t>(path_, node, key, 0, INT64_MAX);
        note(node, key, "an epoch goes once it retired 3 announce periods ago");
      } else if (name == "epoch_gc_on_startup") {
        (void)boolean(path_, node, key);
        note(node, key, "the driver always removes, as it starts, the epochs whose producer is gone");
      } else {
        (void)string_of(path_, node, key);
        note(node, key, "the driver writes a fresh random token to <base_dir>/lavaflow-<uid>/pool-driver.token (0600)");
      }
    }
  }

  void profiles(const toml::node &node) {
    if (!node.is_table()) throw CliError(where(path_, node) + ": 'profiles' must be a table of [profiles.NAME]");
    for (const auto &[name, entry] : *node.as_table()) {
      const std::string section = "[profiles." + std::string(name.str()) + "]";
      if (!entry.is_table()) throw CliError(where(path_, entry) + ": " + section + " must be a table");
      const toml::table &t = *entry.as_table();
      check_keys(path_, t, {"header_slots", "header_nslots", "pools", "payload_pools", "require_hugepages"}, section);
      if (t.get("header_slots") && t.get("header_nslots")) throw CliError(where(path_, entry) + ": " + section + " has both header_slots and header_nslots");
      if (t.get("pools") && t.get("payload_pools")) throw CliError(where(path_, entry) + ": " + section + " has both pools and payload_pools");
      lf_pool_profile_t profile{};
      out_.strings.push_back(std::make_unique<std::string>(name.str()));
      profile.name = out_.strings.back()->c_str();
      profile.header_slots = 1024;
      profile.require_hugepages = default_hugepages_;
      for (const char *key : {"header_slots", "header_nslots"})
        if (const toml::node *n = t.get(key)) profile.header_slots = integer<uint32_t>(path_, *n, key, 1, 1 << 24);
      if (const toml::node *n = t.get("require_hugepages")) profile.require_hugepages = boolean(path_, *n, "require_hugepages");
      const bool canonical = t.get("payload_pools") != nullptr;
      const char *id_key = canonical ? "pool_id" : "id", *stride_key = canonical ? "stride_bytes" : "stride";
      const toml::node *pools = t.get(canonical ? "payload_pools" : "pools");
      if (pools == nullptr || !pools->is_array())
        throw CliError(where(path_, entry) + ": " + section + " needs pools = [ { id = 1, stride = 4096 }, ... ] (or payload_pools = [ { pool_id, stride_bytes } ])");
      for (const toml::node &pool : *pools->as_array()) {
        if (!pool.is_table()) throw CliError(where(path_, pool) + ": each pool is { " + id_key + " = N, " + stride_key + " = BYTES }");
        check_keys(path_, *pool.as_table(), {id_key, stride_key}, section + " pools");
        const toml::node *id = pool.as_table()->get(id_key);
        const toml::node *stride = pool.as_table()->get(stride_key);
        if (id == nullptr || stride == nullptr) throw CliError(where(path_, pool) + ": each pool needs " + id_key + " and " + stride_key);
        if (profile.pool_count == 15) throw CliError(where(path_, pool) + ": at most 15 pools");
        profile.pools[profile.pool_count].pool_id = integer<uint32_t>(path_, *id, id_key, 1, 15);
        profile.pools[profile.pool_count].stride_bytes = integer<uint32_t>(path_, *stride, stride_key, 64, UINT32_MAX);
        ++profile.pool_count;
      }
      out_.profiles.push_back(profile);
    }
    p_.profiles = out_.profiles.data();
    p_.profile_count = static_cast<uint32_t>(out_.profiles.size());
    p_.field_mask |= LF_POOL_DRIVER_PARAM_FIELD_PROFILES;
  }

  // [[streams]] entries (id, profile), or the canonical [streams.NAME] tables (stream_id, profile).
  void streams(const toml::node &node) {
    auto add = [&](const toml::node &entry, const std::string &section, const char *id_key) {
      if (!entry.is_table()) throw CliError(where(path_, entry) + ": each " + section + " is a table");
      check_keys(path_, *entry.as_table(), {id_key, "profile"}, section);
      const toml::node *id = entry.as_table()->get(id_key);
      if (id == nullptr) throw CliError(where(path_, entry) + ": " + section + " needs " + id_key);
      lf_pool_stream_config_t s{};
      s.stream_id = integer<uint32_t>(path_, *id, id_key, 0, UINT32_MAX);
      const toml::node *profile = entry.as_table()->get("profile");
      s.profile = profile != nullptr ? text(out_, path_, *profile, "profile") : "default";
      out_.streams.push_back(s);
    };
    if (node.is_array()) {
      for (const toml::node &entry : *node.as_array()) add(entry, "[[streams]]", "id");
    } else if (node.is_table()) {
      for (const auto &[name, entry] : *node.as_table()) add(entry, "[streams." + std::string(name.str()) + "]", "stream_id");
    } else {
      throw CliError(where(path_, node) + ": streams must be [[streams]] entries or [streams.NAME] tables");
    }
    p_.streams = out_.streams.data();
    p_.stream_count = static_cast<uint32_t>(out_.streams.size());
    p_.field_mask |= LF_POOL_DRIVER_PARAM_FIELD_STREAMS;
  }

  // policies.default_profile: dynamically created streams use the profile named "default";
  // the named one becomes it.
  void use_as_default(const std::string &name) {
    lf_pool_profile_t *chosen = nullptr;
    for (auto &profile : out_.profiles) {
      if (std::string(profile.name) == "default" && name != "default")
        throw CliError(where(path_, *default_profile_node_) + ": policies.default_profile names '" + name +
                       "', but a profile called 'default' is defined too");
      if (std::string(profile.name) == name) chosen = &profile;
    }
    if (chosen == nullptr) throw CliError(where(path_, *default_profile_node_) + ": policies.default_profile '" + name + "' is not a defined profile");
    lf_pool_profile_t copy = *chosen;
    copy.name = "default";
    out_.profiles.push_back(copy);
    p_.profiles = out_.profiles.data();
    p_.profile_count = static_cast<uint32_t>(out_.profiles.size());
  }

  const std::string &path_;
  DriverConfigFile &out_;
  lf_pool_driver_params_t &p_;
  std::map<uint64_t, std::string> given_;  // field bit -> the key that set it
  bool default_hugepages_ = false;
  std::string default_profile_;
  const toml::node *default_profile_node_ = nullptr;
};

}  // namespace

namespace {

template <typename Parse>
std::unique_ptr<DriverConfigFile> load(const std::string &name, Parse parse) {
  toml::table root;
  try {
    root = parse();
  } catch (const toml::parse_error &e) {
    std::ostringstream out;
    out << name << ":" << e.source().begin.line << ": " << e.description();
    throw CliError(out.str());
  }
  auto out = std::make_unique<DriverConfigFile>();
  Reader(name, *out).read(root);
  return out;
}

}  // namespace

std::unique_ptr<DriverConfigFile> load_driver_config(const std::string &path) {
  return load(path, [&] { return toml::parse_file(path); });
}

std::unique_ptr<DriverConfigFile> load_driver_config_text(std::string_view text, const std::string &name) {
  return load(name, [&] { return toml::parse(text, name); });
}

}  // namespace lavaflow_cli

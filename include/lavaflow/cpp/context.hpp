/**
 * @file cpp/context.hpp
 * @brief lf::context, lf::identity, lf::scope and lf::context_options.
 *
 * Part of the header-only C++20 wrapper; include <lavaflow/lavaflow.hpp>.
 */
#ifndef LAVAFLOW_CPP_CONTEXT_HPP
#define LAVAFLOW_CPP_CONTEXT_HPP

#include "core.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

/**
 * @addtogroup cpp
 * @{
 */

namespace lf {

/** How to create a context: each setter sets one field of ::lf_context_params_t. */
class context_options {
 public:
  /** Where the topology comes from: "system", "synthetic:...", "xml:PATH". */
  context_options &topology(std::string value) {
    topology_ = std::move(value);
    params_.field_mask |= LF_CONTEXT_PARAM_FIELD_TOPOLOGY;
    return *this;
  }
  /** The shared-memory base directory (absolute). */
  context_options &base_dir(std::string value) {
    base_dir_ = std::move(value);
    params_.field_mask |= LF_CONTEXT_PARAM_FIELD_BASE_DIR;
    return *this;
  }
  /** A name used in log messages. */
  context_options &name(std::string value) {
    name_ = std::move(value);
    params_.field_mask |= LF_CONTEXT_PARAM_FIELD_NAME;
    return *this;
  }
  /** This context's log threshold (an ::lf_log_level_t value). */
  context_options &log_level(int32_t level) {
    params_.log_level = level;
    params_.field_mask |= LF_CONTEXT_PARAM_FIELD_LOG_LEVEL;
    return *this;
  }
  /** Force scope decisions to at least this distant a level (an ::lf_scope_level_t value). */
  context_options &scope_override(int32_t level) {
    params_.scope_override = level;
    params_.field_mask |= LF_CONTEXT_PARAM_FIELD_SCOPE_OVERRIDE;
    return *this;
  }
  /** Ignore the LAVAFLOW_* environment variables (except LAVAFLOW_LOG). */
  context_options &ignore_environment() {
    params_.flags |= LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
    params_.field_mask |= LF_CONTEXT_PARAM_FIELD_FLAGS;
    return *this;
  }
  /** The C params, valid while these options live unchanged. */
  const lf_context_params_t *raw() const noexcept {
    params_.topology = topology_.c_str();
    params_.base_dir = base_dir_.c_str();
    params_.name = name_.c_str();
    return &params_;
  }

 private:
  mutable lf_context_params_t params_{};
  std::string topology_, base_dir_, name_;
};

/** A context (see context.h): the topology, the base directory, the configuration. */
class context {
 public:
  /** Creates a context; `params` may be nullptr for defaults. */
  explicit context(const lf_context_params_t *params = nullptr) {
    lf_context_t *raw = nullptr;
    check(lf_context_create(params, &raw));
    handle_ = unique_handle<lf_context_t, lf_context_destroy>(raw);
  }
  /** Creates a context with options. */
  explicit context(const context_options &options) : context(options.raw()) {}
  /** The C handle. */
  lf_context_t *get() const noexcept { return handle_.get(); }

  /** Summary of the topology. */
  lf_topology_info_t topology_info() const {
    auto info = sized<lf_topology_info_t>();
    check(lf_topology_get_info(get(), &info));
    return info;
  }
  /** Where the topology came from. */
  std::string topology_source() const {
    return borrowed_text([&](const char **t) { return lf_topology_get_source(get(), t); });
  }
  /** Number of topology objects of a type. */
  uint32_t count(lf_topology_object_type_t type) const {
    uint32_t n = 0;
    check(lf_topology_count(get(), type, &n));
    return n;
  }
  /** One topology object. */
  lf_topology_object_t object(lf_topology_object_type_t type, uint32_t index) const {
    auto object = sized<lf_topology_object_t>();
    check(lf_topology_get_object(get(), type, index, &object));
    return object;
  }
  /** The PUs of a topology object. */
  std::string cpuset(lf_topology_object_type_t type, uint32_t index) const {
    return read_text([&](char *b, size_t n, size_t *len) { return lf_topology_get_cpuset(get(), type, index, b, n, len); });
  }
  /** The NUMA nodes nearest a topology object (lf_topology_get_nearest_numa_nodes()). */
  std::string nearest_numa_nodes(lf_topology_object_type_t type, uint32_t index) const {
    return read_text([&](char *b, size_t n, size_t *len) {
      return lf_topology_get_nearest_numa_nodes(get(), type, index, b, n, len);
    });
  }
  /** Where this process or thread may run. */
  std::string binding(lf_binding_target_t target = LF_BINDING_PROCESS) const {
    return read_text([&](char *b, size_t n, size_t *len) { return lf_topology_get_binding(get(), target, b, n, len); });
  }
  /** The canonical shared-memory base directory. */
  std::string base_dir() const {
    return borrowed_text([&](const char **t) { return lf_context_get_base_dir(get(), t); });
  }
  /** The context's name ("" if none was given). */
  std::string name() const {
    return borrowed_text([&](const char **t) { return lf_context_get_name(get(), t); });
  }
  /** What the context's buffers use now. */
  lf_memory_stats_t memory_stats() const {
    auto stats = sized<lf_memory_stats_t>();
    check(lf_context_get_memory_stats(get(), &stats));
    return stats;
  }
  /** The Vulkan devices lavaflow can allocate on (empty without Vulkan). */
  std::vector<lf_device_info_t> devices() const {
    uint32_t n = 0;
    check(lf_device_count(get(), &n));
    std::vector<lf_device_info_t> out;
    for (uint32_t i = 0; i < n; ++i) {
      out.push_back(sized<lf_device_info_t>());
      check(lf_device_get_info(get(), i, &out.back()));
    }
    return out;
  }

 private:
  unique_handle<lf_context_t, lf_context_destroy> handle_;
};

/** An endpoint identity (see identity.h). */
class identity {
 public:
  /** This process (params nullptr) or an endpoint described by params. */
  explicit identity(const context &ctx, const lf_identity_params_t *params = nullptr) {
    lf_identity_t *raw = nullptr;
    check(lf_identity_create(ctx.get(), params, &raw));
    handle_ = unique_handle<lf_identity_t, lf_identity_destroy>(raw);
  }
  /** Parses a serialized identity (another process's: it is validated). */
  identity(const context &ctx, std::span<const uint8_t> blob) {
    lf_identity_t *raw = nullptr;
    check(lf_identity_create_from_blob(ctx.get(), blob.data(), blob.size(), &raw));
    handle_ = unique_handle<lf_identity_t, lf_identity_destroy>(raw);
  }
  /** Parses a serialized identity. */
  identity(const context &ctx, const std::vector<uint8_t> &blob) : identity(ctx, std::span<const uint8_t>(blob)) {}
  /** The C handle. */
  lf_identity_t *get() const noexcept { return handle_.get(); }

  /** The serialized blob, to send to a peer. */
  std::vector<uint8_t> serialize() const {
    size_t size = 0;
    lf_status_t status = lf_identity_serialize(get(), nullptr, 0, &size);
    if (status != LF_ERR_BUFFER_TOO_SMALL) check(status);
    std::vector<uint8_t> blob(size);
    check(lf_identity_serialize(get(), blob.data(), blob.size(), &size));
    blob.resize(size);
    return blob;
  }
  /** The facts. */
  lf_identity_info_t info() const {
    auto info = sized<lf_identity_info_t>();
    check(lf_identity_get_info(get(), &info));
    return info;
  }
  /** One text fact. */
  std::string text(lf_identity_text_t which) const {
    return read_text([&](char *b, size_t n, size_t *len) { return lf_identity_get_text(get(), which, b, n, len); });
  }

 private:
  unique_handle<lf_identity_t, lf_identity_destroy> handle_;
};

/** A scope decision with its reasons (see scope.h). */
class scope {
 public:
  /** Decides the scope of two identities. */
  scope(const context &ctx, const identity &a, const identity &b) {
    lf_scope_t *raw = nullptr;
    check(lf_scope_create(ctx.get(), a.get(), b.get(), &raw));
    handle_ = unique_handle<lf_scope_t, lf_scope_destroy>(raw);
  }
  /** Only the decision, without the reasons (lf_scope_decide()). */
  static lf_scope_info_t decide(const context &ctx, const identity &a, const identity &b) {
    auto info = sized<lf_scope_info_t>();
    check(lf_scope_decide(ctx.get(), a.get(), b.get(), &info));
    return info;
  }
  /** The C handle. */
  lf_scope_t *get() const noexcept { return handle_.get(); }
  /** The decision. */
  lf_scope_info_t info() const {
    auto info = sized<lf_scope_info_t>();
    check(lf_scope_get_info(get(), &info));
    return info;
  }
  /** Why this level. */
  std::string reason() const {
    return borrowed_text([&](const char **t) { return lf_scope_get_reason(get(), t); });
  }
  /** Why a mechanism works or not. */
  std::string reason(lf_mechanism_t mechanism) const {
    return borrowed_text([&](const char **t) { return lf_scope_get_mechanism_reason(get(), mechanism, t); });
  }

 private:
  unique_handle<lf_scope_t, lf_scope_destroy> handle_;
};

/** A scope level's name ("process", "numa", ...). */
inline std::string scope_level_name(int32_t level) { return lf_scope_level_name(level); }
/** A mechanism's name ("shared_memory", ...). */
inline std::string mechanism_name(uint32_t mechanism) { return lf_mechanism_name(mechanism); }
/** A topology object type's name ("numa_node", ...). */
inline std::string topology_object_type_name(int32_t type) { return lf_topology_object_type_name(type); }

/** A scope level from its name. */
inline int32_t scope_level_from_name(const std::string &name) {
  int32_t level = 0;
  check(lf_scope_level_from_name(name.c_str(), &level));
  return level;
}

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_CPP_CONTEXT_HPP */

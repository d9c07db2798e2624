/**
 * @file lavaflow.hpp
 * @brief Header-only C++17 wrapper of the C API: RAII handles and exceptions.
 *
 * Every failing C call becomes an lf::error carrying the status and the thread's
 * lf_last_error_message(). Handles are move-only and destroyed by their destructors.
 * Nothing here adds behaviour: it is the C API, spelt for C++.
 */
#ifndef LAVAFLOW_HPP
#define LAVAFLOW_HPP

#include "lavaflow.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

/**
 * @addtogroup cpp
 * @{
 */

/** The C++ wrapper's namespace. */
namespace lf {

/** A failed lavaflow call: the status and the message of lf_last_error_message(). */
class error : public std::runtime_error {
 public:
  /** Builds the exception from a status and its message. */
  error(lf_status_t status, const std::string &message) : std::runtime_error(message), status_(status) {}
  /** The status the C call returned. */
  lf_status_t status() const noexcept { return status_; }

 private:
  lf_status_t status_;
};

/** Throws lf::error when `status` is an error (negative); returns it otherwise. */
inline lf_status_t check(lf_status_t status) {
  if (status < 0) {
    const char *message = lf_last_error_message();
    throw error(status, (message && *message) ? message : lf_status_string(status));
  }
  return status;
}

/** Calls `fill(buffer, size, &length)` with the text-output rule and returns the text. */
template <typename Fill>
std::string read_text(Fill fill) {
  size_t length = 0;
  lf_status_t status = fill(nullptr, 0, &length);
  if (status != LF_ERR_BUFFER_TOO_SMALL) check(status);
  std::string text(length + 1, '\0');
  check(fill(&text[0], text.size(), &length));
  text.resize(length);
  return text;
}

/** A move-only owner of a C handle. */
template <typename T, lf_status_t (*Destroy)(T *)>
class unique_handle {
 public:
  unique_handle() noexcept = default;
  /** Takes ownership of a handle returned by a create call. */
  explicit unique_handle(T *handle) noexcept : handle_(handle) {}
  /** Takes the handle from `other`. */
  unique_handle(unique_handle &&other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  /** Destroys the current handle and takes the one of `other`. */
  unique_handle &operator=(unique_handle &&other) noexcept {
    if (this != &other) {
      reset();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }
  unique_handle(const unique_handle &) = delete;
  unique_handle &operator=(const unique_handle &) = delete;
  ~unique_handle() { reset(); }

  /** The C handle (still owned). */
  T *get() const noexcept { return handle_; }
  /** Destroys the handle now. */
  void reset() noexcept {
    if (handle_ != nullptr) Destroy(handle_);
    handle_ = nullptr;
  }

 private:
  T *handle_ = nullptr;
};

class identity;

/** A context (see context.h). */
class context {
 public:
  /** Creates a context; `params` may be nullptr for defaults. */
  explicit context(const lf_context_params_t *params = nullptr) {
    lf_context_t *raw = nullptr;
    check(lf_context_create(params, &raw));
    handle_ = unique_handle<lf_context_t, lf_context_destroy>(raw);
  }
  /** The C handle. */
  lf_context_t *get() const noexcept { return handle_.get(); }

  /** Summary of the topology. */
  lf_topology_info_t topology_info() const {
    lf_topology_info_t info{};
    info.struct_size = sizeof info;
    check(lf_topology_get_info(get(), &info));
    return info;
  }
  /** Where the topology came from. */
  std::string topology_source() const {
    const char *text = nullptr;
    check(lf_topology_get_source(get(), &text));
    return text;
  }
  /** Number of topology objects of a type. */
  uint32_t count(lf_topology_object_type_t type) const {
    uint32_t n = 0;
    check(lf_topology_count(get(), type, &n));
    return n;
  }
  /** One topology object. */
  lf_topology_object_t object(lf_topology_object_type_t type, uint32_t index) const {
    lf_topology_object_t object{};
    object.struct_size = sizeof object;
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
    const char *text = nullptr;
    check(lf_context_get_base_dir(get(), &text));
    return text;
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
  /** Parses a serialized identity. */
  identity(const context &ctx, const std::vector<uint8_t> &blob) {
    lf_identity_t *raw = nullptr;
    check(lf_identity_create_from_blob(ctx.get(), blob.data(), blob.size(), &raw));
    handle_ = unique_handle<lf_identity_t, lf_identity_destroy>(raw);
  }
  /** The C handle. */
  lf_identity_t *get() const noexcept { return handle_.get(); }

  /** The serialized blob. */
  std::vector<uint8_t> serialize() const {
    size_t size = 0;
    lf_status_t status = lf_identity_serialize(get(), nullptr, 0, &size);
    if (status != LF_ERR_BUFFER_TOO_SMALL) check(status);
    std::vector<uint8_t> blob(size);
    check(lf_identity_serialize(get(), blob.data(), blob.size(), &size));
    return blob;
  }
  /** The facts. */
  lf_identity_info_t info() const {
    lf_identity_info_t info{};
    info.struct_size = sizeof info;
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
  /** The C handle. */
  lf_scope_t *get() const noexcept { return handle_.get(); }
  /** The decision. */
  lf_scope_info_t info() const {
    lf_scope_info_t info{};
    info.struct_size = sizeof info;
    check(lf_scope_get_info(get(), &info));
    return info;
  }
  /** Why this level. */
  std::string reason() const {
    const char *text = nullptr;
    check(lf_scope_get_reason(get(), &text));
    return text;
  }
  /** Why a mechanism works or not. */
  std::string reason(lf_mechanism_t mechanism) const {
    const char *text = nullptr;
    check(lf_scope_get_mechanism_reason(get(), mechanism, &text));
    return text;
  }

 private:
  unique_handle<lf_scope_t, lf_scope_destroy> handle_;
};

}  // namespace lf

/** @} */

#endif /* LAVAFLOW_HPP */

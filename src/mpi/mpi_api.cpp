// lf_mpi_* (lavaflow_mpi.h): the C boundary of liblavaflow_mpi. Errors reach the caller's
// thread-local message through lf_extension_report, as liblavaflow's own do.
#include "core/error.hpp"
#include "mpi/attachment.hpp"
#include "mpi/pool_bridge.hpp"

#include <lavaflow/extension.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <set>
#include <string>
#include <string_view>

using namespace lavaflow;
using mpi::Attachment;

namespace {

template <typename Body>
lf_status_t guarded(const char *function, Body &&body) noexcept {
  try {
    return body();
  } catch (const core::Error &e) {
    return lf_extension_report(function, e.status(), e.what());
  } catch (const std::bad_alloc &) {
    return lf_extension_report(function, LF_ERR_NO_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return lf_extension_report(function, LF_ERR_INTERNAL, e.what());
  } catch (...) {
    return lf_extension_report(function, LF_ERR_INTERNAL, "unknown exception");
  }
}

// The live objects behind one kind of handle: a handle is checked against them before it is
// used, so a destroyed or foreign pointer gives LF_ERR_INVALID_HANDLE instead of a crash.
template <typename Object, typename Handle>
class LiveHandles {
 public:
  // `name`: the parameter in messages; `type`: the handle's C type; `ended`: how one ends.
  LiveHandles(const char *name, const char *type, const char *ended) : name_(name), type_(type), ended_(ended) {}

  Handle *publish(std::unique_ptr<Object> object) {
    std::lock_guard lock(mutex_);
    live_.insert(object.get());
    return reinterpret_cast<Handle *>(object.release());
  }
  Object &checked(const Handle *handle) {
    if (handle == nullptr) core::fail(LF_ERR_INVALID_HANDLE, "%s is NULL", name_);
    std::lock_guard lock(mutex_);
    if (live_.count(handle) == 0)
      core::fail(LF_ERR_INVALID_HANDLE, "%s is not a live %s (%s, or not one)", name_, type_, ended_);
    return *const_cast<Object *>(reinterpret_cast<const Object *>(handle));
  }
  // Ends a checked handle's object.
  void destroy(Handle *handle) {
    Object *object = forget(handle);
    delete object;
  }
  // Ends a checked handle without its object, which is left alive for good (a thread that
  // never returns still uses it).
  Object *forget(Handle *handle) {
    Object *object = &checked(handle);
    {
      std::lock_guard lock(mutex_);
      live_.erase(object);
    }
    return object;
  }

 private:
  const char *name_, *type_, *ended_;
  std::mutex mutex_;
  std::set<const void *> live_;
};

LiveHandles<Attachment, lf_mpi_t> &attachments() {
  static LiveHandles<Attachment, lf_mpi_t> live("mpi", "lf_mpi_t", "detached");
  return live;
}
LiveHandles<mpi::PoolBridge, lf_mpi_pool_bridge_t> &bridges() {
  static LiveHandles<mpi::PoolBridge, lf_mpi_pool_bridge_t> live("bridge", "lf_mpi_pool_bridge_t", "destroyed");
  return live;
}
Attachment &checked(const lf_mpi_t *handle) { return attachments().checked(handle); }

template <typename T>
void require(T *pointer, const char *name) {
  if (pointer == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "%s is NULL", name);
}

template <typename Info>
void check_struct(const Info *info, const char *name) {
  require(info, name);
  if (info->struct_size < sizeof(uint32_t))
    core::fail(LF_ERR_INVALID_ARGUMENT, "%s->struct_size is %u; set it to sizeof(the struct)", name, info->struct_size);
}

// Copies the first struct_size bytes of `full` (its struct_size set to the caller's), as
// liblavaflow does (capi/out_params.hpp): a program built against older headers gets the
// fields it knows, one built against newer headers those this library has.
template <typename Info>
void write_versioned(Info *out, Info full) {
  full.struct_size = out->struct_size;
  std::memcpy(out, &full, std::min<size_t>(out->struct_size, sizeof(Info)));
}

}  // namespace

extern "C" {

lf_status_t lf_mpi_attach(lf_context_t *context, MPI_Comm comm, const lf_mpi_params_t *params, lf_mpi_t **out_mpi) {
  return guarded(__func__, [&]() -> lf_status_t {
    require(out_mpi, "out_mpi");
    // An add-on works only with the liblavaflow of its own release (extension.h).
    if (lf_version_number() != LF_VERSION_NUMBER)
      core::fail(LF_ERR_VERSION_MISMATCH,
                 "liblavaflow_mpi %s runs with liblavaflow %s: it needs liblavaflow %s, its own release",
                 LF_VERSION_STRING, lf_version_string(), LF_VERSION_STRING);
    *out_mpi = attachments().publish(std::make_unique<Attachment>(context, comm, params));
    return LF_OK;
  });
}

lf_status_t lf_mpi_attach_f(lf_context_t *context, MPI_Fint comm, const lf_mpi_params_t *params, lf_mpi_t **out_mpi) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) return lf_extension_report(__func__, LF_ERR_INVALID_STATE, "MPI is not initialised");
  return lf_mpi_attach(context, MPI_Comm_f2c(comm), params, out_mpi);
}

lf_status_t lf_mpi_detach(lf_mpi_t *mpi) {
  if (mpi == nullptr) return LF_OK;
  return guarded(__func__, [&]() -> lf_status_t {
    if (!checked(mpi).stop()) {
      attachments().forget(mpi);
      core::fail(LF_ERR_BUSY,
                 "a progress pass has not returned from MPI for the peer timeout (MPI hung, as Open MPI's TCP "
                 "transport can after a peer died): the attachment and its threads are left behind, not freed; "
                 "MPI cannot be relied on in this process any more");
    }
    attachments().destroy(mpi);
    return LF_OK;
  });
}

lf_status_t lf_mpi_get_info(const lf_mpi_t *mpi, lf_mpi_info_t *out_info) {
  return guarded(__func__, [&]() -> lf_status_t {
    Attachment &attachment = checked(mpi);
    check_struct(out_info, "out_info");
    lf_mpi_info_t info{};
    attachment.info(info);
    write_versioned(out_info, info);
    return LF_OK;
  });
}

lf_status_t lf_mpi_get_peer_scope(const lf_mpi_t *mpi, int32_t rank, lf_scope_info_t *out_info) {
  return guarded(__func__, [&]() -> lf_status_t {
    Attachment &attachment = checked(mpi);
    check_struct(out_info, "out_info");
    write_versioned(out_info, attachment.peer(rank).scope);
    return LF_OK;
  });
}

lf_status_t lf_mpi_get_peer_reason(const lf_mpi_t *mpi, int32_t rank, const char **out_text) {
  return guarded(__func__, [&]() -> lf_status_t {
    Attachment &attachment = checked(mpi);
    require(out_text, "out_text");
    *out_text = attachment.peer(rank).reason.c_str();
    return LF_OK;
  });
}

lf_status_t lf_mpi_channel_open(lf_mpi_t *mpi, int32_t peer_rank, uint32_t channel_id, int32_t role,
                                const lf_channel_params_t *channel_params, const lf_mpi_channel_params_t *mpi_params,
                                lf_channel_t **out_channel) {
  return guarded(__func__, [&]() -> lf_status_t {
    Attachment &attachment = checked(mpi);
    require(out_channel, "out_channel");
    *out_channel = attachment.open_channel(peer_rank, channel_id, role, channel_params, mpi_params);
    return LF_OK;
  });
}

lf_status_t lf_mpi_channel_get_stats(const lf_mpi_t *mpi, const lf_channel_t *channel, lf_mpi_channel_stats_t *out_stats) {
  return guarded(__func__, [&]() -> lf_status_t {
    Attachment &attachment = checked(mpi);
    check_struct(out_stats, "out_stats");
    lf_mpi_channel_stats_t stats{};
    if (!attachment.stats(channel, stats))
      core::fail(LF_ERR_NOT_FOUND, "the channel does not run over MPI on this attachment");
    write_versioned(out_stats, stats);
    return LF_OK;
  });
}

lf_status_t lf_mpi_progress(lf_mpi_t *mpi) {
  return guarded(__func__, [&]() -> lf_status_t {
    checked(mpi).progress();
    return LF_OK;
  });
}

lf_status_t lf_mpi_set_wire_hook(lf_mpi_t *mpi, lf_mpi_wire_hook_fn hook, void *user_data) {
  return guarded(__func__, [&]() -> lf_status_t {
    checked(mpi).set_wire_hook(hook, user_data);
    return LF_OK;
  });
}

lf_status_t lf_mpi_pool_bridge_create(lf_mpi_t *mpi, int32_t peer_rank, uint32_t channel_id, int32_t side,
                                      uint32_t stream_id, const lf_mpi_pool_bridge_params_t *params,
                                      lf_mpi_pool_bridge_t **out_bridge) {
  return guarded(__func__, [&]() -> lf_status_t {
    Attachment &attachment = checked(mpi);
    require(out_bridge, "out_bridge");
    *out_bridge = bridges().publish(
        std::make_unique<mpi::PoolBridge>(attachment, mpi, peer_rank, channel_id, side, stream_id, params));
    return LF_OK;
  });
}

lf_status_t lf_mpi_pool_bridge_forward(lf_mpi_pool_bridge_t *bridge, uint32_t max_frames, int32_t timeout_ms,
                                       uint32_t *out_frames) {
  return guarded(__func__, [&]() -> lf_status_t {
    mpi::PoolBridge &end = bridges().checked(bridge);
    const lf_status_t status = end.forward(max_frames, timeout_ms, out_frames);
    if (status < 0) return lf_extension_report(__func__, status, end.problem().c_str());
    return status;
  });
}

lf_status_t lf_mpi_pool_bridge_get_stats(const lf_mpi_pool_bridge_t *bridge, lf_mpi_pool_bridge_stats_t *out_stats) {
  return guarded(__func__, [&]() -> lf_status_t {
    mpi::PoolBridge &end = bridges().checked(bridge);
    check_struct(out_stats, "out_stats");
    lf_mpi_pool_bridge_stats_t stats{};
    end.stats(stats);
    write_versioned(out_stats, stats);
    return LF_OK;
  });
}

lf_status_t lf_mpi_pool_bridge_destroy(lf_mpi_pool_bridge_t *bridge) {
  if (bridge == nullptr) return LF_OK;
  return guarded(__func__, [&]() -> lf_status_t {
    bridges().destroy(bridge);
    return LF_OK;
  });
}

uint64_t lf_mpi_build_features(void) {
  uint64_t features = LF_FEATURE_MPI;
#ifdef LAVAFLOW_HAVE_ZSTD
  features |= LF_FEATURE_ZSTD;
#endif
#ifdef LAVAFLOW_HAVE_LZ4
  features |= LF_FEATURE_LZ4;
#endif
#ifdef LAVAFLOW_HAVE_SODIUM
  features |= LF_FEATURE_SODIUM;
#endif
  return features;
}

const char *lf_mpi_library_version(void) {
  static const std::string text = [] {
    char version[MPI_MAX_LIBRARY_VERSION_STRING] = {};
    int length = 0;
    if (MPI_Get_library_version(version, &length) != MPI_SUCCESS) return std::string("unknown");
    std::string_view view(version, static_cast<size_t>(std::clamp(length, 0, MPI_MAX_LIBRARY_VERSION_STRING - 1)));
    while (!view.empty() && (view.back() == '\n' || view.back() == ' ' || view.back() == '\0')) view.remove_suffix(1);
    return std::string(view);
  }();
  return text.c_str();
}

const char *lf_mpi_compression_name(int32_t compression) {
  switch (compression) {
    case LF_MPI_COMPRESSION_NONE: return "none";
    case LF_MPI_COMPRESSION_LZ4: return "lz4";
    case LF_MPI_COMPRESSION_ZSTD: return "zstd";
    case LF_MPI_COMPRESSION_ADAPTIVE: return "adaptive";
    default: return "invalid";
  }
}

const char *lf_mpi_cipher_name(int32_t cipher) {
  switch (cipher) {
    case LF_MPI_CIPHER_NONE: return "none";
    case LF_MPI_CIPHER_XCHACHA20_POLY1305: return "xchacha20-poly1305";
    case LF_MPI_CIPHER_AES256_GCM: return "aes256-gcm";
    case LF_MPI_CIPHER_MAC_ONLY: return "mac-only";
    default: return "invalid";
  }
}

}  // extern "C"

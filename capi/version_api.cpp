// lf_version_*, lf_abi_version, lf_build_features, lf_status_*, lf_last_error_*, lf_log_*.
#include "capi/guard.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <lavaflow/log.h>
#include <lavaflow/status.h>
#include <lavaflow/version.h>

#include <bit>

using namespace lavaflow;

extern "C" {

uint32_t lf_version_number(void) { return LF_VERSION_NUMBER; }

const char *lf_version_string(void) { return LF_VERSION_STRING; }

uint32_t lf_abi_version(void) { return LF_ABI_VERSION; }

uint64_t lf_build_features(void) {
  uint64_t features = 0;
#ifdef LAVAFLOW_HAVE_NUMA
  features |= LF_FEATURE_NUMA;
#endif
#ifdef LAVAFLOW_HAVE_VULKAN
  features |= LF_FEATURE_VULKAN;
#endif
  return features;  // (mpi, zstd, lz4, sodium: liblavaflow_mpi's, lf_mpi_build_features)
}

const char *lf_feature_name(uint64_t feature) {
  switch (feature) {
    case LF_FEATURE_NUMA: return "numa";
    case LF_FEATURE_VULKAN: return "vulkan";
    case LF_FEATURE_MPI: return "mpi";
    case LF_FEATURE_ZSTD: return "zstd";
    case LF_FEATURE_LZ4: return "lz4";
    case LF_FEATURE_SODIUM: return "sodium";
    default: return "unknown";
  }
}

const char *lf_status_string(lf_status_t status) {
  const char *text = core::status_text(status);
  return text != nullptr ? text : "unknown status";
}

const char *lf_status_name(lf_status_t status) {
  switch (status) {
#define LF_NAME_CASE(code) \
  case code: return #code;
    LF_NAME_CASE(LF_OK)
    LF_NAME_CASE(LF_WOULD_BLOCK)
    LF_NAME_CASE(LF_TIMEOUT)
    LF_NAME_CASE(LF_END_OF_STREAM)
    LF_NAME_CASE(LF_OVERWRITTEN)
    LF_NAME_CASE(LF_EPOCH_CHANGED)
    LF_NAME_CASE(LF_ERR_INVALID_ARGUMENT)
    LF_NAME_CASE(LF_ERR_BUFFER_TOO_SMALL)
    LF_NAME_CASE(LF_ERR_INVALID_HANDLE)
    LF_NAME_CASE(LF_ERR_INVALID_STATE)
    LF_NAME_CASE(LF_ERR_NO_MEMORY)
    LF_NAME_CASE(LF_ERR_NOT_FOUND)
    LF_NAME_CASE(LF_ERR_EXISTS)
    LF_NAME_CASE(LF_ERR_PERMISSION)
    LF_NAME_CASE(LF_ERR_LIMIT)
    LF_NAME_CASE(LF_ERR_SYSTEM)
    LF_NAME_CASE(LF_ERR_BUSY)
    LF_NAME_CASE(LF_ERR_PEER_DEAD)
    LF_NAME_CASE(LF_ERR_CLOSED)
    LF_NAME_CASE(LF_ERR_PROTOCOL)
    LF_NAME_CASE(LF_ERR_CORRUPT)
    LF_NAME_CASE(LF_ERR_VERSION_MISMATCH)
    LF_NAME_CASE(LF_ERR_AUTH)
    LF_NAME_CASE(LF_ERR_UNSUPPORTED)
    LF_NAME_CASE(LF_ERR_INTERNAL)
#undef LF_NAME_CASE
    default: return "LF_UNKNOWN_STATUS";
  }
}

const char *lf_last_error_message(void) { return core::last_error_message(); }

lf_status_t lf_last_error_status(void) { return core::last_error_status(); }

void lf_last_error_clear(void) { core::clear_last_error(); }

lf_status_t lf_log_set_callback(lf_log_fn callback, void *user_data) {
  core::set_global_log_callback(callback, user_data);
  return LF_OK;
}

lf_status_t lf_log_set_level(int32_t level) {
  if (level < LF_LOG_OFF || level > LF_LOG_TRACE) {
    char detail[96];
    std::snprintf(detail, sizeof detail, "level %d is not LF_LOG_OFF..LF_LOG_TRACE", level);
    return capi::report("lf_log_set_level", LF_ERR_INVALID_ARGUMENT, detail);
  }
  core::set_global_log_level(level);
  return LF_OK;
}

const char *lf_log_level_name(int32_t level) { return core::log_level_name(level); }

}  // extern "C"

/**
 * @file version.h
 * @brief Library version and the optional features it was built with.
 *
 * The macros give the version of the headers an application was compiled against; the
 * functions give the version of the library it runs against. Compare the two to detect a
 * mismatched installation.
 *
 * Two numbers, as in hwloc (whose API version is not its library version): the *release*
 * (`LF_VERSION_*`, lf_version_string()) changes with every release; the *ABI version*
 * (`LF_ABI_VERSION`, lf_abi_version()) is the number in the SONAMEs and changes only when a
 * release breaks binary compatibility of the stable API, which the ABI check (abi/, docs/c-api.md)
 * refuses to let happen silently. A program linked against `liblavaflow.so.0` runs with every
 * release whose ABI version is 0.
 */
#ifndef LAVAFLOW_VERSION_H
#define LAVAFLOW_VERSION_H

#include <stdint.h>

#include "export.h"

/**
 * @addtogroup basics
 * @{
 */

/** Major version of the release. */
#define LF_VERSION_MAJOR 0
/** Minor version of the release: new functions, params fields, fixes. */
#define LF_VERSION_MINOR 1
/** Patch version of the release: fixes only. */
#define LF_VERSION_PATCH 0

/**
 * The ABI version: `N` in `liblavaflow.so.N` and `liblavaflow_mpi.so.N`. Raised only by a
 * release that breaks binary compatibility of the stable API (with a CHANGELOG.md entry);
 * independent of the release version.
 */
#define LF_ABI_VERSION 0

/** The version as one number: `MAJOR * 10000 + MINOR * 100 + PATCH` (0.1.0 is 100). */
#define LF_VERSION_NUMBER (LF_VERSION_MAJOR * 10000 + LF_VERSION_MINOR * 100 + LF_VERSION_PATCH)

/** @cond LF_INTERNAL */
#define LF_STRINGIFY_INNER_(x) #x
#define LF_STRINGIFY_(x) LF_STRINGIFY_INNER_(x)
/** @endcond */

/** The version as a string, "MAJOR.MINOR.PATCH". */
#define LF_VERSION_STRING \
  LF_STRINGIFY_(LF_VERSION_MAJOR) "." LF_STRINGIFY_(LF_VERSION_MINOR) "." LF_STRINGIFY_(LF_VERSION_PATCH)

/**
 * Optional features, as bits of lf_build_features() (liblavaflow's: numa, vulkan) and
 * lf_mpi_build_features() (liblavaflow_mpi's: mpi, zstd, lz4, sodium).
 */
typedef enum lf_feature {
  LF_FEATURE_NUMA = 1u << 0,   /**< NUMA-bound memory through libnuma */
  LF_FEATURE_VULKAN = 1u << 1, /**< Vulkan device memory and semaphores */
  LF_FEATURE_MPI = 1u << 2,    /**< the MPI transport between hosts */
  LF_FEATURE_ZSTD = 1u << 3,   /**< zstd compression */
  LF_FEATURE_LZ4 = 1u << 4,    /**< lz4 compression */
  LF_FEATURE_SODIUM = 1u << 5  /**< libsodium authenticated encryption */
} lf_feature_t;

LF_EXTERN_C_BEGIN

/**
 * The library's version as `MAJOR * 10000 + MINOR * 100 + PATCH`.
 * @return `MAJOR * 10000 + MINOR * 100 + PATCH`; never fails.
 * @threadsafety Any thread, concurrently.
 */
LF_API uint32_t lf_version_number(void);

/**
 * The library's version as "MAJOR.MINOR.PATCH".
 * @return static text (borrowed; never NULL, never freed).
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_version_string(void);

/**
 * The ABI version of the library: `N` of the `liblavaflow.so.N` it is.
 * @return ::LF_ABI_VERSION as the library was built.
 * @threadsafety Any thread, concurrently.
 */
LF_API uint32_t lf_abi_version(void);

/**
 * Which optional features this build of liblavaflow contains: ::LF_FEATURE_NUMA and
 * ::LF_FEATURE_VULKAN. The MPI transport and its codecs and ciphers are liblavaflow_mpi's:
 * ask lf_mpi_build_features() (lavaflow_mpi.h).
 * @return a bitwise OR of ::lf_feature_t values.
 * @threadsafety Any thread, concurrently.
 */
LF_API uint64_t lf_build_features(void);

/**
 * The name of one feature bit ("numa", "vulkan", "mpi", "zstd", "lz4", "sodium").
 * @return static text; "unknown" for anything that is not exactly one known bit.
 * @threadsafety Any thread, concurrently.
 */
LF_API const char *lf_feature_name(uint64_t feature);

LF_EXTERN_C_END

/** @} */

#endif /* LAVAFLOW_VERSION_H */

/**
 * @file export.h
 * @brief Symbol visibility and C linkage macros used by every lavaflow header.
 *
 * Nothing here needs to be used by applications directly.
 */
#ifndef LAVAFLOW_EXPORT_H
#define LAVAFLOW_EXPORT_H

/**
 * @def LF_API
 * Marks a function that is part of lavaflow's public ABI. The library is built with
 * `-fvisibility=hidden`; only functions marked `LF_API` (all named `lf_*`) are exported.
 * Define `LF_STATIC` when linking the static library on platforms where it matters.
 */
#if defined(LF_STATIC)
#  define LF_API
#elif defined(__GNUC__) || defined(__clang__)
#  define LF_API __attribute__((visibility("default")))
#else
#  define LF_API
#endif

/** @cond LF_INTERNAL */
#ifdef __cplusplus
#  define LF_EXTERN_C_BEGIN extern "C" {
#  define LF_EXTERN_C_END }
#else
#  define LF_EXTERN_C_BEGIN
#  define LF_EXTERN_C_END
#endif
/** @endcond */

#endif /* LAVAFLOW_EXPORT_H */

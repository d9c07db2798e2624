/**
 * @file experimental.h
 * @brief Experimental calls: they may change or disappear in any release.
 *
 * Define `LF_EXPERIMENTAL` before including this header to use them. Nothing is
 * experimental in this release; the header exists so that programs can already test for it.
 */
#ifndef LAVAFLOW_EXPERIMENTAL_H
#define LAVAFLOW_EXPERIMENTAL_H

#include "export.h"

#if defined(LF_EXPERIMENTAL)
LF_EXTERN_C_BEGIN
/* (no experimental calls in this release) */
LF_EXTERN_C_END
#endif

#endif /* LAVAFLOW_EXPERIMENTAL_H */

/**
 * @file lavaflow.hpp
 * @brief Header-only C++20 wrapper of the whole C API: RAII handles, std::span, exceptions.
 *
 * Every failing C call becomes an lf::error carrying the status and the thread's
 * lf_last_error_message(). Outcomes that are normal on a hot path (`LF_WOULD_BLOCK`,
 * `LF_TIMEOUT`, `LF_END_OF_STREAM`, `LF_EPOCH_CHANGED`) are values: a bool, a std::optional
 * or an lf::result. Handles are move-only; destructors never throw (a destroy's status is
 * ignored). Nothing here adds behaviour: it is the C API, spelt for C++ (docs/cpp.md).
 *
 * - cpp/core.hpp: lf::error, lf::result, lf::timeout, versions, logging
 * - cpp/context.hpp: lf::context, lf::identity, lf::scope
 * - cpp/memory.hpp: lf::buffer, lf::buffer_view, lf::buffer_pool, lf::unique_fd
 * - cpp/channel.hpp: lf::producer, lf::consumer, lf::loan, lf::message
 * - cpp/pool.hpp: lf::pool_producer, lf::pool_consumer, lf::frame, lf::pool_driver, lf::tensor
 * - lavaflow_mpi.hpp (separately, with liblavaflow_mpi): lf::mpi, lf::mpi_pool_bridge
 */
#ifndef LAVAFLOW_HPP
#define LAVAFLOW_HPP

#if __cplusplus < 202002L
#error "lavaflow.hpp needs C++20 (std::span); C++ code of older standards can use lavaflow.h"
#endif

#include "lavaflow.h"

#include "cpp/core.hpp"
#include "cpp/context.hpp"
#include "cpp/memory.hpp"
#include "cpp/channel.hpp"
#include "cpp/pool.hpp"
#include "cpp/sync.hpp"

#endif /* LAVAFLOW_HPP */

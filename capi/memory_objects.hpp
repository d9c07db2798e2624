// The objects behind lf_buffer_t and lf_buffer_pool_t. A buffer keeps its context (and its
// pool) alive; its destructor updates the context's statistics and returns pooled memory.
#pragma once

#include "capi/objects.hpp"
#include "mem/buffer_pool.hpp"
#include "mem/memory.hpp"

#include <lavaflow/memory.h>

#include <memory>

namespace lavaflow::capi {

struct PoolCore {
  PoolCore(ContextPtr c, mem::BufferPool::Allocate allocate, uint32_t max_cached, bool zero_on_reuse)
      : context(std::move(c)), pool(std::move(allocate), max_cached, zero_on_reuse) {}
  ~PoolCore() { context->memory_stats().on_pooled_change(-static_cast<int64_t>(pool.cached_bytes())); }
  ContextPtr context;
  mem::BufferPool pool;
};

struct BufferObject final : core::Object {
  BufferObject(ContextPtr c, mem::MemoryPtr m, std::shared_ptr<PoolCore> p = nullptr);
  ~BufferObject() override;
  ContextPtr context;
  mem::MemoryPtr memory;
  std::shared_ptr<PoolCore> pool;
};

// A new lf_buffer_t for `memory` (lf_buffer_create, the imports, a channel's received buffers).
lf_buffer_t *publish_buffer(const ContextPtr &context, mem::MemoryPtr memory, std::shared_ptr<PoolCore> pool = nullptr);

// Maps or imports memory another process exported (`descriptor` says what it is), as
// lf_buffer_recv() does. `fd` is borrowed.
mem::MemoryPtr import_exported(const ContextPtr &context, const mem::ExportDescriptor &descriptor, int fd);

struct BufferPoolObject final : core::Object {
  explicit BufferPoolObject(std::shared_ptr<PoolCore> c) : Object(core::HandleType::buffer_pool), core(std::move(c)) {}
  std::shared_ptr<PoolCore> core;
};

}  // namespace lavaflow::capi

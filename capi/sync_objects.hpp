// The object behind lf_semaphore_t, for sync_api.cpp and for the channel calls that carry
// semaphores in buffer messages (channel_api.cpp). A semaphore keeps its context alive.
#pragma once

#include "capi/objects.hpp"
#include "sync/semaphore.hpp"

#include <lavaflow/sync.h>

namespace lavaflow::capi {

struct SemaphoreObject final : core::Object {
  SemaphoreObject(ContextPtr c, sync::SemaphorePtr s)
      : Object(core::HandleType::semaphore), context(std::move(c)), semaphore(std::move(s)) {}
  ContextPtr context;
  sync::SemaphorePtr semaphore;
};

// A new handle for `semaphore`.
lf_semaphore_t *publish_semaphore(const ContextPtr &context, sync::SemaphorePtr semaphore);

// Imports a semaphore another process sent (descriptor decoded, `fd` borrowed), as
// lf_semaphore_recv() does.
sync::SemaphorePtr import_sent_semaphore(const ContextPtr &context, const sync::SemaphoreDescriptor &descriptor, int fd,
                                         const sync::HandleOptions &options);

}  // namespace lavaflow::capi

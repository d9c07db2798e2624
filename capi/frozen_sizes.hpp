// The size of each versioned output struct (first member `uint32_t struct_size`) when the ABI
// was frozen (abi/, lavaflow 0.1.x): the smallest struct_size a caller may pass. A struct that
// grows later (only by appending: the ABI check allows nothing else) keeps its entry here, so
// that programs built against the older, smaller struct keep working (docs/c-api.md,
// "Structs returned to the caller"). The sizes are those of LP64 Linux, the ABI baselined; on
// other data models every struct is as first released.
#pragma once

#include <lavaflow/lavaflow.h>

#include <cstddef>
#include <cstdint>

namespace lavaflow::capi {

template <typename Struct>
struct FrozenSize;  // (left undefined: a versioned struct without an entry does not compile)

#if UINTPTR_MAX == UINT64_MAX
#define LF_FROZEN_SIZE(Struct, bytes)                                                        \
  template <>                                                                                \
  struct FrozenSize<Struct> {                                                                \
    static constexpr size_t value = bytes;                                                   \
    static_assert(sizeof(Struct) >= bytes, #Struct " may only grow (by appending)");         \
    static_assert(alignof(Struct) <= 8 && bytes % alignof(Struct) == 0, #Struct " stride");  \
  }
#else
#define LF_FROZEN_SIZE(Struct, bytes) \
  template <>                         \
  struct FrozenSize<Struct> {         \
    static constexpr size_t value = sizeof(Struct); \
  }
#endif

LF_FROZEN_SIZE(lf_topology_info_t, 48);
LF_FROZEN_SIZE(lf_topology_object_t, 168);
LF_FROZEN_SIZE(lf_identity_info_t, 144);
LF_FROZEN_SIZE(lf_scope_info_t, 24);
LF_FROZEN_SIZE(lf_buffer_info_t, 64);
LF_FROZEN_SIZE(lf_memory_stats_t, 632);
LF_FROZEN_SIZE(lf_device_info_t, 352);
LF_FROZEN_SIZE(lf_vulkan_memory_info_t, 88);
LF_FROZEN_SIZE(lf_channel_info_t, 80);
LF_FROZEN_SIZE(lf_pool_region_info_t, 88);
LF_FROZEN_SIZE(lf_pool_frame_info_t, 128);
LF_FROZEN_SIZE(lf_pool_view_t, 144);
LF_FROZEN_SIZE(lf_pool_counters_t, 72);
LF_FROZEN_SIZE(lf_pool_metadata_t, 2672);
LF_FROZEN_SIZE(lf_pool_stream_info_t, 416);
LF_FROZEN_SIZE(lf_pool_stream_status_t, 296);
LF_FROZEN_SIZE(lf_semaphore_info_t, 64);
LF_FROZEN_SIZE(lf_vulkan_semaphore_info_t, 72);
LF_FROZEN_SIZE(lf_pool_producer_qos_t, 96);
LF_FROZEN_SIZE(lf_pool_consumer_entry_t, 112);

#undef LF_FROZEN_SIZE

}  // namespace lavaflow::capi

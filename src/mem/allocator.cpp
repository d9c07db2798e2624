#include "mem/allocator.hpp"

#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "mem/device_mapped.hpp"
#include "mem/device_memory.hpp"
#include "mem/host_memory.hpp"
#include "mem/mapping.hpp"
#include "mem/shared_memory.hpp"
#include "mem/system_memory.hpp"

namespace lavaflow::mem {

namespace {

// Host or shared memory a device also maps: whole pages (the import granularity of the
// drivers known), then the device's import of them.
MemoryPtr allocate_device_mapped(const AllocatorEnvironment &env, const AllocationRequest &request, int32_t kind);

MemoryPtr allocate_kind(const AllocatorEnvironment &env, const AllocationRequest &request, int32_t kind) {
  if (kind != LF_MEMORY_DEVICE && (request.flags & LF_BUFFER_FLAG_DEVICE_MAPPED))
    return allocate_device_mapped(env, request, kind);
  PlacementRequest placement = request.placement;
  if (kind == LF_MEMORY_DEVICE) {
    if (core::fault_injected("device_oom"))
      core::fail(LF_ERR_NO_MEMORY, "device memory exhausted (injected by LAVAFLOW_FAULT_INJECT=device_oom)");
    return allocate_device(env.devices, request);
  }
  if (placement.placement == LF_PLACEMENT_NEAR_DEVICE)
    placement.device_numa_node = device_numa_node(env.devices, request);
  NodePolicy policy = resolve_placement(env.topology, placement);
  if (kind == LF_MEMORY_SHARED) return allocate_shared(&env.topology, env.base_dir, request, policy);
  return allocate_host(&env.topology, request, policy);
}

MemoryPtr allocate_device_mapped(const AllocatorEnvironment &env, const AllocationRequest &request, int32_t kind) {
  AllocationRequest pages = request;
  pages.flags &= ~uint64_t{LF_BUFFER_FLAG_DEVICE_MAPPED};
  pages.size = round_up(request.size, page_size());
  if (pages.alignment < page_size()) pages.alignment = kind == LF_MEMORY_SHARED ? 0 : page_size();
  MemoryPtr memory = allocate_kind(env, pages, kind);
  std::unique_ptr<DeviceMapping> mapping = map_host_memory(env.devices, memory->host, round_up(memory->mapped_size, page_size()), request);
  return with_device_mapping(std::move(memory), std::move(mapping));
}

}  // namespace

MemoryPtr allocate(const AllocatorEnvironment &env, const AllocationRequest &request) {
  if (request.size == 0) core::fail(LF_ERR_INVALID_ARGUMENT, "size is 0");
  if (request.kind < LF_MEMORY_HOST || request.kind > LF_MEMORY_DEVICE)
    core::fail(LF_ERR_INVALID_ARGUMENT, "kind %d is not an lf_memory_kind_t value", request.kind);
  if (!request.name.empty() && request.kind != LF_MEMORY_SHARED)
    core::fail(LF_ERR_INVALID_ARGUMENT, "only shared buffers can have a name");
  if (request.kind == LF_MEMORY_DEVICE && (request.flags & LF_BUFFER_FLAG_DEVICE_MAPPED))
    core::fail(LF_ERR_INVALID_ARGUMENT,
               "LF_BUFFER_FLAG_DEVICE_MAPPED maps host or shared memory into a device: device memory is the device's already");
  MemoryPtr memory;
  try {
    memory = allocate_kind(env, request, request.kind);
  } catch (const core::Error &e) {
    // Device memory missing or exhausted: host memory another process can still map.
    bool recoverable = e.status() == LF_ERR_NO_MEMORY || e.status() == LF_ERR_UNSUPPORTED;
    if (request.kind != LF_MEMORY_DEVICE || !(request.fallback & LF_FALLBACK_DEVICE_TO_HOST) || !recoverable) throw;
    AllocationRequest host = request;
    host.kind = LF_MEMORY_SHARED;
    host.flags &= ~uint64_t{LF_BUFFER_FLAG_HOST_VISIBLE};
    if (host.placement.placement == LF_PLACEMENT_NEAR_DEVICE) host.placement.placement = LF_PLACEMENT_DEFAULT;
    memory = allocate_kind(env, host, LF_MEMORY_SHARED);
    memory->flags |= LF_BUFFER_FELL_BACK;
    memory->fallback_note = "fell back to shared host memory: device allocation failed (" + std::string(e.what()) + "); ";
  }
  memory->size = request.size;
  memory->requested_kind = request.kind;
  return memory;
}

}  // namespace lavaflow::mem

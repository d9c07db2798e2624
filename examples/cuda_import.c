/* Vulkan memory and a Vulkan timeline semaphore from lavaflow, used by CUDA in another process.
 *
 * Process A allocates lavaflow device memory (host-visible, so that A can fill and check it)
 * and a Vulkan timeline semaphore, and sends both fds to process B. B imports them with
 * cuImportExternalMemory and cuImportExternalSemaphore and enqueues, for every round k, a wait
 * for 2k-1 on its stream, the kernel of cuda_transform.cu (x -> 3x + 1 over the buffer) and a
 * signal of 2k: all of it up front, so the GPU waits for A's values itself, with no CPU round
 * trip in B. A signals 2k-1, waits for 2k, and checks every element at the end.
 *
 * B opens the CUDA driver (libcuda.so.1) at run time, so the program builds with the toolkit
 * alone and runs anywhere: without an NVIDIA driver, a GPU, or a Vulkan device that exports
 * timeline semaphores it prints "SKIP cuda_import: <why>" and exits 0.
 *
 *   cuda_import        (tests/gpu/run-on-gpu.sh runs it on a machine with a GPU) */
#include "gpu_handoff.h"

#include "cuda_transform_ptx.h" /* cuda_transform_ptx: the kernel as PTX (nvcc -ptx, at build time) */

#include <cuda.h>
#include <dlfcn.h>

/* The driver functions B calls, from libcuda.so.1 (the versioned symbols cuda.h maps to). */
static struct {
  __typeof__(&cuInit) init;
  __typeof__(&cuGetErrorString) error_string;
  __typeof__(&cuDeviceGetCount) device_count;
  __typeof__(&cuDeviceGet) device_get;
  __typeof__(&cuDeviceGetUuid) device_uuid;
  __typeof__(&cuDeviceGetName) device_name;
  __typeof__(&cuDevicePrimaryCtxRetain) context_retain;
  __typeof__(&cuDevicePrimaryCtxRelease) context_release;
  __typeof__(&cuCtxSetCurrent) context_set;
  __typeof__(&cuImportExternalMemory) import_memory;
  __typeof__(&cuExternalMemoryGetMappedBuffer) mapped_buffer;
  __typeof__(&cuDestroyExternalMemory) destroy_memory;
  __typeof__(&cuImportExternalSemaphore) import_semaphore;
  __typeof__(&cuDestroyExternalSemaphore) destroy_semaphore;
  __typeof__(&cuModuleLoadData) module_load;
  __typeof__(&cuModuleGetFunction) module_function;
  __typeof__(&cuModuleUnload) module_unload;
  __typeof__(&cuStreamCreate) stream_create;
  __typeof__(&cuStreamDestroy) stream_destroy;
  __typeof__(&cuStreamSynchronize) stream_synchronize;
  __typeof__(&cuLaunchKernel) launch;
  __typeof__(&cuWaitExternalSemaphoresAsync) wait_semaphores;
  __typeof__(&cuSignalExternalSemaphoresAsync) signal_semaphores;
  __typeof__(&cuMemFree) mem_free;
} cu;

/* Loads the driver; NULL, or what is missing. */
static const char *load_driver(void) {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL) return "no NVIDIA driver here (libcuda.so.1 cannot be loaded)";
#define LOAD(member, symbol) \
  if ((*(void **)&cu.member = dlsym(library, symbol)) == NULL) return "libcuda.so.1 lacks " symbol
  LOAD(init, "cuInit");
  LOAD(error_string, "cuGetErrorString");
  LOAD(device_count, "cuDeviceGetCount");
  LOAD(device_get, "cuDeviceGet");
  LOAD(device_uuid, "cuDeviceGetUuid_v2");
  LOAD(device_name, "cuDeviceGetName");
  LOAD(context_retain, "cuDevicePrimaryCtxRetain");
  LOAD(context_release, "cuDevicePrimaryCtxRelease_v2");
  LOAD(context_set, "cuCtxSetCurrent");
  LOAD(import_memory, "cuImportExternalMemory");
  LOAD(mapped_buffer, "cuExternalMemoryGetMappedBuffer");
  LOAD(destroy_memory, "cuDestroyExternalMemory");
  LOAD(import_semaphore, "cuImportExternalSemaphore");
  LOAD(destroy_semaphore, "cuDestroyExternalSemaphore");
  LOAD(module_load, "cuModuleLoadData");
  LOAD(module_function, "cuModuleGetFunction");
  LOAD(module_unload, "cuModuleUnload");
  LOAD(stream_create, "cuStreamCreate");
  LOAD(stream_destroy, "cuStreamDestroy_v2");
  LOAD(stream_synchronize, "cuStreamSynchronize");
  LOAD(launch, "cuLaunchKernel");
  LOAD(wait_semaphores, "cuWaitExternalSemaphoresAsync");
  LOAD(signal_semaphores, "cuSignalExternalSemaphoresAsync");
  LOAD(mem_free, "cuMemFree_v2");
#undef LOAD
  return NULL;
}

static const char *cuda_error(CUresult result) {
  const char *text = NULL;
  if (cu.error_string == NULL || cu.error_string(result, &text) != CUDA_SUCCESS || text == NULL) return "unknown CUDA error";
  return text;
}

/* A call of the path under test failed in B: tell A (which reports it and fails) and stop. */
#define CHECK_CU(call)                                                                         \
  do {                                                                                         \
    const CUresult result_ = (call);                                                           \
    if (result_ != CUDA_SUCCESS) {                                                             \
      handoff_reply(socket_fd, "FAIL %s: %s (%d)", #call, cuda_error(result_), (int)result_); \
      return 1;                                                                                \
    }                                                                                          \
  } while (0)

/* Process B. */
static int child(int socket_fd) {
  handoff_message_t message;
  int fds[2];
  if (handoff_recv(socket_fd, &message, fds) != 0) return 1;
  const char *missing = load_driver();
  if (missing != NULL) {
    handoff_reply(socket_fd, "SKIP %s", missing);
    return 0;
  }
  int count = 0;
  const CUresult started = cu.init(0);
  if (started != CUDA_SUCCESS || cu.device_count(&count) != CUDA_SUCCESS || count == 0) {
    handoff_reply(socket_fd, "SKIP no CUDA device (cuInit: %s)", cuda_error(started));
    return 0;
  }
  CUdevice device = -1;
  for (int i = 0; i < count && device < 0; ++i) {
    CUdevice candidate;
    CUuuid uuid;
    if (cu.device_get(&candidate, i) == CUDA_SUCCESS && cu.device_uuid(&uuid, candidate) == CUDA_SUCCESS &&
        memcmp(uuid.bytes, message.device_uuid, 16) == 0)
      device = candidate;
  }
  if (device < 0) {
    handoff_reply(socket_fd, "SKIP none of the %d CUDA devices is the Vulkan device A allocated on", count);
    return 0;
  }
  CUcontext context;
  CHECK_CU(cu.context_retain(&context, device));
  CHECK_CU(cu.context_set(context));

  CUDA_EXTERNAL_MEMORY_HANDLE_DESC memory_desc = {0};
  memory_desc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
  memory_desc.handle.fd = fds[0]; /* (CUDA owns the fd once the import succeeds) */
  memory_desc.size = message.bytes;
  CUexternalMemory memory;
  CHECK_CU(cu.import_memory(&memory, &memory_desc));
  CUDA_EXTERNAL_MEMORY_BUFFER_DESC buffer_desc = {0};
  buffer_desc.size = message.bytes;
  CUdeviceptr data;
  CHECK_CU(cu.mapped_buffer(&data, memory, &buffer_desc));

  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC semaphore_desc = {0};
  semaphore_desc.type = CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD;
  semaphore_desc.handle.fd = fds[1];
  CUexternalSemaphore semaphore;
  CHECK_CU(cu.import_semaphore(&semaphore, &semaphore_desc));

  CUmodule module;
  CUfunction transform;
  CHECK_CU(cu.module_load(&module, cuda_transform_ptx));
  CHECK_CU(cu.module_function(&transform, module, "transform"));
  CUstream stream;
  CHECK_CU(cu.stream_create(&stream, CU_STREAM_NON_BLOCKING));

  /* Every round enqueued at once: the GPU itself waits for each of A's values. */
  unsigned long long elements = message.bytes / 4;
  void *arguments[] = {&data, &elements};
  const unsigned threads = 256, blocks = (unsigned)((elements + threads - 1) / threads);
  for (uint64_t k = 1; k <= message.rounds; ++k) {
    CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS wait = {0};
    wait.params.fence.value = 2 * k - 1;
    CHECK_CU(cu.wait_semaphores(&semaphore, &wait, 1, stream));
    CHECK_CU(cu.launch(transform, blocks, 1, 1, threads, 1, 1, 0, stream, arguments, NULL));
    CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS signal = {0};
    signal.params.fence.value = 2 * k;
    CHECK_CU(cu.signal_semaphores(&semaphore, &signal, 1, stream));
  }
  handoff_reply(socket_fd, "ready");
  const CUresult done = cu.stream_synchronize(stream);
  if (done != CUDA_SUCCESS) fprintf(stderr, "cuda_import (B): cuStreamSynchronize: %s\n", cuda_error(done));
  cu.stream_destroy(stream);
  cu.module_unload(module);
  cu.destroy_semaphore(semaphore);
  cu.mem_free(data);
  cu.destroy_memory(memory);
  cu.context_release(device);
  return done == CUDA_SUCCESS ? 0 : 1;
}

int main(int argc, char **argv) {
  g_example_name = "cuda_import";
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return child(atoi(argv[2]));
  lf_context_t *context = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) return handoff_fail("lf_context_create");
  lf_buffer_t *buffer = handoff_device_buffer(context);
  if (buffer == NULL) return 0;  /* (the SKIP line says why) */
  lf_semaphore_params_t timeline = {.field_mask = LF_SEMAPHORE_PARAM_FIELD_KIND, .kind = LF_SEMAPHORE_VULKAN};
  lf_semaphore_t *semaphore = NULL;
  if (lf_semaphore_create(context, &timeline, &semaphore) != LF_OK)
    return handoff_skip("no exportable Vulkan timeline semaphore: %s", lf_last_error_message());
  const int result = handoff_run_parent(buffer, semaphore, "vulkan-opaque-fd", "cuda");
  lf_semaphore_destroy(semaphore);
  lf_buffer_destroy(buffer);
  lf_context_destroy(context);
  return result;
}

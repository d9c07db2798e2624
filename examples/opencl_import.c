/* Vulkan memory from lavaflow, used by OpenCL in another process, ordered by a lavaflow
 * semaphore.
 *
 * Process A allocates lavaflow device memory (host-visible, so that A can fill and check it)
 * and sends its fd to process B with a shared semaphore's. B imports the memory with
 * cl_khr_external_memory_opaque_fd (clCreateBufferWithProperties) on the device whose UUID is
 * the Vulkan device's, and for every round k waits for 2k-1, runs a kernel (x -> 3x + 1 over
 * the buffer), finishes its queue and signals 2k; A signals 2k-1, waits for 2k, and checks
 * every element at the end.
 *
 * OpenCL's semaphores (cl_khr_semaphore, cl_khr_external_semaphore_opaque_fd) are binary only:
 * a queue cannot wait for a timeline value, so B waits for A's values on the CPU, through
 * lavaflow. Without an OpenCL device that imports opaque fds (pocl, the CPU OpenCL of the build
 * machines, does not) or without exportable Vulkan memory, it prints
 * "SKIP opencl_import: <why>" and exits 0. */
#define CL_TARGET_OPENCL_VERSION 300
#include "gpu_handoff.h"

#include <CL/cl.h>
#include <CL/cl_ext.h>

static const char *kKernel =
    "__kernel void transform(__global uint *data) {\n"
    "  size_t i = get_global_id(0);\n"
    "  data[i] = data[i] * 3u + 1u;\n"
    "}\n";

static int has_extension(cl_device_id device, const char *name) {
  size_t size = 0;
  if (clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, 0, NULL, &size) != CL_SUCCESS || size == 0) return 0;
  char *extensions = malloc(size);
  int found = extensions != NULL && clGetDeviceInfo(device, CL_DEVICE_EXTENSIONS, size, extensions, NULL) == CL_SUCCESS &&
              strstr(extensions, name) != NULL;
  free(extensions);
  return found;
}

/* The device with this UUID that imports opaque fds; NULL with `why` filled otherwise. */
static cl_device_id find_device(const uint8_t uuid[16], char *why, size_t why_size) {
  cl_platform_id platforms[16];
  cl_uint platform_count = 0;
  if (clGetPlatformIDs(16, platforms, &platform_count) != CL_SUCCESS || platform_count == 0) {
    snprintf(why, why_size, "no OpenCL platform (ICD) is installed");
    return NULL;
  }
  snprintf(why, why_size, "no OpenCL device imports opaque fds (cl_khr_external_memory_opaque_fd)");
  for (cl_uint p = 0; p < platform_count && p < 16; ++p) {
    cl_device_id devices[16];
    cl_uint count = 0;
    if (clGetDeviceIDs(platforms[p], CL_DEVICE_TYPE_ALL, 16, devices, &count) != CL_SUCCESS) continue;
    for (cl_uint d = 0; d < count && d < 16; ++d) {
      char name[256] = "";
      clGetDeviceInfo(devices[d], CL_DEVICE_NAME, sizeof name, name, NULL);
      if (!has_extension(devices[d], "cl_khr_external_memory_opaque_fd")) {
        snprintf(why, why_size, "OpenCL device '%s' lacks cl_khr_external_memory_opaque_fd", name);
        continue;
      }
      cl_uchar device_uuid[CL_UUID_SIZE_KHR];
      if (!has_extension(devices[d], "cl_khr_device_uuid") ||
          clGetDeviceInfo(devices[d], CL_DEVICE_UUID_KHR, sizeof device_uuid, device_uuid, NULL) != CL_SUCCESS ||
          memcmp(device_uuid, uuid, 16) != 0) {
        snprintf(why, why_size, "OpenCL device '%s' is not the Vulkan device A allocated on", name);
        continue;
      }
      return devices[d];
    }
  }
  return NULL;
}

/* A call of the path under test failed in B: tell A (which reports it and fails) and stop. */
#define CHECK_CL(status, what)                                                       \
  do {                                                                               \
    if ((status) != CL_SUCCESS) {                                                    \
      handoff_reply(socket_fd, "FAIL %s: OpenCL error %d", (what), (int)(status)); \
      return 1;                                                                      \
    }                                                                                \
  } while (0)

/* Process B. */
static int child(int socket_fd) {
  handoff_message_t message;
  int fds[2];
  if (handoff_recv(socket_fd, &message, fds) != 0) return 1;
  char why[512];
  cl_device_id device = find_device(message.device_uuid, why, sizeof why);
  if (device == NULL) {
    handoff_reply(socket_fd, "SKIP %s", why);
    return 0;
  }
  lf_context_t *lavaflow = NULL;
  lf_semaphore_t *semaphore = NULL;
  if (lf_context_create(NULL, &lavaflow) != LF_OK || lf_semaphore_import_fd(lavaflow, fds[1], NULL, &semaphore) != LF_OK) {
    handoff_reply(socket_fd, "FAIL lf_semaphore_import_fd: %s", lf_last_error_message());
    return 1;
  }
  close(fds[1]);
  cl_int status = CL_SUCCESS;
  cl_context context = clCreateContext(NULL, 1, &device, NULL, NULL, &status);
  CHECK_CL(status, "clCreateContext");
  cl_command_queue queue = clCreateCommandQueueWithProperties(context, device, NULL, &status);
  CHECK_CL(status, "clCreateCommandQueueWithProperties");
  const cl_mem_properties properties[] = {CL_EXTERNAL_MEMORY_HANDLE_OPAQUE_FD_KHR, (cl_mem_properties)fds[0],
                                          CL_DEVICE_HANDLE_LIST_KHR, (cl_mem_properties)(uintptr_t)device,
                                          CL_DEVICE_HANDLE_LIST_END_KHR, 0};
  cl_mem buffer = clCreateBufferWithProperties(context, properties, CL_MEM_READ_WRITE, (size_t)message.bytes, NULL, &status);
  CHECK_CL(status, "clCreateBufferWithProperties (opaque fd)");
  cl_program program = clCreateProgramWithSource(context, 1, &kKernel, NULL, &status);
  CHECK_CL(status, "clCreateProgramWithSource");
  CHECK_CL(clBuildProgram(program, 1, &device, "", NULL, NULL), "clBuildProgram");
  cl_kernel kernel = clCreateKernel(program, "transform", &status);
  CHECK_CL(status, "clCreateKernel");
  CHECK_CL(clSetKernelArg(kernel, 0, sizeof buffer, &buffer), "clSetKernelArg");
  handoff_reply(socket_fd, "ready");
  const size_t elements = (size_t)message.bytes / 4;
  for (uint64_t k = 1; k <= message.rounds; ++k) {
    if (lf_semaphore_wait(semaphore, 2 * k - 1, 10LL * 1000 * 1000 * 1000) != LF_OK) return 1;
    CHECK_CL(clEnqueueNDRangeKernel(queue, kernel, 1, NULL, &elements, NULL, 0, NULL, NULL), "clEnqueueNDRangeKernel");
    CHECK_CL(clFinish(queue), "clFinish");
    if (lf_semaphore_signal(semaphore, 2 * k) != LF_OK) return 1;
  }
  clReleaseKernel(kernel);
  clReleaseProgram(program);
  clReleaseMemObject(buffer);
  clReleaseCommandQueue(queue);
  clReleaseContext(context);
  lf_semaphore_destroy(semaphore);
  lf_context_destroy(lavaflow);
  return 0;
}

int main(int argc, char **argv) {
  g_example_name = "opencl_import";
  if (argc == 3 && strcmp(argv[1], "--child") == 0) return child(atoi(argv[2]));
  lf_context_t *context = NULL;
  if (lf_context_create(NULL, &context) != LF_OK) return handoff_fail("lf_context_create");
  lf_buffer_t *buffer = handoff_device_buffer(context);
  if (buffer == NULL) return 0;  /* (the SKIP line says why) */
  lf_semaphore_t *semaphore = NULL;  /* shared: OpenCL queues cannot wait for timeline values */
  if (lf_semaphore_create(context, NULL, &semaphore) != LF_OK) return handoff_fail("lf_semaphore_create");
  const int result = handoff_run_parent(buffer, semaphore, "vulkan-opaque-fd", "opencl");
  lf_semaphore_destroy(semaphore);
  lf_buffer_destroy(buffer);
  lf_context_destroy(context);
  return result;
}

// The kernel of examples/cuda_import.c: every uint32 x of the buffer becomes 3x + 1. Compiled
// to PTX at build time (nvcc -ptx) and loaded by the driver (cuModuleLoadData), so that the
// example needs no CUDA runtime library.
extern "C" __global__ void transform(unsigned int *data, unsigned long long elements) {
  const unsigned long long i = blockIdx.x * static_cast<unsigned long long>(blockDim.x) + threadIdx.x;
  if (i < elements) data[i] = data[i] * 3u + 1u;
}

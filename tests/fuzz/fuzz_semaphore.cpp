// A semaphore another process sends (docs/wire-formats.md, "Semaphore descriptor" and "Shared
// semaphore region"): the input is a mode byte, the 64-byte message, and the bytes of the
// one-page region behind the fd (zero-padded). The region is written into a sealed memfd and
// sent with the message over a socket pair, received with lf_semaphore_recv as a peer's
// lf_semaphore_send would arrive; a received semaphore is then read, waited on (its holder
// table is walked and watched) and signalled. An odd mode byte has the harness write the
// message's CRC and the region's fixed header as a writer would, so that the fuzzer gets past
// them to the holder table.
#include "fuzz_support.hpp"

#include "core/checksum.hpp"
#include "sync/semaphore_region.hpp"

#define LF_EXPERIMENTAL /* lf_socket_send_fds */
#include <lavaflow/experimental.h>

#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

using lavaflow::sync::kRegionBytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lf_context_t *ctx = fuzz::context();
  static int sockets[2] = {-1, -1};
  static int memory = -1;
  if (memory < 0) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) fuzz::broken("socketpair");
    memory = memfd_create("fuzz-semaphore", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memory < 0 || ftruncate(memory, kRegionBytes) != 0 || fcntl(memory, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
      fuzz::broken("memfd");
  }
  fuzz::Bytes in(data, size);
  const bool reseal = in.byte() & 1;
  if (in.left() < 64) return 0;
  std::vector<uint8_t> message(in.rest(), in.rest() + 64);
  std::vector<uint8_t> region(kRegionBytes, 0);
  std::memcpy(region.data(), in.rest() + 64, std::min<size_t>(in.left() - 64, kRegionBytes));
  if (reseal) {
    const uint32_t crc = lavaflow::core::crc32(message.data(), 60);
    std::memcpy(message.data() + 60, &crc, 4);
    lavaflow::sync::Region header{};
    lavaflow::sync::initialize_region(header, 0);
    std::memcpy(region.data(), &header, offsetof(lavaflow::sync::Region, pad0));
  }
  if (pwrite(memory, region.data(), region.size(), 0) != static_cast<ssize_t>(region.size())) fuzz::broken("pwrite");
  if (lf_socket_send_fds(sockets[0], message.data(), message.size(), &memory, 1) != LF_OK) fuzz::broken("send");
  lf_semaphore_t *semaphore = nullptr;
  if (lf_semaphore_recv(ctx, sockets[1], nullptr, 0, &semaphore) == LF_OK) {
    lf_semaphore_info_t info = {};
    info.struct_size = sizeof info;
    if (lf_semaphore_get_info(semaphore, &info) != LF_OK) fuzz::broken("info of a received semaphore");
    uint64_t value = 0;
    if (lf_semaphore_get_value(semaphore, &value) != LF_OK) fuzz::broken("value of a received semaphore");
    (void)lf_semaphore_wait(semaphore, value, 0);
    if (value < UINT64_MAX) {
      (void)lf_semaphore_wait(semaphore, value + 1, 1000);  // (walks and watches the holders)
      (void)lf_semaphore_signal(semaphore, value + 1);
    }
    lf_semaphore_destroy(semaphore);
  }
  return 0;
}

// A buffer message another process sends (docs/wire-formats.md, "Buffer descriptor"): the
// input is a mode byte and the message's bytes, sent with a real memory fd over a socket pair
// and received with lf_buffer_recv, as a peer's lf_buffer_send would arrive. An odd mode byte
// has the harness write a 64-byte message's CRC as a writer would, so that the fuzzer gets
// past it to the fields and the import.
#include "fuzz_support.hpp"

#include "core/checksum.hpp"

#define LF_EXPERIMENTAL /* lf_socket_send_fds */
#include <lavaflow/experimental.h>

#include <vector>

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lf_context_t *ctx = fuzz::context();
  static int sockets[2] = {-1, -1};
  static int memory = -1;
  if (memory < 0) {
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0) fuzz::broken("socketpair");
    memory = memfd_create("fuzz-buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memory < 0 || ftruncate(memory, 65536) != 0) fuzz::broken("memfd");
  }
  fuzz::Bytes in(data, size);
  const bool reseal = in.byte() & 1;
  std::vector<uint8_t> message(in.rest(), in.rest() + in.left());
  if (message.empty() || message.size() > 4096) return 0;  // (a message needs a byte; the receiver reads at most 65)
  if (reseal && message.size() == 64) {
    const uint32_t crc = lavaflow::core::crc32(message.data(), 60);
    std::memcpy(message.data() + 60, &crc, 4);
  }
  if (lf_socket_send_fds(sockets[0], message.data(), message.size(), &memory, 1) != LF_OK) fuzz::broken("send");
  lf_buffer_t *buffer = nullptr;
  if (lf_buffer_recv(ctx, sockets[1], 0, &buffer) == LF_OK) {
    lf_buffer_info_t info = {};
    info.struct_size = sizeof info;
    if (lf_buffer_get_info(buffer, &info) != LF_OK) fuzz::broken("info of a received buffer");
    if (info.host_pointer != nullptr && info.size > 0)  // every byte it claims must be readable
      (void)*(static_cast<volatile const uint8_t *>(info.host_pointer) + info.size - 1);
    lf_buffer_destroy(buffer);
  }
  return 0;
}

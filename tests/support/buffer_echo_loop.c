/* The receiving side of the buffer messages (buffer_message.h), shared by the helper process
 * and the in-process echo thread so that both check the same things. */
#include "buffer_message.h"

#include <stdio.h>
#include <string.h>

static int report(const char *what) {
  fprintf(stderr, "buffer-echo: %s: %s\n", what, lf_last_error_message());
  return 1;
}

int buffer_echo_loop(lf_channel_t *in, lf_channel_t *ack) {
  lf_buffer_t *handles[BUFFER_MESSAGE_MAX_BUFFERS] = {0};
  for (;;) {
    BufferMessage m;
    lf_buffer_t *buffer = NULL;
    uint64_t offset = 0, length = 0;
    size_t size = 0;
    lf_status_t status = lf_channel_recv_buffer(in, &buffer, &offset, &length, &m, sizeof m, &size, 10000);
    if (status == LF_END_OF_STREAM) break;
    if (status != LF_OK) return report("recv_buffer");
    if (size != sizeof m || buffer == NULL || m.buffer_index >= BUFFER_MESSAGE_MAX_BUFFERS) {
      fprintf(stderr, "buffer-echo: message %u: size %zu, buffer %p\n", m.seq, size, (void *)buffer);
      return 2;
    }
    lf_buffer_t *known = handles[m.buffer_index];
    if (known != NULL && known != buffer) {
      /* A new import is right only for a buffer that was forgotten; the old one must be gone. */
      lf_buffer_info_t info = {.struct_size = sizeof info};
      if (!m.fresh || lf_buffer_get_info(known, &info) != LF_ERR_INVALID_HANDLE) {
        fprintf(stderr, "buffer-echo: message %u: buffer %u imported again (fresh %u)\n", m.seq, m.buffer_index, m.fresh);
        return 3;
      }
    } else if (known == buffer && m.fresh) {
      fprintf(stderr, "buffer-echo: message %u: a forgotten buffer kept its import\n", m.seq);
      return 4;
    }
    handles[m.buffer_index] = buffer;
    uint8_t *data = NULL;
    size_t buffer_size = 0;
    if (lf_buffer_get_data(buffer, (void **)&data, &buffer_size) != LF_OK) return report("get_data");
    if (offset + length > buffer_size) return 5;
    for (uint64_t i = 0; i < length; ++i)
      if (data[offset + i] != m.pattern) {
        fprintf(stderr, "buffer-echo: message %u: byte %llu is 0x%x, expected 0x%x\n", m.seq,
                (unsigned long long)(offset + i), data[offset + i], m.pattern);
        return 6;
      }
    memset(data + offset, 0xFF ^ m.pattern, length);
    if (lf_channel_send(ack, &m.seq, sizeof m.seq, 10000) != LF_OK) return report("ack");
  }
  return 0;
}

// A channel region in a caller's buffer, as another process laid it out and keeps writing it
// (docs/wire-formats.md, "Channel region"): the input is the region's bytes — header, the
// creator's identity, ring control pages with their head and tail, records — opened with
// lf_channel_open_buffer as a producer or (odd lengths) a consumer, then used: nothing may be
// read or written outside the buffer, whatever the indices and record headers say.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lf_context_t *ctx = fuzz::context();
  if (size < 64 || size > (1u << 20)) return 0;
  lf_buffer_params_t params = {};
  params.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_ALIGNMENT;
  params.kind = LF_MEMORY_SHARED;
  params.alignment = 4096;
  lf_buffer_t *buffer = nullptr;
  if (lf_buffer_create(ctx, size, &params, &buffer) != LF_OK) fuzz::broken("buffer");
  void *bytes = nullptr;
  size_t capacity = 0;
  if (lf_buffer_get_data(buffer, &bytes, &capacity) != LF_OK) fuzz::broken("buffer data");
  std::memcpy(bytes, data, size);
  const int32_t role = size % 2 ? LF_CHANNEL_CONSUMER : LF_CHANNEL_PRODUCER;
  lf_channel_params_t cp = {};
  cp.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_WAIT_MODE;
  cp.role = role;
  cp.wait_mode = LF_WAIT_SPIN;
  lf_channel_t *channel = nullptr;
  if (lf_channel_open_buffer(ctx, buffer, &cp, &channel) == LF_OK) {
    uint8_t message[256] = {1, 2, 3};
    for (int i = 0; i < 8; ++i) {
      size_t got = 0;
      const void *peeked = nullptr;
      if (role == LF_CHANNEL_PRODUCER) {
        (void)lf_channel_send(channel, message, 1 + static_cast<size_t>(i) * 31, 0);
      } else if (i % 2 == 0) {
        (void)lf_channel_recv(channel, message, sizeof message, &got, 0);
      } else if (lf_channel_peek(channel, 0, &peeked, &got) == LF_OK) {
        volatile uint8_t sum = 0;  // every byte handed out must be readable
        for (size_t k = 0; k < got; ++k) sum = static_cast<uint8_t>(sum + static_cast<const uint8_t *>(peeked)[k]);
        (void)lf_channel_release(channel);
      }
    }
    lf_channel_info_t info = {};
    info.struct_size = sizeof info;
    (void)lf_channel_get_info(channel, &info);
    lf_channel_destroy(channel);
  }
  lf_buffer_destroy(buffer);
  return 0;
}

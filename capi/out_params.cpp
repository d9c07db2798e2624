#include "capi/out_params.hpp"

#include "capi/guard.hpp"

namespace lavaflow::capi {

void require_out(const void *pointer, const char *name) {
  if (pointer == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "%s is NULL", name);
}

lf_status_t copy_text_out(std::string_view text, char *buffer, size_t buffer_size, size_t *out_length,
                          const char *function) {
  if (buffer == nullptr && buffer_size != 0) core::fail(LF_ERR_INVALID_ARGUMENT, "buffer is NULL but buffer_size is %zu", buffer_size);
  if (out_length != nullptr) *out_length = text.size();
  if (buffer_size <= text.size()) {
    char detail[160];
    std::snprintf(detail, sizeof detail, "the text needs %zu bytes with its NUL, the buffer has %zu", text.size() + 1,
                  buffer_size);
    return report(function, LF_ERR_BUFFER_TOO_SMALL, detail);
  }
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  return LF_OK;
}

}  // namespace lavaflow::capi

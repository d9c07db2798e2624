// Writing output parameters the same way in every function.
#pragma once

#include "core/error.hpp"

#include <lavaflow/status.h>

#include <algorithm>
#include <cstring>
#include <string_view>

namespace lavaflow::capi {

// Text output rule (topology.h): copy with NUL if it fits, else LF_ERR_BUFFER_TOO_SMALL;
// the length is reported in both cases. Throws for a NULL buffer with a nonzero size.
lf_status_t copy_text_out(std::string_view text, char *buffer, size_t buffer_size, size_t *out_length,
                          const char *function);

// Throws LF_ERR_INVALID_ARGUMENT when an output pointer is NULL.
void require_out(const void *pointer, const char *name);

// Versioned output structs: the caller sets struct_size; at least `minimum` bytes (the
// first release's size) are required and at most struct_size bytes are written, so that
// programs built against older headers keep working with a newer library.
template <typename Struct>
void write_versioned(Struct *out, Struct value, size_t minimum, const char *name) {
  require_out(out, name);
  if (out->struct_size < minimum)
    core::fail(LF_ERR_INVALID_ARGUMENT, "%s->struct_size is %u; set it to sizeof(the struct) (at least %zu)", name,
               out->struct_size, minimum);
  value.struct_size = out->struct_size;
  std::memcpy(out, &value, std::min<size_t>(out->struct_size, sizeof(Struct)));
}

}  // namespace lavaflow::capi

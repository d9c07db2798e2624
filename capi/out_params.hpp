// Writing output parameters the same way in every function.
#pragma once

#include "capi/frozen_sizes.hpp"
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

// Versioned output structs: the caller sets struct_size; at least the size the struct had
// when the ABI was frozen is required (frozen_sizes.hpp) and at most struct_size bytes are
// written, so that programs built against older headers keep working with a newer library.
template <typename Struct>
void write_versioned(Struct *out, Struct value, const char *name) {
  require_out(out, name);
  constexpr size_t minimum = FrozenSize<Struct>::value;
  if (out->struct_size < minimum)
    core::fail(LF_ERR_INVALID_ARGUMENT, "%s->struct_size is %u; set it to sizeof(the struct) (at least %zu)", name,
               out->struct_size, minimum);
  value.struct_size = out->struct_size;
  std::memcpy(out, &value, std::min<size_t>(out->struct_size, sizeof(Struct)));
}

// Output arrays of versioned structs are walked with the caller's element size, its
// elements' struct_size (all equal), not this library's sizeof: a library whose struct grew
// must not write an older program's array at a wider stride. Checks `count` elements and
// returns the stride.
template <typename Struct>
size_t versioned_array_stride(const Struct *array, uint32_t count, const char *name) {
  if (count == 0) return sizeof(Struct);
  if (array == nullptr) core::fail(LF_ERR_INVALID_ARGUMENT, "%s is NULL but its length is %u", name, count);
  const size_t stride = array[0].struct_size;
  constexpr size_t minimum = FrozenSize<Struct>::value;
  if (stride < minimum || stride % alignof(Struct) != 0)
    core::fail(LF_ERR_INVALID_ARGUMENT, "%s[0].struct_size is %zu; set it to sizeof(the struct) (at least %zu) in each", name,
               stride, minimum);
  const char *bytes = reinterpret_cast<const char *>(array);
  for (uint32_t i = 1; i < count; ++i) {
    uint32_t size = 0;
    std::memcpy(&size, bytes + i * stride, sizeof size);
    if (size != stride)
      core::fail(LF_ERR_INVALID_ARGUMENT, "%s[%u].struct_size is %u, %s[0]'s %zu: set the same in each", name, i, size, name,
                 stride);
  }
  return stride;
}

// Element i of an array checked by versioned_array_stride().
template <typename Struct>
Struct *versioned_element(Struct *array, size_t stride, size_t i) {
  return reinterpret_cast<Struct *>(reinterpret_cast<char *>(array) + i * stride);
}

}  // namespace lavaflow::capi

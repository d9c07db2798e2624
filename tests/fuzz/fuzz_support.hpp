// Shared by lavaflow's libFuzzer targets (tests/fuzz/README.md): a context made once, and a
// reader over the fuzzer's bytes. A harness aborts only on a broken invariant of lavaflow's
// own (a round trip that does not round-trip); everything else the input may cause is a
// status, which the harness ignores: the sanitizers and libFuzzer do the finding.
#pragma once

#include <lavaflow/lavaflow.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace fuzz {

// A context on this machine and the ordinary base directory, ignoring the environment.
inline lf_context_t *context() {
  static lf_context_t *made = [] {
    lf_context_params_t params = {};
    params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS;
    params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
    lf_context_t *c = nullptr;
    if (lf_context_create(&params, &c) != LF_OK) {
      std::fprintf(stderr, "fuzz: no context: %s\n", lf_last_error_message());
      std::abort();
    }
    return c;
  }();
  return made;
}

// Fails the run: a harness found lavaflow disagreeing with itself.
[[noreturn]] inline void broken(const char *what) {
  std::fprintf(stderr, "fuzz: invariant broken: %s\n", what);
  std::abort();
}

// Takes bytes off the front of the input.
class Bytes {
 public:
  Bytes(const uint8_t *data, size_t size) : data_(data), size_(size) {}
  size_t left() const { return size_; }
  const uint8_t *rest() const { return data_; }
  uint8_t byte() {
    if (size_ == 0) return 0;
    --size_;
    return *data_++;
  }
  uint16_t u16() { return static_cast<uint16_t>(byte() | byte() << 8); }
  // Up to `n` bytes (fewer at the end).
  const uint8_t *take(size_t n, size_t &got) {
    got = n < size_ ? n : size_;
    const uint8_t *at = data_;
    data_ += got;
    size_ -= got;
    return at;
  }

 private:
  const uint8_t *data_;
  size_t size_;
};

}  // namespace fuzz

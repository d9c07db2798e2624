// The identity blob another endpoint sends (docs/wire-formats.md, "Identity blob"), through
// the public API: whatever decodes must serialize and decode to the same bytes, and its scope
// against this process's identity must be decided without fault. The first byte is a mode:
// odd, the harness writes the blob's total size and CRC as a writer would (the fuzzer could
// never forge the CRC, and would never get past it); even, the bytes go as they are.
#include "fuzz_support.hpp"

#include "core/checksum.hpp"

#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lf_context_t *ctx = fuzz::context();
  static lf_identity_t *me = [ctx] {
    lf_identity_t *id = nullptr;
    if (lf_identity_create(ctx, nullptr, &id) != LF_OK) fuzz::broken("no identity of this process");
    return id;
  }();
  fuzz::Bytes in(data, size);
  const bool reseal = in.byte() & 1;
  std::vector<uint8_t> blob(in.rest(), in.rest() + in.left());
  if (reseal && blob.size() >= 32) {
    const uint32_t total = static_cast<uint32_t>(blob.size()), zero = 0;
    std::memcpy(blob.data() + 8, &total, 4);
    std::memcpy(blob.data() + 16, &zero, 4);
    const uint32_t crc = lavaflow::core::crc32(blob.data(), blob.size());
    std::memcpy(blob.data() + 16, &crc, 4);
  }
  lf_identity_t *peer = nullptr;
  if (lf_identity_create_from_blob(ctx, blob.data(), blob.size(), &peer) != LF_OK) return 0;
  static uint8_t first[LF_IDENTITY_BLOB_MAX_SIZE], second[LF_IDENTITY_BLOB_MAX_SIZE];
  size_t n1 = 0, n2 = 0;
  if (lf_identity_serialize(peer, first, sizeof first, &n1) != LF_OK) fuzz::broken("a decoded identity does not serialize");
  lf_identity_t *again = nullptr;
  if (lf_identity_create_from_blob(ctx, first, n1, &again) != LF_OK) fuzz::broken("a serialized identity does not decode");
  if (lf_identity_serialize(again, second, sizeof second, &n2) != LF_OK || n1 != n2 || std::memcmp(first, second, n1) != 0)
    fuzz::broken("serialize(decode(serialize(x))) differs");
  char text[8192];
  size_t length = 0;
  for (int32_t which = LF_IDENTITY_TEXT_HOSTNAME; which <= LF_IDENTITY_TEXT_LOCAL_PACKAGES; ++which)
    (void)lf_identity_get_text(peer, which, text, sizeof text, &length);
  lf_scope_t *scope = nullptr;
  if (lf_scope_create(ctx, me, peer, &scope) == LF_OK) {
    const char *reason = nullptr;
    (void)lf_scope_get_reason(scope, &reason);
    lf_scope_destroy(scope);
  }
  lf_identity_destroy(again);
  lf_identity_destroy(peer);
  return 0;
}

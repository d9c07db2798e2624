// Protection of the MPI transport's frames (libsodium): a per-direction key derived from the
// master key and both ranks' random salts, the frame's sequence number as the nonce, the
// 48-byte header as associated data, detached tags so that payloads are sealed in place.
#pragma once

#include <lavaflow/status.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace lavaflow::mpi {

using Key = std::array<uint8_t, 32>;
using Salt = std::array<uint8_t, 16>;

// Whether this build and CPU can use a cipher; `why` says why not.
bool cipher_available(int32_t cipher, std::string &why);
// Fills `salt` with random bytes.
void random_salt(Salt &salt);
// The master key: `given` (32 bytes) or LAVAFLOW_KEY_FILE. Throws Error: LF_ERR_INVALID_ARGUMENT
// (no key), LF_ERR_PERMISSION (the file is not the user's own 0600 regular file),
// LF_ERR_CORRUPT (not 32 bytes or 64 hex digits).
Key load_master_key(const uint8_t *given);

class Sealer {
 public:
  // The key of one direction of one channel: both ends derive the same from the same inputs.
  Sealer(int32_t cipher, const Key &master, uint32_t channel_id, int32_t sender_rank, int32_t receiver_rank,
         const Salt &sender_salt, const Salt &receiver_salt);
  ~Sealer();
  Sealer(const Sealer &) = delete;
  Sealer &operator=(const Sealer &) = delete;

  // Encrypts `payload` in place (MAC-only: leaves it) and writes the tag (kTagBytes room).
  void seal(uint64_t sequence, const uint8_t *header, uint8_t *payload, size_t size, uint8_t *tag) const noexcept;
  // Checks the tag and decrypts in place; false (payload unspecified) when it does not match.
  bool open(uint64_t sequence, const uint8_t *header, uint8_t *payload, size_t size, const uint8_t *tag) const noexcept;
  int32_t cipher() const noexcept { return cipher_; }

 private:
  int32_t cipher_;
  Key key_{};
};

}  // namespace lavaflow::mpi

#include "mpi/crypto.hpp"

#include "core/error.hpp"
#include "core/byte_io.hpp"
#include "core/env.hpp"
#include "core/strings.hpp"
#include "mpi/frame.hpp"

#include <lavaflow/lavaflow_mpi.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/stat.h>
#include <unistd.h>

#ifdef LAVAFLOW_HAVE_SODIUM
#include <sodium.h>
#endif

namespace lavaflow::mpi {

using core::fail;

namespace {

#ifdef LAVAFLOW_HAVE_SODIUM
void ensure_sodium() {
  static std::once_flag once;
  static int result = 0;
  std::call_once(once, [] { result = sodium_init(); });
  if (result < 0) fail(LF_ERR_INTERNAL, "sodium_init failed");
}
#endif

// The nonce: the frame's sequence number, little-endian, zero-padded to the cipher's size.
template <size_t N>
std::array<uint8_t, N> nonce_of(uint64_t sequence) {
  std::array<uint8_t, N> nonce{};
  core::store_le<uint64_t>(nonce.data(), sequence);
  return nonce;
}

}  // namespace

bool cipher_available(int32_t cipher, std::string &why) {
  if (cipher == LF_MPI_CIPHER_NONE) return true;
#ifdef LAVAFLOW_HAVE_SODIUM
  ensure_sodium();
  if (cipher == LF_MPI_CIPHER_AES256_GCM && !crypto_aead_aes256gcm_is_available()) {
    why = "AES-256-GCM needs a CPU with AES-NI and PCLMUL; this one has not: use XChaCha20-Poly1305";
    return false;
  }
  if (cipher >= LF_MPI_CIPHER_XCHACHA20_POLY1305 && cipher <= LF_MPI_CIPHER_MAC_ONLY) return true;
  why = "not an lf_mpi_cipher_t value";
  return false;
#else
  why = "this build has no libsodium (apt-get install libsodium-dev and rebuild)";
  return false;
#endif
}

void random_salt(Salt &salt) {
#ifdef LAVAFLOW_HAVE_SODIUM
  ensure_sodium();
  randombytes_buf(salt.data(), salt.size());
#else
  // Without libsodium there is no cipher, and the salt only tells channel instances apart.
  for (auto &byte : salt) byte = static_cast<uint8_t>(std::rand());
#endif
}

Key load_master_key(const uint8_t *given) {
  Key key{};
  if (given != nullptr) {
    std::memcpy(key.data(), given, key.size());
    return key;
  }
  const char *path = core::env_value("LAVAFLOW_KEY_FILE");
  if (path == nullptr)
    fail(LF_ERR_INVALID_ARGUMENT, "the cipher needs a key: pass 32 bytes in mpi_params->key or name a key file in LAVAFLOW_KEY_FILE");
  const int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ELOOP)  // (a link could be swapped under us: the key must be this file)
    fail(LF_ERR_PERMISSION, "LAVAFLOW_KEY_FILE %s is a symbolic link: name the key file itself", path);
  if (fd < 0) core::fail_errno(errno, "LAVAFLOW_KEY_FILE %s", path);
  struct stat st {};
  char text[130];
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() && (st.st_mode & 077) == 0)
    n = read(fd, text, sizeof text);
  close(fd);
  if (!S_ISREG(st.st_mode)) fail(LF_ERR_PERMISSION, "LAVAFLOW_KEY_FILE %s is not a regular file", path);
  if (st.st_uid != getuid() || (st.st_mode & 077) != 0)
    fail(LF_ERR_PERMISSION, "LAVAFLOW_KEY_FILE %s must belong to uid %u with mode 0600 (it has uid %u, mode %03o)", path,
         getuid(), st.st_uid, static_cast<unsigned>(st.st_mode & 0777));
  bool parsed = false;
  if (n == 32) {
    std::memcpy(key.data(), text, 32);
    parsed = true;
  } else {
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) --n;
    parsed = n > 0 && core::parse_hex(std::string_view(text, static_cast<size_t>(n)), key.data(), key.size());
  }
  explicit_bzero(text, sizeof text);  // no copy of the key left on the stack
  if (!parsed) fail(LF_ERR_CORRUPT, "LAVAFLOW_KEY_FILE %s holds neither 32 bytes nor 64 hex digits", path);
  return key;
}

Sealer::Sealer(int32_t cipher, const Key &master, uint32_t channel_id, int32_t sender_rank, int32_t receiver_rank,
               const Salt &sender_salt, const Salt &receiver_salt)
    : cipher_(cipher) {
#ifdef LAVAFLOW_HAVE_SODIUM
  ensure_sodium();
  uint8_t info[16 + 4 + 4 + 4 + 16 + 16];
  std::memcpy(info, "lavaflow-mpi-v1", 16);
  core::store_le<uint32_t>(info + 16, channel_id);
  core::store_le<uint32_t>(info + 20, static_cast<uint32_t>(sender_rank));
  core::store_le<uint32_t>(info + 24, static_cast<uint32_t>(receiver_rank));
  std::memcpy(info + 28, sender_salt.data(), 16);
  std::memcpy(info + 44, receiver_salt.data(), 16);
  crypto_generichash(key_.data(), key_.size(), info, sizeof info, master.data(), master.size());
#else
  (void)master, (void)channel_id, (void)sender_rank, (void)receiver_rank, (void)sender_salt, (void)receiver_salt;
#endif
}

Sealer::~Sealer() {
#ifdef LAVAFLOW_HAVE_SODIUM
  sodium_memzero(key_.data(), key_.size());
#endif
}

void Sealer::seal(uint64_t sequence, const uint8_t *header, uint8_t *payload, size_t size, uint8_t *tag) const noexcept {
#ifdef LAVAFLOW_HAVE_SODIUM
  uint8_t empty = 0;
  if (payload == nullptr) payload = &empty;  // an empty message may have no buffer; libsodium wants one
  std::memset(tag, 0, kTagBytes);
  switch (cipher_) {
    case LF_MPI_CIPHER_XCHACHA20_POLY1305: {
      auto nonce = nonce_of<crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>(sequence);
      crypto_aead_xchacha20poly1305_ietf_encrypt_detached(payload, tag, nullptr, payload, size, header, kHeaderBytes,
                                                          nullptr, nonce.data(), key_.data());
      break;
    }
    case LF_MPI_CIPHER_AES256_GCM: {
      auto nonce = nonce_of<crypto_aead_aes256gcm_NPUBBYTES>(sequence);
      crypto_aead_aes256gcm_encrypt_detached(payload, tag, nullptr, payload, size, header, kHeaderBytes, nullptr,
                                             nonce.data(), key_.data());
      break;
    }
    case LF_MPI_CIPHER_MAC_ONLY: {
      // The sequence is in the header, so the MAC binds it too.
      crypto_generichash_state state;
      crypto_generichash_init(&state, key_.data(), key_.size(), kTagBytes);
      crypto_generichash_update(&state, header, kHeaderBytes);
      crypto_generichash_update(&state, payload, size);
      crypto_generichash_final(&state, tag, kTagBytes);
      break;
    }
    default: break;
  }
#else
  (void)sequence, (void)header, (void)payload, (void)size, (void)tag;
#endif
}

bool Sealer::open(uint64_t sequence, const uint8_t *header, uint8_t *payload, size_t size, const uint8_t *tag) const noexcept {
#ifdef LAVAFLOW_HAVE_SODIUM
  // An AEAD tag fills 16 bytes of the field; the rest must be zero as sent (a frame with
  // anything there was altered on the way, even though no delivered byte would change).
  constexpr size_t kAeadTagBytes = 16;
  uint8_t empty = 0;
  if (payload == nullptr) payload = &empty;  // (as in seal(); fuzz_mpi_frames passed an empty vector's data())
  if ((cipher_ == LF_MPI_CIPHER_XCHACHA20_POLY1305 || cipher_ == LF_MPI_CIPHER_AES256_GCM) &&
      !sodium_is_zero(tag + kAeadTagBytes, kTagBytes - kAeadTagBytes))
    return false;
  switch (cipher_) {
    case LF_MPI_CIPHER_XCHACHA20_POLY1305: {
      auto nonce = nonce_of<crypto_aead_xchacha20poly1305_ietf_NPUBBYTES>(sequence);
      return crypto_aead_xchacha20poly1305_ietf_decrypt_detached(payload, nullptr, payload, size, tag, header,
                                                                 kHeaderBytes, nonce.data(), key_.data()) == 0;
    }
    case LF_MPI_CIPHER_AES256_GCM: {
      auto nonce = nonce_of<crypto_aead_aes256gcm_NPUBBYTES>(sequence);
      return crypto_aead_aes256gcm_decrypt_detached(payload, nullptr, payload, size, tag, header, kHeaderBytes,
                                                    nonce.data(), key_.data()) == 0;
    }
    case LF_MPI_CIPHER_MAC_ONLY: {
      uint8_t expected[kTagBytes];
      crypto_generichash_state state;
      crypto_generichash_init(&state, key_.data(), key_.size(), kTagBytes);
      crypto_generichash_update(&state, header, kHeaderBytes);
      crypto_generichash_update(&state, payload, size);
      crypto_generichash_final(&state, expected, kTagBytes);
      return sodium_memcmp(expected, tag, kTagBytes) == 0;
    }
    default: return true;
  }
#else
  (void)sequence, (void)header, (void)payload, (void)size, (void)tag;
  return cipher_ == LF_MPI_CIPHER_NONE;
#endif
}

}  // namespace lavaflow::mpi

// Messages that refer to an lf_buffer instead of carrying the bytes (docs/wire-formats.md,
// "Buffer references"). A producer announces each buffer once, over its connection to the
// consumer (ANNOUNCE, with the buffer's fd), before the first ring record that names it; from
// then on a buffer message is a ring record of type kRecordBuffer holding the buffer's id, an
// offset and a length, followed by inline bytes. The consumer imports the buffer on first sight
// and keeps it until the producer's forget record (or until its end goes).
#pragma once

#include "core/unique_fd.hpp"
#include "mem/memory.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

namespace lavaflow::channel {

constexpr size_t kBufferRefBytes = 24;       // u32 id, u32 flags, u64 offset, u64 length
constexpr size_t kSyncRefBytes = 24;         // u32 ready_id, u32 done_id, u64 ready_value, u64 done_value
constexpr uint32_t kBufferRefSync = 1u << 0;  // flags: a sync reference follows the buffer's
constexpr size_t kForgetBytes = 8;           // u32 id, u32 zero
constexpr uint32_t kMaxPinnedBuffers = 256;  // per producer end (buffers and semaphores together)

// "Ready when semaphore `ready_id` reaches `ready_value`; signal `done_id` at `done_value` when
// done" (ids of announced semaphores; 0: none).
struct SyncRef {
  uint32_t ready_id = 0;
  uint32_t done_id = 0;
  uint64_t ready_value = 0;
  uint64_t done_value = 0;
};

struct BufferRef {
  uint32_t id = 0;  // 0: the message refers to no buffer
  uint64_t offset = 0;
  uint64_t length = 0;
  bool has_sync = false;
  SyncRef sync;
  size_t bytes() const noexcept { return kBufferRefBytes + (has_sync ? kSyncRefBytes : 0); }
};

void write_buffer_ref(uint8_t *out, const BufferRef &ref) noexcept;
// Reads the reference at the start of a buffer record of `size` bytes; false if it cannot be
// one (too short, unknown flags, buffer 0).
bool read_buffer_ref(const uint8_t *in, size_t size, BufferRef &out) noexcept;
void write_forget(uint8_t *out, uint32_t id) noexcept;
uint32_t read_forget(const uint8_t *in) noexcept;

// Something a message can name, sent to the consumer once: a buffer's memory, or (from the
// layers above) anything else that crosses as a 64-byte descriptor and an fd — a semaphore.
struct Announcement {
  const void *key = nullptr;  // what find() and forget() know it by
  std::vector<uint8_t> descriptor;
  core::UniqueFd fd;
  std::shared_ptr<void> owner;  // pinned until forgotten
};

// The announcement of a buffer (its descriptor and a new fd). Throws LF_ERR_UNSUPPORTED when
// the memory cannot leave this process.
Announcement announcement_of(const mem::Memory &memory, std::shared_ptr<void> owner);

// The producer's side: the buffers (and semaphores) its consumer was told about, pinned (kept
// alive) so that what the consumer mapped stays what the producer writes, until forgotten.
class AnnouncedBuffers {
 public:
  AnnouncedBuffers() { entries_.reserve(kMaxPinnedBuffers); }

  // The id of what `key` names if it was announced, else 0.
  uint32_t find(const void *key) const noexcept;
  // Announces over `socket` and pins the owner; returns the new id. Throws Error:
  // LF_ERR_LIMIT (kMaxPinnedBuffers pinned), LF_ERR_CLOSED (the consumer is gone), LF_ERR_SYSTEM.
  uint32_t announce(Announcement announcement, int socket);
  // Unpins what `key` names; returns its id, or 0 if it was not announced.
  uint32_t forget(const void *key) noexcept;

 private:
  struct Entry {
    const void *key;
    std::shared_ptr<void> owner;
    uint32_t id;
  };
  std::vector<Entry> entries_;
  uint32_t next_id_ = 1;
};

// A buffer (or semaphore) the consumer imported, as the layer above shows it to the user
// (`handle`), and what keeps that alive (`owner`: dropping it releases the handle).
struct ImportedBuffer {
  void *handle = nullptr;
  uint64_t size = 0;
  std::shared_ptr<void> owner;
  bool semaphore = false;  // a semaphore, not memory
};
// Imports what was announced from its 64-byte descriptor (a buffer's or, by its magic, a
// semaphore's) and fd (the consumer's own copy). Throws Error for anything invalid.
using BufferImporter = std::function<ImportedBuffer(std::span<const uint8_t> descriptor, core::UniqueFd fd)>;

// The consumer's side: the buffers each producer announced, imported when first needed.
class ImportedBuffers {
 public:
  // The buffer producer `ring` calls `id`; unknown ones are read from the producer's
  // announcements on `socket` (they precede the records that name them, so they have
  // arrived). Throws Error: LF_ERR_PROTOCOL (never announced, or a malformed announcement),
  // LF_ERR_CORRUPT / LF_ERR_VERSION_MISMATCH (the descriptor), the import's errors.
  const ImportedBuffer &resolve(uint32_t ring, uint32_t id, int socket, const BufferImporter &import);
  // Drops producer `ring`'s buffer `id` (its forget record was consumed).
  void forget(uint32_t ring, uint32_t id) noexcept;
  // Drops every buffer of producer `ring` (its slot goes to a new producer, whose ids are its own).
  void forget_ring(uint32_t ring) noexcept;
  size_t count() const noexcept { return buffers_.size(); }

 private:
  static uint64_t key(uint32_t ring, uint32_t id) noexcept { return uint64_t{ring} << 32 | id; }
  std::unordered_map<uint64_t, ImportedBuffer> buffers_;
};

}  // namespace lavaflow::channel

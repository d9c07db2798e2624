#include "channel/buffer_refs.hpp"

#include "channel/handshake.hpp"
#include "core/byte_io.hpp"
#include "core/error.hpp"
#include "ipc/buffer_descriptor.hpp"
#include "ipc/fd_passing.hpp"

#include <lavaflow/memory.h>

namespace lavaflow::channel {

using core::fail;

void write_buffer_ref(uint8_t *out, const BufferRef &ref) noexcept {
  core::store_le<uint32_t>(out, ref.id);
  core::store_le<uint32_t>(out + 4, ref.has_sync ? kBufferRefSync : 0u);
  core::store_le<uint64_t>(out + 8, ref.offset);
  core::store_le<uint64_t>(out + 16, ref.length);
  if (!ref.has_sync) return;
  core::store_le<uint32_t>(out + 24, ref.sync.ready_id);
  core::store_le<uint32_t>(out + 28, ref.sync.done_id);
  core::store_le<uint64_t>(out + 32, ref.sync.ready_value);
  core::store_le<uint64_t>(out + 40, ref.sync.done_value);
}

bool read_buffer_ref(const uint8_t *in, size_t size, BufferRef &out) noexcept {
  if (size < kBufferRefBytes) return false;
  const uint32_t flags = core::load_le<uint32_t>(in + 4);
  if (flags & ~kBufferRefSync) return false;
  out = BufferRef{};
  out.id = core::load_le<uint32_t>(in);
  out.offset = core::load_le<uint64_t>(in + 8);
  out.length = core::load_le<uint64_t>(in + 16);
  if (out.id == 0) return false;
  out.has_sync = (flags & kBufferRefSync) != 0;
  if (!out.has_sync) return true;
  if (size < kBufferRefBytes + kSyncRefBytes) return false;
  out.sync = SyncRef{core::load_le<uint32_t>(in + 24), core::load_le<uint32_t>(in + 28), core::load_le<uint64_t>(in + 32),
                     core::load_le<uint64_t>(in + 40)};
  return true;
}

void write_forget(uint8_t *out, uint32_t id) noexcept {
  core::store_le<uint32_t>(out, id);
  core::store_le<uint32_t>(out + 4, 0);
}

uint32_t read_forget(const uint8_t *in) noexcept { return core::load_le<uint32_t>(in); }

// ---- producer ---------------------------------------------------------------------------

Announcement announcement_of(const mem::Memory &memory, std::shared_ptr<void> owner) {
  if (!(memory.flags & LF_BUFFER_EXPORTABLE))
    fail(LF_ERR_UNSUPPORTED, "this buffer cannot be shared with another process (%s)", memory.reason().c_str());
  Announcement a;
  a.key = &memory;
  uint8_t descriptor[ipc::kBufferDescriptorBytes];
  ipc::encode_buffer_descriptor(memory.describe_export(), descriptor);
  a.descriptor.assign(descriptor, descriptor + sizeof descriptor);
  a.fd = core::UniqueFd(memory.export_fd());
  a.owner = std::move(owner);
  return a;
}

uint32_t AnnouncedBuffers::find(const void *key) const noexcept {
  for (const Entry &entry : entries_)
    if (entry.key == key) return entry.id;
  return 0;
}

uint32_t AnnouncedBuffers::announce(Announcement announcement, int socket) {
  if (entries_.size() >= kMaxPinnedBuffers)
    fail(LF_ERR_LIMIT, "%u buffers and semaphores are pinned by this channel end: forget one (lf_channel_forget_buffer) first",
         kMaxPinnedBuffers);
  Announce announce;
  announce.id = next_id_;
  announce.descriptor = std::move(announcement.descriptor);
  std::vector<uint8_t> bytes = encode_announce(announce);
  const int raw = announcement.fd.get();
  ipc::send_fds(socket, bytes.data(), bytes.size(), &raw, 1);
  entries_.push_back({announcement.key, std::move(announcement.owner), next_id_});
  return next_id_++;  // (2^32 buffers announced by one end before the ids wrap)
}

uint32_t AnnouncedBuffers::forget(const void *key) noexcept {
  for (auto it = entries_.begin(); it != entries_.end(); ++it)
    if (it->key == key) {
      const uint32_t id = it->id;
      entries_.erase(it);
      return id;
    }
  return 0;
}

// ---- consumer ---------------------------------------------------------------------------

const ImportedBuffer &ImportedBuffers::resolve(uint32_t ring, uint32_t id, int socket, const BufferImporter &import) {
  if (auto it = buffers_.find(key(ring, id)); it != buffers_.end()) return it->second;
  if (socket < 0) fail(LF_ERR_PROTOCOL, "producer %u referred to buffer %u, but has no connection to announce it on", ring, id);
  // Read every announcement that has arrived, in order, until ours.
  for (;;) {
    uint8_t bytes[256];
    size_t size = 0;
    std::vector<core::UniqueFd> fds;
    if (ipc::recv_fds(socket, bytes, sizeof bytes, size, fds, 1, 0) != LF_OK)
      fail(LF_ERR_PROTOCOL, "producer %u referred to buffer %u, which it never announced", ring, id);
    Announce announce = decode_announce(std::span<const uint8_t>(bytes, size));
    if (fds.size() != 1) fail(LF_ERR_PROTOCOL, "producer %u announced buffer %u without its fd", ring, announce.id);
    if (buffers_.count(key(ring, announce.id)) != 0)
      fail(LF_ERR_PROTOCOL, "producer %u announced buffer %u twice", ring, announce.id);
    if (buffers_.size() >= size_t{kMaxPinnedBuffers} * 64)
      fail(LF_ERR_PROTOCOL, "the producers announced more buffers than they may pin");
    ImportedBuffer imported = import(announce.descriptor, std::move(fds[0]));
    auto [it, inserted] = buffers_.emplace(key(ring, announce.id), std::move(imported));
    if (announce.id == id) return it->second;
  }
}

void ImportedBuffers::forget(uint32_t ring, uint32_t id) noexcept { buffers_.erase(key(ring, id)); }

void ImportedBuffers::forget_ring(uint32_t ring) noexcept {
  std::erase_if(buffers_, [ring](const auto &entry) { return entry.first >> 32 == ring; });
}

}  // namespace lavaflow::channel

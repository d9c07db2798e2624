#include "topo/identity_codec.hpp"

#include "core/byte_io.hpp"
#include "core/checksum.hpp"
#include "core/error.hpp"

#include <lavaflow/identity.h>
#include <lavaflow/version.h>

#include <cstring>

namespace lavaflow::topo {

using core::Bitmap;
using core::ByteReader;
using core::ByteWriter;
using core::fail;

namespace {

constexpr uint32_t kKnownFlags = LF_IDENTITY_KNOWN_BOOT_ID | LF_IDENTITY_KNOWN_MACHINE_ID |
                                 LF_IDENTITY_KNOWN_NAMESPACES | LF_IDENTITY_KNOWN_BASE_DIR |
                                 LF_IDENTITY_KNOWN_START_TIME | LF_IDENTITY_DUMPABLE |
                                 LF_IDENTITY_CAP_SYS_PTRACE | LF_IDENTITY_THREAD_BINDING |
                                 LF_IDENTITY_CPUSET_GIVEN;
constexpr size_t kCrcOffset = 16;
constexpr uint32_t kMaxSections = 16;

// Writes one section: header, payload from `fill`, zero padding to 8 bytes.
template <typename Fill>
void section(ByteWriter &w, uint16_t type, Fill fill) {
  w.u16(type);
  w.u16(kSectionFlagRequired);
  size_t length_at = w.size();
  w.u32(0);
  size_t start = w.size();
  fill();
  w.patch_u32(length_at, static_cast<uint32_t>(w.size() - start));
  w.pad_to(8);
}

void put_bitmap_words(ByteWriter &w, const Bitmap &b) {
  for (uint64_t word : b.words()) w.u64(word);
}

Bitmap get_bitmap(ByteReader &r, uint32_t words, const char *name) {
  if (words == 0) return Bitmap();
  std::vector<uint64_t> v(words);
  for (auto &word : v) word = r.u64(name);
  // A zero last word would mean a non-canonical encoding or, with one word, an empty set.
  if (v.back() == 0) fail(LF_ERR_CORRUPT, "identity blob: %s is empty or has a trailing zero word", name);
  return Bitmap(std::move(v));
}

// `may_be_empty`: 0 words stand for the empty set (version 2: every set but the cpuset).
uint32_t get_word_count(ByteReader &r, const char *name, bool may_be_empty = false) {
  uint32_t n = r.u32(name);
  if ((n == 0 && !may_be_empty) || n > Bitmap::kMaxWords)
    fail(LF_ERR_CORRUPT, "identity blob: %s has %u words, expected %u..%u", name, n, may_be_empty ? 0u : 1u,
         Bitmap::kMaxWords);
  return n;
}

void check_text(std::string_view text, const char *name) {
  if (text.find('\0') != std::string_view::npos)
    fail(LF_ERR_CORRUPT, "identity blob: %s contains a NUL byte", name);
}

void decode_host(ByteReader &r, Identity &id) {
  std::memcpy(id.boot_id.data(), r.raw(16, "boot_id").data(), 16);
  std::memcpy(id.machine_id.data(), r.raw(16, "machine_id").data(), 16);
  uint16_t length = r.u16("hostname_length");
  if (length > kMaxHostnameBytes)
    fail(LF_ERR_CORRUPT, "identity blob: hostname_length %u exceeds %zu", length, kMaxHostnameBytes);
  id.hostname = std::string(r.text(length, "hostname"));
  check_text(id.hostname, "hostname");
}

void decode_process(ByteReader &r, Identity &id) {
  for (auto &ns : id.namespaces) ns = r.u64("namespace id");
  id.base_dir_device = r.u64("base_dir_device");
  id.base_dir_inode = r.u64("base_dir_inode");
  id.start_time_ticks = r.u64("start_time_ticks");
  id.uid = r.u32("uid");
  id.gid = r.u32("gid");
  id.pid = r.u32("pid");
  id.ptrace_scope = r.u32("ptrace_scope");
  if (id.ptrace_scope > 3) fail(LF_ERR_CORRUPT, "identity blob: ptrace_scope %u is not 0..3", id.ptrace_scope);
  id.flags = r.u32("flags");
  if ((id.flags & ~kKnownFlags) != 0)
    fail(LF_ERR_CORRUPT, "identity blob: unknown flag bits 0x%x", id.flags & ~kKnownFlags);
  uint16_t length = r.u16("base_dir_length");
  if (length == 0 || length > kMaxBaseDirBytes)
    fail(LF_ERR_CORRUPT, "identity blob: base_dir_length %u is not 1..%zu", length, kMaxBaseDirBytes);
  id.base_dir = std::string(r.text(length, "base_dir"));
  check_text(id.base_dir, "base_dir");
  if (id.base_dir[0] != '/') fail(LF_ERR_CORRUPT, "identity blob: base_dir '%s' is not absolute", id.base_dir.c_str());
  if (id.pid == 0) fail(LF_ERR_CORRUPT, "identity blob: pid is 0");
}

void decode_location(ByteReader &r, Identity &id, uint16_t version) {
  id.topology_digest = r.u64("topology_digest");
  uint32_t source = r.u32("topology_source");
  if (source < LF_TOPOLOGY_SOURCE_SYSTEM || source > LF_TOPOLOGY_SOURCE_XML)
    fail(LF_ERR_CORRUPT, "identity blob: topology_source %u is not 1..3", source);
  id.topology_source = static_cast<int32_t>(source);
  const bool v2 = version >= 2;
  uint32_t cpu_words = get_word_count(r, "cpuset");
  uint32_t numa_words = get_word_count(r, "numa_nodes", v2);
  uint32_t package_words = get_word_count(r, "packages", v2);
  uint32_t local_numa_words = v2 ? get_word_count(r, "local_numa_nodes", true) : 0;
  uint32_t local_package_words = v2 ? get_word_count(r, "local_packages", true) : 0;
  id.cpuset = get_bitmap(r, cpu_words, "cpuset");
  id.numa_nodes = get_bitmap(r, numa_words, "numa_nodes");
  id.packages = get_bitmap(r, package_words, "packages");
  if (v2) {
    id.local_numa_nodes = get_bitmap(r, local_numa_words, "local_numa_nodes");
    id.local_packages = get_bitmap(r, local_package_words, "local_packages");
    if (!id.local_numa_nodes.is_subset_of(id.numa_nodes) || !id.local_packages.is_subset_of(id.packages))
      fail(LF_ERR_CORRUPT, "identity blob: the cpuset lies in a NUMA node or package it does not touch");
  } else {
    // Version 1 said only what the cpuset touches: one node or package touched is the one it
    // was taken to lie in, as version 1 decided.
    if (id.numa_nodes.is_single()) id.local_numa_nodes = id.numa_nodes;
    if (id.packages.is_single()) id.local_packages = id.packages;
  }
}

// Facts marked unknown must be zero, so that one identity has exactly one encoding.
void check_unknown_facts_are_zero(const Identity &id) {
  auto all_zero = [](const auto &bytes) {
    for (auto b : bytes)
      if (b != 0) return false;
    return true;
  };
  if (!id.has(LF_IDENTITY_KNOWN_BOOT_ID) && !all_zero(id.boot_id))
    fail(LF_ERR_CORRUPT, "identity blob: boot_id is set but flagged unknown");
  if (!id.has(LF_IDENTITY_KNOWN_MACHINE_ID) && !all_zero(id.machine_id))
    fail(LF_ERR_CORRUPT, "identity blob: machine_id is set but flagged unknown");
  if (!id.has(LF_IDENTITY_KNOWN_BASE_DIR) && (id.base_dir_device != 0 || id.base_dir_inode != 0))
    fail(LF_ERR_CORRUPT, "identity blob: base directory device/inode set but flagged unknown");
  if (!id.has(LF_IDENTITY_KNOWN_START_TIME) && id.start_time_ticks != 0)
    fail(LF_ERR_CORRUPT, "identity blob: start_time_ticks set but flagged unknown");
}

}  // namespace

std::vector<uint8_t> encode_identity(const Identity &id) {
  ByteWriter w;
  w.u32(kIdentityMagic);
  w.u16(kIdentityFormatVersion);
  w.u16(kIdentityHeaderBytes);
  w.u32(0);  // total size, patched below
  w.u32(3);  // section count
  w.u32(0);  // crc32, patched below
  w.u32(0);  // flags
  w.u64(0);  // reserved

  section(w, kSectionHost, [&] {
    w.raw(id.boot_id.data(), id.boot_id.size());
    w.raw(id.machine_id.data(), id.machine_id.size());
    std::string_view host = std::string_view(id.hostname).substr(0, kMaxHostnameBytes);
    w.u16(static_cast<uint16_t>(host.size()));
    w.raw(host.data(), host.size());
  });
  section(w, kSectionProcess, [&] {
    for (uint64_t ns : id.namespaces) w.u64(ns);
    w.u64(id.base_dir_device);
    w.u64(id.base_dir_inode);
    w.u64(id.start_time_ticks);
    w.u32(id.uid);
    w.u32(id.gid);
    w.u32(id.pid);
    w.u32(id.ptrace_scope);
    w.u32(id.flags);
    if (id.base_dir.empty() || id.base_dir.size() > kMaxBaseDirBytes)
      fail(LF_ERR_INVALID_ARGUMENT, "base directory path of %zu bytes cannot be serialized (1..%zu)",
           id.base_dir.size(), kMaxBaseDirBytes);
    w.u16(static_cast<uint16_t>(id.base_dir.size()));
    w.raw(id.base_dir.data(), id.base_dir.size());
  });
  section(w, kSectionLocation, [&] {
    w.u64(id.topology_digest);
    w.u32(static_cast<uint32_t>(id.topology_source));
    w.u32(static_cast<uint32_t>(id.cpuset.words().size()));
    w.u32(static_cast<uint32_t>(id.numa_nodes.words().size()));
    w.u32(static_cast<uint32_t>(id.packages.words().size()));
    w.u32(static_cast<uint32_t>(id.local_numa_nodes.words().size()));
    w.u32(static_cast<uint32_t>(id.local_packages.words().size()));
    put_bitmap_words(w, id.cpuset);
    put_bitmap_words(w, id.numa_nodes);
    put_bitmap_words(w, id.packages);
    put_bitmap_words(w, id.local_numa_nodes);
    put_bitmap_words(w, id.local_packages);
  });

  if (w.size() > LF_IDENTITY_BLOB_MAX_SIZE)
    fail(LF_ERR_INTERNAL, "identity blob of %zu bytes exceeds LF_IDENTITY_BLOB_MAX_SIZE", w.size());
  w.patch_u32(8, static_cast<uint32_t>(w.size()));
  w.patch_u32(kCrcOffset, core::crc32(w.bytes().data(), w.size()));
  return std::move(w.bytes());
}

Identity decode_identity(std::span<const uint8_t> blob) {
  if (blob.size() < kIdentityHeaderBytes)
    fail(LF_ERR_CORRUPT, "identity blob is %zu bytes, shorter than its %u-byte header", blob.size(),
         kIdentityHeaderBytes);
  if (blob.size() > LF_IDENTITY_BLOB_MAX_SIZE)
    fail(LF_ERR_CORRUPT, "identity blob is %zu bytes, more than the maximum %d", blob.size(),
         LF_IDENTITY_BLOB_MAX_SIZE);
  ByteReader r(blob, "identity blob");
  uint32_t magic = r.u32("magic");
  if (magic != kIdentityMagic)
    fail(LF_ERR_CORRUPT, "not an identity blob: magic 0x%08x, expected 0x%08x (\"LFID\")", magic, kIdentityMagic);
  uint16_t version = r.u16("format_version");
  if (version != kIdentityFormatVersion && version != 1)
    fail(LF_ERR_CORRUPT, "identity blob format version %u; this library (lavaflow %s) reads versions 1 and %u", version,
         LF_VERSION_STRING, kIdentityFormatVersion);
  uint16_t header_bytes = r.u16("header_size");
  if (header_bytes != kIdentityHeaderBytes)
    fail(LF_ERR_CORRUPT, "identity blob header_size %u, expected %u", header_bytes, kIdentityHeaderBytes);
  uint32_t total = r.u32("total_size");
  if (total != blob.size())
    fail(LF_ERR_CORRUPT, "identity blob length: header says %u bytes, got %zu", total, blob.size());
  uint32_t sections = r.u32("section_count");
  uint32_t stored_crc = r.u32("crc32");
  std::vector<uint8_t> copy(blob.begin(), blob.end());
  std::memset(copy.data() + kCrcOffset, 0, 4);
  uint32_t actual_crc = core::crc32(copy.data(), copy.size());
  if (stored_crc != actual_crc)
    fail(LF_ERR_CORRUPT, "identity blob checksum mismatch: stored 0x%08x, computed 0x%08x", stored_crc, actual_crc);
  if (r.u32("flags") != 0) fail(LF_ERR_CORRUPT, "identity blob: header flags must be 0");
  if (r.u64("reserved") != 0) fail(LF_ERR_CORRUPT, "identity blob: reserved header bytes must be 0");
  if (sections > kMaxSections) fail(LF_ERR_CORRUPT, "identity blob: %u sections, at most %u", sections, kMaxSections);

  Identity id;
  uint32_t seen = 0;  // bit per known section type
  for (uint32_t i = 0; i < sections; ++i) {
    size_t section_at = r.position();
    uint16_t type = r.u16("section type");
    uint16_t flags = r.u16("section flags");
    uint32_t length = r.u32("section length");
    if ((flags & ~kSectionFlagRequired) != 0)
      fail(LF_ERR_CORRUPT, "identity blob: section %u at offset %zu has unknown flags 0x%x", type, section_at, flags);
    if (length > r.remaining())
      fail(LF_ERR_CORRUPT, "identity blob: section %u at offset %zu claims %u bytes, %zu remain", type, section_at,
           length, r.remaining());
    ByteReader payload(r.raw(length, "section payload"), "identity blob section");
    if (type >= kSectionHost && type <= kSectionLocation) {
      if (seen & (1u << type)) fail(LF_ERR_CORRUPT, "identity blob: section %u appears twice", type);
      seen |= 1u << type;
      if (type == kSectionHost) decode_host(payload, id);
      if (type == kSectionProcess) decode_process(payload, id);
      if (type == kSectionLocation) decode_location(payload, id, version);
      if (payload.remaining() != 0)
        fail(LF_ERR_CORRUPT, "identity blob: section %u has %zu unexpected trailing bytes", type, payload.remaining());
    } else if (flags & kSectionFlagRequired) {
      fail(LF_ERR_CORRUPT, "identity blob: unknown required section type %u (written by a newer lavaflow?)", type);
    }  // an unknown optional section is skipped: newer writers may add facts
    size_t padding = (8 - length % 8) % 8;
    for (uint8_t b : r.raw(padding, "section padding"))
      if (b != 0) fail(LF_ERR_CORRUPT, "identity blob: nonzero padding after section %u", type);
  }
  if (r.remaining() != 0)
    fail(LF_ERR_CORRUPT, "identity blob: %zu bytes after the last section", r.remaining());
  for (uint16_t type : {kSectionHost, kSectionProcess, kSectionLocation})
    if (!(seen & (1u << type))) fail(LF_ERR_CORRUPT, "identity blob: required section %u is missing", type);
  check_unknown_facts_are_zero(id);
  return id;
}

}  // namespace lavaflow::topo

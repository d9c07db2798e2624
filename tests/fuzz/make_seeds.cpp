// Writes the fuzz targets' seed corpora from real encodings — what lavaflow itself writes
// and sends — into <dir>/<target>/seed-*: `fuzz_make_seeds tests/fuzz/corpus`. Each seed is
// laid out as its target reads its input (tests/fuzz/README.md). The committed corpora were
// made with it; run it again after a wire format changes.
#include "channel/handshake.hpp"
#include "ipc/buffer_descriptor.hpp"
#include "pool/control.hpp"
#include "pool/metadata.hpp"
#include "pool/protocol.hpp"
#include "pool/wire.hpp"
#include "seed_writer.hpp"
#include "sync/semaphore_descriptor.hpp"
#include "sync/semaphore_region.hpp"

#include <lavaflow/lavaflow.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <new>
#include <unistd.h>

using namespace lavaflow;
using seeds::Bytes;
using seeds::with_selector;
using seeds::write;

namespace {

void check(lf_status_t status, const char *what) {
  if (status != LF_OK) {
    std::fprintf(stderr, "make_seeds: %s: %s\n", what, lf_last_error_message());
    std::exit(1);
  }
}

Bytes identity_of(lf_context_t *ctx, const char *cpuset) {
  lf_identity_params_t params = {};
  if (cpuset != nullptr) {
    params.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET;
    params.cpuset = cpuset;
  }
  lf_identity_t *id = nullptr;
  check(lf_identity_create(ctx, &params, &id), "identity");
  Bytes blob(LF_IDENTITY_BLOB_MAX_SIZE);
  size_t n = 0;
  check(lf_identity_serialize(id, blob.data(), blob.size(), &n), "serialize");
  blob.resize(n);
  lf_identity_destroy(id);
  return blob;
}

lf_context_t *context_on(const char *topology) {
  lf_context_params_t params = {};
  params.field_mask = LF_CONTEXT_PARAM_FIELD_FLAGS | (topology ? LF_CONTEXT_PARAM_FIELD_TOPOLOGY : 0);
  params.flags = LF_CONTEXT_FLAG_IGNORE_ENVIRONMENT;
  params.topology = topology;
  lf_context_t *ctx = nullptr;
  check(lf_context_create(&params, &ctx), "context");
  return ctx;
}

// A channel region in a buffer, with three messages in ring 0 (creator: `creator_role`).
Bytes channel_region(lf_context_t *ctx, int32_t creator_role) {
  uint64_t size = 0;
  check(lf_channel_buffer_size(4096, 1, &size), "buffer size");
  lf_buffer_params_t bp = {};
  bp.field_mask = LF_BUFFER_PARAM_FIELD_KIND | LF_BUFFER_PARAM_FIELD_ALIGNMENT;
  bp.kind = LF_MEMORY_SHARED;
  bp.alignment = 4096;
  lf_buffer_t *buffer = nullptr;
  check(lf_buffer_create(ctx, size, &bp, &buffer), "buffer");
  lf_channel_params_t cp = {};
  cp.field_mask = LF_CHANNEL_PARAM_FIELD_CAPACITY | LF_CHANNEL_PARAM_FIELD_ROLE;
  cp.capacity = 4096;
  cp.role = creator_role;
  lf_channel_t *creator = nullptr;
  check(lf_channel_create_in_buffer(ctx, buffer, &cp, &creator), "create in buffer");
  if (creator_role == LF_CHANNEL_PRODUCER)
    for (uint8_t i = 0; i < 3; ++i) check(lf_channel_send(creator, "seed message", 5u + i * 3u, 0), "send");
  void *data = nullptr;
  size_t bytes = 0;
  check(lf_buffer_get_data(buffer, &data, &bytes), "data");
  Bytes region(static_cast<uint8_t *>(data), static_cast<uint8_t *>(data) + size);
  lf_channel_destroy(creator);
  lf_buffer_destroy(buffer);
  return region;
}

// The superblock of a region of stream 1 at epoch 7.
pool::Superblock superblock(pool::RegionType region_type, uint32_t nslots, size_t slot_bytes) {
  pool::Superblock sb;
  sb.epoch = 7;
  sb.stream_id = 1;
  sb.region_type = region_type;
  sb.nslots = nslots;
  sb.slot_bytes = static_cast<uint32_t>(slot_bytes);
  return sb;
}

Bytes header_ring() {
  const pool::Superblock sb = superblock(pool::kHeaderRing, 8, pool::kSlotBytes);
  Bytes ring(pool::region_bytes(sb));
  pool::write_superblock(ring.data(), sb);
  for (uint64_t seq = 0; seq < 3; ++seq) {
    pool::SlotHeader h;
    h.values_len_bytes = 64;
    h.payload_slot = static_cast<uint32_t>(seq);
    h.pool_id = 1;
    h.timestamp_ns = 1000 + seq;
    h.dtype = pool::kFloat32;
    h.major_order = pool::kRowMajor;
    h.ndims = 2;
    h.dims[0] = 4;
    h.dims[1] = 4;
    h.progress_unit = pool::kProgressRows;
    h.progress_stride_bytes = 16;
    uint8_t *slot = ring.data() + pool::kSuperblockBytes + seq * pool::kSlotBytes;
    pool::write_slot_header(slot, h);
    const uint64_t word = (seq << 1) | 1;
    std::memcpy(slot, &word, 8);
  }
  return ring;
}

Bytes control_region() {
  const pool::Superblock sb = superblock(pool::kControl, 4, pool::kConsumerEntryBytes);
  std::vector<uint64_t> words(pool::control_region_bytes(4) / 8);
  uint8_t *bytes = reinterpret_cast<uint8_t *>(words.data());
  pool::write_superblock(bytes, sb);
  const pool::ControlView control(bytes, 4);
  pool::StreamMetadata meta;
  meta.name = "camera";
  meta.units = "counts";
  meta.attributes = {{"exposure_us", "200"}, {"gain", "2"}};
  pool::write_metadata(control, meta);
  return Bytes(bytes, bytes + words.size() * 8);
}

Bytes metadata_record() {
  pool::StreamMetadata meta;
  meta.name = "lidar";
  meta.attributes = {{"frame", "base_link"}};
  return pool::encode_metadata(meta);
}

Bytes protocol_message(const pool::protocol::Message &m, uint8_t fds) {
  return with_selector(fds, pool::protocol::encode(m));
}

Bytes toml_file(const char *text) { return Bytes(text, text + std::strlen(text)); }

}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_seeds DIR\n");
    return 2;
  }
  seeds::directory() = argv[1];
  lf_context_t *ctx = context_on(nullptr);
  lf_context_t *knl = context_on("synthetic:pack:1 group:2 [numa] [numa] core:2 pu:2");

  write("fuzz_identity_blob", 1, with_selector(1, identity_of(ctx, nullptr)));  // (1: the harness reseals)
  write("fuzz_identity_blob", 2, with_selector(1, identity_of(knl, "0-1")));
  write("fuzz_identity_blob", 3, with_selector(0, identity_of(knl, "2-5")));

  mem::ExportDescriptor shared;
  shared.kind = LF_MEMORY_SHARED;
  shared.size = shared.usable = 65536;
  uint8_t descriptor[ipc::kBufferDescriptorBytes];
  ipc::encode_buffer_descriptor(shared, descriptor);
  write("fuzz_buffer_descriptor", 1, with_selector(1, Bytes(descriptor, descriptor + sizeof descriptor)));
  shared.usable = 60000;
  ipc::encode_buffer_descriptor(shared, descriptor);
  write("fuzz_buffer_descriptor", 2, with_selector(0, Bytes(descriptor, descriptor + sizeof descriptor)));

  // A semaphore message and its region: fresh, and with two holders (one of them this process).
  sync::SemaphoreDescriptor semaphore;
  semaphore.value = 7;
  uint8_t semaphore_message[sync::kSemaphoreDescriptorBytes];
  sync::encode_semaphore_descriptor(semaphore, semaphore_message);
  std::vector<uint8_t> region_bytes(sync::kRegionBytes, 0);
  auto *region = new (region_bytes.data()) sync::Region{};
  sync::initialize_region(*region, 7);
  Bytes fresh(semaphore_message, semaphore_message + sizeof semaphore_message);
  fresh.insert(fresh.end(), region_bytes.begin(), region_bytes.begin() + 192);  // (the rest reads as zeros)
  write("fuzz_semaphore", 1, with_selector(0, fresh));
  for (uint32_t slot = 0; slot < 2; ++slot) {
    region->holders[slot].state.store(sync::kHolderLive | sync::kHolderGeneration, std::memory_order_relaxed);
    region->holders[slot].pid.store(slot == 0 ? static_cast<uint32_t>(getpid()) : 1u, std::memory_order_relaxed);
    region->holders[slot].flags.store(slot == 1 ? sync::kHolderWaitOnly : 0u, std::memory_order_relaxed);
  }
  Bytes held(semaphore_message, semaphore_message + sizeof semaphore_message);
  held.insert(held.end(), region_bytes.begin(), region_bytes.begin() + 256);
  write("fuzz_semaphore", 2, with_selector(1, held));

  write("fuzz_channel_region", 1, channel_region(ctx, LF_CHANNEL_CONSUMER));  // even: opened as a producer
  Bytes consumer_side = channel_region(ctx, LF_CHANNEL_PRODUCER);
  consumer_side.push_back(0);  // odd: opened as a consumer
  write("fuzz_channel_region", 2, consumer_side);

  channel::Hello hello;
  hello.role = LF_CHANNEL_PRODUCER;
  hello.identity = identity_of(ctx, nullptr);
  write("fuzz_channel_handshake", 1, with_selector(0, channel::encode_hello(hello)));
  channel::Reply reply;
  reply.slot = 1;
  reply.scope = LF_SCOPE_NUMA;
  reply.identity = hello.identity;
  write("fuzz_channel_handshake", 2, with_selector(1, channel::encode_reply(reply)));
  reply.status = LF_ERR_BUSY;
  reply.message = "all 2 producer slot(s) of the channel are taken";
  write("fuzz_channel_handshake", 3, with_selector(1, channel::encode_reply(reply)));
  channel::Announce announce;
  announce.id = 3;
  announce.descriptor.assign(descriptor, descriptor + sizeof descriptor);
  write("fuzz_channel_handshake", 4, with_selector(2, channel::encode_announce(announce)));

  write("fuzz_pool_regions", 1, with_selector(0, header_ring()));
  write("fuzz_pool_regions", 2, with_selector(1, control_region()));
  write("fuzz_pool_regions", 3, with_selector(2, metadata_record()));

  namespace pp = pool::protocol;
  pp::Message m;
  m.type = pp::Type::attach_request;
  m.request_id = 1;
  m.attach.client_id = 42;
  m.attach.stream_id = 1;
  m.attach.role = pp::Role::consumer;
  m.attach.mode = 1;
  m.attach.profile = "frames";
  write("fuzz_pool_protocol", 1, protocol_message(m, 0));
  pp::Message answer;
  answer.type = pp::Type::attach_response;
  answer.request_id = 1;
  answer.attached.lease_id = 9;
  pp::Announcement &a = answer.attached.announcement;
  a.stream_id = 1;
  a.consumer_index = 0;
  a.epoch = 5;
  a.keepalive_ms = 1000;
  a.nslots = 16;
  a.control_entries = 64;
  a.pools = {{1, 4096}, {2, 65536}};
  a.epoch_dir = "/dev/shm/lavaflow-0/default/1/5";
  write("fuzz_pool_protocol", 2, protocol_message(answer, 4));
  pp::Message refusal;
  refusal.type = pp::Type::attach_response;
  refusal.attached.status = LF_ERR_BUSY;
  refusal.attached.message = "stream 1 already has a producer";
  write("fuzz_pool_protocol", 3, protocol_message(refusal, 0));
  pp::Message revoked;
  revoked.type = pp::Type::lease_revoked;
  revoked.lease_id = 9;
  revoked.stream_id = 1;
  revoked.reason = pp::RevokeReason::expired;
  revoked.epoch = 5;
  write("fuzz_pool_protocol", 4, protocol_message(revoked, 0));
  pp::Message announced;
  announced.type = pp::Type::announce;
  announced.lease_id = 9;
  announced.announcement = a;
  write("fuzz_pool_protocol", 5, protocol_message(announced, 4));

  write("fuzz_driver_config", 1, toml_file("keepalive_ms = 500\ndynamic_streams = true\n[profiles.frames]\nheader_slots = 8\n"
                                           "pools = [ { id = 1, stride = 4096 }, { id = 2, stride = 4194304 } ]\n"
                                           "[[streams]]\nid = 1\nprofile = \"frames\"\n"));
  write("fuzz_driver_config", 2, toml_file("[driver]\ninstance_id = \"d1\"\ncontrol_channel = \"aeron:ipc\"\n[shm]\nbase_dir = \"/dev/shm\"\n"
                                           "[policies]\nallow_dynamic_streams = true\ndefault_profile = \"camera\"\n"
                                           "lease_keepalive_interval_ms = 250\n[profiles.camera]\nheader_nslots = 16\n"
                                           "payload_pools = [ { pool_id = 1, stride_bytes = 1048576 } ]\n"
                                           "[streams.cam1]\nstream_id = 10000\nprofile = \"camera\"\n"));
  lf_context_destroy(knl);
  lf_context_destroy(ctx);
  std::printf("seeds written to %s (the MPI targets' seeds come from fuzz_make_mpi_seeds)\n", argv[1]);
  return 0;
}

// The C++ wrapper of lavaflow_mpi.h between two ranks: lf::mpi attaches, its info and the
// peer's scope and reason; a channel forced over MPI (zstd) and one by scope, each carrying
// numbered values with checksums, peeked in place and copied; the MPI statistics; the end of
// the stream as a value; misuse as lf::error; a tensor-pool stream through lf::mpi_pool_bridge.
// Run: mpirun -np 2 test_mpi_cpp
#include <lavaflow/lavaflow_mpi.hpp>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"  // (C headers shared with the C tests)
#include "mpi_check.h"
#include "mpi_world.h"
#pragma GCC diagnostic pop

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

int g_rank;

struct sample {
  uint64_t seq;
  uint64_t value;
  uint64_t check;
};

void exchange(lf::mpi &mpi, uint32_t channel_id, const lf::mpi_channel_options &options, uint32_t count) {
  const int peer = 1 - g_rank;
  if (g_rank == 0) {
    lf::producer out = mpi.open_producer(peer, channel_id, lf::channel_options().connect_timeout(10s), options);
    for (uint64_t i = 0; i < count; ++i) {
      const sample s{i, i * 2654435761u, 0};
      sample with = s;
      with.check = s.seq ^ s.value ^ 0xA5A5A5A5u;
      if (i % 2 == 0) {
        MPI_CHECK(out.send_value(with));
      } else {
        auto loan = out.reserve(sizeof(sample));
        MPI_CHECK(loan.has_value());
        std::memcpy(loan->data(), &with, sizeof with);
        loan->commit();
      }
    }
    if (out.transport() == "mpi") MPI_CHECK(mpi.stats(out).peer_rank == peer);
    out.close();
  } else {
    lf::consumer in = mpi.open_consumer(peer, channel_id, lf::channel_options().connect_timeout(10s), options);
    uint64_t expected = 0;
    while (true) {
      if (expected % 2 == 0) {
        auto m = in.peek(30s);
        if (m.end_of_stream()) break;
        MPI_CHECK(m.has_value());
        const sample s = m->as<sample>();
        MPI_CHECK(s.seq == expected && s.check == (s.seq ^ s.value ^ 0xA5A5A5A5u));
      } else {
        auto s = in.recv_value<sample>(30s);
        if (s.end_of_stream()) break;
        MPI_CHECK(s.has_value() && s->seq == expected && s->check == (s->seq ^ s->value ^ 0xA5A5A5A5u));
      }
      ++expected;
    }
    MPI_CHECK(expected == count);
    if (in.transport() == "mpi") MPI_CHECK(mpi.stats(in).messages == count);
    std::printf("rank 1: channel %u: %u values over %s\n", channel_id, count, in.transport().c_str());
  }
}

// lf::mpi_pool_bridge: rank 0 publishes frames into stream 7 of its pool and its source end
// forwards them; rank 1's sink end publishes them into stream 9, where an lf::pool_consumer
// reads each with its shape; the source's end ends the sink's stream (a value, not an error).
void bridge(lf::mpi &mpi, const lf::context &ctx) {
  constexpr uint32_t kFrames = 30;
  if (g_rank == 0) {
    lf::pool_producer producer(ctx, 7);
    lf::pool_metadata m;
    m.name = "bridged";
    producer.set_metadata(m);
    lf::mpi_pool_bridge source(mpi, 1, 40, LF_MPI_POOL_BRIDGE_SOURCE, 7);
    MPI_CHECK(source.forward(1, lf::no_wait).value() == 0);  // nothing published yet
    std::vector<float> values(4 * 16);
    for (uint32_t k = 0; k < kFrames; ++k) {
      for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(k * 1000 + i);
      producer.publish(lf::tensor(LF_DTYPE_FLOAT32, {4, 16}), std::span<const float>(values));
      MPI_CHECK(source.forward(1, 30s).value() == 1);
    }
    const auto stats = source.stats();
    MPI_CHECK(stats.side == LF_MPI_POOL_BRIDGE_SOURCE && stats.frames == kFrames && stats.source_drops == 0);
  } else {
    lf::mpi_pool_bridge sink(mpi, 0, 40, LF_MPI_POOL_BRIDGE_SINK, 9);
    lf::pool_consumer consumer(ctx, 9);
    for (uint32_t k = 0; k < kFrames; ++k) {
      MPI_CHECK(sink.forward(1, 30s).value() == 1);
      auto frame = consumer.wait(5s);
      for (int tries = 0; !frame && frame.epoch_changed() && tries < 100; ++tries) frame = consumer.wait(5s);
      MPI_CHECK(frame.has_value());
      MPI_CHECK(frame->dtype() == LF_DTYPE_FLOAT32 && frame->shape().size() == 2 && frame->shape()[0] == 4 && frame->shape()[1] == 16);
      MPI_CHECK(frame->as<float>()[5] == static_cast<float>(k * 1000 + 5));
    }
    MPI_CHECK(consumer.metadata().name == "bridged");
    auto end = sink.forward(1, 30s);
    MPI_CHECK(end.end_of_stream());
    MPI_CHECK(sink.stats().frames == kFrames && sink.stats().rejected == 0);
    std::printf("rank 1: %u frames through lf::mpi_pool_bridge\n", kFrames);
  }
}

}  // namespace

int main(int argc, char **argv) {
  g_rank = mpi_world_start_pair(&argc, &argv, "test_mpi_cpp");
  char dir[] = "/dev/shm/lavaflow-mpi-cpp-XXXXXX";
  const int two_hosts = mpi_world_host_dir(dir, sizeof dir);
  {
    lf::context ctx(lf::context_options().base_dir(dir));
    lf::mpi mpi(ctx, MPI_COMM_WORLD);
    const lf_mpi_info_t info = mpi.info();
    MPI_CHECK(info.rank == g_rank && info.size == 2 && info.progress != LF_MPI_PROGRESS_AUTO);
    MPI_CHECK(mpi.peer_scope(g_rank).level == LF_SCOPE_PROCESS);
    MPI_CHECK(!mpi.peer_reason(1 - g_rank).empty());
    bool refused = false;
    try {
      (void)mpi.peer_scope(5);
    } catch (const lf::error &e) {
      refused = e.status() == LF_ERR_INVALID_ARGUMENT;
    }
    MPI_CHECK(refused);
    MPI_CHECK(!lf::mpi_library_version().empty());
    MPI_CHECK(lf::mpi_cipher_name(LF_MPI_CIPHER_NONE) == lf_mpi_cipher_name(LF_MPI_CIPHER_NONE));

    exchange(mpi, 1, lf::mpi_channel_options().transport(LF_TRANSPORT_MPI), 2000);
    if (lf::mpi_build_features() & LF_FEATURE_ZSTD)
      exchange(mpi, 2, lf::mpi_channel_options().transport(LF_TRANSPORT_MPI).compression(LF_MPI_COMPRESSION_ZSTD, 3), 500);
    exchange(mpi, 3, lf::mpi_channel_options(), 2000);  // by scope

    // One pool per host (rank 0's driver serves both ranks on one host).
    lf_pool_driver_params_t params{};
    params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS | LF_POOL_DRIVER_PARAM_FIELD_PREFAULT |
                        LF_POOL_DRIVER_PARAM_FIELD_FLAGS;
    params.dynamic_streams = 1;
    params.flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT;
    std::optional<lf::pool_driver> driver;
    if (g_rank == 0 || two_hosts) driver.emplace(ctx, &params);
    MPI_Barrier(MPI_COMM_WORLD);  // (the driver listens before the other rank attaches)
    bridge(mpi, ctx);
    MPI_Barrier(MPI_COMM_WORLD);  // (every client detached before its driver goes)
  }
  mpi_world_remove_host_dir(dir, two_hosts);
  if (g_rank == 0) std::printf("test_mpi_cpp: PASSED\n");
  MPI_Finalize();
  return 0;
}

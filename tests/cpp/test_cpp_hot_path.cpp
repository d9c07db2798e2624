// The C++ wrapper's hot path allocates nothing and makes no system call, as the C calls it
// wraps (test_channel_hot_path.c): send and recv of spans and values, reserve/commit through
// lf::loan, peek/release through lf::message, buffer references; and a tensor-pool frame
// claimed, committed, polled and finished. Allocations are counted per thread (alloc_counter);
// the loop runs again in a child under seccomp strict mode (syscall_free), where any system
// call but read, write, exit and sigreturn kills it. Both channel transports.
#include <lavaflow/lavaflow.hpp>

extern "C" {
#include "alloc_counter.h"
#include "syscall_free.h"
}
#include "pool_test.h"

#include <array>
#include <cstring>
#include <optional>
#include <string>
#include <unistd.h>

namespace {

struct world {
  std::optional<lf::context> ctx;
  std::optional<lf::consumer> consumer;
  std::optional<lf::producer> producer;
  std::optional<lf::buffer> shared;
};
world *g_world;

uint32_t exchange(int rounds) {
  world &w = *g_world;
  uint32_t sum = 0;
  std::array<uint8_t, 256> message{}, received{};
  for (int r = 0; r < rounds; ++r) {
    message.fill(static_cast<uint8_t>(r));
    if (!w.producer->send(std::span<const uint8_t>(message.data(), 64 + static_cast<size_t>(r % 128)), lf::no_wait)) return 0;
    auto n = w.consumer->recv(std::span(received), lf::no_wait);
    if (!n) return 0;
    sum += static_cast<uint32_t>(*n);
    if (!w.producer->send_value(r, lf::no_wait)) return 0;
    auto value = w.consumer->recv_value<int>(lf::no_wait);
    if (!value || *value != r) return 0;
    if (auto loan = w.producer->reserve(200, lf::no_wait)) {
      std::memcpy(loan->data(), message.data(), 100);
      loan->commit(100);
    } else {
      return 0;
    }
    {
      auto m = w.consumer->peek(lf::no_wait);
      if (!m) return 0;
      sum += static_cast<uint32_t>(m->bytes()[m->size() - 1]) + static_cast<uint32_t>(m->size());
    }
    const uint32_t tag = static_cast<uint32_t>(r);
    if (!w.producer->send_buffer(*w.shared, static_cast<uint64_t>(r % 100), 64, std::as_bytes(std::span(&tag, 1)), lf::no_wait))
      return 0;
    uint32_t got = 0;
    auto b = w.consumer->recv_buffer(std::as_writable_bytes(std::span(&got, 1)), lf::no_wait);
    if (!b || !b->reference || got != tag || b->reference->length != 64) return 0;
    sum += static_cast<uint32_t>(b->reference->offset);
  }
  return sum;
}

uint32_t exchange_loop(void *) { return exchange(1000); }

void run(int32_t forced_scope, int32_t expected_transport) {
  world w;
  g_world = &w;
  lf::context_options options;
  options.ignore_environment();
  if (forced_scope != 0) options.scope_override(forced_scope);
  w.ctx.emplace(options);
  const std::string name = "cpp-hot-" + std::to_string(getpid()) + "-" + std::to_string(forced_scope);
  w.consumer.emplace(lf::consumer::create(*w.ctx, name));
  w.producer.emplace(lf::producer::open(*w.ctx, name));
  w.shared.emplace(*w.ctx, 4096, lf::buffer_options().kind(LF_MEMORY_SHARED));
  assert_int_equal(w.producer->info().transport, expected_transport);
  assert_true(exchange(100) != 0);  // warm up: this also announces the buffer
  const unsigned long before = lf_test_allocations();
  const uint32_t sum = exchange(10000);
  const unsigned long after = lf_test_allocations();
  assert_true(sum != 0);
  assert_int_equal(after - before, 0);
  const uint32_t expected = exchange(1000);
  assert_int_equal(lf_test_syscall_free(exchange_loop, nullptr, "the C++ message loop"), expected);
  w.producer.reset();  // (the producer's pin of the buffer goes with it)
  w.consumer.reset();
}

void in_process_ring(void **) { run(0, LF_TRANSPORT_IN_PROCESS); }
void shared_memory_ring(void **) { run(LF_SCOPE_HOST, LF_TRANSPORT_SHARED_MEMORY); }

// A frame claimed, written, committed, polled, read and finished: no allocation.
void pool_frames(void **) {
  char dir[] = "/dev/shm/lavaflow-cpp-hot-XXXXXX";
  assert_non_null(mkdtemp(dir));
  {
    lf::context ctx(lf::context_options().base_dir(dir).ignore_environment());
    lf_pool_driver_params_t params{};
    params.field_mask = LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS | LF_POOL_DRIVER_PARAM_FIELD_PREFAULT;
    params.dynamic_streams = 1;
    lf::pool_driver driver(ctx, &params);
    lf::pool_producer producer(ctx, 1, lf::pool_producer_options().start_driver(false));
    lf::pool_consumer consumer(ctx, 1, lf::pool_consumer_options().start_driver(false));
    const lf::tensor desc(LF_DTYPE_FLOAT32, {8, 8});
    auto frames = [&](int count) {
      uint64_t sum = 0;
      for (int k = 0; k < count; ++k) {
        lf::frame_loan slot = producer.claim(256);
        slot.as<float>()[0] = static_cast<float>(k);
        slot.commit(desc);
        auto f = consumer.poll();
        if (!f || f->shape()[1] != 8) return uint64_t{0};
        sum += static_cast<uint64_t>(f->as<float>()[0]) + 1;
        if (!f->finish()) return uint64_t{0};
      }
      return sum;
    };
    assert_true(frames(10) != 0);
    const unsigned long before = lf_test_allocations();
    const uint64_t sum = frames(5000);
    const unsigned long after = lf_test_allocations();
    assert_int_equal(sum, 5000ull * 4999 / 2 + 5000);
    assert_int_equal(after - before, 0);
  }
  pool_test_remove_dir(dir);
}

}  // namespace

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(in_process_ring),
      cmocka_unit_test(shared_memory_ring),
      cmocka_unit_test(pool_frames),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

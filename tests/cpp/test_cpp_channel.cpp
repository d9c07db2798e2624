// The C++ wrapper's channels (lavaflow.hpp), used as a C++ program would: copies of spans and
// values, zero-copy loans and messages as RAII guards, buffer references, channels in caller
// memory, two threads with checksums, and the C API's refusals as lf::error — while the
// normal outcomes (timeout, end of stream) are values, never exceptions.
#include <lavaflow/lavaflow.hpp>

#include "lf_test.h"
#include "expect_error.hpp"

#include <array>
#include <cstring>
#include <numeric>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;

std::string fresh_name() {
  static int counter;
  return "cpp-" + std::to_string(getpid()) + "-" + std::to_string(++counter);
}

struct pair_of_ends {
  lf::consumer consumer;
  lf::producer producer;
};

pair_of_ends make_pair(const lf::context &ctx, const lf::channel_options &options = {}) {
  const std::string name = fresh_name();
  auto consumer = lf::consumer::create(ctx, name, options);
  auto producer = lf::producer::open(ctx, name);
  return {std::move(consumer), std::move(producer)};
}

void copies_of_spans_and_values_arrive_in_order(void **) {
  lf::context ctx;
  auto [consumer, producer] = make_pair(ctx, lf::channel_options().capacity(1 << 16));
  const std::vector<float> samples{1.5f, 2.5f, -3.25f};
  assert_true(producer.send(std::span(samples)));
  struct point { int32_t x, y; double w; };
  assert_true(producer.send_value(point{3, -4, 0.5}));
  const std::string text = "hello";
  assert_true(producer.send(std::as_bytes(std::span(text))));

  std::vector<float> got(8);
  auto n = consumer.recv(std::span(got), lf::no_wait);
  assert_true(n.has_value());
  assert_int_equal(*n, samples.size() * sizeof(float));
  assert_memory_equal(got.data(), samples.data(), *n);
  auto p = consumer.recv_value<point>(lf::no_wait);
  assert_true(p && p->x == 3 && p->y == -4 && p->w == 0.5);
  auto m = consumer.peek(lf::no_wait);
  assert_true(m.has_value());
  assert_int_equal(m->size(), text.size());
  assert_memory_equal(m->data(), text.data(), text.size());
  assert_string_equal(producer.transport().c_str(), "in_process");
  assert_false(consumer.reason().empty());
}

void timeouts_and_end_of_stream_are_values(void **) {
  lf::context ctx;
  auto [consumer, producer] = make_pair(ctx);
  auto none = consumer.recv(std::span<std::byte>(), lf::no_wait);
  assert_false(none.has_value());
  assert_true(none.timed_out());
  assert_int_equal(none.status(), LF_WOULD_BLOCK);
  auto waited = consumer.peek(5ms);
  assert_true(waited.timed_out());
  assert_int_equal(waited.status(), LF_TIMEOUT);
  expect_error(LF_TIMEOUT, [&] { (void)waited.value(); });  // asking for a missing value

  assert_true(producer.send_value(7));
  producer.close();
  auto seven = consumer.recv_value<int>(1s);
  assert_true(seven && *seven == 7);
  auto end = consumer.recv_value<int>(1s);
  assert_false(end.has_value());
  assert_true(end.end_of_stream());
}

void a_full_ring_is_false_not_an_exception(void **) {
  lf::context ctx;
  auto [consumer, producer] = make_pair(ctx, lf::channel_options().capacity(4096).max_message_size(1024));
  std::array<std::byte, 1000> block{};
  int sent = 0;
  while (producer.send(std::span<const std::byte>(block), lf::no_wait)) ++sent;
  assert_true(sent >= 2 && sent <= 4);
  assert_false(producer.reserve(1000, 2ms).has_value());
  for (int i = 0; i < sent; ++i) assert_true(consumer.recv(std::span(block), lf::no_wait).has_value());
  assert_true(producer.send(std::span<const std::byte>(block), lf::no_wait));
}

void loans_commit_or_abort_and_messages_release(void **) {
  lf::context ctx;
  auto [consumer, producer] = make_pair(ctx, lf::channel_options().capacity(4096).max_message_size(1024));
  {
    auto loan = producer.reserve(16);
    assert_true(loan.has_value());
    std::memset(loan->data(), 0xAB, loan->size());
  }  // destroyed uncommitted: aborted, nothing sent
  assert_true(consumer.peek(lf::no_wait).timed_out());

  auto loan = producer.reserve(64);
  assert_true(loan.has_value());
  auto moved = std::move(*loan);  // the guard moves; the moved-from one is empty
  assert_false(loan->pending());
  assert_true(moved.pending());
  for (size_t i = 0; i < 10; ++i) moved.bytes()[i] = std::byte(i);
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { moved.commit(65); });  // more than reserved: still pending
  moved.commit(10);
  assert_false(moved.pending());
  expect_error(LF_ERR_INVALID_STATE, [&] { moved.commit(); });

  {
    auto message = consumer.peek(lf::no_wait);
    assert_true(message.has_value());
    assert_int_equal(message->size(), 10);
    assert_int_equal(static_cast<int>(message->bytes()[9]), 9);
    // a second peek while a message is held is the C API's refusal
    expect_error(LF_ERR_INVALID_STATE, [&] { (void)consumer.peek(lf::no_wait); });
    lf::message kept = std::move(*message);
    assert_int_equal(kept.size(), 10);
  }  // released on destruction: the ring has room again and nothing is left
  assert_true(consumer.peek(lf::no_wait).timed_out());

  // Many loans in turn wrap the ring: each release makes room for the next.
  for (uint32_t i = 0; i < 1000; ++i) {
    auto l = producer.reserve(200, 1s);
    assert_true(l.has_value());
    std::memcpy(l->data(), &i, sizeof i);
    l->commit();
    auto m = consumer.peek(1s);
    assert_true(m.has_value());
    assert_int_equal((m->as<std::array<uint32_t, 50>>()[0]), i);
  }
}

void misuse_surfaces_as_lf_error_with_the_message(void **) {
  lf::context ctx;
  auto [consumer, producer] = make_pair(ctx, lf::channel_options().capacity(4096).max_message_size(1024));
  std::array<std::byte, 2000> big{};
  std::string message = expect_error(LF_ERR_INVALID_ARGUMENT, [&] { producer.send(std::span<const std::byte>(big)); });
  assert_false(message.empty());
  assert_true(producer.send_value(uint64_t{42}));
  std::array<std::byte, 4> small{};
  expect_error(LF_ERR_BUFFER_TOO_SMALL, [&] { (void)consumer.recv(std::span(small)); });
  expect_error(LF_ERR_BUFFER_TOO_SMALL, [&] { (void)consumer.recv_value<uint32_t>(); });
  auto kept = consumer.recv_value<uint64_t>(lf::no_wait);  // the message stayed queued
  assert_true(kept && *kept == 42);
  assert_true(producer.send_value(uint16_t{1}));
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { (void)consumer.recv_value<uint64_t>(); });
  assert_true(producer.send_value(uint16_t{1}));
  auto m = consumer.peek();
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { (void)m->as<uint64_t>(); });
  m->release();
  consumer.close();
  expect_error(LF_ERR_CLOSED, [&] { producer.send_value(1); });
  expect_error(LF_ERR_CLOSED, [&] { (void)producer.reserve(8); });
  const std::string taken = fresh_name();
  auto first = lf::consumer::create(ctx, taken);
  expect_error(LF_ERR_EXISTS, [&] { (void)lf::consumer::create(ctx, taken); });
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { (void)lf::consumer::create(ctx, "bad name/", {}); });
  expect_error(LF_ERR_NOT_FOUND, [&] { (void)lf::producer::open(ctx, fresh_name()); });
}

void destructors_never_throw(void **) {
  lf::context ctx;
  auto ends = make_pair(ctx, lf::channel_options().capacity(4096));
  assert_true(ends.producer.send_value(1));
  auto loan = ends.producer.reserve(8);
  auto message = ends.consumer.peek(lf::no_wait);
  assert_true(loan.has_value() && message.has_value());
  ends.consumer.close();
  // Destroying the guards and ends after the peer closed ignores the C API's status: if a
  // destructor threw, std::terminate would end this test (destructors are noexcept).
  loan.reset();
  { auto moved_to = std::move(ends.producer); }
  { auto moved_to = std::move(*message); }
  static_assert(std::is_nothrow_destructible_v<lf::loan> && std::is_nothrow_destructible_v<lf::message>);
}

void buffer_references_carry_shared_memory(void **) {
  lf::context ctx;
  auto [consumer, producer] = make_pair(ctx);
  lf::buffer shared(ctx, 8192, lf::buffer_options().kind(LF_MEMORY_SHARED));
  auto words = shared.as<uint32_t>();
  std::iota(words.begin(), words.end(), 100u);
  const uint32_t header = 77;
  assert_true(producer.send_buffer(shared, 4096, 4096, std::as_bytes(std::span(&header, 1))));
  std::array<std::byte, 16> inline_bytes{};
  auto got = consumer.recv_buffer(std::span(inline_bytes), 1s);
  assert_true(got.has_value());
  assert_int_equal(got->size, sizeof header);
  assert_true(got->reference.has_value());
  assert_int_equal(got->reference->offset, 4096);
  assert_int_equal(got->reference->length, 4096);
  uint32_t first = 0;
  std::memcpy(&first, got->reference->bytes().data(), sizeof first);
  assert_int_equal(first, 100 + 1024);
  assert_true(producer.forget_buffer(shared));
  assert_true(producer.send_value(5));
  auto plain = consumer.peek(1s);
  assert_true(plain.has_value());
  assert_false(plain->buffer().has_value());
  // private host memory cannot be referred to across processes
  lf::buffer host(ctx, 64);
  expect_error(LF_ERR_UNSUPPORTED, [&] { producer.send_buffer(host, 0, 64); });
}

void a_channel_in_caller_memory(void **) {
  lf::context ctx;
  const uint64_t bytes = lf::channel_buffer_size(1 << 14, 1);
  lf::buffer memory(ctx, bytes, lf::buffer_options().kind(LF_MEMORY_SHARED));
  auto consumer = lf::consumer::create_in(ctx, memory, lf::channel_options().capacity(1 << 14));
  lf::buffer mapped = lf::buffer::import_fd(ctx, memory.export_fd().get(), memory.size());
  auto producer = lf::producer::open_in(ctx, mapped);
  assert_true(producer.send_value(123));
  auto v = consumer.recv_value<int>(1s);
  assert_true(v && *v == 123);
}

void two_threads_move_many_messages_intact(void **) {
  lf::context ctx;
  const uint32_t count = lf_test_scaled(100000);
  auto ends = make_pair(ctx, lf::channel_options().capacity(1 << 16));
  auto &consumer = ends.consumer;
  std::thread sender([count, p = std::move(ends.producer)]() mutable {
    for (uint32_t i = 0; i < count; ++i) {
      if (i % 2 == 0) {
        std::array<uint32_t, 4> m{i, i * 3, i ^ 0x5555u, 0};
        m[3] = m[0] + m[1] + m[2];
        p.send(std::span(m));
      } else {
        auto loan = p.reserve(4 * sizeof(uint32_t));
        auto w = loan->as<uint32_t>();  // written in place
        w[0] = i;
        w[1] = i * 3;
        w[2] = i ^ 0x5555u;
        w[3] = w[0] + w[1] + w[2];
        loan->commit();
      }
    }
    p.close();
  });
  uint32_t expected = 0;
  while (true) {
    auto m = consumer.peek(10s);
    if (m.end_of_stream()) break;
    assert_true(m.has_value());
    auto words = m->as<std::array<uint32_t, 4>>();
    assert_int_equal(words[0], expected);
    assert_int_equal(words[3], words[0] + words[1] + words[2]);
    ++expected;
  }
  sender.join();
  assert_int_equal(expected, count);
  assert_int_equal(consumer.info().messages, count);
}

}  // namespace

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(copies_of_spans_and_values_arrive_in_order),
      cmocka_unit_test(timeouts_and_end_of_stream_are_values),
      cmocka_unit_test(a_full_ring_is_false_not_an_exception),
      cmocka_unit_test(loans_commit_or_abort_and_messages_release),
      cmocka_unit_test(misuse_surfaces_as_lf_error_with_the_message),
      cmocka_unit_test(destructors_never_throw),
      cmocka_unit_test(buffer_references_carry_shared_memory),
      cmocka_unit_test(a_channel_in_caller_memory),
      cmocka_unit_test(two_threads_move_many_messages_intact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

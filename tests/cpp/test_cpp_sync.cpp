// The C++ wrapper's lf::semaphore (lavaflow.hpp), through its public calls: options become
// the C params, waits report reached or timed out, handles move and free themselves, and
// refusals are lf::error with the C status.
#include <lavaflow/lavaflow.hpp>

#include "lf_test.h"
#include "expect_error.hpp"

#include <chrono>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;

void a_semaphore_signals_and_waits(void **) {
  lf::context ctx;
  lf::semaphore s(ctx, lf::semaphore_options().initial_value(3).wait_mode(LF_WAIT_SLEEP));
  assert_int_equal(s.kind(), LF_SEMAPHORE_SHARED);
  assert_int_equal(s.value(), 3);
  assert_true(s.wait(3, lf::no_wait));
  assert_false(s.wait(4, 1ms));
  std::thread signaller([&] {
    std::this_thread::sleep_for(10ms);
    s.signal(4);
  });
  assert_true(s.wait(4));
  signaller.join();
  const lf_semaphore_info_t info = s.info();
  assert_int_equal(info.wait_mode, LF_WAIT_SLEEP);
  assert_int_equal(info.holders, 1);
  assert_true(s.reason().find("shared semaphore") != std::string::npos);
  std::string message = expect_error(LF_ERR_INVALID_ARGUMENT, [&] { s.signal(2); });
  assert_true(message.find("values only grow") != std::string::npos);
  expect_error(LF_ERR_INVALID_STATE, [&] { (void)s.vulkan_info(); });
  assert_string_equal(lf::semaphore_kind_name(LF_SEMAPHORE_VULKAN).c_str(), "vulkan");
}

void a_semaphore_travels_by_fd_socket_and_name(void **) {
  lf::context ctx;
  lf::semaphore s(ctx);
  lf::semaphore by_fd = lf::semaphore::import_fd(ctx, s.export_fd().get(), lf::semaphore_options().wait_only());
  s.signal(1);
  assert_true(by_fd.wait(1, lf::no_wait));
  expect_error(LF_ERR_INVALID_STATE, [&] { by_fd.signal(2); });
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
  s.send(sv[0]);
  auto received = lf::semaphore::recv(ctx, sv[1], 1s);
  assert_true(received.has_value());
  received->signal(7);
  assert_int_equal(s.value(), 7);
  assert_false(lf::semaphore::recv(ctx, sv[1], lf::no_wait).has_value());
  close(sv[0]);
  close(sv[1]);
  const std::string name = "lf-cpp-semaphore-" + std::to_string(getpid());
  lf::semaphore named(ctx, lf::semaphore_options().name(name).initial_value(5));
  lf::semaphore opened = lf::semaphore::open(ctx, name);
  assert_int_equal(opened.value(), 5);
  assert_int_equal(opened.info().holders, 2);
  lf::semaphore moved = std::move(opened);
  assert_int_equal(moved.value(), 5);
  expect_error(LF_ERR_NOT_FOUND, [&] { (void)lf::semaphore::open(ctx, name + "-missing"); });
}

void a_buffer_message_carries_its_semaphores(void **) {
  lf::context ctx;
  const std::string name = "lf-cpp-sync-" + std::to_string(getpid());
  lf::consumer in = lf::consumer::create(ctx, name);
  lf::producer out = lf::producer::open(ctx, name);
  lf::buffer memory(ctx, 4096, lf::buffer_options().kind(LF_MEMORY_SHARED));
  lf::semaphore ready(ctx), done(ctx);
  const uint32_t frame = 7;
  assert_true(lf::send_buffer_sync(out, memory, 0, 4096, {&ready, 1, &done, 2}, std::as_bytes(std::span(&frame, 1))));
  std::thread producer_side([&] {
    std::this_thread::sleep_for(5ms);
    memory.as<uint32_t>()[0] = 42;  // (written after the message: it says "ready at 1")
    ready.signal(1);
  });
  auto message = in.peek();
  assert_true(message.has_value());
  assert_int_equal(message->as<uint32_t>(), 7);
  lf::received_sync sync = lf::peeked_sync(in);
  assert_true(sync.ready.has_value() && sync.done.has_value());
  assert_int_equal(sync.ready_value, 1);
  assert_int_equal(sync.done_value, 2);
  assert_true(sync.ready->wait(sync.ready_value, 10s));
  assert_int_equal(message->buffer()->buffer.as<uint32_t>()[0], 42);
  sync.done->signal(sync.done_value);
  message->release();
  producer_side.join();
  assert_true(done.wait(2, lf::no_wait));
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { (void)lf::send_buffer_sync(out, memory, 0, 4096, {}); });
}

void a_vulkan_semaphore_or_the_reason(void **) {
  lf::context ctx;
  try {
    lf::semaphore s(ctx, lf::semaphore_options().kind(LF_SEMAPHORE_VULKAN));
    // A driver that exports timeline semaphores (a real GPU): the semaphore works on the CPU.
    s.signal(2);
    assert_true(s.wait(2, lf::no_wait));
    assert_true(s.vulkan_info().semaphore != 0);
  } catch (const lf::error &e) {
    assert_int_equal(e.status(), LF_ERR_UNSUPPORTED);
    lf::semaphore s(ctx, lf::semaphore_options().kind(LF_SEMAPHORE_VULKAN).fallback_to_shared());
    assert_int_equal(s.kind(), LF_SEMAPHORE_SHARED);
    assert_true(s.info().flags & LF_SEMAPHORE_FELL_BACK);
    assert_true(s.reason().find("Vulkan requested") != std::string::npos);
  }
}

}  // namespace

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_semaphore_signals_and_waits),
      cmocka_unit_test(a_semaphore_travels_by_fd_socket_and_name),
      cmocka_unit_test(a_buffer_message_carries_its_semaphores),
      cmocka_unit_test(a_vulkan_semaphore_or_the_reason),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

// The C++ wrapper's context, identity, scope and memory classes (lavaflow.hpp), through
// their public calls: options become the C params, results match the C calls', handles move
// and free themselves, and refusals are lf::error with the C status and message.
#include <lavaflow/lavaflow.hpp>

#include "lf_test.h"
#include "expect_error.hpp"

#include <cstring>
#include <numeric>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

void versions_match_the_c_calls(void **) {
  assert_string_equal(lf::version_string().c_str(), lf_version_string());
  assert_int_equal(lf::version_number(), LF_VERSION_NUMBER);
  assert_int_equal(lf::abi_version(), LF_ABI_VERSION);
  assert_true(lf::has_feature(0));
}

void a_context_from_options(void **) {
  char *dir = lf_test_temp_dir();
  lf::context ctx(lf::context_options()
                      .topology("synthetic:pack:2 numa:2 core:2 pu:2")
                      .base_dir(dir)
                      .name("cpp-test")
                      .ignore_environment());
  assert_int_equal(ctx.count(LF_TOPOLOGY_NUMA_NODE), 4);
  assert_int_equal(ctx.count(LF_TOPOLOGY_PU), 16);
  assert_string_equal(ctx.name().c_str(), "cpp-test");
  assert_true(ctx.base_dir().find("lavaflow-test-") != std::string::npos);
  assert_true(ctx.topology_source().find("synthetic") != std::string::npos);
  assert_string_equal(ctx.cpuset(LF_TOPOLOGY_PACKAGE, 1).c_str(), "8-15");
  auto object = ctx.object(LF_TOPOLOGY_NUMA_NODE, 3);
  assert_int_equal(object.os_index, 3);
  std::string message = expect_error(LF_ERR_CORRUPT, [] { lf::context bad(lf::context_options().topology("synthetic:nonsense")); });
  assert_false(message.empty());
  expect_error(LF_ERR_NOT_FOUND, [] { lf::context bad(lf::context_options().base_dir("/nonexistent/lavaflow")); });
  lf::context moved = std::move(ctx);
  assert_int_equal(moved.count(LF_TOPOLOGY_PACKAGE), 2);
  rmdir(dir);
  free(dir);
}

void identities_and_scopes_with_reasons(void **) {
  lf::context ctx(lf::context_options().topology("synthetic:pack:2 numa:2 core:2 pu:2").ignore_environment());
  lf_identity_params_t params{};
  params.field_mask = LF_IDENTITY_PARAM_FIELD_CPUSET;
  params.cpuset = "0-1";
  lf::identity a(ctx, &params);
  params.cpuset = "8";
  lf::identity b(ctx, &params);
  lf::identity a_again(ctx, a.serialize());
  lf::scope same(ctx, a, a_again);
  lf::scope apart(ctx, a, b);
  assert_int_equal(same.info().level, LF_SCOPE_PROCESS);
  assert_int_equal(lf::scope::decide(ctx, a, b).level, apart.info().level);
  assert_false(apart.reason().empty());
  assert_false(apart.reason(LF_MECHANISM_SHARED_MEMORY).empty());
  assert_string_equal(lf::scope_level_name(LF_SCOPE_PROCESS).c_str(), lf_scope_level_name(LF_SCOPE_PROCESS));
  assert_int_equal(lf::scope_level_from_name("numa"), LF_SCOPE_NUMA);
  expect_error(LF_ERR_INVALID_ARGUMENT, [] { (void)lf::scope_level_from_name("galaxy"); });
  auto blob = a.serialize();
  blob[blob.size() / 2] ^= 0xFF;
  blob.resize(blob.size() - 3);
  expect_error(LF_ERR_CORRUPT, [&] { lf::identity broken(ctx, blob); });
  assert_false(a.text(LF_IDENTITY_TEXT_HOSTNAME).empty());
}

void buffers_of_every_host_kind(void **) {
  lf::context ctx;
  lf::buffer host(ctx, 1000, lf::buffer_options().alignment(64).flags(LF_BUFFER_FLAG_ZERO));
  assert_int_equal(host.size(), 1000);
  assert_int_equal(host.kind(), LF_MEMORY_HOST);
  auto bytes = host.bytes();
  assert_int_equal(bytes.size(), 1000);
  assert_int_equal(reinterpret_cast<uintptr_t>(bytes.data()) % 64, 0);
  for (std::byte b : bytes) assert_int_equal(static_cast<int>(b), 0);
  auto doubles = host.as<double>();
  assert_int_equal(doubles.size(), 125);
  std::iota(doubles.begin(), doubles.end(), 0.5);
  assert_true(doubles[124] == 124.5);
  assert_false(host.reason().empty());
  expect_error(LF_ERR_INVALID_STATE, [&] { (void)host.export_fd(); });

  lf::buffer shared(ctx, 4096, lf::buffer_options().kind(LF_MEMORY_SHARED));
  std::memcpy(shared.bytes().data(), "lavaflow", 8);
  lf::unique_fd fd = shared.export_fd();
  assert_true(fd.get() >= 0);
  lf::buffer mapped = lf::buffer::import_fd(ctx, fd.get(), 4096, true);
  assert_memory_equal(mapped.bytes().data(), "lavaflow", 8);
  assert_true(mapped.info().flags & LF_BUFFER_IMPORTED);
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { (void)lf::buffer::import_fd(ctx, fd.get(), 8192); });

  const std::string name = "cpp-named-" + std::to_string(getpid());
  lf::buffer named(ctx, 4096, lf::buffer_options().kind(LF_MEMORY_SHARED).name(name));
  named.bytes()[0] = std::byte{42};
  lf::buffer opened = lf::buffer::open(ctx, name);
  assert_int_equal(static_cast<int>(opened.bytes()[0]), 42);
  named.reset();
  expect_error(LF_ERR_NOT_FOUND, [&] { (void)lf::buffer::open(ctx, name); });

  lf::buffer moved = std::move(shared);
  assert_null(shared.get());
  assert_int_equal(moved.size(), 4096);
  lf_memory_stats_t stats = ctx.memory_stats();
  assert_true(stats.live_count[LF_MEMORY_SHARED] >= 2);
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { lf::buffer zero(ctx, 0); });
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { lf::buffer odd(ctx, 64, lf::buffer_options().alignment(3)); });
}

void buffers_travel_over_a_socket(void **) {
  lf::context ctx;
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  lf::unique_fd left(sv[0]), right(sv[1]);
  auto nothing = lf::buffer::recv(ctx, right.get(), lf::no_wait);
  assert_true(nothing.timed_out());
  lf::buffer shared(ctx, 8192, lf::buffer_options().kind(LF_MEMORY_SHARED));
  shared.as<uint32_t>()[100] = 0xC0FFEE;
  shared.send(left.get());
  auto got = lf::buffer::recv(ctx, right.get(), std::chrono::seconds(5));
  assert_true(got.has_value());
  assert_int_equal(got->as<uint32_t>()[100], 0xC0FFEE);
  left.reset();
  expect_error(LF_ERR_CLOSED, [&] { (void)lf::buffer::recv(ctx, right.get(), std::chrono::seconds(5)); });
}

void a_buffer_pool_reuses_buffers(void **) {
  lf::context ctx;
  lf::buffer_pool pool(ctx, 65536, lf::buffer_options(), 4, 2);
  void *first = nullptr;
  {
    lf::buffer a = pool.acquire();
    first = a.bytes().data();
    assert_int_equal(a.size(), 65536);
  }  // given back
  lf::buffer again = pool.acquire();
  lf::buffer other = pool.acquire();
  assert_true(again.bytes().data() == first || other.bytes().data() == first);
  assert_true(ctx.memory_stats().pool_hits >= 2);
}

void devices_are_listed(void **) {
  lf::context ctx;
  auto devices = ctx.devices();
  uint32_t n = 0;
  assert_int_equal(lf_device_count(ctx.get(), &n), LF_OK);
  assert_int_equal(devices.size(), n);
  for (const auto &d : devices) assert_true(std::strlen(d.name) > 0);
}

int g_logged;
void count_log(int32_t, const char *, void *user) { ++*static_cast<int *>(user); }

void logging_goes_to_the_callback(void **) {
  lf::set_log_callback(count_log, &g_logged);
  lf::set_log_level(LF_LOG_DEBUG);
  { lf::context ctx; }
  lf::set_log_callback(nullptr);
  lf::set_log_level(LF_LOG_WARN);
  assert_true(g_logged > 0);
  expect_error(LF_ERR_INVALID_ARGUMENT, [] { lf::set_log_level(99); });
}

}  // namespace

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(versions_match_the_c_calls),
      cmocka_unit_test(a_context_from_options),
      cmocka_unit_test(identities_and_scopes_with_reasons),
      cmocka_unit_test(buffers_of_every_host_kind),
      cmocka_unit_test(buffers_travel_over_a_socket),
      cmocka_unit_test(a_buffer_pool_reuses_buffers),
      cmocka_unit_test(devices_are_listed),
      cmocka_unit_test(logging_goes_to_the_callback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

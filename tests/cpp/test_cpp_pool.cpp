// The C++ wrapper's tensor pool (lavaflow.hpp): an embedded driver, a producer that claims,
// writes in place and commits frames with their tensor, or publishes copies; consumers in
// each mode reading frames in place with shape, dtype and counters; metadata; the driver's
// stream list and region files read back; and the guards' destructors.
#include <lavaflow/lavaflow.hpp>

#include "pool_test.h"
#include "expect_error.hpp"

#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;

// A context on a fresh base directory under /dev/shm (no other test's driver is there).
struct pool_world {
  std::string dir;
  lf::context ctx;
  lf::pool_driver driver;
  static std::string fresh_dir() {
    char path[] = "/dev/shm/lavaflow-cpp-XXXXXX";
    assert_non_null(mkdtemp(path));
    return path;
  }
  static lf_pool_driver_params_t driver_params() {
    lf_pool_driver_params_t p{};
    p.field_mask = LF_POOL_DRIVER_PARAM_FIELD_DYNAMIC_STREAMS | LF_POOL_DRIVER_PARAM_FIELD_HEADER_SLOTS |
                   LF_POOL_DRIVER_PARAM_FIELD_PREFAULT | LF_POOL_DRIVER_PARAM_FIELD_FLAGS;
    p.dynamic_streams = 1;
    p.header_slots = 16;
    p.prefault = 0;
    p.flags = LF_POOL_DRIVER_FLAG_IGNORE_ENVIRONMENT;
    return p;
  }
  pool_world() : pool_world(fresh_dir()) {}
  explicit pool_world(std::string d)
      : dir(std::move(d)), ctx(lf::context_options().base_dir(dir)), driver(ctx, [] {
          static lf_pool_driver_params_t p = driver_params();
          return &p;
        }()) {}
  ~pool_world() {
    driver.stop();
    pool_test_remove_dir(dir.c_str());
  }
};

lf::pool_producer_options no_embedded() { return lf::pool_producer_options().start_driver(false); }

void frames_claimed_written_and_committed_arrive_with_their_shape(void **) {
  pool_world w;
  lf::pool_producer producer(w.ctx, 7, no_embedded());
  lf::pool_consumer consumer(w.ctx, 7, lf::pool_consumer_options().start_driver(false));
  for (int32_t n = 0; n < 10; ++n) {
    lf::frame_loan loan = producer.claim(3 * 4 * sizeof(float));
    auto values = loan.as<float>();
    std::iota(values.begin(), values.end(), static_cast<float>(n));
    loan.commit(lf::tensor(LF_DTYPE_FLOAT32, {3, 4}));
  }
  for (int32_t n = 0; n < 10; ++n) {
    auto f = consumer.wait(1s);
    assert_true(f.has_value());
    assert_int_equal(f->seq(), static_cast<uint64_t>(n));
    assert_int_equal(f->dtype(), LF_DTYPE_FLOAT32);
    assert_int_equal(f->shape().size(), 2);
    assert_int_equal(f->shape()[0], 3);
    assert_int_equal(f->shape()[1], 4);
    assert_int_equal(f->tensor().bytes(), 48);
    auto values = f->as<float>();
    assert_int_equal(values.size(), 12);
    assert_true(values[11] == static_cast<float>(n + 11));
    assert_true(f->finish());
    expect_error(LF_ERR_INVALID_STATE, [&] { (void)f->finish(); });
  }
  assert_true(consumer.poll().timed_out());
  auto counters = consumer.counters();
  assert_int_equal(counters.frames_read, 10);
  assert_int_equal(counters.drops_gap + counters.drops_late, 0);
  assert_int_equal(producer.info().published, 10);
}

void copies_latest_mode_and_drops(void **) {
  pool_world w;
  lf::pool_producer producer(w.ctx, 8, no_embedded());
  lf::pool_consumer stream(w.ctx, 8, lf::pool_consumer_options().start_driver(false));
  lf::pool_consumer latest(w.ctx, 8, lf::pool_consumer_options().latest().start_driver(false));
  lf::pool_consumer every_fourth(w.ctx, 8, lf::pool_consumer_options().decimated(4).start_driver(false));
  std::vector<uint16_t> row(100);
  for (uint16_t n = 0; n < 40; ++n) {  // more than the 16 slots: the stream consumer lags
    std::fill(row.begin(), row.end(), n);
    producer.publish(lf::tensor(LF_DTYPE_UINT16, {100}), std::span<const uint16_t>(row));
  }
  auto newest = latest.poll();
  assert_true(newest.has_value());
  assert_int_equal(newest->seq(), 39);
  assert_int_equal(newest->as<uint16_t>()[99], 39);
  newest->release();
  uint64_t read = 0, last = 0;
  while (auto f = stream.poll()) {
    last = f->seq();
    assert_int_equal(f->as<uint16_t>()[0], static_cast<uint16_t>(last));
    ++read;
  }
  assert_int_equal(last, 39);
  auto c = stream.counters();
  assert_int_equal(c.frames_read, read);
  assert_int_equal(c.frames_read + c.drops_gap, 40);  // every frame counted once
  assert_true(c.drops_gap > 0);
  while (auto f = every_fourth.poll()) assert_int_equal(f->seq() % 4, 0);
  assert_true(every_fourth.counters().skipped > 0);
}

void metadata_round_trips_and_is_checked(void **) {
  pool_world w;
  lf::pool_producer producer(w.ctx, 9, no_embedded());
  lf::pool_consumer consumer(w.ctx, 9, lf::pool_consumer_options().start_driver(false));
  assert_int_equal(consumer.metadata().version, 0);
  lf::pool_metadata m;
  m.name = "camera-left";
  m.units = "photons";
  m.attributes = {{"exposure_us", "250"}, {"gain", "1.5"}};
  producer.set_metadata(m);
  auto got = consumer.metadata();
  assert_true(got.version > 0);
  assert_string_equal(got.name.c_str(), "camera-left");
  assert_string_equal(got.units.c_str(), "photons");
  assert_int_equal(got.attributes.size(), 2);
  assert_string_equal(got.attributes[1].second.c_str(), "1.5");
  m.name = std::string(64, 'x');
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { producer.set_metadata(m); });
}

void the_driver_lists_streams_and_regions_read_back(void **) {
  pool_world w;
  lf::pool_producer producer(w.ctx, 11, no_embedded());
  producer.publish(lf::tensor(LF_DTYPE_UINT8, {4}), std::as_bytes(std::span("abc", 4)));
  auto streams = lf::list_streams(w.ctx);
  assert_int_equal(streams.size(), 1);
  assert_int_equal(streams[0].stream_id, 11);
  assert_true(streams[0].producer_pid > 0);
  auto control = lf::read_control(w.ctx, std::string(streams[0].epoch_dir) + "/control");
  assert_int_equal(control.producer.published, 1);
  auto region = lf::inspect_region(w.ctx, std::string(streams[0].epoch_dir) + "/header.ring");
  assert_int_equal(region.region.region_type, LF_POOL_REGION_HEADER_RING);
  assert_false(region.frames.empty());
  expect_error(LF_ERR_PERMISSION, [&] { (void)lf::inspect_region(w.ctx, "/etc/passwd"); });
  const std::string described = lf::describe_driver_config();
  assert_true(described.find("header_slots") != std::string::npos);
}

void guards_abort_and_release_on_destruction(void **) {
  pool_world w;
  lf::pool_producer producer(w.ctx, 12, no_embedded());
  lf::pool_consumer consumer(w.ctx, 12, lf::pool_consumer_options().start_driver(false));
  { lf::frame_loan unused = producer.claim(64); }  // aborted: nothing published
  assert_true(consumer.poll().timed_out());
  lf::frame_loan loan = producer.claim(64);
  expect_error(LF_ERR_INVALID_ARGUMENT, [&] { loan.commit(lf::tensor(LF_DTYPE_UINT8, {64}), 65); });
  lf::frame_loan moved = std::move(loan);
  moved.commit(lf::tensor(LF_DTYPE_UINT8, {64}));
  {
    auto f = consumer.poll();
    assert_true(f.has_value());
    expect_error(LF_ERR_INVALID_STATE, [&] { (void)consumer.poll(); });  // one view at a time
  }  // released
  producer.publish(lf::tensor(LF_DTYPE_UINT8, {1}), std::as_bytes(std::span("x", 1)));
  auto held = consumer.poll();
  assert_true(held.has_value());
  w.driver.stop();  // the frame outlives its driver: its destructor still must not throw
  expect_error(LF_ERR_INVALID_ARGUMENT, [] { lf::tensor too_many(LF_DTYPE_UINT8, {1, 1, 1, 1, 1, 1, 1, 1, 1}); });
}

}  // namespace

int main(void) {
  lf_test_reset_environment();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(frames_claimed_written_and_committed_arrive_with_their_shape),
      cmocka_unit_test(copies_latest_mode_and_drops),
      cmocka_unit_test(metadata_round_trips_and_is_checked),
      cmocka_unit_test(the_driver_lists_streams_and_regions_read_back),
      cmocka_unit_test(guards_abort_and_release_on_destruction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

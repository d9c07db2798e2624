// The tensor pool's data-path core below the public API: the seqlock writer and reader over
// rings in ordinary memory, and the consumer cursor's modes and exact drop accounting. A hammer
// test runs a writer against readers and checks that no torn frame is ever accepted — a race
// the public API cannot provoke on purpose (its tests: test_pool_stream, test_pool_leases).
#include "pool/cursor.hpp"
#include "pool/frame_ring.hpp"

#include "core/seqlock.hpp"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
}

using namespace lavaflow;
using namespace lavaflow::pool;

namespace {

// A stream in private memory: a header ring and pools of 64 B and 1 KiB strides.
struct TestStream {
  explicit TestStream(uint32_t nslots) {
    ring.assign((kSuperblockBytes + nslots * kSlotBytes) / 8, 0);
    small.assign((kSuperblockBytes + nslots * 64) / 8, 0);
    large.assign((kSuperblockBytes + nslots * 1024) / 8, 0);
    map.ring = reinterpret_cast<uint8_t *>(ring.data());
    map.nslots = nslots;
    map.pools[1] = {reinterpret_cast<uint8_t *>(small.data()), 64};
    map.pools[2] = {reinterpret_cast<uint8_t *>(large.data()), 1024};
  }
  std::vector<uint64_t> ring, small, large;  // (uint64_t: 8-byte aligned)
  StreamMapping map;
};

// A frame's payload: `words` words derived from its sequence, so any mix of two frames shows.
uint64_t word_of(uint64_t seq, uint32_t i) { return (seq * 0x9E3779B97F4A7C15ull) ^ (uint64_t{i} << 40) ^ i; }

void publish(FrameWriter &writer, uint64_t seq, uint32_t words) {
  uint8_t *payload = nullptr;
  assert_int_equal(writer.claim(seq, words * 8, &payload), LF_OK);
  std::vector<uint64_t> data(words);
  for (uint32_t i = 0; i < words; ++i) data[i] = word_of(seq, i);
  core::store_words(reinterpret_cast<uint64_t *>(payload), data.data(), words);
  SlotHeader header;
  header.values_len_bytes = words * 8;
  header.dtype = kUint64;
  header.ndims = 1;
  header.dims[0] = static_cast<int32_t>(words);
  header.timestamp_ns = seq;
  writer.commit(header);
}

// Reads what the cursor chooses until nothing is left; returns frames whose payload was wrong.
uint64_t drain(const TestStream &s, Cursor &cursor, uint64_t published, int64_t now_ns = 0) {
  uint64_t torn = 0;
  const SlotLimits limits = s.map.limits();
  while (auto seq = cursor.next(published, now_ns)) {
    SlotHeader header;
    SlotState state = read_frame(s.map, limits, *seq, header);
    if (state == SlotState::pending) break;
    if (state == SlotState::lapped) {
      cursor.lapped(*seq);
      continue;
    }
    if (state == SlotState::invalid) {
      cursor.invalid(*seq);
      continue;
    }
    const uint32_t words = header.values_len_bytes / 8;
    std::vector<uint64_t> copy(words);
    core::load_words(copy.data(), reinterpret_cast<const uint64_t *>(s.map.payload(header.pool_id, *seq)), words);
    if (!frame_still_intact(s.map, *seq)) {
      cursor.late(*seq);
      continue;
    }
    for (uint32_t i = 0; i < words; ++i) torn += copy[i] != word_of(*seq, i);
    cursor.read(*seq, now_ns);
  }
  return torn;
}

void frames_go_to_the_smallest_pool_that_fits(void **) {
  TestStream s(8);
  FrameWriter writer(s.map);
  uint8_t *payload = nullptr;
  assert_int_equal(writer.claim(0, 1025, &payload), LF_ERR_INVALID_ARGUMENT);  // refused, never truncated
  publish(writer, 0, 8);    // 64 B: pool 1
  publish(writer, 1, 9);    // 72 B: pool 2
  publish(writer, 2, 128);  // 1 KiB: pool 2
  SlotHeader h;
  const SlotLimits limits = s.map.limits();
  assert_true(read_frame(s.map, limits, 0, h) == SlotState::committed);
  assert_int_equal(h.pool_id, 1);
  assert_true(read_frame(s.map, limits, 1, h) == SlotState::committed);
  assert_int_equal(h.pool_id, 2);
  assert_int_equal(h.values_len_bytes, 72);
  assert_int_equal(h.payload_slot, 1);
  assert_true(read_frame(s.map, limits, 3, h) == SlotState::pending);  // not published yet
  // the slot being written reads as pending; after commit it is there
  assert_int_equal(writer.claim(3, 8, &payload), LF_OK);
  assert_true(read_frame(s.map, limits, 3, h) == SlotState::pending);
  writer.commit(SlotHeader{});
  assert_true(read_frame(s.map, limits, 3, h) == SlotState::committed);
  assert_int_equal(h.pool_id, 1);  // filled in by the writer, whatever the caller's header said
  assert_int_equal(h.payload_slot, 3);
}

void stream_mode_accounts_for_every_frame(void **) {
  TestStream s(8);
  FrameWriter writer(s.map);
  Cursor cursor({Mode::stream, 8}, 0);
  for (uint64_t seq = 0; seq < 5; ++seq) publish(writer, seq, 4);
  assert_int_equal(drain(s, cursor, 5), 0);
  assert_int_equal(cursor.counters().read, 5);
  // lapped three times over: only the last 8 frames are still there
  for (uint64_t seq = 5; seq < 5 + 24; ++seq) publish(writer, seq, 4);
  assert_int_equal(drain(s, cursor, 29), 0);
  const CursorCounters &c = cursor.counters();
  assert_int_equal(c.read, 5 + 8);
  assert_int_equal(c.drops_gap, 16);
  assert_int_equal(c.total(), 29);
}

void latest_decimated_and_rate_limited_pass_over_by_choice(void **) {
  TestStream s(16);
  FrameWriter writer(s.map);
  for (uint64_t seq = 0; seq < 10; ++seq) publish(writer, seq, 2);
  Cursor latest({Mode::latest, 16}, 0);
  drain(s, latest, 10);
  assert_int_equal(latest.counters().read, 1);  // frame 9
  assert_int_equal(latest.counters().skipped, 9);
  Cursor decimated({Mode::decimated, 16, 4}, 0);
  drain(s, decimated, 10);
  assert_int_equal(decimated.counters().read, 3);  // 0, 4, 8
  assert_int_equal(decimated.counters().skipped, 7);
  assert_int_equal(decimated.position(), 10);
  Cursor limited({Mode::rate_limited, 16, 1, 1000}, 0);
  drain(s, limited, 5, 0);  // reads 4, skips 0..3
  drain(s, limited, 10, 500);  // too soon: nothing
  assert_int_equal(limited.counters().read, 1);
  drain(s, limited, 10, 1000);  // reads 9, skips 5..8
  assert_int_equal(limited.counters().read, 2);
  assert_int_equal(limited.counters().skipped, 8);
  for (const Cursor *c : {&latest, &decimated, &limited}) assert_int_equal(c->counters().total(), 10);
  // lapped decimation: wanted frames that are gone are gaps, the others skipped
  for (uint64_t seq = 10; seq < 50; ++seq) publish(writer, seq, 2);
  drain(s, decimated, 50);
  assert_int_equal(decimated.counters().total(), 50);
  assert_int_equal(decimated.counters().drops_gap, 6);  // 12, 16, ..., 32 were gone (frames < 50 - 16)
  assert_int_equal(decimated.counters().read, 3 + 4);  // 36, 40, 44, 48
}

void late_and_invalid_frames_are_counted(void **) {
  TestStream s(4);
  FrameWriter writer(s.map);
  for (uint64_t seq = 0; seq < 2; ++seq) publish(writer, seq, 2);
  Cursor cursor({Mode::stream, 4}, 0);
  auto seq = cursor.next(2, 0);
  SlotHeader h;
  assert_true(read_frame(s.map, s.map.limits(), *seq, h) == SlotState::committed);
  // the producer laps the ring and claims this very slot while the frame is being read
  uint8_t *payload = nullptr;
  for (uint64_t later = 2; later < 4; ++later) publish(writer, later, 2);
  assert_int_equal(writer.claim(4, 16, &payload), LF_OK);
  assert_false(frame_still_intact(s.map, *seq));
  cursor.late(*seq);
  writer.commit(SlotHeader{.values_len_bytes = 16, .ndims = 1});
  // a committed slot with a broken header: not delivered, counted
  uint8_t *slot = s.map.slot(1);
  slot[slot_offset::ndims] = 9;
  assert_true(read_frame(s.map, s.map.limits(), 1, h) == SlotState::invalid);
  cursor.next(5, 0);
  cursor.invalid(1);
  drain(s, cursor, 5);
  assert_int_equal(cursor.counters().drops_late, 1);
  assert_int_equal(cursor.counters().invalid, 1);
  assert_int_equal(cursor.counters().read, 3);  // 2, 3, 4
  assert_int_equal(cursor.counters().total(), 5);
}

// A writer publishing as fast as it can into a 4-slot ring while two readers read every frame
// they can: every accepted frame must be intact, and every frame accounted for.
void no_torn_frame_is_ever_accepted(void **) {
  TestStream s(4);
  const char *scale = std::getenv("LF_TEST_SCALE");  // (percent; sanitizer builds run fewer)
  const uint64_t frames = 200000 * static_cast<uint64_t>(scale != nullptr && std::atoi(scale) > 0 ? std::atoi(scale) : 100) / 100;
  std::atomic<uint64_t> published{0};
  std::thread producer([&] {
    FrameWriter writer(s.map);
    for (uint64_t seq = 0; seq < frames; ++seq) {
      publish(writer, seq, 1 + static_cast<uint32_t>(seq % 128));
      published.store(seq + 1, std::memory_order_release);
    }
  });
  uint64_t torn[2] = {0, 0};
  CursorCounters counters[2];
  std::thread readers[2];
  for (int r = 0; r < 2; ++r)
    readers[r] = std::thread([&, r] {
      Cursor cursor({Mode::stream, 4}, 0);
      while (cursor.position() < frames) torn[r] += drain(s, cursor, published.load(std::memory_order_acquire));
      counters[r] = cursor.counters();
    });
  producer.join();
  for (auto &t : readers) t.join();
  for (int r = 0; r < 2; ++r) {
    assert_int_equal(torn[r], 0);
    assert_int_equal(counters[r].total(), frames);
    assert_true(counters[r].read > 0);
    print_message("reader %d: %llu read, %llu gapped, %llu late\n", r, static_cast<unsigned long long>(counters[r].read),
                  static_cast<unsigned long long>(counters[r].drops_gap), static_cast<unsigned long long>(counters[r].drops_late));
  }
}

}  // namespace

int main() {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(frames_go_to_the_smallest_pool_that_fits),
      cmocka_unit_test(stream_mode_accounts_for_every_frame),
      cmocka_unit_test(latest_decimated_and_rate_limited_pass_over_by_choice),
      cmocka_unit_test(late_and_invalid_frames_are_counted),
      cmocka_unit_test(no_torn_frame_is_ever_accepted),
  };
  return cmocka_run_group_tests(tests, nullptr, nullptr);
}

// lavaflow pool ls / pool top: the supervisor's view of tensor pool streams. The stream list
// comes from the driver; everything else from the shared control regions and header ring
// superblocks (lf_pool_read_control, lf_pool_inspect), as any process may read them.
#include "cli_common.hpp"

#include <lavaflow/pool.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <thread>
#include <unistd.h>

namespace lavaflow_cli {

namespace {

const char *mode_name(int32_t mode) {
  switch (mode) {
    case LF_POOL_MODE_STREAM: return "stream";
    case LF_POOL_MODE_LATEST: return "latest";
    case LF_POOL_MODE_DECIMATED: return "decimated";
    case LF_POOL_MODE_RATE_LIMITED: return "rate-limited";
    default: return "invalid";
  }
}

// The clock of every tensor-pool timestamp (docs/tensor-pool.md, "Clocks").
uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}

struct StreamView {
  lf_pool_stream_status_t status{};
  lf_pool_producer_qos_t qos{};
  std::vector<lf_pool_consumer_entry_t> consumers;
  uint64_t activity_ns = 0;
  bool stale = false;
};

std::vector<StreamView> snapshot(const lf::context &ctx, uint64_t stale_ms) {
  std::vector<lf_pool_stream_status_t> listed(64);
  for (auto &s : listed) s.struct_size = sizeof s;
  uint32_t count = 0;
  lf::check(lf_pool_list_streams(ctx.get(), listed.data(), static_cast<uint32_t>(listed.size()), &count));
  listed.resize(std::min<size_t>(count, listed.size()));
  std::vector<StreamView> views;
  const uint64_t now = monotonic_ns();
  for (const auto &s : listed) {
    StreamView v;
    v.status = s;
    v.qos.struct_size = sizeof v.qos;
    std::vector<lf_pool_consumer_entry_t> entries(256);
    for (auto &e : entries) e.struct_size = sizeof e;
    uint32_t attached = 0;
    const std::string control = std::string(s.epoch_dir) + "/control";
    if (lf_pool_read_control(ctx.get(), control.c_str(), &v.qos, entries.data(), static_cast<uint32_t>(entries.size()), &attached) == LF_OK) {
      entries.resize(std::min<size_t>(attached, entries.size()));
      v.consumers = entries;
    }
    lf_pool_region_info_t ring{};
    ring.struct_size = sizeof ring;
    const std::string header = std::string(s.epoch_dir) + "/header.ring";
    if (lf_pool_inspect(ctx.get(), header.c_str(), &ring, nullptr, 0, nullptr) == LF_OK) v.activity_ns = ring.activity_timestamp_ns;
    // A producer whose activity stamp stopped moving (3-5 announce periods) is presumed dead.
    v.stale = s.producer_pid != 0 && now > v.activity_ns && (now - v.activity_ns) / 1000000 > stale_ms;
    views.push_back(std::move(v));
  }
  return views;
}

void list_streams(const GlobalOptions &options, bool json, uint64_t stale_ms) {
  lf::context ctx = make_context(options);
  const std::vector<StreamView> views = snapshot(ctx, stale_ms);
  if (json) {
    JsonWriter w(std::cout);
    w.begin_array();
    for (const auto &v : views) {
      w.begin_object().field("stream_id", v.status.stream_id).field("epoch", v.status.epoch);
      w.field("producer_pid", v.status.producer_pid).field("stale", v.stale).field("consumers", v.status.consumers);
      w.field("nslots", v.status.nslots).field("bytes", v.status.bytes).field("published", v.qos.published);
      w.field("frames_refused", v.qos.frames_refused).field("epoch_dir", v.status.epoch_dir).end_object();
    }
    w.end_array();
    return;
  }
  if (views.empty()) {
    std::cout << "no streams\n";
    return;
  }
  std::printf("%-8s %-6s %-16s %-9s %-6s %-10s %-10s %s\n", "STREAM", "EPOCH", "PRODUCER", "CONSUMERS", "SLOTS", "SIZE", "PUBLISHED", "DIR");
  for (const auto &v : views) {
    std::string producer = v.status.producer_pid ? "pid " + std::to_string(v.status.producer_pid) + (v.stale ? " STALE" : "") : "-";
    std::printf("%-8u %-6llu %-16s %-9u %-6u %-10s %-10llu %s\n", v.status.stream_id, static_cast<unsigned long long>(v.status.epoch),
                producer.c_str(), v.status.consumers, v.status.nslots, format_bytes(v.status.bytes).c_str(),
                static_cast<unsigned long long>(v.qos.published), v.status.epoch_dir);
  }
}

void top(const GlobalOptions &options, bool json, uint32_t interval_ms, uint32_t count, uint64_t stale_ms) {
  lf::context ctx = make_context(options);
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> last_published;           // (stream, epoch)
  std::map<std::pair<uint32_t, uint64_t>, lf_pool_consumer_entry_t> last_seen;  // (stream, lease)
  const bool tty = !json && isatty(STDOUT_FILENO);
  for (uint32_t round = 0; count == 0 || round < count; ++round) {
    const std::vector<StreamView> views = snapshot(ctx, stale_ms);
    const double seconds = interval_ms / 1000.0;
    auto rate = [&](uint64_t now, uint64_t before) { return round == 0 || now < before ? 0.0 : static_cast<double>(now - before) / seconds; };
    if (json) {
      JsonWriter w(std::cout);
      w.begin_object().field("sample", round).key("streams").begin_array();
      for (const auto &v : views) {
        const auto key = std::make_pair(v.status.stream_id, v.status.epoch);
        w.begin_object().field("stream_id", v.status.stream_id).field("epoch", v.status.epoch);
        w.field("producer_pid", v.status.producer_pid).field("stale", v.stale).field("published", v.qos.published);
        w.key("publish_rate_hz").value(static_cast<uint64_t>(rate(v.qos.published, last_published.count(key) ? last_published[key] : v.qos.published)));
        w.key("consumers").begin_array();
        for (const auto &e : v.consumers) {
          const auto ck = std::make_pair(v.status.stream_id, e.lease_id);
          const uint64_t before = last_seen.count(ck) ? last_seen[ck].frames_read : e.frames_read;
          w.begin_object().field("pid", e.pid).field("mode", mode_name(e.mode)).field("frames_read", e.frames_read);
          w.key("read_rate_hz").value(static_cast<uint64_t>(rate(e.frames_read, before)));
          w.field("lag", v.qos.published > e.next_seq ? v.qos.published - e.next_seq : 0).field("drops_gap", e.drops_gap);
          w.field("drops_late", e.drops_late).field("skipped", e.skipped).end_object();
        }
        w.end_array().end_object();
      }
      w.end_array().end_object();
    } else {
      if (tty) std::cout << "\033[H\033[2J";
      std::printf("lavaflow pool top: %zu stream(s), every %u ms\n", views.size(), interval_ms);
      std::printf("%-8s %-6s %-16s %-12s %-10s | %-8s %-12s %-10s %-8s %-10s %-10s %-10s\n", "STREAM", "EPOCH", "PRODUCER", "PUBLISHED",
                  "RATE/s", "CONSUMER", "MODE", "READ/s", "LAG", "GAP", "LATE", "SKIPPED");
      for (const auto &v : views) {
        const auto key = std::make_pair(v.status.stream_id, v.status.epoch);
        const double publish_rate = rate(v.qos.published, last_published.count(key) ? last_published[key] : v.qos.published);
        std::string producer = v.status.producer_pid ? "pid " + std::to_string(v.status.producer_pid) + (v.stale ? " STALE" : "") : "-";
        std::printf("%-8u %-6llu %-16s %-12llu %-10.0f |", v.status.stream_id, static_cast<unsigned long long>(v.status.epoch), producer.c_str(),
                    static_cast<unsigned long long>(v.qos.published), publish_rate);
        if (v.consumers.empty()) std::printf(" (no consumers)\n");
        for (size_t i = 0; i < v.consumers.size(); ++i) {
          const auto &e = v.consumers[i];
          const auto ck = std::make_pair(v.status.stream_id, e.lease_id);
          const double read_rate = rate(e.frames_read, last_seen.count(ck) ? last_seen[ck].frames_read : e.frames_read);
          if (i > 0) std::printf("%-58s |", "");
          std::printf(" %-8llu %-12s %-10.0f %-8llu %-10llu %-10llu %-10llu\n", static_cast<unsigned long long>(e.pid), mode_name(e.mode),
                      read_rate, static_cast<unsigned long long>(v.qos.published > e.next_seq ? v.qos.published - e.next_seq : 0),
                      static_cast<unsigned long long>(e.drops_gap), static_cast<unsigned long long>(e.drops_late),
                      static_cast<unsigned long long>(e.skipped));
        }
      }
      std::fflush(stdout);
    }
    for (const auto &v : views) {
      last_published[{v.status.stream_id, v.status.epoch}] = v.qos.published;
      for (const auto &e : v.consumers) last_seen[{v.status.stream_id, e.lease_id}] = e;
    }
    if (count != 0 && round + 1 == count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

}  // namespace

void add_pool_status_commands(CLI::App &pool, GlobalOptions &options) {
  auto stale = std::make_shared<uint64_t>(3000);
  auto *ls = pool.add_subcommand("ls", "List the driver's streams: epoch, producer (STALE if its activity stopped), consumers, sizes");
  auto ls_json = std::make_shared<bool>(false);
  ls->add_flag("--json", *ls_json, "Print JSON instead of text");
  ls->add_option("--stale-ms", *stale, "Activity older than this marks a producer stale (default 3000: 3 default announce periods)");
  ls->callback([&options, ls_json, stale] { list_streams(options, *ls_json, *stale); });

  auto *t = pool.add_subcommand("top", "Live rates, lag and drops per consumer, refreshed every --interval ms");
  auto json = std::make_shared<bool>(false);
  auto interval = std::make_shared<uint32_t>(1000);
  auto count = std::make_shared<uint32_t>(0);
  t->add_flag("--json", *json, "Print one JSON object per sample");
  t->add_option("--interval", *interval, "Milliseconds between samples (default 1000)")->check(CLI::Range(10u, 3600000u));
  t->add_option("--count", *count, "Stop after this many samples (default 0: until interrupted); rates need two");
  t->add_option("--stale-ms", *stale, "As for ls");
  t->callback([&options, json, interval, count, stale] { top(options, *json, *interval, *count, *stale); });
}

}  // namespace lavaflow_cli

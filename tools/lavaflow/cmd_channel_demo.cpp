// The channel part of `lavaflow demo`: this process (the producer) and a child process (the
// hidden `lavaflow channel-peer NAME`, the consumer) connect over a pair of channels, NAME
// and NAME-back. First a ping-pong gives latency percentiles, then two streams give the
// throughput; the child checks every sequence number and byte and reports what it received.
#include "child_process.hpp"
#include "cli_common.hpp"

#include <lavaflow/channel.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <unistd.h>

namespace lavaflow_cli {

namespace {

// Every message starts with this header.
enum Tag : uint32_t { kPing = 1, kStream = 2, kEndOfPhase = 3 };
struct MessageHeader {
  uint32_t tag;
  uint32_t reserved;
  uint64_t seq;
};
// The child's answer to kEndOfPhase.
struct PhaseReport {
  uint64_t messages;
  uint64_t bytes;
  uint64_t out_of_order;
  uint64_t corrupt;
};

constexpr int32_t kTimeoutMs = 10000;
constexpr uint64_t kCapacity = uint64_t{4} << 20;
constexpr uint64_t kMaxMessage = uint64_t{1} << 20;

void check(lf_status_t status, const char *what) {
  if (status != LF_OK)
    throw CliError(std::string(what) + ": " + lf_status_string(status) + ": " + lf_last_error_message());
}

// Owns one end.
class End {
 public:
  End() = default;
  End(const End &) = delete;
  End &operator=(const End &) = delete;
  ~End() { lf_channel_destroy(channel_); }
  lf_channel_t **out() { return &channel_; }
  lf_channel_t *get() const { return channel_; }

 private:
  lf_channel_t *channel_ = nullptr;
};

lf_channel_params_t params_for(int32_t role) {
  lf_channel_params_t params{};
  params.field_mask = LF_CHANNEL_PARAM_FIELD_ROLE | LF_CHANNEL_PARAM_FIELD_CAPACITY |
                      LF_CHANNEL_PARAM_FIELD_MAX_MESSAGE_SIZE | LF_CHANNEL_PARAM_FIELD_CONNECT_TIMEOUT;
  params.role = role;
  params.capacity = kCapacity;
  params.max_message_size = kMaxMessage;
  params.connect_timeout_ms = kTimeoutMs;
  return params;
}

// The payload after the header: every byte is the low byte of the sequence number.
uint8_t pattern_of(uint64_t seq) { return static_cast<uint8_t>(seq); }

// Sends a message of `size` bytes (at least the header), written in place.
void send_tagged(lf_channel_t *out, Tag tag, uint64_t seq, size_t size) {
  void *slot = nullptr;
  check(lf_channel_reserve(out, size, kTimeoutMs, &slot), "reserve");
  MessageHeader header{tag, 0, seq};
  std::memcpy(slot, &header, sizeof header);
  std::memset(static_cast<uint8_t *>(slot) + sizeof header, pattern_of(seq), size - sizeof header);
  check(lf_channel_commit(out, size), "commit");
}

// Whether every payload byte carries the pattern (the consumer reads all of it, in place).
bool payload_intact(const uint8_t *payload, size_t size, uint8_t pattern) {
  uint64_t word;
  std::memset(&word, pattern, sizeof word);
  size_t i = 0;
  for (; i + sizeof word <= size; i += sizeof word) {
    uint64_t got;
    std::memcpy(&got, payload + i, sizeof got);
    if (got != word) return false;
  }
  for (; i < size; ++i)
    if (payload[i] != pattern) return false;
  return true;
}

struct Latency {
  std::vector<double> one_way_ns;
  double percentile(double p) const {
    size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(one_way_ns.size() - 1) + 0.5);
    return one_way_ns[std::min(i, one_way_ns.size() - 1)];
  }
};

Latency ping_pong(lf_channel_t *out, lf_channel_t *back, size_t size, uint32_t warmup, uint32_t rounds) {
  Latency latency;
  latency.one_way_ns.reserve(rounds);
  using clock = std::chrono::steady_clock;
  for (uint32_t i = 0; i < warmup + rounds; ++i) {
    const auto start = clock::now();
    send_tagged(out, kPing, i, size);
    const void *data = nullptr;
    size_t got = 0;
    check(lf_channel_peek(back, kTimeoutMs, &data, &got), "peek (pong)");
    MessageHeader header{};
    std::memcpy(&header, data, sizeof header);
    check(lf_channel_release(back), "release");
    const auto stop = clock::now();
    if (header.tag != kPing || header.seq != i || got != size) throw CliError("the pong does not match the ping");
    if (i >= warmup) latency.one_way_ns.push_back(std::chrono::duration<double, std::nano>(stop - start).count() / 2);
  }
  std::sort(latency.one_way_ns.begin(), latency.one_way_ns.end());
  return latency;
}

struct Throughput {
  double seconds;
  PhaseReport report;
};

Throughput stream(lf_channel_t *out, lf_channel_t *back, size_t size, uint64_t count) {
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < count; ++i) send_tagged(out, kStream, i, size);
  send_tagged(out, kEndOfPhase, count, sizeof(MessageHeader));
  Throughput result{};
  size_t got = 0;
  check(lf_channel_recv(back, &result.report, sizeof result.report, &got, kTimeoutMs), "recv (report)");
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (got != sizeof result.report) throw CliError("the peer's report has the wrong size");
  return result;
}

// The child: echoes pings, counts streams, reports at each end of phase, exits at the end.
int run_peer(const GlobalOptions &options, const std::string &name) {
  lf::context ctx = make_context(options);
  End in, back;
  lf_channel_params_t consumer = params_for(LF_CHANNEL_CONSUMER);
  lf_channel_params_t producer = params_for(LF_CHANNEL_PRODUCER);
  check(lf_channel_open(ctx.get(), name.c_str(), &consumer, in.out()), "open");
  check(lf_channel_open(ctx.get(), (name + "-back").c_str(), &producer, back.out()), "open (back)");
  PhaseReport report{};
  uint64_t expected = 0;
  for (;;) {
    const void *data = nullptr;
    size_t size = 0;
    lf_status_t status = lf_channel_peek(in.get(), kTimeoutMs, &data, &size);
    if (status == LF_END_OF_STREAM) return 0;
    check(status, "peek");
    MessageHeader header{};
    if (size < sizeof header) throw CliError("a message shorter than its header");
    std::memcpy(&header, data, sizeof header);
    if (header.tag == kPing) {
      // Echo it from ring to ring: one copy, no buffer of our own.
      void *slot = nullptr;
      check(lf_channel_reserve(back.get(), size, kTimeoutMs, &slot), "reserve (pong)");
      std::memcpy(slot, data, size);
      check(lf_channel_commit(back.get(), size), "commit (pong)");
    } else if (header.tag == kStream) {
      report.out_of_order += header.seq != expected;
      report.corrupt += !payload_intact(static_cast<const uint8_t *>(data) + sizeof header, size - sizeof header,
                                        pattern_of(header.seq));
      expected = header.seq + 1;
      ++report.messages;
      report.bytes += size;
    } else if (header.tag == kEndOfPhase) {
      report.out_of_order += header.seq != expected;
      check(lf_channel_send(back.get(), &report, sizeof report, kTimeoutMs), "send (report)");
      report = PhaseReport{};
      expected = 0;
    }
    check(lf_channel_release(in.get()), "release");
  }
}

std::string format_ns(double ns) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(ns < 10000 ? 0 : 1);
  if (ns < 10000)
    out << ns << " ns";
  else
    out << ns / 1000 << " µs";
  return out.str();
}

}  // namespace

void run_channel_demo(std::ostream &out, const GlobalOptions &options, const std::string &self_path) {
  lf::context ctx = make_context(options);
  const std::string name = "lavaflow-demo-" + std::to_string(getpid());
  End to_peer, from_peer;
  lf_channel_params_t producer = params_for(LF_CHANNEL_PRODUCER);
  lf_channel_params_t consumer = params_for(LF_CHANNEL_CONSUMER);
  check(lf_channel_create(ctx.get(), name.c_str(), &producer, to_peer.out()), "create");
  check(lf_channel_create(ctx.get(), (name + "-back").c_str(), &consumer, from_peer.out()), "create (back)");
  const pid_t pid = spawn_command(self_command(self_path, options, {"channel-peer", name}), nullptr);
  try {
    // The first round trip also waits for the child to start and connect.
    Latency latency = ping_pong(to_peer.get(), from_peer.get(), 64, 2000, 20000);
    lf_channel_info_t info{};
    info.struct_size = sizeof info;
    check(lf_channel_get_info(to_peer.get(), &info), "info");
    const char *reason = nullptr;
    check(lf_channel_get_reason(to_peer.get(), &reason), "reason");
    out << "channel: " << name << " (this process, pid " << getpid() << ", produces; pid " << pid
        << " consumes and answers on " << name << "-back)\n";
    out << "transport: " << lf_transport_name(info.transport) << "\n";
    out << "scope: " << lf_scope_level_name(info.scope) << "\n";
    out << "reason: " << reason << "\n";
    out << "ring: " << format_bytes(info.capacity) << ", messages up to " << format_bytes(info.max_message_size)
        << ", adaptive waiting\n";

    out << "\nlatency, 64 B messages, one way (round trip / 2), " << latency.one_way_ns.size() << " round trips:\n";
    for (double p : {50.0, 90.0, 99.0, 99.9})
      out << "  p" << std::left << std::setw(5) << p << std::right << " " << format_ns(latency.percentile(p)) << "\n";
    out << "  max    " << format_ns(latency.one_way_ns.back()) << "\n";

    out << "\nthroughput, one stream of zero-copy messages (written in place by the producer, every byte and\n"
           "sequence number checked in place by the consumer):\n";
    struct Run {
      size_t size;
      uint64_t count;
    };
    for (Run run : {Run{64, 1000000}, Run{4096, 200000}, Run{1 << 20, 1000}}) {
      Throughput t = stream(to_peer.get(), from_peer.get(), run.size, run.count);
      if (t.report.messages != run.count || t.report.out_of_order != 0 || t.report.corrupt != 0)
        throw CliError("the consumer received " + std::to_string(t.report.messages) + " of " +
                       std::to_string(run.count) + " messages, " + std::to_string(t.report.out_of_order) +
                       " out of order, " + std::to_string(t.report.corrupt) + " with wrong bytes");
      const double rate = static_cast<double>(run.count) / t.seconds;
      out << "  " << std::setw(9) << format_bytes(run.size) << " x " << std::setw(7) << run.count << ": "
          << std::fixed << std::setprecision(2) << std::setw(7) << (rate >= 1e6 ? rate / 1e6 : rate / 1e3)
          << (rate >= 1e6 ? " M" : " k") << " messages/s, " << std::setw(6)
          << static_cast<double>(t.report.bytes) / t.seconds / 1e9 << " GB/s\n";
    }
  } catch (...) {
    lf_channel_close(to_peer.get());  // the child sees the end of the stream and exits
    wait_child(pid);
    throw;
  }
  check(lf_channel_close(to_peer.get()), "close");
  const int status = wait_child(pid);
  if (status != 0) throw CliError("the consumer process exited with status " + std::to_string(status));
  out << "the consumer process received everything and exited cleanly\n";
}

CLI::App *add_channel_peer_command(CLI::App &app, GlobalOptions &options) {
  auto *cmd = app.add_subcommand("channel-peer", "The demo's consumer process (started by `lavaflow demo`)");
  cmd->group("");  // hidden from --help: not meant to be run by hand
  static std::string name;
  cmd->add_option("name", name, "Channel name")->required();
  cmd->callback([&options] {
    int status = run_peer(options, name);
    if (status != 0) throw CliError("channel-peer failed");
  });
  return cmd;
}

}  // namespace lavaflow_cli

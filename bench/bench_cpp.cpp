// bench_cpp: the C++ wrapper (lavaflow.hpp) against the same C calls, in the same run, on the
// same channels: copies (send/recv) and zero-copy (reserve/commit, peek/release), one thread
// sending and receiving in turn (the calls alone), streaming 64-byte messages one way, and
// ping-pong (round trip / 2), between two threads and between two processes. Each case runs C and C++ alternately (ABBA, `--reps` times) and reports the
// medians and the median of the paired ratios C++ / C. Both sides busy-poll (LF_WAIT_SPIN) on
// pinned CPUs 0 and 1. The last rows pair the C calls with themselves: their distance from
// 1.000 is the noise floor of this machine (`--single` under valgrind counts instructions,
// which noise does not move).
//
//   bench_cpp [--quick] [--reps N] [--verbose]
//   bench_cpp --single CASE c|cpp COUNT    one case in one layer, e.g. under valgrind to count
//                                          instructions (CASE 0: send + recv, 1: zero-copy)
// (the peer process: bench_cpp --peer CASE LAYER NAME COUNT)
#include <lavaflow/lavaflow.hpp>

extern "C" {
#include "bench_common.h"
}

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr size_t kMessage = 64;
enum class work { same_thread_copy, same_thread_zero_copy, stream_copy, stream_zero_copy, pingpong_copy, pingpong_zero_copy };
const char *const kWorkNames[] = {"send + recv",       "reserve/commit + peek/release",
                                  "stream, send/recv", "stream, reserve/commit + peek/release",
                                  "ping-pong, send/recv", "ping-pong, reserve/commit + peek/release"};

[[noreturn]] void die(const char *what) {
  std::fprintf(stderr, "bench_cpp: %s: %s\n", what, lf_last_error_message());
  std::exit(1);
}

// ---- one message each way, by layer: the C calls, or the wrapper's ----------------------

// (zero_copy is a template parameter, and both helpers are always inlined: the calls sit in
// the measured loop as they would in a program that wrote them there.)
template <bool Cpp, bool zero_copy>
[[gnu::always_inline]] inline void put(lf::producer &p, uint64_t seq) {
  alignas(8) unsigned char message[kMessage];  // (copy calls only; its bytes after the number are not read)
  if constexpr (Cpp) {
    if constexpr (zero_copy) {
      auto loan = p.reserve(kMessage);
      std::memcpy(loan->data(), &seq, sizeof seq);
      loan->commit();
    } else {
      std::memcpy(message, &seq, sizeof seq);
      if (!p.send(std::span<const unsigned char>(message))) die("send");
    }
  } else {
    lf_channel_t *c = p.get();
    if constexpr (zero_copy) {
      void *data = nullptr;
      if (lf_channel_reserve(c, kMessage, -1, &data) != LF_OK) die("reserve");
      std::memcpy(data, &seq, sizeof seq);
      if (lf_channel_commit(c, kMessage) != LF_OK) die("commit");
    } else {
      std::memcpy(message, &seq, sizeof seq);
      if (lf_channel_send(c, message, kMessage, -1) != LF_OK) die("send");
    }
  }
}

template <bool Cpp, bool zero_copy>
[[gnu::always_inline]] inline uint64_t take(lf::consumer &c) {
  alignas(8) unsigned char message[kMessage];
  uint64_t seq = 0;
  if constexpr (Cpp) {
    if constexpr (zero_copy) {
      auto m = c.peek();
      std::memcpy(&seq, m->data(), sizeof seq);
    } else {
      auto n = c.recv(std::span<unsigned char>(message));
      if (!n) die("recv");
      std::memcpy(&seq, message, sizeof seq);
    }
  } else {
    lf_channel_t *ch = c.get();
    if constexpr (zero_copy) {
      const void *data = nullptr;
      size_t size = 0;
      if (lf_channel_peek(ch, -1, &data, &size) != LF_OK) die("peek");
      std::memcpy(&seq, data, sizeof seq);
      if (lf_channel_release(ch) != LF_OK) die("release");
    } else {
      size_t size = 0;
      if (lf_channel_recv(ch, message, sizeof message, &size, -1) != LF_OK) die("recv");
      std::memcpy(&seq, message, sizeof seq);
    }
  }
  return seq;
}

bool zero_copy_of(work w) {
  return w == work::stream_zero_copy || w == work::pingpong_zero_copy || w == work::same_thread_zero_copy;
}
bool pingpong_of(work w) { return w == work::pingpong_copy || w == work::pingpong_zero_copy; }

lf::channel_options options() { return lf::channel_options().capacity(1 << 16).wait_mode(LF_WAIT_SPIN).connect_timeout(std::chrono::seconds(10)); }

// The peer's side: the producer of a stream, or the echoing side of a ping-pong.
template <bool Cpp, bool ZC>
void peer_side(const lf::context &ctx, work w, const std::string &name, uint64_t count) {
  auto out = lf::producer::open(ctx, name + "-a", options());
  if (pingpong_of(w)) {
    auto in = lf::consumer::create(ctx, name + "-b", options());
    for (uint64_t i = 0; i < count; ++i) put<Cpp, ZC>(out, take<Cpp, ZC>(in));
  } else {
    for (uint64_t i = 0; i < count; ++i) put<Cpp, ZC>(out, i);
  }
}

template <bool Cpp>
void peer_side(const lf::context &ctx, work w, const std::string &name, uint64_t count) {
  zero_copy_of(w) ? peer_side<Cpp, true>(ctx, w, name, count) : peer_side<Cpp, false>(ctx, w, name, count);
}

// The measuring side: ns per message (stream) or per one-way trip (ping-pong).
template <bool Cpp, bool ZC>
double measuring_side(lf::consumer &in, const lf::context &ctx, work w, const std::string &name, uint64_t count) {
  if (pingpong_of(w)) {
    auto out = lf::producer::open(ctx, name + "-b", options());
    const uint64_t warm = count / 10;
    uint64_t start = 0;
    for (uint64_t i = 0; i < count; ++i) {
      if (i == warm) start = bench_now_ns();
      put<Cpp, ZC>(out, i);
      if (take<Cpp, ZC>(in) != i) die("ping-pong out of order");
    }
    return static_cast<double>(bench_now_ns() - start) / static_cast<double>(count - warm) / 2.0;
  }
  if (take<Cpp, ZC>(in) != 0) die("stream out of order");
  const uint64_t start = bench_now_ns();
  for (uint64_t i = 1; i < count; ++i)
    if (take<Cpp, ZC>(in) != i) die("stream out of order");
  return static_cast<double>(bench_now_ns() - start) / static_cast<double>(count - 1);
}

template <bool Cpp>
double measuring_side(lf::consumer &in, const lf::context &ctx, work w, const std::string &name, uint64_t count) {
  return zero_copy_of(w) ? measuring_side<Cpp, true>(in, ctx, w, name, count) : measuring_side<Cpp, false>(in, ctx, w, name, count);
}

std::string g_self;
int g_run;
bool g_verbose;

// One thread, in-process: a message sent then received, so only the calls are timed (no
// second core, no cache line crossing): the wrapper's own cost shows most clearly here.
template <bool Cpp, bool ZC>
double same_thread(const lf::context &ctx, uint64_t count) {
  const std::string name = "bench-cpp-" + std::to_string(getpid()) + "-" + std::to_string(++g_run);
  auto in = lf::consumer::create(ctx, name, options());
  auto out = lf::producer::open(ctx, name, options());
  const uint64_t warm = count / 10;
  uint64_t start = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (i == warm) start = bench_now_ns();
    put<Cpp, ZC>(out, i);
    if (take<Cpp, ZC>(in) != i) die("out of order");
  }
  return static_cast<double>(bench_now_ns() - start) / static_cast<double>(count - warm);
}

double run_case(const lf::context &ctx, work w, bool cpp, bool processes, uint64_t count) {
  if (w == work::same_thread_copy || w == work::same_thread_zero_copy) {
    if (w == work::same_thread_zero_copy) return cpp ? same_thread<true, true>(ctx, count) : same_thread<false, true>(ctx, count);
    return cpp ? same_thread<true, false>(ctx, count) : same_thread<false, false>(ctx, count);
  }
  const std::string name = "bench-cpp-" + std::to_string(getpid()) + "-" + std::to_string(++g_run);
  auto in = lf::consumer::create(ctx, name + "-a", options());
  double ns = 0;
  if (processes) {
    const pid_t pid = fork();
    if (pid == 0) {
      bench_pin(1);
      const std::string w_arg = std::to_string(static_cast<int>(w)), n_arg = std::to_string(count);
      execl(g_self.c_str(), g_self.c_str(), "--peer", w_arg.c_str(), cpp ? "cpp" : "c", name.c_str(), n_arg.c_str(),
            static_cast<char *>(nullptr));
      _exit(127);
    }
    bench_pin(0);
    ns = cpp ? measuring_side<true>(in, ctx, w, name, count) : measuring_side<false>(in, ctx, w, name, count);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("the peer process failed");
  } else {
    std::thread peer([&] {
      bench_pin(1);
      cpp ? peer_side<true>(ctx, w, name, count) : peer_side<false>(ctx, w, name, count);
    });
    bench_pin(0);
    ns = cpp ? measuring_side<true>(in, ctx, w, name, count) : measuring_side<false>(in, ctx, w, name, count);
    peer.join();
  }
  return ns;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char **argv) {
  g_self = argv[0];
  try {
    if (argc == 6 && std::strcmp(argv[1], "--peer") == 0) {
      lf::context ctx;
      const work w = static_cast<work>(std::atoi(argv[2]));
      const uint64_t count = std::strtoull(argv[5], nullptr, 10);
      std::strcmp(argv[3], "cpp") == 0 ? peer_side<true>(ctx, w, argv[4], count) : peer_side<false>(ctx, w, argv[4], count);
      return 0;
    }
    if (argc == 5 && std::strcmp(argv[1], "--single") == 0) {  // one case, one layer (e.g. under valgrind)
      lf::context ctx;
      const work w = static_cast<work>(std::atoi(argv[2]));
      const uint64_t count = std::strtoull(argv[4], nullptr, 10);
      std::printf("%.1f\n", run_case(ctx, w, std::strcmp(argv[3], "cpp") == 0, false, count));
      return 0;
    }
    bool quick = false;
    int reps = 7;
    for (int i = 1; i < argc; ++i) {
      if (std::strcmp(argv[i], "--quick") == 0) quick = true;
      else if (std::strcmp(argv[i], "--reps") == 0 && i + 1 < argc) reps = std::atoi(argv[++i]);
      else if (std::strcmp(argv[i], "--verbose") == 0) g_verbose = true;
      else {
        std::fprintf(stderr, "usage: bench_cpp [--quick] [--reps N]\n");
        return 2;
      }
    }
    if (quick) reps = 2;
    lf::context ctx;
    std::printf("bench_cpp: the C++ wrapper against the same C calls, 64-byte messages, spinning, %d paired runs (ABBA)\n\n", reps);
    std::printf("%-62s %-9s %10s %10s %8s\n", "case", "between", "C ns", "C++ ns", "C++/C");
    struct row { work w; bool processes; bool control = false; };
    const row rows[] = {{work::same_thread_copy, false},   {work::same_thread_zero_copy, false},
                        {work::stream_copy, false},        {work::stream_zero_copy, false},
                        {work::pingpong_copy, false},      {work::pingpong_zero_copy, false},
                        {work::stream_copy, true},         {work::stream_zero_copy, true},
                        {work::pingpong_copy, true},       {work::pingpong_zero_copy, true},
                        // the noise floor: the C calls against themselves, paired the same way
                        {work::same_thread_copy, false, true}, {work::stream_zero_copy, true, true}};
    for (const row &rw : rows) {
      {
        const work w = rw.w;
        const bool processes = rw.processes;
        const uint64_t count = (pingpong_of(w) ? 100000 : 1000000) / (quick ? 50 : 1);
        std::vector<double> c_ns, cpp_ns, ratios;
        for (int r = 0; r < reps; ++r) {
          const bool cpp_first = r % 2 == 1;  // ABBA: C, C++ | C++, C | ...
          double a = run_case(ctx, w, cpp_first && !rw.control, processes, count);
          double b = run_case(ctx, w, !cpp_first && !rw.control, processes, count);
          const double c = cpp_first ? b : a, cpp = cpp_first ? a : b;
          c_ns.push_back(c);
          cpp_ns.push_back(cpp);
          ratios.push_back(cpp / c);
          if (g_verbose) std::fprintf(stderr, "  %s %s: C %.1f C++ %.1f\n", kWorkNames[static_cast<int>(w)], processes ? "processes" : "threads", c, cpp);
        }
        const std::string label = rw.control ? std::string("control, C again: ") + kWorkNames[static_cast<int>(w)] : kWorkNames[static_cast<int>(w)];
        std::printf("%-62s %-9s %10.1f %10.1f %8.3f\n", label.c_str(), w <= work::same_thread_zero_copy ? "1 thread" : processes ? "processes" : "threads",
                    median(c_ns), median(cpp_ns), median(ratios));
      }
    }
    return 0;
  } catch (const lf::error &e) {
    std::fprintf(stderr, "bench_cpp: %s: %s\n", e.name(), e.what());
    return 1;
  }
}

// An outside C++ program using an installed lavaflow through the C++20 wrapper only.
#include <lavaflow/lavaflow.hpp>

#include <cstdio>

int main() {
  try {
    lf::context ctx;
    lf::identity self(ctx);
    auto name = "install-consumer-cpp-" + std::to_string(::getpid());
    auto consumer = lf::consumer::create(ctx, name);
    auto producer = lf::producer::open(ctx, name);
    producer.send_value(42);
    auto got = consumer.recv_value<int>(lf::no_wait);
    std::printf("consumer.cpp: lavaflow %s, scope %s, received %d\n", lf::version_string().c_str(),
                lf::scope_level_name(lf::scope(ctx, self, self).info().level).c_str(), got ? *got : -1);
    return got && *got == 42 ? 0 : 2;
  } catch (const lf::error &e) {
    std::fprintf(stderr, "consumer.cpp: %s: %s\n", e.name(), e.what());
    return 1;
  }
}

#include "transport/ring.hpp"

namespace lavaflow::transport {

void ProducerRing::attach(const RingView &view) noexcept {
  view_ = view;
  mask_ = view.capacity - 1;
  tail_ = view.control->tail.load(std::memory_order_relaxed);
  head_cache_ = view.control->head.load(std::memory_order_acquire);
  reserved_ = false;
}

void ConsumerRing::attach(const RingView &view) noexcept {
  view_ = view;
  mask_ = view.capacity - 1;
  head_ = view.control->head.load(std::memory_order_relaxed);
  peeked_bytes_ = 0;
}

}  // namespace lavaflow::transport

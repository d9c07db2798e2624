// A queue of at most `capacity` items in storage made once: a std::deque allocates as it
// moves along, and these queues move per chunk. Items stay where they are until popped.
#pragma once

#include <cstddef>
#include <vector>

namespace lavaflow::mpi {

template <typename T>
class FixedQueue {
 public:
  explicit FixedQueue(size_t capacity) : items_(capacity) {}
  bool empty() const noexcept { return count_ == 0; }
  bool full() const noexcept { return count_ == items_.size(); }
  size_t size() const noexcept { return count_; }
  T &front() noexcept { return items_[head_]; }
  T &back() noexcept { return items_[(head_ + count_ - 1) % items_.size()]; }
  T &at(size_t index) noexcept { return items_[(head_ + index) % items_.size()]; }  // 0: the front
  void push_back(const T &item) noexcept {  // (callers check full() first)
    items_[(head_ + count_) % items_.size()] = item;
    ++count_;
  }
  void pop_front() noexcept {
    head_ = (head_ + 1) % items_.size();
    --count_;
  }

 private:
  std::vector<T> items_;
  size_t head_ = 0, count_ = 0;
};

}  // namespace lavaflow::mpi

// A frame buffer that starts on a page boundary. Open MPI's shared-memory transport copies a
// message past its eager limit with one syscall between the two processes' pages (CMA): a
// 4 KiB frame that starts mid-page spans two pages on each side, and the kernel pins and
// copies each page separately.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace lavaflow::mpi {

class PageBuffer {
 public:
  void allocate(size_t size) {
    constexpr size_t kPage = 4096;
    const size_t rounded = (size + kPage - 1) / kPage * kPage;
    void *memory = std::aligned_alloc(kPage, rounded == 0 ? kPage : rounded);
    if (memory == nullptr) throw std::bad_alloc();
    bytes_.reset(static_cast<uint8_t *>(memory));
    size_ = size;
  }
  uint8_t *data() noexcept { return bytes_.get(); }
  const uint8_t *data() const noexcept { return bytes_.get(); }
  size_t size() const noexcept { return size_; }

 private:
  struct Free {
    void operator()(uint8_t *p) const noexcept { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> bytes_;
  size_t size_ = 0;
};

}  // namespace lavaflow::mpi

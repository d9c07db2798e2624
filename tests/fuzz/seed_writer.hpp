// What the seed makers share (make_seeds.cpp, make_mpi_seeds.cpp): writing
// <dir>/<target>/seed-N, and the byte layouts the targets read.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace seeds {

using Bytes = std::vector<uint8_t>;

inline std::string &directory() {
  static std::string dir;
  return dir;
}

inline void write(const char *target, int n, const Bytes &bytes) {
  const std::string dir = directory() + "/" + target;
  mkdir(directory().c_str(), 0755);
  mkdir(dir.c_str(), 0755);
  std::ofstream out(dir + "/seed-" + std::to_string(n), std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A selector or mode byte, then the bytes.
inline Bytes with_selector(uint8_t selector, const Bytes &rest) {
  Bytes out{selector};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

// One u16-length-prefixed record (fuzz_mpi_frames).
inline void record(Bytes &out, const Bytes &bytes) {
  out.push_back(static_cast<uint8_t>(bytes.size()));
  out.push_back(static_cast<uint8_t>(bytes.size() >> 8));
  out.insert(out.end(), bytes.begin(), bytes.end());
}

}  // namespace seeds

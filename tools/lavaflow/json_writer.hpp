// A minimal streaming JSON writer for the --json outputs (no dependency needed for that).
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>
#include <vector>

namespace lavaflow_cli {

class JsonWriter {
 public:
  explicit JsonWriter(std::ostream &out) : out_(out) {}
  ~JsonWriter() { out_ << '\n'; }

  JsonWriter &begin_object();
  JsonWriter &end_object();
  JsonWriter &begin_array();
  JsonWriter &end_array();
  JsonWriter &key(std::string_view name);
  JsonWriter &value(std::string_view text);
  JsonWriter &value(const char *text) { return value(std::string_view(text)); }
  JsonWriter &value(uint64_t number);
  JsonWriter &value(int64_t number);
  JsonWriter &value(uint32_t number) { return value(static_cast<uint64_t>(number)); }
  JsonWriter &value(int32_t number) { return value(static_cast<int64_t>(number)); }
  JsonWriter &value(bool flag);
  JsonWriter &null_value();  // (an index or value that does not exist: never a made-up -1)

  // key + value in one call
  template <typename T>
  JsonWriter &field(std::string_view name, T v) {
    key(name);
    return value(v);
  }

 private:
  void separate();
  std::ostream &out_;
  std::vector<bool> first_;  // per open container: nothing written yet
  bool after_key_ = false;
};

}  // namespace lavaflow_cli

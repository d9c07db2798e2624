#include "json_writer.hpp"

#include <cstdio>

namespace lavaflow_cli {

void JsonWriter::separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ << ',';
    first_.back() = false;
  }
}

JsonWriter &JsonWriter::begin_object() {
  separate();
  out_ << '{';
  first_.push_back(true);
  return *this;
}

JsonWriter &JsonWriter::end_object() {
  first_.pop_back();
  out_ << '}';
  return *this;
}

JsonWriter &JsonWriter::begin_array() {
  separate();
  out_ << '[';
  first_.push_back(true);
  return *this;
}

JsonWriter &JsonWriter::end_array() {
  first_.pop_back();
  out_ << ']';
  return *this;
}

JsonWriter &JsonWriter::key(std::string_view name) {
  value(name);
  out_ << ':';
  after_key_ = true;
  return *this;
}

JsonWriter &JsonWriter::value(std::string_view text) {
  separate();
  out_ << '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"': out_ << "\\\""; break;
      case '\\': out_ << "\\\\"; break;
      case '\n': out_ << "\\n"; break;
      case '\r': out_ << "\\r"; break;
      case '\t': out_ << "\\t"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out_ << escaped;
        } else {
          out_ << static_cast<char>(c);
        }
    }
  }
  out_ << '"';
  return *this;
}

JsonWriter &JsonWriter::value(uint64_t number) {
  separate();
  out_ << number;
  return *this;
}

JsonWriter &JsonWriter::value(int64_t number) {
  separate();
  out_ << number;
  return *this;
}

JsonWriter &JsonWriter::value(bool flag) {
  separate();
  out_ << (flag ? "true" : "false");
  return *this;
}

JsonWriter &JsonWriter::null_value() {
  separate();
  out_ << "null";
  return *this;
}

}  // namespace lavaflow_cli

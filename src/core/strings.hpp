// Small string helpers shared by all layers.
#pragma once

#include <cstdarg>
#include <cstdint>
#include <string>
#include <string_view>

namespace lavaflow::core {

// printf into a std::string.
std::string format_text(const char *format, ...) __attribute__((format(printf, 1, 2)));
std::string vformat(const char *format, va_list args);

// Lower-case hex of bytes ("07bf8a4f...").
std::string hex_bytes(const uint8_t *bytes, size_t count);

// Exactly 2 * count hex digits (either case) -> count bytes; false (out unspecified) otherwise.
bool parse_hex(std::string_view text, uint8_t *out, size_t count) noexcept;

// True if text equals one of the words, ignoring ASCII case.
bool equals_ignore_case(std::string_view a, std::string_view b) noexcept;

// Trims ASCII whitespace at both ends.
std::string_view trim(std::string_view text) noexcept;

}  // namespace lavaflow::core

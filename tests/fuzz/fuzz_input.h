// What the fuzz targets share: one input cut into the fields a target needs, and a check
// that stops the run with a message when a property of the code under test does not hold
// (libFuzzer then saves the input that broke it).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace gb::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The input cut at each `separator` into exactly `n` fields; the last field keeps the rest
// (separators included), missing fields are empty.
inline std::vector<std::string_view> Fields(std::string_view input, char separator, size_t n) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < n) {
    size_t at = input.find(separator);
    if (at == std::string_view::npos) break;
    out.push_back(input.substr(0, at));
    input.remove_prefix(at + 1);
  }
  out.push_back(input);
  out.resize(n);
  return out;
}

// Aborts with `what` unless `holds`.
inline void Require(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

}  // namespace gb::fuzz

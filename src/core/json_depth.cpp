#include "core/json_depth.h"

#include <string>

namespace gb {

bool JsonNestingWithin(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // the escaped character cannot end the string
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

Status CheckJsonNesting(std::string_view text) {
  if (JsonNestingWithin(text)) return Status::Ok();
  return Status::Invalid("the JSON nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

}  // namespace gb

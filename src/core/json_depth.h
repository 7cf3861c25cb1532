// How deeply arrays and objects nest in JSON text, found without parsing it.
//
// Request bodies are checked with it before they reach the JSON parser: the parser copes
// with any nesting, but turning such a value back into text (which the hub does, e.g. for an
// event's attributes) recurses once per level, so a body of a few megabytes of '[' would
// overflow the stack. No document of the API nests deeper than a handful of levels.
//
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "core/status.h"

namespace gb {

// The deepest nesting the hub accepts in a request body.
inline constexpr int kMaxJsonDepth = 32;

// True when no '[' or '{' outside a string opens deeper than `max_depth` levels. Counts
// only; malformed text is the parser's to refuse.
bool JsonNestingWithin(std::string_view text, int max_depth = kMaxJsonDepth);

// OK, or Invalid saying the body nests deeper than kMaxJsonDepth: what a request gets.
Status CheckJsonNesting(std::string_view text);

}  // namespace gb

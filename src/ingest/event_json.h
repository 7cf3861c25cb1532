// Parsing of the event wire format (DESIGN.md §3) into Event values. Shape errors (wrong
// types, missing fields, bad times) are reported per item so one bad item never spoils a
// batch; semantic checks (known category, …) belong to IncidentService::Validate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "core/status.h"

namespace gb {

struct ParsedBatch {
  std::vector<Event> events;          // one per input item; placeholders where parsing failed
  std::vector<Status> parse_errors;   // OK where the item parsed
};

// Parses a batch body: a JSON array of at most `max_items` events. Invalid when the body is
// not a JSON array (or nests deeper than kMaxJsonDepth); TooLarge when it has too many items.
// An item's attributes are kept as minified JSON text, in the order sent.
Result<ParsedBatch> ParseEventBatch(std::string_view body, size_t max_items);

}  // namespace gb

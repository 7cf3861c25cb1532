// Time in Glassbrain: milliseconds since the Unix epoch, UTC, as int64. Text form is
// RFC 3339 in UTC with a 'Z' (what the wire formats and Open311 use).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gb {

using TimeMs = std::int64_t;

// Parses "2026-11-24T10:15:02Z", "2026-11-24T10:15:02.120Z" or with a numeric offset
// ("+08:00"). Returns nullopt for anything else, including impossible dates.
std::optional<TimeMs> ParseRfc3339(std::string_view text);

// Formats as "2026-11-24T10:15:02.120Z" (milliseconds always present) or, with
// with_millis=false, "2026-11-24T10:15:02Z".
std::string FormatRfc3339(TimeMs t, bool with_millis = true);

// Minutes since local midnight and weekday (0 = Monday) of t, at a fixed UTC offset.
struct LocalClock {
  int weekday;  // 0 = Monday … 6 = Sunday
  int minute;   // 0 … 1439
};
LocalClock ToLocalClock(TimeMs t, int utc_offset_minutes);

// The start of the local day containing t (local midnight), at a fixed UTC offset.
TimeMs LocalDayStart(TimeMs t, int utc_offset_minutes);

// A calendar month in local time, "YYYY-MM", and where it begins and ends.
struct LocalMonth {
  std::string name;      // "2026-11"
  TimeMs start = 0;      // local midnight of its first day
  TimeMs end = 0;        // local midnight of the next month's first day
};
// The month containing t, or the one `months_back` before it.
LocalMonth LocalMonthOf(TimeMs t, int utc_offset_minutes, int months_back = 0);
// The month named "YYYY-MM" (years 1970–9999); nullopt for anything else.
std::optional<LocalMonth> ParseLocalMonth(std::string_view name, int utc_offset_minutes);

}  // namespace gb

// Time windows for department hours and routing rules.
//
// Grammar (whitespace around tokens is ignored, day names are case-insensitive):
//   schedule := "*" | "24/7" | window { ";" window }
//   window   := days hours | days | hours
//   days     := "*" | item { "," item }        item := Day | Day "-" Day
//   hours    := "*" | "24/7" | HH:MM "-" HH:MM
//   Day      := Mon | Tue | Wed | Thu | Fri | Sat | Sun   (full English names also accepted)
//
// ParseHours also reads back what Describe() writes: "at any time", "every day 19:00-07:00",
// "Sat-Sun all day".
//
// Day ranges may wrap the week ("Fri-Mon" is Fri, Sat, Sun, Mon). A time range whose end is
// before its start wraps midnight ("19:00-07:00" runs from 19:00 to 07:00 the next morning);
// for such a window the day test applies to the day the window started, so "Fri 19:00-07:00"
// covers Saturday 03:00 but not Friday 03:00. An end of "24:00" means midnight at the end of
// the day. Start and end must differ (use "*" for the whole day).
//
// Schedule is a small value type: cheap to copy, immutable after parsing, safe to read from
// any number of threads. Contains() does not allocate.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace gb {

// One window: a set of start days and a span of minutes.
struct TimeWindow {
  std::uint8_t days = 0x7f;  // bit d set = weekday d (0 = Monday) is a start day
  std::int16_t start = 0;    // minutes since midnight, 0 … 1439
  std::int16_t end = 1440;   // exclusive, 1 … 1440; end < start wraps midnight; never equal to start

  bool all_day() const { return start == 0 && end == 1440; }
  bool wraps() const { return end < start; }
  friend bool operator==(const TimeWindow&, const TimeWindow&) = default;
};

class Schedule {
 public:
  // At any time.
  Schedule() : windows_(1) {}
  static Schedule Always() { return Schedule(); }

  // True when local clock `c` lies in any window. REQUIRES: 0 ≤ c.weekday ≤ 6, 0 ≤ c.minute ≤ 1439.
  bool Contains(LocalClock c) const;

  // True when the schedule covers every minute of the week as written ("*", "24/7", "* *").
  bool always() const { return windows_.size() == 1 && windows_[0].days == 0x7f && windows_[0].all_day(); }

  // Canonical words: "Mon-Fri 07:00-19:00", "Mon,Wed,Fri 08:00-12:00", "every day 19:00-07:00",
  // "Sat-Sun all day", "at any time"; several windows are joined with "; ".
  std::string Describe() const;

  const std::vector<TimeWindow>& windows() const { return windows_; }
  friend bool operator==(const Schedule&, const Schedule&) = default;

 private:
  friend Result<Schedule> ParseSchedule(std::string_view days, std::string_view hours);
  friend Result<Schedule> ParseHours(std::string_view text);

  std::vector<TimeWindow> windows_;  // never empty
};

// Parses the two fields of a routing rule ("Mon-Fri", "07:00-19:00"). Either may be "*".
// Errors are Invalid with a message that quotes the offending text.
Result<Schedule> ParseSchedule(std::string_view days, std::string_view hours);

// Parses a one-line schedule such as Department.hours: "Mon-Fri 07:00-19:00", "24/7", "*",
// "Mon,Wed,Fri 08:00-12:00", "Mon-Fri 08:00-18:00; Sat 09:00-13:00".
Result<Schedule> ParseHours(std::string_view text);

// "Mon" … "Sun" for weekday 0 … 6; "?" outside that range.
std::string_view DayName(int weekday);

}  // namespace gb

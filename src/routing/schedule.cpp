#include "routing/schedule.h"

#include <array>
#include <cctype>

namespace gb {
namespace {

constexpr std::array<std::string_view, 7> kShortDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongDays = {"monday", "tuesday", "wednesday", "thursday",
                                                       "friday", "saturday", "sunday"};
constexpr std::uint8_t kAllDays = 0x7f;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

int ParseDay(std::string_view name) {
  for (int d = 0; d < 7; ++d)
    if (EqualsNoCase(name, kShortDays[d]) || EqualsNoCase(name, kLongDays[d])) return d;
  return -1;
}

bool IsAnyTime(std::string_view s) { return s == "*" || s == "24/7"; }

Result<std::uint8_t> ParseDays(std::string_view text) {
  std::string_view days = Trim(text);
  if (days.empty()) return Status::Invalid("empty day list; use '*' for every day or e.g. 'Mon-Fri'");
  if (days == "*") return kAllDays;
  std::uint8_t mask = 0;
  std::string_view rest = days;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = Trim(rest.substr(0, comma));
    if (item.empty()) return Status::Invalid("empty item in day list " + Quote(days));
    size_t dash = item.find('-');
    std::string_view first = Trim(item.substr(0, dash));
    std::string_view last = dash == std::string_view::npos ? first : Trim(item.substr(dash + 1));
    if (dash != std::string_view::npos && last.find('-') != std::string_view::npos)
      return Status::Invalid("day range " + Quote(item) + " has more than one '-' in " + Quote(days));
    if (first.empty()) return Status::Invalid("missing day before '-' in " + Quote(item));
    if (last.empty()) return Status::Invalid("missing day after '-' in " + Quote(item));
    int a = ParseDay(first);
    if (a < 0)
      return Status::Invalid("unknown day " + Quote(first) + " in " + Quote(item) +
                             " (days are Mon, Tue, Wed, Thu, Fri, Sat, Sun)");
    int b = ParseDay(last);
    if (b < 0)
      return Status::Invalid("unknown day " + Quote(last) + " in " + Quote(item) +
                             " (days are Mon, Tue, Wed, Thu, Fri, Sat, Sun)");
    // Ranges run forward through the week and may wrap: Fri-Mon is Fri, Sat, Sun, Mon.
    for (int d = a;; d = (d + 1) % 7) {
      mask = static_cast<std::uint8_t>(mask | (1u << d));
      if (d == b) break;
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return mask;
}

// Parses "HH:MM" (or "H:MM"); returns minutes since midnight or -1 with `error` set.
int ParseClock(std::string_view s, bool is_end, std::string_view whole, std::string& error) {
  auto bad_format = [&] {
    error = "bad time " + Quote(s) + " in " + Quote(whole) + " (expected HH:MM-HH:MM, e.g. 07:00-19:00, or '*')";
    return -1;
  };
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || s.size() != colon + 3) return bad_format();
  int h = 0, m = 0;
  for (size_t i = 0; i < colon; ++i) {
    if (s[i] < '0' || s[i] > '9') return bad_format();
    h = h * 10 + (s[i] - '0');
  }
  for (size_t i = colon + 1; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return bad_format();
    m = m * 10 + (s[i] - '0');
  }
  if (m > 59) {
    error = "minute " + std::string(s.substr(colon + 1)) + " out of range in " + Quote(whole) + " (00-59)";
    return -1;
  }
  if (h == 24 && m == 0 && is_end) return 1440;
  if (h > 23) {
    error = "hour " + std::string(s.substr(0, colon)) + " out of range in " + Quote(whole) +
            (is_end ? " (00-23, or 24:00 for midnight)" : " (00-23)");
    return -1;
  }
  return h * 60 + m;
}

Status ParseTimeRange(std::string_view text, TimeWindow& w) {
  std::string_view hours = Trim(text);
  if (hours.empty()) return Status::Invalid("empty time window; use '*' for all day or e.g. '07:00-19:00'");
  if (IsAnyTime(hours)) {
    w.start = 0;
    w.end = 1440;
    return Status::Ok();
  }
  size_t dash = hours.find('-');
  if (dash == std::string_view::npos)
    return Status::Invalid("time window " + Quote(hours) + " needs a start and an end, e.g. 07:00-19:00");
  std::string error;
  int start = ParseClock(Trim(hours.substr(0, dash)), false, hours, error);
  if (start < 0) return Status::Invalid(error);
  int end = ParseClock(Trim(hours.substr(dash + 1)), true, hours, error);
  if (end < 0) return Status::Invalid(error);
  if (end == 0) end = 1440;  // "19:00-00:00" ends at midnight
  if (start == end)
    return Status::Invalid("empty time window " + Quote(hours) +
                           ": start and end are equal (use '*' for the whole day)");
  w.start = static_cast<std::int16_t>(start);
  w.end = static_cast<std::int16_t>(end);
  return Status::Ok();
}

void AppendClock(std::string& out, int minutes) {
  out += static_cast<char>('0' + minutes / 600);
  out += static_cast<char>('0' + minutes / 60 % 10);
  out += ':';
  out += static_cast<char>('0' + minutes % 60 / 10);
  out += static_cast<char>('0' + minutes % 10);
}

// Runs of consecutive days, read cyclically so that Fri-Mon stays one run.
void AppendDays(std::string& out, std::uint8_t mask) {
  auto has = [mask](int d) { return (mask >> ((d % 7 + 7) % 7)) & 1; };
  bool first = true;
  for (int d = 0; d < 7; ++d) {
    if (!has(d) || has(d - 1)) continue;  // not the start of a run
    int last = d;
    while (has(last + 1) && (last + 1) % 7 != d) ++last;
    if (!first) out += ',';
    first = false;
    out += kShortDays[d];
    if (last != d) {
      out += '-';
      out += kShortDays[last % 7];
    }
  }
}

}  // namespace

std::string_view DayName(int weekday) { return weekday >= 0 && weekday < 7 ? kShortDays[weekday] : "?"; }

bool Schedule::Contains(LocalClock c) const {
  for (const TimeWindow& w : windows_) {
    bool today = (w.days >> c.weekday) & 1;
    if (!w.wraps()) {
      if (today && c.minute >= w.start && c.minute < w.end) return true;
    } else {
      bool yesterday = (w.days >> ((c.weekday + 6) % 7)) & 1;
      if ((today && c.minute >= w.start) || (yesterday && c.minute < w.end)) return true;
    }
  }
  return false;
}

std::string Schedule::Describe() const {
  if (always()) return "at any time";
  std::string out;
  for (const TimeWindow& w : windows_) {
    if (!out.empty()) out += "; ";
    if (w.days == kAllDays) {
      out += "every day";
    } else {
      AppendDays(out, w.days);
    }
    if (w.all_day()) {
      out += " all day";
    } else {
      out += ' ';
      AppendClock(out, w.start);
      out += '-';
      AppendClock(out, w.end);
    }
  }
  return out;
}

Result<Schedule> ParseSchedule(std::string_view days, std::string_view hours) {
  auto mask = ParseDays(days);
  if (!mask.ok()) return mask.status();
  TimeWindow w;
  w.days = *mask;
  GB_RETURN_IF_ERROR(ParseTimeRange(hours, w));
  Schedule s;
  s.windows_ = {w};
  return s;
}

Result<Schedule> ParseHours(std::string_view text) {
  std::string_view all = Trim(text);
  if (all.empty())
    return Status::Invalid("empty schedule; use '*' or '24/7' for at any time, or e.g. 'Mon-Fri 07:00-19:00'");
  Schedule s;
  s.windows_.clear();
  std::string_view rest = all;
  while (true) {
    size_t semi = rest.find(';');
    std::string_view part = Trim(rest.substr(0, semi));
    if (part.empty()) return Status::Invalid("empty window in schedule " + Quote(all));
    // The words Describe() produces parse back: "at any time", "every day …", "… all day".
    std::string_view days = part, hours = "*";
    bool all_day = false;
    if (EqualsNoCase(part, "at any time")) {
      days = "*";
      all_day = true;
    }
    constexpr std::string_view kAllDay = " all day", kEveryDay = "every day";
    if (!all_day && part.size() > kAllDay.size() && EqualsNoCase(part.substr(part.size() - kAllDay.size()), kAllDay)) {
      part = Trim(part.substr(0, part.size() - kAllDay.size()));
      days = part;
      all_day = true;
    }
    if (part.size() >= kEveryDay.size() && EqualsNoCase(part.substr(0, kEveryDay.size()), kEveryDay) &&
        (part.size() == kEveryDay.size() || IsSpace(part[kEveryDay.size()]))) {
      part = Trim(part.substr(kEveryDay.size()));
      days = part.empty() ? std::string_view("*") : part;
      if (part.empty()) all_day = true;
    }
    if (!all_day) {
      // The hours start at the first token that begins with a digit (days never do), or are
      // a trailing "*" / "24/7"; everything before them is the day list.
      size_t space = part.find_last_of(" \t");
      std::string_view last = space == std::string_view::npos ? part : part.substr(space + 1);
      if (IsAnyTime(last)) {
        days = space == std::string_view::npos ? std::string_view("*") : Trim(part.substr(0, space));
        hours = last;
      } else {
        for (size_t i = 0; i < part.size(); ++i) {
          bool token_start = i == 0 || IsSpace(part[i - 1]);
          if (token_start && part[i] >= '0' && part[i] <= '9') {
            days = i == 0 ? std::string_view("*") : Trim(part.substr(0, i));
            hours = part.substr(i);
            break;
          }
        }
      }
    }
    Result<Schedule> one = ParseSchedule(days, hours);
    if (!one.ok()) return Status::Invalid("schedule " + Quote(all) + ": " + one.status().message());
    s.windows_.push_back(one->windows_[0]);
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return s;
}

}  // namespace gb

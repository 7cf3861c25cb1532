#include "core/time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace gb {
namespace {

bool ReadInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return true;
}

}  // namespace

std::optional<TimeMs> ParseRfc3339(std::string_view s) {
  using namespace std::chrono;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  if (!ReadInt(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !ReadInt(s, 5, 2, mo) || s[7] != '-' ||
      !ReadInt(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ReadInt(s, 11, 2, h) ||
      s[13] != ':' || !ReadInt(s, 14, 2, mi) || s[16] != ':' || !ReadInt(s, 17, 2, se))
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return std::nullopt;
  size_t pos = 19;
  int millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int offset_min = 0;
  if (pos == s.size()) return std::nullopt;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh = 0, om = 0;
    if (!ReadInt(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !ReadInt(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto days = sys_days{ymd}.time_since_epoch().count();
  TimeMs secs = static_cast<TimeMs>(days) * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
  return secs * 1000 + millis;
}

std::string FormatRfc3339(TimeMs t, bool with_millis) {
  using namespace std::chrono;
  TimeMs secs = t >= 0 ? t / 1000 : (t - 999) / 1000;
  int millis = static_cast<int>(t - secs * 1000);
  TimeMs days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int sod = static_cast<int>(secs - days * 86400);
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {  // outside RFC 3339's four-digit years: rare, keep it simple
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", year, static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), sod / 3600, sod / 60 % 60, sod % 60);
    return std::string(buf) + (with_millis ? "." + std::to_string(1000 + millis).substr(1) : "") + "Z";
  }
  // Digits written by hand: this runs for every timestamp of every incident on the wire,
  // and snprintf cost more than the rest of an incident's serialisation.
  char buf[24] = "0000-00-00T00:00:00.000";
  auto put = [&buf](int at, int value, int width) {
    for (int i = at + width - 1; i >= at; --i, value /= 10) buf[i] = static_cast<char>('0' + value % 10);
  };
  put(0, year, 4);
  put(5, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
  put(8, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
  put(11, sod / 3600, 2);
  put(14, sod / 60 % 60, 2);
  put(17, sod % 60, 2);
  if (!with_millis) return std::string(buf, 19) + 'Z';
  put(20, millis, 3);
  return std::string(buf, 23) + 'Z';
}

LocalClock ToLocalClock(TimeMs t, int utc_offset_minutes) {
  TimeMs local_min = (t >= 0 ? t / 60000 : (t - 59999) / 60000) + utc_offset_minutes;
  TimeMs days = local_min >= 0 ? local_min / 1440 : (local_min - 1439) / 1440;
  int minute = static_cast<int>(local_min - days * 1440);
  // 1970-01-01 was a Thursday (weekday 3 with Monday = 0).
  int weekday = static_cast<int>(((days % 7) + 7 + 3) % 7);
  return {weekday, minute};
}

TimeMs LocalDayStart(TimeMs t, int utc_offset_minutes) {
  constexpr TimeMs kDay = 86'400'000;
  const TimeMs offset = utc_offset_minutes * 60'000LL;
  TimeMs local = t + offset;
  TimeMs day = local >= 0 ? local / kDay : (local - kDay + 1) / kDay;
  return day * kDay - offset;
}

namespace {

LocalMonth MonthStarting(std::chrono::year_month ym, int utc_offset_minutes) {
  using namespace std::chrono;
  const TimeMs offset = utc_offset_minutes * 60'000LL;
  auto midnight = [&](year_month m) {
    return static_cast<TimeMs>(sys_days{m / 1}.time_since_epoch().count()) * 86'400'000 - offset;
  };
  char name[16];
  std::snprintf(name, sizeof name, "%04d-%02u", static_cast<int>(ym.year()), static_cast<unsigned>(ym.month()));
  return LocalMonth{name, midnight(ym), midnight(ym + months{1})};
}

}  // namespace

LocalMonth LocalMonthOf(TimeMs t, int utc_offset_minutes, int months_back) {
  using namespace std::chrono;
  const TimeMs local = t + utc_offset_minutes * 60'000LL;
  const TimeMs days = local >= 0 ? local / 86'400'000 : (local - 86'399'999) / 86'400'000;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  return MonthStarting(year_month{ymd.year(), ymd.month()} - months{months_back}, utc_offset_minutes);
}

std::optional<LocalMonth> ParseLocalMonth(std::string_view name, int utc_offset_minutes) {
  int y = 0, m = 0;
  if (name.size() != 7 || name[4] != '-' || !ReadInt(name, 0, 4, y) || !ReadInt(name, 5, 2, m) || y < 1970 || m < 1 ||
      m > 12)
    return std::nullopt;
  return MonthStarting(std::chrono::year{y} / std::chrono::month{static_cast<unsigned>(m)}, utc_offset_minutes);
}

}  // namespace gb

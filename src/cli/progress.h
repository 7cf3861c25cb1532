// A progress line on standard error for long commands: redrawn in place on a terminal, a
// line per tenth otherwise (so that logs of scripted runs stay short).
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace gb {

class ProgressLine {
 public:
  explicit ProgressLine(std::string what) : what_(std::move(what)), tty_(::isatty(STDERR_FILENO) == 1) {}
  ~ProgressLine() { Done(); }

  void Update(std::int64_t done, std::int64_t total, const char* unit) {
    int percent = total > 0 ? static_cast<int>(done * 100 / total) : 100;
    if (tty_) {
      std::fprintf(stderr, "\r%s: %3d%% (%lld of %lld %s)", what_.c_str(), percent, static_cast<long long>(done),
                   static_cast<long long>(total), unit);
      drawn_ = true;
    } else if (percent / 10 != last_tenth_) {
      last_tenth_ = percent / 10;
      std::fprintf(stderr, "%s: %d%% (%lld of %lld %s)\n", what_.c_str(), percent, static_cast<long long>(done),
                   static_cast<long long>(total), unit);
    }
  }
  void Done() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  std::string what_;
  bool tty_;
  bool drawn_ = false;
  int last_tenth_ = -1;
};

}  // namespace gb

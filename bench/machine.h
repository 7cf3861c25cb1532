// What the benchmarks read of the machine they run on, to print beside their figures.
#pragma once

#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <fstream>
#include <thread>

namespace gb::bench {

// CPU time of the whole process (every thread, user and system), in seconds.
inline double ProcessCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return sec(u.ru_utime) + sec(u.ru_stime);
}

// CPU time of the calling thread, in ms: the work done on one core, whatever else the machine
// runs (though a busy machine inflates it too, by up to a fifth here).
inline double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

// The machine's one-minute load average, or -1 when it cannot be read.
inline double LoadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  in >> load;
  return load;
}

// Prints a warning naming the load average when the machine has more runnable work than
// hardware threads; `consequence` says which figures that makes worse and which to trust.
inline void WarnIfBusy(const char* consequence) {
  const double load = LoadAverage();
  if (load > std::thread::hardware_concurrency())
    std::printf("warning: the machine is busy (load average %.1f): %s\n", load, consequence);
}

}  // namespace gb::bench

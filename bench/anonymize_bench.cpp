// Anonymizer benchmark: Anonymizer::Process on a 1-megapixel (1152×864) JPEG with faces,
// against the same-run baseline of a plain turbojpeg decode + re-encode of the same image
// (what any re-encoding, without detection, costs). The two are timed alternately, run after
// run, so that both see the same load from whatever else the machine is doing.
//
// The picture is messi5.jpg from the Debian package opencv-doc, scaled to 864 rows and
// cropped to 1152 columns (a player's face and a crowd of small faces); without opencv-doc a
// generated picture without faces is used, and the report says so. Both the picture and the
// baseline come from tests/support/test_jpeg.h (LoadBenchPhoto, ReencodeJpeg), shared with
// open311_post_bench.
//
// Work is measured on one core: OpenCV's own worker threads are switched off, since the hub
// runs many requests side by side on its HTTP worker threads. Both the thread's CPU time and
// the wall clock are printed; the verdict uses CPU time, which other jobs on the machine
// inflate far less (though not to nothing: on a busy two-core machine the CPU time of the
// same work varies by a fifth from run to run, which is why the load is printed too).
//
// GLASSBRAIN_BENCH_SHORT=1 runs a few iterations only. Exit status: 0 when every run
// succeeded (the 40 ms target only prints), 1 otherwise.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "machine.h"
#include "privacy/image/anonymizer.h"
#include "support/test_jpeg.h"

namespace gb {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kTargetMs = 40.0;

struct Stats {
  double median = 0, p95 = 0;          // wall clock
  double cpu_median = 0, cpu_p95 = 0;  // thread CPU time
};

// Times each of `fns` `runs` times, taking turns (fns[0], fns[1], ..., fns[0], ...).
std::vector<Stats> Measure(int runs, const std::vector<std::function<bool()>>& fns, bool* ok) {
  std::vector<std::vector<double>> wall(fns.size()), cpu(fns.size());
  for (int i = 0; i < runs; ++i) {
    for (size_t f = 0; f < fns.size(); ++f) {
      const auto t0 = Clock::now();
      const double c0 = bench::ThreadCpuMs();
      if (!fns[f]()) *ok = false;
      cpu[f].push_back(bench::ThreadCpuMs() - c0);
      wall[f].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
  }
  auto at = [](std::vector<double>& v, double q) {
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<size_t>(v.size() * q))];
  };
  std::vector<Stats> out;
  for (size_t f = 0; f < fns.size(); ++f) {
    out.push_back({at(wall[f], 0.5), at(wall[f], 0.95), at(cpu[f], 0.5), at(cpu[f], 0.95)});
  }
  return out;
}

// The machine's one-minute load average, or -1.
int Run() {
  const char* short_env = std::getenv("GLASSBRAIN_BENCH_SHORT");
  const bool short_run = short_env != nullptr && std::string(short_env) == "1";
  const int runs = short_run ? 5 : 41;
  cv::setNumThreads(1);

  const testing::BenchPhoto photo = testing::LoadBenchPhoto();
  const std::string& input = photo.jpeg;
  if (input.empty()) {
    std::fprintf(stderr, "anonymize_bench: cannot build the input image\n");
    return 1;
  }
  std::printf(
      "anonymize_bench: %dx%d JPEG, %zu bytes, from %s; %d runs%s, one core; machine load %.1f\n",
      testing::kBenchPhotoWidth, testing::kBenchPhotoHeight, input.size(), photo.source.c_str(),
      runs, short_run ? " (short)" : "", bench::LoadAverage());

  auto created = Anonymizer::Create();
  if (!created.ok()) {
    std::fprintf(stderr, "anonymize_bench: %s\n", created.status().message().c_str());
    return 1;
  }
  const std::unique_ptr<Anonymizer> anonymizer = std::move(created).value();
  bool ok = true;

  // Same-run baseline: decode and re-encode, nothing else.
  const int quality = anonymizer->options().jpeg_quality;
  auto baseline_once = [&] { return !testing::ReencodeJpeg(input, quality).empty(); };
  baseline_once();
  // The first call also sets the networks up for this image size (about 0.2 s, once).
  auto first = anonymizer->Process(input);
  if (!first.ok()) {
    std::fprintf(stderr, "anonymize_bench: %s\n", first.status().message().c_str());
    return 1;
  }
  const std::vector<Stats> both =
      Measure(runs, {baseline_once, [&] { return anonymizer->Process(input).ok(); }}, &ok);
  const Stats& base = both[0];
  const Stats& proc = both[1];

  std::printf("                           cpu median   cpu p95 | wall median  wall p95\n");
  std::printf("  baseline decode+encode  %9.2f ms %7.2f ms | %8.2f ms %7.2f ms\n", base.cpu_median,
              base.cpu_p95, base.median, base.p95);
  std::printf(
      "  Anonymizer::Process     %9.2f ms %7.2f ms | %8.2f ms %7.2f ms  (%d faces, %d people)\n",
      proc.cpu_median, proc.cpu_p95, proc.median, proc.p95, first->faces_blurred,
      first->people_blurred);
  std::printf("  ratio process/baseline  %.1fx (cpu)\n", proc.cpu_median / base.cpu_median);

  if (!short_run) {
    // What each detector family costs: the same image with parts of detection switched off.
    struct Variant {
      const char* name;
      std::function<void(AnonymizerOptions&)> change;
    };
    const Variant variants[] = {
        {"without people (HOG)", [](AnonymizerOptions& o) { o.people = false; }},
        {"people from 256 px", [](AnonymizerOptions& o) { o.min_person_px = 256; }},
        {"people from 160 px (HOG at 0.8)", [](AnonymizerOptions& o) { o.min_person_px = 160; }},
        {"faces from 32 px", [](AnonymizerOptions& o) { o.min_face_px = 32; }},
        {"faces from 56 px",
         [](AnonymizerOptions& o) {
           o.min_face_px = 56;
           o.detect_long_side = 0;
         }},
        {"faces only, from 64 px",
         [](AnonymizerOptions& o) {
           o.people = false;
           o.min_face_px = 64;
           o.detect_long_side = 0;
         }},
    };
    for (const Variant& v : variants) {
      AnonymizerOptions o;
      v.change(o);
      auto a = Anonymizer::Create(o);
      if (!a.ok()) {
        std::fprintf(stderr, "anonymize_bench: %s\n", a.status().message().c_str());
        return 1;
      }
      auto r = (*a)->Process(input);
      const Stats s = Measure(runs / 2 + 1, {[&] { return (*a)->Process(input).ok(); }}, &ok)[0];
      std::printf("  variant %-30s cpu median %7.2f ms  (%d faces, %d people)\n", v.name,
                  s.cpu_median, r.ok() ? r->faces_blurred : -1, r.ok() ? r->people_blurred : -1);
    }
  }
  // The verdict uses CPU time: it is the work done on one core, and other jobs on the machine
  // move it far less than the wall-clock figures above.
  std::printf("  median <= %.0f ms: %s (cpu median %.2f ms)\n", kTargetMs,
              proc.cpu_median <= kTargetMs ? "PASS" : "FAIL", proc.cpu_median);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace gb

int main() { return gb::Run(); }

// Object detector benchmark: CPU time of one call of vision::ObjectDetector at the frame
// sizes the edge agent meets (640×360 analysis copies, vtest.avi's 768×576, 720p, 1080p) and
// of DetectIn around three person-sized motion regions of a 1080p frame, against the same-run
// baseline of OpenCV's HOG people detector on the 768×576 frame enlarged twice (HOG needs
// people 128 px tall; this is what DESIGN §6 compares the network with). The two are timed
// alternately, run after run, so that both see the same load.
//
// The frames are frame 300 of vtest.avi (Debian package opencv-doc; seven people, hand
// counted) scaled to each size. Work is measured on one core (OpenCV's worker threads off), as
// the agent runs one camera per thread; the figures are the calling thread's CPU time.
// People found by each detector in the 768×576 frame are printed beside the times.
//
// GLASSBRAIN_BENCH_SHORT=1 runs 3 rounds instead of 15. Exit status: 0 when every step ran,
// 1 when the video or the model is missing.

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

#include "machine.h"
#include "support/vtest.h"
#include "vision/object_detector.h"

namespace gb {
namespace {

constexpr int kHandCountedPeople = 7;  // in frame 300

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Medians of the CPU time of each of `fns`, called in turns `rounds` times.
std::vector<double> Measure(int rounds, const std::vector<std::function<void()>>& fns) {
  std::vector<std::vector<double>> cpu(fns.size());
  for (int i = 0; i < rounds; ++i) {
    for (size_t f = 0; f < fns.size(); ++f) {
      const double c0 = bench::ThreadCpuMs();
      fns[f]();
      cpu[f].push_back(bench::ThreadCpuMs() - c0);
    }
  }
  std::vector<double> out;
  for (auto& v : cpu) out.push_back(Median(v));
  return out;
}

int CountPeople(const std::vector<vision::Detection>& d) {
  return static_cast<int>(std::count_if(d.begin(), d.end(), [](const vision::Detection& x) {
    return x.cls == vision::ObjectClass::kPerson;
  }));
}

int Run() {
  const char* short_env = std::getenv("GLASSBRAIN_BENCH_SHORT");
  const bool short_run = short_env != nullptr && std::string(short_env) == "1";
  const int rounds = short_run ? 3 : 15;
  cv::setNumThreads(1);

  const cv::Mat frame = testing::VtestFrame(300);
  if (frame.empty()) {
    std::fprintf(stderr, "detector_bench: %s is missing (Debian package %s)\n", testing::kVtestVideo,
                 testing::kVtestPackage);
    return 1;
  }
  auto created = vision::ObjectDetector::Create();
  if (!created.ok()) {
    std::fprintf(stderr, "detector_bench: %s\n", created.status().message().c_str());
    return 1;
  }
  vision::ObjectDetector& detector = **created;
  std::printf("detector_bench: frame 300 of vtest.avi at several sizes; %d rounds%s, one core; machine load %.1f\n",
              rounds, short_run ? " (short)" : "", bench::LoadAverage());

  // Baseline: HOG on the frame enlarged twice, alternating with the network on the frame.
  cv::HOGDescriptor hog;
  hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  cv::Mat enlarged;
  cv::resize(frame, enlarged, cv::Size(), 2.0, 2.0, cv::INTER_LINEAR);
  std::vector<cv::Rect> hog_found;
  std::vector<vision::Detection> found;
  const std::vector<double> base = Measure(rounds, {[&] {
                                                      std::vector<double> w;
                                                      hog.detectMultiScale(enlarged, hog_found, w);
                                                    },
                                                    [&] { found = detector.Detect(frame); }});
  std::printf("  baseline HOG people, 1536x1152    %8.1f ms cpu  (%zu people; %d by hand)\n", base[0], hog_found.size(),
              kHandCountedPeople);
  std::printf("  Detect 768x576                    %8.1f ms cpu  (%d people)\n", base[1], CountPeople(found));
  std::printf("  ratio Detect/HOG                  %8.2f\n", base[1] / base[0]);

  for (const cv::Size size : {cv::Size(640, 360), cv::Size(1280, 720), cv::Size(1920, 1080)}) {
    cv::Mat scaled;
    cv::resize(frame, scaled, size, 0, 0, cv::INTER_LINEAR);
    const double ms = Measure(rounds, {[&] { found = detector.Detect(scaled); }})[0];
    std::printf("  Detect %4dx%-4d                  %8.1f ms cpu  (%d people)\n", size.width, size.height, ms,
                CountPeople(found));
  }
  // Three separate person-sized motion regions of a 1080p frame: three crops.
  cv::Mat hd;
  cv::resize(frame, hd, cv::Size(1920, 1080), 0, 0, cv::INTER_LINEAR);
  const std::vector<cv::Rect> regions = {{450, 300, 70, 150}, {1460, 305, 70, 140}, {780, 400, 90, 160}};
  const double in_ms = Measure(rounds, {[&] { found = detector.DetectIn(hd, regions); }})[0];
  std::printf("  DetectIn 1920x1080, 3 regions     %8.1f ms cpu  (%d people)\n", in_ms, CountPeople(found));
  std::printf("  per network run (DetectIn / 3)    %8.1f ms cpu\n", in_ms / 3);
  bench::WarnIfBusy("CPU times are higher than on an idle machine; the ratio is steadier");
  return 0;
}

}  // namespace
}  // namespace gb

int main() { return gb::Run(); }

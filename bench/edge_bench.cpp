// edge_bench: the edge agent's camera pipeline (decode → pick → analysis → events), one
// camera, one thread, against FFmpeg decoding the same file in the same run.
//
//   pipeline fps ÷ decode-only fps   on vtest.avi and on 640×360 and 1920×1080 H.264 clips of
//                                    a generated street scene (analysis 5 fps, 640 wide);
//                                    target ≥ 0.5 on 1080p
//   analysis CPU per video second    motion + detection + tracking + rules (the analyzer's
//                                    StageSeconds), 640×360 at 5 fps; target ≤ 0.05
//   cameras per core                 video seconds per process CPU second of the pipeline,
//                                    decode included, at 640×360 and 1080p
//
// The clips are made at bench time with the ffmpeg command (libx264) from frames drawn here.
// GLASSBRAIN_BENCH_SHORT=1 makes 4 s clips instead of 20 s.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <string>

#include "edge/camera.h"
#include "edge/video_source.h"
#include "machine.h"

namespace gb::edge {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
constexpr int kFps = 25;

// A street seen from a pole: road, kerb, a parked car, a car that drives in and stops, and
// people walking across. Deterministic: frame i is always the same picture.
cv::Mat SceneFrame(int i, cv::Size size) {
  const double sx = size.width / 640.0, sy = size.height / 360.0;
  auto R = [&](double x, double y, double w, double h) {
    return cv::Rect(static_cast<int>(x * sx), static_cast<int>(y * sy), static_cast<int>(w * sx), static_cast<int>(h * sy));
  };
  cv::Mat f(size, CV_8UC3, cv::Scalar(92, 96, 98));
  cv::rectangle(f, R(0, 0, 640, 120), {150, 160, 170}, cv::FILLED);     // buildings
  for (int w = 0; w < 8; ++w) cv::rectangle(f, R(20 + w * 78, 20, 40, 60), {70, 80, 90}, cv::FILLED);
  cv::rectangle(f, R(0, 120, 640, 30), {180, 180, 175}, cv::FILLED);    // pavement
  cv::rectangle(f, R(40, 160, 120, 50), {40, 40, 160}, cv::FILLED);     // a parked car
  const double t = i / static_cast<double>(kFps);
  const double car_x = std::min(480.0, -100 + 60 * t);                  // drives in, then stops
  cv::rectangle(f, R(car_x, 230, 110, 48), {150, 60, 20}, cv::FILLED);
  for (int p = 0; p < 4; ++p) {                                         // people walking on the pavement
    double x = std::fmod(30 * t + p * 160, 700) - 30;
    cv::ellipse(f, cv::Point(static_cast<int>(x * sx), static_cast<int>(128 * sy)),
                cv::Size(static_cast<int>(6 * sx), static_cast<int>(18 * sy)), 0, 0, 360, {30, 50, 60}, cv::FILLED);
  }
  cv::Mat noise(size, CV_8UC3);
  cv::randn(noise, 0, 3);
  return f + noise;
}

// Encodes `seconds` of the scene at `size` as H.264; false when ffmpeg failed.
bool MakeClip(const std::string& path, cv::Size size, int seconds) {
  const std::string cmd = "ffmpeg -y -loglevel error -f rawvideo -pix_fmt bgr24 -s " + std::to_string(size.width) +
                          "x" + std::to_string(size.height) + " -r " + std::to_string(kFps) +
                          " -i - -c:v libx264 -preset veryfast -pix_fmt yuv420p '" + path + "'";
  FILE* pipe = popen(cmd.c_str(), "w");
  if (!pipe) return false;
  cv::setRNGSeed(1);
  for (int i = 0; i < seconds * kFps; ++i) {
    cv::Mat f = SceneFrame(i, size);
    fwrite(f.data, 1, f.total() * f.elemSize(), pipe);
  }
  return pclose(pipe) == 0;
}

struct Decode {
  double fps = 0;
  int frames = 0;
  double video_s = 0;
};

Decode DecodeOnly(const std::string& path) {
  auto source = VideoSource::Open(path);
  if (!source.ok()) return {};
  Decode d;
  auto start = Clock::now();
  while ((*source)->Grab()) {
    ++d.frames;
    d.video_s = (*source)->media_ms() / 1000.0;
  }
  d.fps = d.frames / std::chrono::duration<double>(Clock::now() - start).count();
  return d;
}

// Forwards to the real analyzer and adds up the CPU seconds it reports per stage.
class TimedAnalyzer : public CameraAnalyzer {
 public:
  explicit TimedAnalyzer(std::unique_ptr<CameraAnalyzer> inner) : inner_(std::move(inner)) {}
  AnalysisResult Process(const cv::Mat& bgr, std::int64_t media_ms) override {
    AnalysisResult r = inner_->Process(bgr, media_ms);
    analysis_s += r.seconds.motion + r.seconds.detect + r.seconds.track + r.seconds.rules;
    return r;
  }
  std::vector<TrackView> Tracks() const override { return inner_->Tracks(); }
  double analysis_s = 0;

 private:
  std::unique_ptr<CameraAnalyzer> inner_;
};

class CountingOutput : public EventOutput {
 public:
  Status Raise(const EdgeEvent&) override {
    ++events;
    return Status::Ok();
  }
  int events = 0;
};

struct Pipeline {
  double fps = 0, analysis_s = 0, cpu_s = 0;
  int events = 0;
};

Pipeline RunPipeline(const std::string& path, int frames, const EvidenceEncoder& encoder) {
  CameraConfig camera;
  camera.id = "bench";
  camera.source = path;
  camera.analysis_fps = 5;
  camera.analysis_width = 640;
  camera.epoch = 0;
  for (auto [id, rule] : {std::pair{"street", RuleKind::kStationaryVehicle}, {"kerb", RuleKind::kDumpedObject},
                          {"all", RuleKind::kCrowding}}) {
    ZoneConfig z;
    z.id = id;
    z.rule = rule;
    z.category = "illegal_parking";
    z.polygon = {{0, 0.3}, {1, 0.3}, {1, 1}, {0, 1}};
    z.min_dwell_s = z.min_stay_s = z.min_s = 3;
    z.min_count = 3;
    camera.zones.push_back(z);
  }
  auto inner = CameraAnalyzer::Create(camera);
  if (!inner.ok()) {
    std::printf("error: %s\n", inner.status().message().c_str());
    std::exit(1);
  }
  TimedAnalyzer analyzer(std::move(*inner));
  CountingOutput output;
  EdgeMetrics metrics;
  StopSignal stop;
  CameraContext ctx{output, encoder, metrics, stop, Env::Default(), "", 5};
  const double cpu0 = bench::ProcessCpuSeconds();
  auto start = Clock::now();
  RunCamera(camera, analyzer, ctx);
  Pipeline p;
  p.fps = frames / std::chrono::duration<double>(Clock::now() - start).count();
  p.cpu_s = bench::ProcessCpuSeconds() - cpu0;
  p.analysis_s = analyzer.analysis_s;
  p.events = output.events;
  return p;
}

}  // namespace
}  // namespace gb::edge

int main() {
  using namespace gb::edge;
  const bool short_run = std::getenv("GLASSBRAIN_BENCH_SHORT") != nullptr;
  const int seconds = short_run ? 4 : 20;
  char tmpl[] = "/tmp/glassbrain-edge-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::string dir = tmpl;
  auto anonymizer = gb::Anonymizer::Create();
  if (!anonymizer.ok()) {
    std::printf("error: %s\n", anonymizer.status().message().c_str());
    return 1;
  }
  EvidenceEncoder encoder(**anonymizer, {});
  gb::bench::WarnIfBusy("fps ratios are noisy; the CPU figures hold");
  struct Clip {
    const char* name;
    std::string path;
  };
  std::vector<Clip> clips = {{"vtest.avi 768x576", kVtest},
                             {"scene 640x360 h264", dir + "/scene-360.mp4"},
                             {"scene 1920x1080 h264", dir + "/scene-1080.mp4"}};
  if (!MakeClip(clips[1].path, {640, 360}, seconds) || !MakeClip(clips[2].path, {1920, 1080}, seconds)) {
    std::printf("error: ffmpeg could not make the clips (install ffmpeg)\n");
    return 1;
  }
  std::printf("one camera, one thread, analysis at 5 fps and 640 px wide; %d s clips at %d fps\n", seconds, kFps);
  for (const auto& clip : clips) {
    Decode d = DecodeOnly(clip.path);
    Pipeline p = RunPipeline(clip.path, d.frames, encoder);
    std::printf("%-22s decode-only %7.1f fps  pipeline %7.1f fps  ratio %.2f%s  analysis %.4f CPU s per video s%s  "
                "cameras per core %.1f  (%d events)\n",
                clip.name, d.fps, p.fps, p.fps / d.fps, clip.path == clips[2].path ? " (target >= 0.5)" : "",
                p.analysis_s / d.video_s, clip.path == clips[1].path ? " (target <= 0.05)" : "", d.video_s / p.cpu_s,
                p.events);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

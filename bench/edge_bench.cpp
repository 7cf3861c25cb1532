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
// The clips are made at bench time with the ffmpeg command (libx264) from a generated street
// scene of the analysis tests (tests/scenes: a van drives in and parks, people walk past it),
// with its four zones. GLASSBRAIN_BENCH_SHORT=1 makes 8 s clips instead of 40 s.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "edge/camera.h"
#include "edge/video_source.h"
#include "machine.h"
#include "scene_clip.h"
#include "scenes/catalogue.h"

namespace gb::edge {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr const char* kVtest = "/usr/share/doc/opencv-doc/examples/data/vtest.avi";
constexpr int kFps = 25;

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

// The scene's camera (its four zones, every rule but no_helmet) on the file at `path`.
Pipeline RunPipeline(const scenes::Scene& scene, const std::string& path, int frames, const EvidenceEncoder& encoder) {
  CameraConfig camera = scene.camera;
  camera.id = "bench";
  camera.source = path;
  camera.epoch = 0;
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
  const int seconds = short_run ? 8 : 40;
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
  // A street with a van that drives in and parks and people passing (the analysis tests' scene).
  const gb::scenes::Scene scene = gb::scenes::MakeScene(gb::scenes::SceneKind::kStationaryVehicle, 1);
  if (!gb::edge::testing::MakeSceneClip(scene, clips[1].path, kFps, seconds, {640, 360}) ||
      !gb::edge::testing::MakeSceneClip(scene, clips[2].path, kFps, seconds, {1920, 1080})) {
    std::printf("error: ffmpeg could not make the clips (install ffmpeg)\n");
    return 1;
  }
  std::printf("one camera, one thread, analysis at 5 fps and 640 px wide; %d s clips at %d fps\n", seconds, kFps);
  for (const auto& clip : clips) {
    Decode d = DecodeOnly(clip.path);
    Pipeline p = RunPipeline(scene, clip.path, d.frames, encoder);
    std::printf("%-22s decode-only %7.1f fps  pipeline %7.1f fps  ratio %.2f%s  analysis %.4f CPU s per video s%s  "
                "cameras per core %.1f  (%d events)\n",
                clip.name, d.fps, p.fps, p.fps / d.fps, clip.path == clips[2].path ? " (target >= 0.5)" : "",
                p.analysis_s / d.video_s, clip.path == clips[1].path ? " (target <= 0.05)" : "", d.video_s / p.cpu_s,
                p.events);
  }
  std::filesystem::remove_all(dir);
  return 0;
}

#include "edge/camera.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <opencv2/core.hpp>

#include "edge/frame_picker.h"
#include "edge/video_source.h"

namespace gb::edge {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// What one camera thread carries from frame to frame (and across a loop or a reconnect).
class CameraLoop {
 public:
  CameraLoop(const CameraConfig& camera, CameraAnalyzer& analyzer, const CameraContext& ctx)
      : camera_(camera), analyzer_(analyzer), ctx_(ctx), stream_(IsStreamSource(camera.source)),
        picker_(camera.analysis_fps) {}

  void Run() {
    std::chrono::milliseconds retry{1000};
    while (!ctx_.stop.stopped()) {
      auto source = VideoSource::Open(camera_.source);
      if (!source.ok()) {
        ctx_.metrics.SourceUp(camera_.id, false);
        spdlog::error("event=source_unavailable camera={} error=\"{}\"", camera_.id, source.status().message());
        if (!stream_) return;
        if (ctx_.stop.WaitFor(retry)) return;
        retry = std::min(retry * 2, std::chrono::milliseconds(30'000));
        continue;
      }
      if (!epoch_) epoch_ = camera_.epoch.value_or(ctx_.env->NowMs());
      ctx_.metrics.SourceUp(camera_.id, true);
      spdlog::info("event=source_open camera={}", camera_.id);
      bool any = ReadAll(**source);
      ctx_.metrics.SourceUp(camera_.id, false);
      if (ctx_.stop.stopped()) return;
      if (stream_) {
        spdlog::warn("event=source_broken camera={} retry_s={}", camera_.id, retry.count() / 1000);
        if (any) retry = std::chrono::milliseconds(1000);
        if (ctx_.stop.WaitFor(retry)) return;
        retry = std::min(retry * 2, std::chrono::milliseconds(30'000));
        continue;
      }
      if (!camera_.loop || !any) {
        spdlog::info("event=source_ended camera={} events={}", camera_.id, number_);
        return;
      }
      // The next pass continues the media time: one frame period after the last frame.
      loop_offset_ms_ = last_ms_ + static_cast<std::int64_t>(1000 / std::max(1.0, (*source)->nominal_fps()));
    }
  }

 private:
  // Reads the source to its end (or a break, or stop); true when it gave any frame.
  bool ReadAll(VideoSource& source) {
    const auto paced_from = Clock::now();
    const std::int64_t paced_ms = loop_offset_ms_;
    bool any = false;
    cv::Mat bgr;
    while (!ctx_.stop.stopped()) {
      auto started = Clock::now();
      if (!source.Grab()) break;
      any = true;
      ctx_.metrics.FrameDecoded(camera_.id);
      const std::int64_t t = stream_ ? ctx_.env->NowMs() - *epoch_ : loop_offset_ms_ + source.media_ms();
      if (t <= last_ms_) continue;  // a stream's clock can repeat a millisecond
      last_ms_ = t;
      if (!stream_ && camera_.realtime &&
          ctx_.stop.WaitUntil(paced_from + std::chrono::milliseconds(t - paced_ms)))
        break;
      std::int64_t missed = 0;
      if (!picker_.Pick(t, &missed)) {
        ctx_.metrics.ObserveStage("decode", SecondsSince(started));
        continue;
      }
      if (stream_ && missed > 0) ctx_.metrics.FramesDropped(camera_.id, missed);
      if (!source.Retrieve(bgr)) continue;
      ctx_.metrics.ObserveStage("decode", SecondsSince(started));
      ctx_.metrics.FrameAnalyzed(camera_.id);
      Analyze(bgr, t);
    }
    return any;
  }

  void Analyze(const cv::Mat& bgr, std::int64_t t) {
    AnalysisResult result;
    try {
      result = analyzer_.Process(bgr, t);
    } catch (const std::exception& e) {
      spdlog::error("event=analysis_failed camera={} media_ms={} error=\"{}\"", camera_.id, t, e.what());
      return;
    }
    ctx_.metrics.ObserveStage("motion", result.seconds.motion);
    ctx_.metrics.ObserveStage("detect", result.seconds.detect);
    ctx_.metrics.ObserveStage("track", result.seconds.track);
    ctx_.metrics.ObserveStage("rules", result.seconds.rules);
    for (const auto& obs : result.observations) Raise(obs);
    if (!ctx_.preview_dir.empty() && t >= next_preview_ms_) {
      WritePreview(bgr, t);
      const auto every = static_cast<std::int64_t>(ctx_.preview_every_s * 1000);
      while (next_preview_ms_ <= t) next_preview_ms_ += every;
    }
  }

  void Raise(const Observation& obs) {
    const std::int64_t n = ++number_;
    std::vector<Evidence> evidence;
    for (const auto& shot : obs.evidence) {
      if (evidence.size() == 3) break;
      auto started = Clock::now();
      auto ev = ctx_.encoder.Encode(shot, obs.zone->category);
      ctx_.metrics.ObserveStage("evidence", SecondsSince(started));
      if (ev.ok())
        evidence.push_back(std::move(*ev));
      else  // the event still goes out, with the evidence that could be made
        spdlog::error("event=evidence_failed camera={} error=\"{}\"", camera_.id, ev.status().message());
    }
    EdgeEvent event = BuildEvent(camera_, obs, *epoch_, n, std::move(evidence));
    Status s = ctx_.output.Raise(event);
    if (!s.ok()) {
      spdlog::error("event=raise_failed camera={} key={} error=\"{}\"", camera_.id, event.idempotency_key, s.message());
      return;
    }
    ctx_.metrics.EventRaised(camera_.id, std::string(RuleKindName(obs.zone->rule)));
    spdlog::info("event=raised key={} evidence={}", event.idempotency_key, event.evidence.size());
  }

  void WritePreview(const cv::Mat& bgr, std::int64_t t) {
    auto jpeg = ctx_.encoder.Preview(bgr, analyzer_.Tracks(), camera_);
    Status s = jpeg.ok() ? ctx_.env->CreateDirs(ctx_.preview_dir + "/" + camera_.id) : jpeg.status();
    if (s.ok()) s = ctx_.env->WriteFileDurable(ctx_.preview_dir + "/" + camera_.id + "/" + std::to_string(t) + ".jpg", *jpeg);
    if (!s.ok()) spdlog::error("event=preview_failed camera={} error=\"{}\"", camera_.id, s.message());
  }

  const CameraConfig& camera_;
  CameraAnalyzer& analyzer_;
  const CameraContext& ctx_;
  const bool stream_;
  FramePicker picker_;
  std::optional<TimeMs> epoch_;
  std::int64_t number_ = 0;          // observations raised so far
  std::int64_t last_ms_ = -1;         // media time of the last frame
  std::int64_t loop_offset_ms_ = 0;   // media time at the start of this pass over a file
  std::int64_t next_preview_ms_ = 0;
};

}  // namespace

void RunCamera(const CameraConfig& camera, CameraAnalyzer& analyzer, const CameraContext& ctx) {
  CameraLoop(camera, analyzer, ctx).Run();
}

}  // namespace gb::edge

// CameraAnalyzer (edge/analysis.h): motion gate → candidates → tracker → classification of
// tracks by the object detector on their regions only → zone rules → observations with
// evidence.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <map>
#include <utility>

#include <opencv2/imgproc.hpp>

#include "edge/analysis.h"
#include "edge/analysis/classify.h"
#include "edge/analysis/evidence.h"
#include "edge/analysis/no_helmet_model.h"
#include "edge/motion/blobs.h"
#include "edge/motion/change.h"
#include "edge/motion/motion_detector.h"
#include "edge/rules/rule.h"
#include "edge/rules/zone.h"
#include "edge/track/tracker.h"
#include "vision/object_detector.h"

namespace gb::edge {
namespace {

// The motion copy is this many times smaller than the analysis copy.
constexpr int kMotionShrink = 2;
// Smallest blob, in motion pixels (about 8×8 analysis pixels).
constexpr int kMinBlobArea = 12;
// Gap (motion pixels) across which fragments of one lasting thing are joined.
constexpr int kJoinLasting = 7;
// The detector looks at most at this many regions (crops) in one frame; tracks that do not fit
// wait for the next. Regions are joined up to this side (analysis pixels) into one crop: its
// crop (twice that) still shows people about as large as they are.
constexpr size_t kMaxRegionsPerFrame = 2;
constexpr int kJoinedSide = 160;
// A pixel uncovered for less than this is still covered since it was first (someone walked past
// in front of the thing).
constexpr int kCoverGapMs = 1000;
// People in counting zones are counted again this often, by a look at each zone that holds a
// track (one network run for a zone of up to about a quarter of the view, a few tiles for a
// larger one); while everyone there stands still, less often.
constexpr std::int64_t kCountEveryMs = 1000;
constexpr std::int64_t kStillCountEveryMs = 4000;
// A track lying this much inside a zone being counted is looked at by that count.
constexpr double kInsideCount = 0.9;
// Regions covering more than this share of the frame are searched with one whole-frame pass.
constexpr double kWholeFrameShare = 0.3;
// Evidence: the crop around an object, and the small whole view.
constexpr double kContextMargin = 0.75;
constexpr int kMinCropSide = 160;
constexpr int kWholeViewWidth = 640;

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// Adds the thread's CPU time between construction and destruction to `into`.
class StageClock {
 public:
  explicit StageClock(double& into) : into_(into), start_(ThreadCpuSeconds()) {}
  ~StageClock() { into_ += ThreadCpuSeconds() - start_; }
  StageClock(const StageClock&) = delete;
  StageClock& operator=(const StageClock&) = delete;

 private:
  double& into_;
  double start_;
};

cv::Rect Scaled(const cv::Rect& r, double s) {
  return {static_cast<int>(std::floor(r.x * s)), static_cast<int>(std::floor(r.y * s)),
          static_cast<int>(std::ceil(r.width * s)), static_cast<int>(std::ceil(r.height * s))};
}

struct ZoneWatch {
  ZoneWatch(const ZoneConfig& config, cv::Size analysis, std::unique_ptr<NoHelmetModel> model)
      : zone(config, analysis),
        rule(config.rule == RuleKind::kNoHelmet ? MakeNoHelmetRule(zone, std::move(model)) : rules::MakeRule(zone)) {}
  rules::Zone zone;
  std::unique_ptr<rules::Rule> rule;
  std::map<int, EvidenceShot> began;  // situation → the zone when it began
};

class Analyzer final : public CameraAnalyzer {
 public:
  Analyzer(const CameraConfig& camera, std::unique_ptr<vision::ObjectDetector> detector,
           std::vector<std::unique_ptr<NoHelmetModel>> helmet_models)
      : camera_(camera), detector_(std::move(detector)), helmet_models_(std::move(helmet_models)) {}

  AnalysisResult Process(const cv::Mat& bgr, std::int64_t media_ms) override;
  std::vector<TrackView> Tracks() const override;

 private:
  void Setup(cv::Size full);
  std::vector<track::Candidate> FindCandidates(const motion::MotionMasks& masks);
  double Coverage(const cv::Rect& analysis_box) const;
  void Classify(std::int64_t now_ms);
  cv::Rect MotionBox(const cv::Rect& analysis_box) const;
  std::vector<cv::Rect> CountRegions(std::int64_t now_ms);
  void CountPeopleAtRest(const std::vector<cv::Rect>& count_regions);
  bool ShowsOnlyLight(track::Track& t, const motion::MotionMasks& masks, std::int64_t now_ms);
  std::vector<cv::Rect> People() const;
  void DateArrivals(std::int64_t now_ms);
  FrameBoxes Boxes() const;
  Observation Observe(ZoneWatch& watch, const rules::Firing& f, const cv::Mat& bgr, const FrameBoxes& boxes,
                      std::int64_t now_ms);

  const CameraConfig& camera_;
  std::unique_ptr<vision::ObjectDetector> detector_;
  std::vector<std::unique_ptr<NoHelmetModel>> helmet_models_;  // one per no_helmet zone, in order
  std::deque<ZoneWatch> zones_;  // a deque: rules keep references to their zones
  motion::MotionDetector motion_;
  track::Tracker tracker_;
  cv::Size full_, analysis_size_, motion_size_;
  double to_full_ = 1;  // analysis pixels → full-resolution pixels
  cv::Mat analysis_, small_, grey_, covered_integral_;
  // CV_32S, motion pixels: media ms since which each has been covered (gaps shorter than
  // kCoverGapMs not counting: someone walking past in front), and when it last was.
  cv::Mat covered_since_, last_covered_;
  std::int64_t last_ms_ = -1;
  bool counts_people_ = false;
  std::vector<cv::Rect> counted_;  // analysis pixels: the people of the latest count
  std::int64_t counted_ms_ = -1;
  std::vector<int> counted_tracks_;  // ids of the tracks in counting zones then, ascending
};

void Analyzer::Setup(cv::Size full) {
  full_ = full;
  const int width = std::min(camera_.analysis_width, full.width);
  analysis_size_ = {width, std::max(1, static_cast<int>(std::lround(static_cast<double>(full.height) * width / full.width)))};
  motion_size_ = {std::max(1, analysis_size_.width / kMotionShrink), std::max(1, analysis_size_.height / kMotionShrink)};
  to_full_ = static_cast<double>(full.width) / analysis_size_.width;
  size_t helmet = 0;
  for (const ZoneConfig& z : camera_.zones) {
    std::unique_ptr<NoHelmetModel> model;
    if (z.rule == RuleKind::kNoHelmet) model = std::move(helmet_models_[helmet++]);
    zones_.emplace_back(z, analysis_size_, std::move(model));
    counts_people_ = counts_people_ || zones_.back().rule->CountsPeople();
  }
}

double Analyzer::Coverage(const cv::Rect& analysis_box) const {
  const cv::Rect r = Scaled(analysis_box, 1.0 / kMotionShrink) & cv::Rect(0, 0, motion_size_.width, motion_size_.height);
  if (r.empty()) return 0;
  const auto& ii = covered_integral_;
  const int sum = ii.at<int>(r.y, r.x) + ii.at<int>(r.y + r.height, r.x + r.width) - ii.at<int>(r.y, r.x + r.width) -
                  ii.at<int>(r.y + r.height, r.x);
  return static_cast<double>(sum) / r.area();
}

std::vector<track::Candidate> Analyzer::FindCandidates(const motion::MotionMasks& masks) {
  // Moving and lasting regions apart, so that a passer-by does not merge with a parked car;
  // a thing being absorbed shows in both, and merging overlaps makes it one.
  std::vector<cv::Rect> boxes = motion::Blobs(masks.foreground, kMinBlobArea);
  // A lasting thing with parts like its background (a poster's blocks of colour on a wall) is
  // still one thing: its fragments are joined over a wider gap.
  const std::vector<cv::Rect> lasting = motion::Blobs(masks.lasting, kMinBlobArea, kJoinLasting);
  boxes.insert(boxes.end(), lasting.begin(), lasting.end());
  motion::MergeOverlapping(boxes);
  std::vector<track::Candidate> out;
  out.reserve(boxes.size());
  const cv::Rect frame(0, 0, analysis_size_.width, analysis_size_.height);
  for (const cv::Rect& b : boxes) out.push_back({Scaled(b, kMotionShrink) & frame});
  return out;
}

cv::Rect Analyzer::MotionBox(const cv::Rect& analysis_box) const {
  return Scaled(analysis_box, 1.0 / kMotionShrink) & cv::Rect(0, 0, motion_size_.width, motion_size_.height);
}

// When a count is due: the bounds of every counting zone that a confirmed track reaches into
// (people at rest are tracks too); the others hold nobody. The count is the zone's own look, not
// the tracks': people who merge, part and pass in front of one another confuse tracks, not a
// look at the zone. While the same tracks are there and all at rest, the count stands longer.
std::vector<cv::Rect> Analyzer::CountRegions(std::int64_t now_ms) {
  std::vector<cv::Rect> regions;
  if (!counts_people_) return regions;
  std::vector<int> present;
  bool moving = false;
  for (const ZoneWatch& w : zones_) {
    if (!w.rule->CountsPeople()) continue;
    bool someone = false;
    for (const track::Track& t : tracker_.tracks()) {
      if (!tracker_.Confirmed(t) || (w.zone.bounds() & t.box).area() == 0) continue;
      someone = true;
      present.push_back(t.id);
      moving = moving || !t.at_rest;
    }
    if (someone) regions.push_back(w.zone.bounds());
  }
  std::sort(present.begin(), present.end());
  const std::int64_t every = moving || present != counted_tracks_ ? kCountEveryMs : kStillCountEveryMs;
  if (counted_ms_ >= 0 && now_ms - counted_ms_ < every) return {};
  counted_ms_ = now_ms;
  counted_.clear();
  counted_tracks_ = std::move(present);
  return regions;
}

// Before the detector: a box at rest that shows the empty scene after all (a light, a hole left
// in the background) is taken into the backgrounds and needs no look; a moving one that is only a
// shadow or a light passing is nothing.
bool Analyzer::ShowsOnlyLight(track::Track& t, const motion::MotionMasks& masks, std::int64_t now_ms) {
  const cv::Rect r = MotionBox(t.box);
  if (t.at_rest) {
    if (t.classified_at_rest) return false;
    if (motion::JudgeChange(motion_.frame(), motion_.long_term(), masks.changed, r) == motion::Change::kThing) return false;
    t.background = true;
    motion_.Absorb(r);
    return true;
  }
  if (motion::JudgeChange(motion_.frame(), motion_.short_term(), masks.foreground, r) != motion::Change::kLight) return false;
  ApplyDetections(t, {}, now_ms);
  return true;
}

// Everyone the tracks and the latest count hold, each once: a person may be found by two looks
// (a group and one of its members, a person and a part of them, a track and its zone's count).
std::vector<cv::Rect> Analyzer::People() const {
  std::vector<cv::Rect> people;
  std::vector<cv::Rect> found = counted_;
  for (const track::Track& t : tracker_.tracks()) {
    if (!tracker_.Confirmed(t)) continue;
    const std::vector<cv::Rect> now = t.PeopleNow();
    found.insert(found.end(), now.begin(), now.end());
  }
  for (const cv::Rect& p : found) {
    const bool seen = std::any_of(people.begin(), people.end(), [&](const cv::Rect& q) {
      return track::IoU(p, q) >= 0.4 || track::FractionInside(p, q) >= 0.7 || track::FractionInside(q, p) >= 0.7;
    });
    if (!seen) people.push_back(p);
  }
  return people;
}

// A thing that appeared where it rests (set down, put up) is seen as a track of its own only
// once whoever brought it has moved away; its pixels, though, have been covered since it
// arrived. Its rest starts then: the median time since which its box's pixels are covered.
void Analyzer::DateArrivals(std::int64_t now_ms) {
  for (track::Track& t : tracker_.tracks()) {
    if (!t.at_rest || t.rest_start_checked) continue;
    t.rest_start_checked = true;
    if (!t.BornWhereItRests()) continue;
    const cv::Rect r = Scaled(t.box, 1.0 / kMotionShrink) & cv::Rect(0, 0, motion_size_.width, motion_size_.height);
    std::vector<int> since;
    for (int y = r.y; y < r.y + r.height; ++y) {
      const int* row = covered_since_.ptr<int>(y);
      for (int x = r.x; x < r.x + r.width; ++x) {
        if (row[x] < now_ms) since.push_back(row[x]);
      }
    }
    if (since.empty()) continue;
    auto mid = since.begin() + static_cast<std::ptrdiff_t>(since.size() / 2);
    std::nth_element(since.begin(), mid, since.end());
    t.rest_since_ms = std::min<std::int64_t>(t.rest_since_ms, *mid);
  }
}

void Analyzer::Classify(std::int64_t now_ms) {
  const motion::MotionMasks& masks = motion_.masks();
  std::vector<track::Track*> pending;
  for (track::Track& t : tracker_.tracks()) {
    if (!tracker_.Confirmed(t) || !ClassificationDue(t, now_ms)) continue;
    if (!ShowsOnlyLight(t, masks, now_ms)) pending.push_back(&t);
  }
  const std::vector<cv::Rect> count_regions = CountRegions(now_ms);
  if (pending.empty() && count_regions.empty()) return;
  // Things at rest first (what they are decides the rules), then tracks never looked at, then
  // the longest waiting.
  std::stable_sort(pending.begin(), pending.end(), [](const track::Track* a, const track::Track* b) {
    if (a->at_rest != b->at_rest) return a->at_rest;
    return a->classified_ms < b->classified_ms;
  });
  std::vector<cv::Rect> regions;
  std::vector<track::Track*> looked_at;
  for (track::Track* t : pending) {
    const bool in_count = std::any_of(count_regions.begin(), count_regions.end(),
                                      [&](const cv::Rect& r) { return track::FractionInside(t->box, r) >= kInsideCount; });
    if (in_count) {
      looked_at.push_back(t);
      continue;
    }
    std::vector<cv::Rect> with = regions;
    with.push_back(t->box);
    with = JoinRegions(std::move(with), kJoinedSide);
    if (with.size() > kMaxRegionsPerFrame) continue;
    regions = std::move(with);
    looked_at.push_back(t);
  }
  std::vector<vision::Detection> found;
  if (!regions.empty()) {
    cv::Rect all = regions.front();
    for (const cv::Rect& r : regions) all |= r;
    const bool whole = all.area() > kWholeFrameShare * analysis_size_.area();
    found = whole ? detector_->Detect(analysis_) : detector_->DetectIn(analysis_, regions);
  }
  if (!count_regions.empty()) {
    const std::vector<vision::Detection> counted = detector_->DetectIn(analysis_, count_regions);
    for (const vision::Detection& d : counted) {
      if (d.cls == vision::ObjectClass::kPerson) counted_.push_back(d.box);
    }
    found.insert(found.end(), counted.begin(), counted.end());
  }
  for (track::Track* t : looked_at) ApplyDetections(*t, found, now_ms);
  if (!count_regions.empty()) CountPeopleAtRest(count_regions);
}

// Someone standing still whom a passer-by hides for a moment is still there: people at rest
// that the count's look did not find are counted from their tracks.
void Analyzer::CountPeopleAtRest(const std::vector<cv::Rect>& count_regions) {
  const size_t found = counted_.size();
  for (const track::Track& t : tracker_.tracks()) {
    if (!tracker_.Confirmed(t) || !t.at_rest || !t.ever_person) continue;
    const bool in_count = std::any_of(count_regions.begin(), count_regions.end(),
                                      [&](const cv::Rect& r) { return (t.box & r).area() > 0; });
    const bool seen = std::any_of(counted_.begin(), counted_.begin() + static_cast<std::ptrdiff_t>(found), [&](const cv::Rect& p) {
      return track::IoU(p, t.box) >= 0.3 || track::FractionInside(p, t.box) >= 0.7 || track::FractionInside(t.box, p) >= 0.7;
    });
    if (in_count && !seen) counted_.push_back(t.box);
  }
}

FrameBoxes Analyzer::Boxes() const {
  FrameBoxes boxes;
  const cv::Rect frame(0, 0, full_.width, full_.height);
  auto full = [&](const cv::Rect& r) {
    // A little larger than the box: blurring must cover the whole person.
    const cv::Rect grown(r.x - r.width / 10, r.y - r.height / 10, r.width * 6 / 5, r.height * 6 / 5);
    return Scaled(grown, to_full_) & frame;
  };
  for (const track::Track& t : tracker_.tracks()) {
    if (t.ever_vehicle) {
      boxes.vehicles.push_back(full(t.box));
    } else if (t.ever_person || !t.people.empty() || (!t.at_rest && t.box.height > t.box.width)) {
      // People, and whatever moves and stands upright that the detector has not seen yet.
      boxes.people.push_back(full(t.box));
    }
  }
  for (const cv::Rect& p : People()) boxes.people.push_back(full(p));
  return boxes;
}

Observation Analyzer::Observe(ZoneWatch& watch, const rules::Firing& f, const cv::Mat& bgr, const FrameBoxes& boxes,
                              std::int64_t now_ms) {
  Observation o;
  o.zone = &watch.zone.config();
  o.confidence = std::clamp(f.confidence, 0.0, 1.0);
  o.started_ms = f.started_ms;
  o.fired_ms = now_ms;
  o.dwell_s = f.dwell_s;
  o.count = f.count;
  const cv::Rect object = Scaled(f.box, to_full_);
  const int min_side = static_cast<int>(kMinCropSide * to_full_);
  o.evidence.push_back(CropShot(bgr, WithContext(object, full_, kContextMargin, min_side), boxes));
  if (auto it = watch.began.find(f.situation); it != watch.began.end()) {
    o.evidence.push_back(std::move(it->second));
    watch.began.erase(it);
  }
  o.evidence.push_back(WholeView(bgr, kWholeViewWidth, boxes));
  return o;
}

AnalysisResult Analyzer::Process(const cv::Mat& bgr, std::int64_t media_ms) {
  AnalysisResult result;
  if (zones_.empty() && full_.empty()) Setup(bgr.size());
  const double dt = last_ms_ < 0 ? 1.0 / std::max(1.0, camera_.analysis_fps) : (media_ms - last_ms_) / 1000.0;
  last_ms_ = media_ms;

  std::vector<track::Candidate> candidates;
  {
    StageClock clock(result.seconds.motion);
    cv::resize(bgr, analysis_, analysis_size_, 0, 0, cv::INTER_AREA);
    cv::resize(analysis_, small_, motion_size_, 0, 0, cv::INTER_AREA);
    cv::cvtColor(small_, grey_, cv::COLOR_BGR2GRAY);
    std::vector<cv::Rect> keep;
    for (const track::Track& t : tracker_.tracks()) {
      if (tracker_.Confirmed(t)) keep.push_back(MotionBox(t.box));
    }
    const motion::MotionMasks& masks = motion_.Update(grey_, std::max(dt, 1e-3), keep);
    const cv::Mat& covered = masks.changed;
    cv::integral(covered, covered_integral_, CV_32S);
    covered_integral_ /= 255;
    const int now = static_cast<int>(media_ms);
    if (covered_since_.empty()) {
      covered_since_ = cv::Mat(motion_size_, CV_32S, cv::Scalar(now));
      last_covered_ = cv::Mat(motion_size_, CV_32S, cv::Scalar(now));
    }
    last_covered_.setTo(now, covered);
    covered_since_.setTo(now, last_covered_ < now - kCoverGapMs);
    candidates = FindCandidates(masks);
  }
  {
    StageClock clock(result.seconds.track);
    tracker_.Update(candidates, media_ms, [this](const cv::Rect& r) { return Coverage(r); });
    DateArrivals(media_ms);
  }
  {
    StageClock clock(result.seconds.detect);
    Classify(media_ms);
  }
  {
    StageClock clock(result.seconds.rules);
    std::vector<track::Track> confirmed;
    for (const track::Track& t : tracker_.tracks()) {
      if (tracker_.Confirmed(t)) confirmed.push_back(t);
    }
    rules::SceneView view;
    view.now_ms = media_ms;
    view.tracks = &confirmed;
    view.people = &counted_;
    view.frame = &analysis_;
    view.coverage = [this](const cv::Rect& r) { return Coverage(r); };
    std::optional<FrameBoxes> boxes;  // made once, only when needed
    for (ZoneWatch& watch : zones_) {
      rules::RuleOutput out = watch.rule->Evaluate(view);
      if (out.began.empty() && out.fired.empty()) continue;
      if (!boxes) boxes = Boxes();
      for (const rules::Began& b : out.began) {
        const cv::Rect region = WithContext(Scaled(watch.zone.bounds() | b.box, to_full_), full_, 0.1, 0);
        watch.began[b.situation] = CropShot(bgr, region, *boxes);
      }
      for (const rules::Firing& f : out.fired) result.observations.push_back(Observe(watch, f, bgr, *boxes, media_ms));
      // Pictures of situations that ended without firing are not kept.
      std::erase_if(watch.began, [&](const auto& entry) {
        return entry.first > 0 && std::none_of(confirmed.begin(), confirmed.end(),
                                               [&](const track::Track& t) { return t.id == entry.first; });
      });
      while (watch.began.size() > 1 && watch.began.begin()->first < 0 &&
             std::next(watch.began.begin())->first < 0) {
        watch.began.erase(watch.began.begin());  // of counts, only the latest one
      }
    }
  }
  return result;
}

std::vector<TrackView> Analyzer::Tracks() const {
  std::vector<TrackView> out;
  const cv::Rect frame(0, 0, full_.width, full_.height);
  for (const track::Track& t : tracker_.tracks()) {
    if (!tracker_.Confirmed(t)) continue;
    out.push_back({t.id, Scaled(t.box, to_full_) & frame, track::KindName(t.kind), t.at_rest});
  }
  return out;
}

// Checks every zone of `camera` and loads the no_helmet zones' models, in zone order.
Result<std::vector<std::unique_ptr<NoHelmetModel>>> CheckZones(const CameraConfig& camera) {
  if (camera.analysis_width < 16) {
    return Status::Invalid("camera " + camera.id + ": analysis_width must be ≥ 16, got " +
                           std::to_string(camera.analysis_width));
  }
  std::vector<std::unique_ptr<NoHelmetModel>> models;
  for (size_t i = 0; i < camera.zones.size(); ++i) {
    const ZoneConfig& z = camera.zones[i];
    const std::string where = "camera " + camera.id + " zone " + std::to_string(i) + " (" + z.id + ")";
    if (z.polygon.size() < 3) return Status::Invalid(where + ": polygon needs at least 3 points");
    if (z.rule != RuleKind::kNoHelmet) continue;
    auto model = NoHelmetModel::Load(z.model, z.classes);
    if (!model.ok()) return WithContext(model.status(), where);
    models.push_back(std::move(model).value());
  }
  return models;
}

}  // namespace

Result<std::unique_ptr<CameraAnalyzer>> CameraAnalyzer::Create(const CameraConfig& camera,
                                                               std::unique_ptr<vision::ObjectDetector> detector) {
  if (detector == nullptr) return Status::Invalid("camera " + camera.id + ": no object detector");
  auto models = CheckZones(camera);
  if (!models.ok()) return models.status();
  return std::unique_ptr<CameraAnalyzer>(std::make_unique<Analyzer>(camera, std::move(detector), std::move(models).value()));
}

Result<std::unique_ptr<CameraAnalyzer>> CameraAnalyzer::Create(const CameraConfig& camera) {
  GB_RETURN_IF_ERROR(CheckZones(camera));  // a zone's problem first: it needs no detector to see
  auto detector = vision::ObjectDetector::Create();
  if (!detector.ok()) return WithContext(detector.status(), "camera " + camera.id);
  return Create(camera, std::move(detector).value());
}

}  // namespace gb::edge

// Tracker: one camera's objects from frame to frame, by the overlap of their boxes (IoU) with a
// constant-velocity prediction. It keeps where each thing is, whether it is at rest and since
// when, and what the object detector said it is. No appearance of anyone is kept, and nothing
// is shared across cameras.
//
// - Moving tracks are matched to this frame's candidates greedily by IoU with their predicted
//   box. A candidate whose size differs from the track's by more than a factor of 2.5 is not the
//   same thing (a bag set down splits from its carrier; two people merge), so it starts a track
//   of its own.
// - A track whose centre stays within a small radius for `rest_window_s` is at rest since the
//   first moment of that stillness, and its box is frozen. At rest, it no longer needs
//   candidates: it stays while the motion masks still cover its box about as much as when it
//   came to rest (so passers-by in front and the background absorbing it change nothing), and
//   ends after `lost_rest_s` without that.
// - A person at rest (as the detector said) is the exception: people leave, and what they leave
//   behind (a poster they put up, a bag) must then be seen apart. A person at rest keeps taking
//   a candidate of their size that overlaps them well, and moves on with it.
// - A moving track whose box lies inside a candidate that another track took has merged with it
//   (someone passing, people walking together): it goes on as predicted until they part.
// - Candidates lying mostly inside a box at rest belong to that thing (its own fading foreground,
//   someone in front of it) and start no track.
//
// Thread-safety: not thread-safe; one per camera.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace gb::edge::track {

// What the object detector said a track is.
enum class Kind {
  kUnknown,  // not classified yet
  kNothing,  // the detector found nothing there: a thing without a COCO class (rubbish, a poster)
  kPerson,
  kVehicle,  // car, motorcycle, bus, truck
  kBicycle,
  kBag,      // backpack, handbag, suitcase
};
const char* KindName(Kind k);  // "object" for kNothing and kUnknown

struct Candidate {
  cv::Rect box;  // analysis pixels
};

struct Track {
  int id = 0;
  cv::Rect box;                // analysis pixels; frozen while at rest
  cv::Point2f velocity;        // analysis pixels per second
  std::int64_t born_ms = 0;
  cv::Point2f born_at;         // centre when it was born
  std::int64_t last_seen_ms = 0;
  int hits = 0;                // frames with a matched candidate (or presence, at rest)
  bool at_rest = false;
  std::int64_t rest_since_ms = 0;
  double rest_coverage = 0;    // fraction of the box the masks covered when it came to rest
  float travelled = 0;         // farthest its centre got from where it was born, in box widths
  Kind kind = Kind::kUnknown;  // the latest classification
  bool ever_vehicle = false;   // classified as a vehicle at least once
  bool ever_person = false;    // … as a person
  float score = 0;             // of `kind`
  // The people the detector found in its box at its latest classification, in pixels of the
  // box it had then (`classified_box`): an anonymous count with where each one stands.
  std::vector<cv::Rect> people;
  std::int64_t classified_ms = -1;
  cv::Rect classified_box;
  bool classified_at_rest = false;
  int rest_classifications = 0;
  int moving_classifications = 0;
  // Its box shows the empty scene after all: a change of light, or a hole that something in view
  // when the backgrounds began has left.
  bool background = false;
  bool rest_start_checked = false;  // the analyzer has looked at when its pixels first changed
  std::deque<std::pair<std::int64_t, cv::Point2f>> path;  // recent centres, oldest first

  // It never moved farther than its own width from where it appeared: set down or put up, not
  // a person who stopped or a vehicle that parked.
  bool BornWhereItRests() const { return travelled <= 1.0f; }
  cv::Point2f Centre() const { return {box.x + box.width / 2.0f, box.y + box.height / 2.0f}; }
  cv::Point2f BottomCentre() const { return {box.x + box.width / 2.0f, static_cast<float>(box.y + box.height)}; }
  // `people`, moved along with the bottom centre of the box since they were found.
  std::vector<cv::Rect> PeopleNow() const;
};

struct TrackerOptions {
  int confirm_hits = 3;          // frames before a track is reported. Default: 3.
  double min_iou = 0.1;          // to match a moving track. Default: 0.1.
  double max_size_ratio = 2.5;   // area change that is still the same thing. Default: 2.5.
  double rest_window_s = 1.5;    // still this long = at rest. Default: 1.5 s.
  double rest_radius = 0.15;     // of the box's smaller side (at least 2 px). Default: 0.15.
  double lost_moving_s = 1.0;    // a moving track without candidates ends. Default: 1 s.
  double lost_rest_s = 3.0;      // a track at rest without presence ends. Default: 3 s.
  // Share of the coverage a box had when it came to rest that the masks must still show for the
  // thing to be there. Default: 0.5.
  double rest_presence = 0.5;
  // A person at rest follows a candidate overlapping them by this IoU, of at most this size
  // ratio either way. Defaults: 0.3, 1.6.
  double wake_iou = 0.3;
  double wake_size_ratio = 1.6;
  double inside_rest = 0.5;      // fraction of a candidate inside a box at rest that joins it.
  double inside_merged = 0.7;    // of a moving track's box inside another's candidate: merged.
  double path_s = 4.0;           // how much of the path is kept. Default: 4 s.
};

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {});

  // `coverage(box)`: fraction of `box` (analysis pixels) where the scene differs from its empty
  // background now (something is there). REQUIRES: now_ms increases from call to call.
  void Update(const std::vector<Candidate>& candidates, std::int64_t now_ms,
              const std::function<double(const cv::Rect&)>& coverage);

  // Every live track, confirmed or not. Classification results are written into them.
  std::vector<Track>& tracks() { return tracks_; }
  const std::vector<Track>& tracks() const { return tracks_; }
  bool Confirmed(const Track& t) const { return t.hits >= options_.confirm_hits; }

 private:
  float RestRadius(const Track& t) const;
  void UpdateRest(Track& t, std::int64_t now_ms, const std::function<double(const cv::Rect&)>& coverage) const;

  TrackerOptions options_;
  std::vector<Track> tracks_;
  int next_id_ = 1;
  std::int64_t last_ms_ = -1;
};

double IoU(const cv::Rect& a, const cv::Rect& b);
// Area of a ∩ b over the area of a (0 when a is empty).
double FractionInside(const cv::Rect& a, const cv::Rect& b);

}  // namespace gb::edge::track

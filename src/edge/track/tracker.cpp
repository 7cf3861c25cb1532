#include "edge/track/tracker.h"

#include <algorithm>
#include <cmath>
#include <tuple>

namespace gb::edge::track {

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kPerson: return "person";
    case Kind::kVehicle: return "vehicle";
    case Kind::kBicycle: return "bicycle";
    case Kind::kBag: return "bag";
    case Kind::kUnknown:
    case Kind::kNothing: break;
  }
  return "object";
}

double IoU(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0;
}

double FractionInside(const cv::Rect& a, const cv::Rect& b) {
  return a.area() > 0 ? static_cast<double>((a & b).area()) / a.area() : 0;
}

namespace {

cv::Rect Shifted(const cv::Rect& r, cv::Point2f by) {
  return {r.x + static_cast<int>(std::lround(by.x)), r.y + static_cast<int>(std::lround(by.y)), r.width, r.height};
}

float Distance(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

}  // namespace

std::vector<cv::Rect> Track::PeopleNow() const {
  std::vector<cv::Rect> out;
  out.reserve(people.size());
  // People move with the bottom centre of the box, where its feet are: someone entering from
  // below, only their head in view at first, stays at the edge while the box grows upwards.
  const cv::Point2f moved = BottomCentre() - cv::Point2f(classified_box.x + classified_box.width / 2.0f,
                                                         static_cast<float>(classified_box.y + classified_box.height));
  const cv::Point shift(static_cast<int>(std::lround(moved.x)), static_cast<int>(std::lround(moved.y)));
  for (const cv::Rect& p : people) out.push_back(p + shift);
  return out;
}

Tracker::Tracker(TrackerOptions options) : options_(options) {}

float Tracker::RestRadius(const Track& t) const {
  return std::max(2.0f, static_cast<float>(options_.rest_radius * std::min(t.box.width, t.box.height)));
}

void Tracker::UpdateRest(Track& t, std::int64_t now_ms, const std::function<double(const cv::Rect&)>& coverage) const {
  const cv::Point2f c = t.Centre();
  t.path.emplace_back(now_ms, c);
  while (!t.path.empty() && now_ms - t.path.front().first > options_.path_s * 1000) t.path.pop_front();
  if (t.at_rest) return;
  const float radius = RestRadius(t);
  // The earliest moment since which every centre stayed near the current one.
  std::int64_t still_since = now_ms;
  for (auto it = t.path.rbegin(); it != t.path.rend(); ++it) {
    if (Distance(it->second, c) > radius) break;
    still_since = it->first;
  }
  const bool seen_long_enough = now_ms - t.born_ms >= options_.rest_window_s * 1000;
  if (seen_long_enough && now_ms - still_since >= options_.rest_window_s * 1000) {
    t.at_rest = true;
    t.rest_since_ms = still_since;
    t.velocity = {0, 0};
    t.rest_coverage = coverage(t.box);
  }
}

void Tracker::Update(const std::vector<Candidate>& candidates, std::int64_t now_ms,
                     const std::function<double(const cv::Rect&)>& coverage) {
  const double dt = last_ms_ < 0 ? 0 : (now_ms - last_ms_) / 1000.0;
  last_ms_ = now_ms;

  // 1. Moving tracks, and people at rest, take the candidates that overlap their predicted box
  //    best. People leave again: a person at rest follows a candidate of about their size that
  //    overlaps them well, and is moving again once it has taken them out of their rest radius.
  std::vector<std::tuple<double, size_t, size_t>> pairs;  // IoU, track, candidate
  for (size_t i = 0; i < tracks_.size(); ++i) {
    const Track& t = tracks_[i];
    const bool person_at_rest = t.at_rest && t.kind == Kind::kPerson;
    if (t.at_rest && !person_at_rest) continue;
    const cv::Rect predicted = Shifted(t.box, t.velocity * static_cast<float>(dt));
    const double min_iou = person_at_rest ? options_.wake_iou : options_.min_iou;
    const double max_ratio = person_at_rest ? options_.wake_size_ratio : options_.max_size_ratio;
    for (size_t j = 0; j < candidates.size(); ++j) {
      const double iou = IoU(predicted, candidates[j].box);
      const double ratio = static_cast<double>(candidates[j].box.area()) / std::max(1, t.box.area());
      if (iou >= min_iou && ratio <= max_ratio && ratio >= 1 / max_ratio) pairs.emplace_back(iou, i, j);
    }
  }
  std::sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
  std::vector<bool> track_matched(tracks_.size(), false), candidate_used(candidates.size(), false);
  for (const auto& [iou, i, j] : pairs) {
    if (track_matched[i] || candidate_used[j]) continue;
    track_matched[i] = candidate_used[j] = true;
    Track& t = tracks_[i];
    t.last_seen_ms = now_ms;
    ++t.hits;
    const cv::Point2f before = t.Centre();
    const cv::Rect& box = candidates[j].box;
    const cv::Point2f centre(box.x + box.width / 2.0f, box.y + box.height / 2.0f);
    if (t.at_rest) {
      if (Distance(centre, before) <= RestRadius(t)) continue;  // still standing there
      t.at_rest = false;
      t.path.clear();
    }
    t.box = box;
    if (dt > 0) t.velocity = 0.6f * t.velocity + 0.4f * (centre - before) / static_cast<float>(dt);
    t.travelled = std::max(t.travelled, Distance(centre, t.born_at) / std::max(1, t.box.width));
  }

  // 2. A moving track left without a candidate whose predicted box lies mostly inside one that
  //    another track took has merged with it (someone passing by, people walking together): it
  //    goes on where it was predicted to be, until they part again.
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (t.at_rest || track_matched[i]) continue;
    const cv::Rect predicted = Shifted(t.box, t.velocity * static_cast<float>(dt));
    for (size_t j = 0; j < candidates.size(); ++j) {
      if (candidate_used[j] && FractionInside(predicted, candidates[j].box) >= options_.inside_merged) {
        t.box = predicted;
        t.last_seen_ms = now_ms;
        break;
      }
    }
  }

  // 3. Things at rest stay while the masks still show them, and absorb candidates inside them.
  for (size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    if (!t.at_rest || track_matched[i]) continue;
    if (coverage(t.box) >= options_.rest_presence * t.rest_coverage) {
      t.last_seen_ms = now_ms;
      ++t.hits;
    }
  }
  for (size_t j = 0; j < candidates.size(); ++j) {
    if (candidate_used[j]) continue;
    for (const Track& t : tracks_) {
      if (t.at_rest && FractionInside(candidates[j].box, t.box) >= options_.inside_rest) {
        candidate_used[j] = true;
        break;
      }
    }
  }

  // 4. Every other candidate starts a track.
  for (size_t j = 0; j < candidates.size(); ++j) {
    if (candidate_used[j]) continue;
    Track t;
    t.id = next_id_++;
    t.box = candidates[j].box;
    t.born_ms = t.last_seen_ms = now_ms;
    t.born_at = t.Centre();
    t.hits = 1;
    tracks_.push_back(std::move(t));
  }

  // 5. Tracks not seen for too long end; the others update their rest state.
  std::erase_if(tracks_, [&](const Track& t) {
    const double lost = t.at_rest ? options_.lost_rest_s : options_.lost_moving_s;
    return now_ms - t.last_seen_ms > lost * 1000;
  });
  for (Track& t : tracks_) {
    if (t.last_seen_ms == now_ms) UpdateRest(t, now_ms, coverage);
  }
}

}  // namespace gb::edge::track

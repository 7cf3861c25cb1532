#include "edge/evidence.h"

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace gb::edge {

namespace {

// A tracked thing as the line it stands on, coloured by its kind, dotted while it is at rest
// (docs/edge.md). Neither an outline (not even its corners) nor a label: around an erased
// person either gives a person's shape back to a detector, and a preview must not. Nor thick
// bars: on the flat fill of an erased crowd, short bars side by side read as eyes and a mouth
// to a face detector.
void DrawTrack(cv::Mat& canvas, const TrackView& t, int thick) {
  cv::Scalar colour(255, 0, 255);                              // anything else: magenta
  if (t.label == "person") colour = cv::Scalar(0, 255, 0);     // green
  if (t.label == "vehicle") colour = cv::Scalar(255, 128, 0);  // blue
  if (t.label == "bicycle") colour = cv::Scalar(255, 255, 0);  // cyan
  if (t.label == "bag") colour = cv::Scalar(0, 255, 255);      // yellow
  const int y = t.box.y + t.box.height, dot = 3 * thick;
  for (int x = t.box.x; x < t.box.x + t.box.width; x += t.at_rest ? 2 * dot : t.box.width) {
    const int end = t.at_rest ? std::min(x + dot, t.box.x + t.box.width) : t.box.x + t.box.width;
    cv::line(canvas, {x, y}, {end, y}, colour, thick, cv::LINE_AA);
  }
}

}  // namespace

Result<AnonymizedImage> EvidenceEncoder::Anonymize(const EvidenceShot& shot, bool blur_plates) const {
  // Pixels go straight to the anonymizer with the tracker's boxes: nothing is encoded before
  // faces, people and plates are blurred.
  return anonymizer_.ProcessPixels(shot.bgr, KnownObjects{shot.people, shot.vehicles, blur_plates});
}

Result<Evidence> EvidenceEncoder::Encode(const EvidenceShot& shot, const std::string& category) const {
  bool keep_plates = std::find(keep_plates_for_.begin(), keep_plates_for_.end(), category) != keep_plates_for_.end();
  auto image = Anonymize(shot, !keep_plates);
  if (!image.ok()) return image.status();
  return Evidence{"sha256:" + image->sha256_hex, std::move(image->jpeg)};
}

Result<std::string> EvidenceEncoder::Preview(const cv::Mat& bgr, const std::vector<TrackView>& tracks,
                                             const CameraConfig& camera) const {
  EvidenceShot shot{bgr, {}, {}};
  for (const auto& t : tracks) {
    if (t.label == "vehicle")
      shot.vehicles.push_back(t.box);
    else if (t.label != "bag")  // people, riders of bicycles, and what moves unclassified yet
      shot.people.push_back(t.box);
  }
  auto image = Anonymize(shot, true);
  if (!image.ok()) return image.status();
  cv::Mat canvas = cv::imdecode(cv::Mat(1, static_cast<int>(image->jpeg.size()), CV_8U, image->jpeg.data()),
                                cv::IMREAD_COLOR);
  if (canvas.empty()) return Status::Internal("cannot decode the anonymized preview");
  const double w = canvas.cols, h = canvas.rows;
  const int thick = std::max(1, canvas.cols / 400);
  for (const auto& zone : camera.zones) {
    std::vector<cv::Point> ring;
    for (auto [x, y] : zone.polygon) ring.emplace_back(static_cast<int>(x * w), static_cast<int>(y * h));
    cv::polylines(canvas, ring, true, {0, 200, 255}, thick, cv::LINE_AA);
    if (!ring.empty())
      cv::putText(canvas, zone.id, ring[0] + cv::Point(4, -4), cv::FONT_HERSHEY_SIMPLEX, 0.4 * thick, {0, 200, 255},
                  thick, cv::LINE_AA);
  }
  for (const auto& t : tracks) DrawTrack(canvas, t, thick);
  std::vector<unsigned char> out;
  // OpenCV's JPEG writer emits a bare JFIF header: no EXIF, comment or other APPn segment.
  if (!cv::imencode(".jpg", canvas, out, {cv::IMWRITE_JPEG_QUALITY, 85}))
    return Status::Internal("cannot encode a preview");
  return std::string(out.begin(), out.end());
}

}  // namespace gb::edge

#include "edge/evidence.h"

#include <algorithm>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

namespace gb::edge {

Result<AnonymizedImage> EvidenceEncoder::Anonymize(const EvidenceShot& shot, bool blur_plates) const {
  (void)blur_plates;
  // The pixels reach the anonymizer as an in-memory JPEG of high quality; it decodes them,
  // blurs what it finds and re-encodes without metadata.
  std::vector<unsigned char> jpeg;
  if (shot.bgr.empty() || !cv::imencode(".jpg", shot.bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, 95}))
    return Status::Internal("cannot encode an evidence frame");
  return anonymizer_.Process(std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
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
  for (const auto& t : tracks) (t.label == "person" ? shot.people : shot.vehicles).push_back(t.box);
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
  for (const auto& t : tracks) {
    cv::Scalar colour = t.at_rest ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 255, 0);
    cv::rectangle(canvas, t.box, colour, thick);
    cv::putText(canvas, t.label + " " + std::to_string(t.id), t.box.tl() + cv::Point(2, -3), cv::FONT_HERSHEY_SIMPLEX,
                0.4 * thick, colour, thick, cv::LINE_AA);
  }
  std::vector<unsigned char> out;
  // OpenCV's JPEG writer emits a bare JFIF header: no EXIF, comment or other APPn segment.
  if (!cv::imencode(".jpg", canvas, out, {cv::IMWRITE_JPEG_QUALITY, 85}))
    return Status::Internal("cannot encode a preview");
  return std::string(out.begin(), out.end());
}

}  // namespace gb::edge

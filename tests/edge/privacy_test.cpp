// What leaves the agent shows no one: evidence and previews of real videos, enlarged as a
// viewer would enlarge them, give OpenCV's own face and person detectors nothing to find.
// Run through `glassbrain edge --dry-run` with the real analysis: a whole-frame crowding zone
// fires on the people in view, and previews show every tracked box.
#include <gtest/gtest.h>

#include <algorithm>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include "agent_files.h"
#include "edge_testing.h"
#include "support/vtest.h"

namespace gb::edge::testing {
namespace {

constexpr const char* kCascades = "/usr/share/opencv4/haarcascades/";

// Every JPEG the dry run wrote (evidence and previews), decoded.
std::vector<std::pair<std::string, cv::Mat>> DryRunImages(const TempDir& dir, const std::string& video,
                                                          int min_count, double every_s) {
  WriteFile(dir / "edge.toml", CameraToml("cam-01", video, {}, "2026-11-24T10:00:00Z") +
                                   "[[camera.zone]]\nid = \"all\"\nrule = \"crowding\"\ncategory = \"noise\"\n"
                                   "polygon = [[0,0],[1,0],[1,1],[0,1]]\nmin_count = " +
                                   std::to_string(min_count) + "\nmin_s = 1\n");
  auto r = Run({GlassbrainBinary(), "edge", "--config", dir / "edge.toml", "--dry-run", "--out", dir / "out",
                "--preview", dir / "out/preview", "--preview-every", std::to_string(every_s)},
               dir / "run", std::chrono::seconds(300));
  EXPECT_EQ(r.exit, 0) << r.err;
  std::vector<std::pair<std::string, cv::Mat>> images;
  for (const auto& f : FilesUnder(dir / "out"))
    if (f.ends_with(".jpg")) images.emplace_back(f, cv::imread(dir / "out/" + f));
  return images;
}

// Enlarged to `width` pixels, at most 2.5 times.
cv::Mat Enlarged(const cv::Mat& img, int width) {
  double scale = std::min(2.5, static_cast<double>(width) / img.cols);
  cv::Mat out;
  cv::resize(img, out, {}, scale, scale, cv::INTER_CUBIC);
  return out;
}

TEST(EdgePrivacy, NoFaceInEvidenceOrPreviewsOfMegamind) {
  TempDir dir;
  auto images = DryRunImages(dir, kMegamind, 1, 1);
  ASSERT_GE(images.size(), 12u);  // 12 previews and the evidence of the crowding events
  std::vector<cv::CascadeClassifier> cascades;
  for (const char* name :
       {"haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml", "haarcascade_profileface.xml"})
    ASSERT_TRUE(cascades.emplace_back().load(std::string(kCascades) + name)) << name;
  for (const auto& [name, img] : images) {
    ASSERT_FALSE(img.empty()) << name;
    cv::Mat grey;
    cv::cvtColor(Enlarged(img, 1280), grey, cv::COLOR_BGR2GRAY);
    for (auto& cascade : cascades) {
      std::vector<cv::Rect> faces;
      cascade.detectMultiScale(grey, faces);
      EXPECT_TRUE(faces.empty()) << name << ": " << faces.size() << " face(s), the first at " << faces[0];
    }
  }
}

std::vector<cv::Rect> HogPeople(const cv::Mat& bgr) {
  cv::HOGDescriptor hog;
  hog.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
  std::vector<cv::Rect> people;
  hog.detectMultiScale(bgr, people);
  return people;
}

// HOG's boxes on vtest.avi's empty street at the size of `img`, enlarged like it: what it
// finds where no one is (one false positive, on the parked van). Crops have none to allow.
std::vector<cv::Rect> EmptyStreetPeople(const cv::Mat& empty_street, const cv::Mat& img) {
  if (img.cols * empty_street.rows != img.rows * empty_street.cols) return {};
  cv::Mat same;
  cv::resize(empty_street, same, img.size(), 0, 0, cv::INTER_AREA);
  return HogPeople(Enlarged(same, 1536));
}

TEST(EdgePrivacy, NoPersonInEvidenceOrPreviewsOfVtest) {
  const cv::Mat empty_street = gb::testing::VtestEmptyStreet();
  ASSERT_FALSE(empty_street.empty()) << "install " << gb::testing::kVtestPackage;
  TempDir dir;
  auto images = DryRunImages(dir, kVtest, 3, 10);
  ASSERT_GE(images.size(), 9u);  // 8 previews and at least one event's evidence
  for (const auto& [name, img] : images) {
    ASSERT_FALSE(img.empty()) << name;
    const std::vector<cv::Rect> allowed = EmptyStreetPeople(empty_street, img);
    EXPECT_LE(allowed.size(), 1u) << "HOG's false positives on the empty street";
    const double scale = std::min(2.5, 1536.0 / img.cols);
    for (const cv::Rect& p : HogPeople(Enlarged(img, 1536))) {
      const bool empty_street_box = std::any_of(allowed.begin(), allowed.end(), [&](const cv::Rect& a) {
        return (a & p).area() > 0.5 * (a | p).area();
      });
      EXPECT_TRUE(empty_street_box) << name << ": HOG finds a person at " << cv::Rect(p.x / scale, p.y / scale,
                                                                                    p.width / scale, p.height / scale)
                                    << " (pixels of the image)";
    }
  }
}

}  // namespace
}  // namespace gb::edge::testing

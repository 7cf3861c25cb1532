// The object detector (vision/object_detector.h) on known scenes: hand-checked frames of
// vtest.avi (people and the parked vehicles, boxes within tolerance), a real person from it
// pasted into generated scenes at known places and sizes (whole-frame detection, crops around
// a motion region for a small far person, tiles), messi5.jpg; and the errors of Create().
//
// vtest.avi and messi5.jpg come from the Debian package opencv-doc, read with OpenCV's videoio
// (FFmpeg); the network from the build's converter step.

#include "vision/object_detector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "support/test_jpeg.h"
#include "support/vtest.h"

namespace gb::vision {
namespace {

using testing::kVtestVideo;
using testing::VtestFrame;

double Iou(const cv::Rect& a, const cv::Rect& b) {
  const double inter = (a & b).area();
  return inter / (a.area() + b.area() - inter);
}

// How many of `truth` some box of `found` matches (IoU ≥ 0.5, each box used once), and how
// many boxes of `found` match nothing: all of them, and those scored 0.4 or more (the default
// threshold is 0.3, and the network gives a few such weak boxes to things that are not there).
struct Matched {
  int hits = 0, false_boxes = 0, confident_false_boxes = 0;
};
Matched Match(const std::vector<cv::Rect>& truth, std::vector<Detection> found, ObjectClass cls) {
  std::erase_if(found, [&](const Detection& d) { return d.cls != cls; });
  Matched m;
  for (const cv::Rect& t : truth) {
    auto best = std::max_element(found.begin(), found.end(), [&](const Detection& a, const Detection& b) {
      return Iou(a.box, t) < Iou(b.box, t);
    });
    if (best != found.end() && Iou(best->box, t) >= 0.5) {
      ++m.hits;
      found.erase(best);
    }
  }
  m.false_boxes = static_cast<int>(found.size());
  m.confident_false_boxes = static_cast<int>(std::count_if(found.begin(), found.end(), [](const Detection& d) { return d.score >= 0.4f; }));
  return m;
}

std::string Describe(const std::vector<Detection>& d) {
  std::string s;
  for (const Detection& x : d) {
    char buf[96];
    std::snprintf(buf, sizeof buf, " %s %.2f [%d,%d %dx%d]", std::string(ObjectClassName(x.cls)).c_str(), x.score,
                  x.box.x, x.box.y, x.box.width, x.box.height);
    s += buf;
  }
  return s;
}

class ObjectDetectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto d = ObjectDetector::Create();
    ASSERT_TRUE(d.ok()) << d.status().message();
    detector_ = std::move(d).value().release();
  }
  static void TearDownTestSuite() {
    delete detector_;
    detector_ = nullptr;
  }
  void SetUp() override {
    if (!std::filesystem::exists(kVtestVideo)) {
      GTEST_SKIP() << kVtestVideo << " is missing: install the Debian package " << testing::kVtestPackage;
    }
  }
  static ObjectDetector& D() { return *detector_; }
  static ObjectDetector* detector_;
};
ObjectDetector* ObjectDetectorTest::detector_ = nullptr;

// People in frames of vtest.avi, boxed by hand (x, y, width, height; feet to hair).
struct HandChecked {
  int frame;
  std::vector<cv::Rect> people;
};
const HandChecked kFrames[] = {
    {0, {{500, 161, 26, 70}, {252, 220, 35, 95}, {640, 239, 41, 85}}},
    {200,
     {{81, 154, 31, 62}, {216, 195, 35, 74}, {488, 148, 26, 74}, {615, 264, 33, 108}, {702, 254, 38, 94},
      {684, 103, 18, 53}, {697, 103, 20, 51}}},
    {300,
     {{180, 163, 28, 72}, {203, 161, 26, 74}, {248, 162, 26, 61}, {292, 160, 29, 70}, {313, 214, 35, 81},
      {584, 164, 29, 69}, {614, 164, 26, 71}}},
};
// The white van and the small car parked at the top right, in every frame.
const cv::Rect kVan(638, 40, 81, 62), kCar(725, 47, 43, 50);

TEST_F(ObjectDetectorTest, FindsThePeopleAndVehiclesOfHandCheckedVtestFrames) {
  int people = 0, hits = 0;
  for (const HandChecked& h : kFrames) {
    const cv::Mat frame = VtestFrame(h.frame);
    ASSERT_FALSE(frame.empty()) << "frame " << h.frame;
    const std::vector<Detection> d = D().Detect(frame);
    const Matched m = Match(h.people, d, ObjectClass::kPerson);
    people += static_cast<int>(h.people.size());
    hits += m.hits;
    EXPECT_GE(m.hits, static_cast<int>(h.people.size()) - 1) << "frame " << h.frame << ":" << Describe(d);
    // At most one weak box that is no one (e.g. the boulder left of the path).
    EXPECT_LE(m.false_boxes, 1) << "frame " << h.frame << ":" << Describe(d);
    EXPECT_EQ(m.confident_false_boxes, 0) << "frame " << h.frame << ":" << Describe(d);
    // The van may be called a car or a truck (or both, a weak second box).
    EXPECT_EQ(Match({kCar}, d, ObjectClass::kCar).hits, 1) << "frame " << h.frame << ":" << Describe(d);
    EXPECT_GE(Match({kVan}, d, ObjectClass::kCar).hits + Match({kVan}, d, ObjectClass::kTruck).hits, 1)
        << "frame " << h.frame << ":" << Describe(d);
    for (const Detection& x : d) {
      EXPECT_EQ(x.box & cv::Rect(0, 0, frame.cols, frame.rows), x.box);
      EXPECT_GE(x.score, 0.3f);
      EXPECT_LE(x.score, 1.0f);
    }
  }
  EXPECT_GE(hits, people - 1) << hits << " of " << people << " people found";
}

TEST_F(ObjectDetectorTest, SameFrameSameDetections) {
  const cv::Mat frame = VtestFrame(300);
  ASSERT_FALSE(frame.empty());
  const std::vector<Detection> a = D().Detect(frame), b = D().Detect(frame);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].box, b[i].box);
    EXPECT_EQ(a[i].cls, b[i].cls);
    EXPECT_FLOAT_EQ(a[i].score, b[i].score);
  }
  EXPECT_TRUE(D().Detect(cv::Mat()).empty());
  EXPECT_TRUE(D().DetectIn(frame, {}).empty());
  EXPECT_TRUE(D().DetectIn(frame, {cv::Rect(-50, -50, 20, 20)}).empty());  // outside: nothing to run
}

// The empty street of vtest.avi, enlarged to `size` (stretched where the aspect differs).
cv::Mat EmptyStreet(cv::Size size) {
  static const cv::Mat street = testing::VtestEmptyStreet();
  if (street.empty()) return {};
  cv::Mat out;
  cv::resize(street, out, size, 0, 0, cv::INTER_CUBIC);
  return out;
}

// The person on the road at (500, 161) in frame 0, with some road around them, and their box
// in that crop.
struct Cutout {
  cv::Mat pixels;
  cv::Rect person;
};
Cutout PersonCutout() {
  const cv::Mat frame = VtestFrame(0);
  if (frame.empty()) return {};
  const cv::Rect crop(490, 152, 46, 88);
  return {frame(crop).clone(), cv::Rect(500 - crop.x, 161 - crop.y, 26, 70)};
}

// Pastes the cutout scaled by `s` with the person's feet at `feet`; returns their box.
cv::Rect Paste(cv::Mat& scene, const Cutout& c, double s, cv::Point feet) {
  cv::Mat scaled;
  cv::resize(c.pixels, scaled, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
  const cv::Rect person(static_cast<int>(c.person.x * s), static_cast<int>(c.person.y * s),
                        static_cast<int>(c.person.width * s), static_cast<int>(c.person.height * s));
  const cv::Point at(feet.x - person.x - person.width / 2, feet.y - person.br().y);
  scaled.copyTo(scene(cv::Rect(at, scaled.size())));
  return person + at;
}

TEST_F(ObjectDetectorTest, FindsARealPersonPastedAtKnownPlacesAndSizes) {
  const Cutout c = PersonCutout();
  ASSERT_FALSE(c.pixels.empty());
  // The empty street at 5/3 of its size, and the person at 5/3, 2.5 and 10/3 of theirs
  // (117, 175 and 233 px tall), standing on the path and the road.
  const cv::Size size(1280, 960);
  const cv::Mat empty = EmptyStreet(size);
  ASSERT_FALSE(empty.empty());
  EXPECT_EQ(Match({}, D().Detect(empty), ObjectClass::kPerson).confident_false_boxes, 0) << Describe(D().Detect(empty));
  cv::Mat scene = empty.clone();
  const std::vector<cv::Rect> truth = {Paste(scene, c, 5.0 / 3, {253, 371}), Paste(scene, c, 2.5, {931, 481}),
                                       Paste(scene, c, 10.0 / 3, {1101, 683})};
  const std::vector<Detection> d = D().Detect(scene);
  const Matched m = Match(truth, d, ObjectClass::kPerson);
  EXPECT_EQ(m.hits, 3) << Describe(d);
  EXPECT_LE(m.false_boxes, 1) << Describe(d);
  EXPECT_EQ(m.confident_false_boxes, 0) << Describe(d);
}

TEST_F(ObjectDetectorTest, CropsAroundAMotionRegionFindASmallFarPerson) {
  const Cutout c = PersonCutout();
  ASSERT_FALSE(c.pixels.empty());
  cv::Mat scene = EmptyStreet({1920, 1080});
  ASSERT_FALSE(scene.empty());
  // About 30 px tall in a 1080p frame: some 8 input px when the whole frame is run.
  const cv::Rect person = Paste(scene, c, 0.43, {1021, 561});
  const std::vector<Detection> whole = D().Detect(scene);
  EXPECT_EQ(Match({person}, whole, ObjectClass::kPerson).hits, 0)
      << "the whole frame already finds the person, so this test shows nothing:" << Describe(whole);
  // The motion region is what the moving person changed: their box, give or take.
  const cv::Rect blob(person.x - 2, person.y + 3, person.width + 3, person.height - 4);
  const std::vector<Detection> near = D().DetectIn(scene, {blob});
  const Matched m = Match({person}, near, ObjectClass::kPerson);
  EXPECT_EQ(m.hits, 1) << Describe(near);
  EXPECT_EQ(m.false_boxes, 0) << Describe(near);
  // Several regions at once, overlapping and apart, find each person once.
  const cv::Rect second = Paste(scene, c, 0.6, {451, 601});
  const std::vector<Detection> both = D().DetectIn(scene, {blob, blob + cv::Point(4, 2), second});
  const Matched mb = Match({person, second}, both, ObjectClass::kPerson);
  EXPECT_EQ(mb.hits, 2) << Describe(both);
  EXPECT_EQ(mb.false_boxes, 0) << Describe(both);
}

TEST_F(ObjectDetectorTest, LargeRegionsAndPhotosAreCoveredByTiles) {
  // Frame 300 at twice its size, as a photo: a region over the whole picture is tiled, and
  // DetectTiled runs tiles where people of 64 px would be too small for the whole picture.
  const cv::Mat frame = VtestFrame(300);
  ASSERT_FALSE(frame.empty());
  cv::Mat big;
  cv::resize(frame, big, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
  std::vector<cv::Rect> truth;
  for (const cv::Rect& r : kFrames[2].people) truth.emplace_back(r.x * 2, r.y * 2, r.width * 2, r.height * 2);
  for (const auto& [name, d] : {std::pair{"DetectIn", D().DetectIn(big, {cv::Rect(0, 0, big.cols, big.rows)})},
                                std::pair{"DetectTiled", D().DetectTiled(big, 64)}}) {
    const Matched m = Match(truth, d, ObjectClass::kPerson);
    EXPECT_GE(m.hits, static_cast<int>(truth.size()) - 1) << name << ":" << Describe(d);
    // Overlapping tiles see some people twice, differently cut; the merge leaves a few such.
    EXPECT_LE(m.false_boxes, 2) << name << ":" << Describe(d);
  }
}

TEST_F(ObjectDetectorTest, FindsThePlayerInMessi5) {
  const cv::Mat photo = testing::DecodeJpegBgr(testing::ReadFileOrEmpty(testing::kFacePhoto));
  ASSERT_FALSE(photo.empty()) << testing::kFacePhoto;
  const std::vector<Detection> d = D().Detect(photo);
  // The player, from his raised hand to his boot.
  const Matched m = Match({cv::Rect(66, 62, 390, 272)}, d, ObjectClass::kPerson);
  EXPECT_EQ(m.hits, 1) << Describe(d);
}

TEST(ObjectDetectorCreateTest, MissingModelIsAClearError) {
  DetectorOptions o;
  o.model = "/nonexistent/detector.pb";
  auto d = ObjectDetector::Create(o);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), Code::kUnavailable);
  EXPECT_NE(d.status().message().find(o.model), std::string::npos) << d.status().message();
  EXPECT_NE(d.status().message().find("npm ci --prefix models"), std::string::npos) << d.status().message();
}

TEST(ObjectDetectorCreateTest, UnusableModelIsAClearError) {
  const std::string model = testing::ReadFileOrEmpty(DefaultDetectorModelPath());
  ASSERT_FALSE(model.empty()) << DefaultDetectorModelPath();
  const std::string dir = ::testing::TempDir();
  for (const auto& [name, bytes] : {std::pair<std::string, std::string>{"garbage.pb", "this is not a network"},
                                    {"empty.pb", ""},
                                    {"truncated.pb", model.substr(0, model.size() / 2)}}) {
    DetectorOptions o;
    o.model = dir + "object_detector_test_" + name;
    {
      std::ofstream out(o.model, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    auto d = ObjectDetector::Create(o);
    ASSERT_FALSE(d.ok()) << name;
    EXPECT_EQ(d.status().code(), Code::kUnavailable) << name;
    EXPECT_NE(d.status().message().find(o.model), std::string::npos) << d.status().message();
    EXPECT_NE(d.status().message().find("not the expected network"), std::string::npos) << d.status().message();
    std::filesystem::remove(o.model);
  }
}

TEST(ObjectDetectorCreateTest, OptionsOutOfRangeAreInvalid) {
  for (float score : {0.0f, 1.0f, -0.5f}) {
    DetectorOptions o;
    o.min_score = score;
    EXPECT_EQ(ObjectDetector::Create(o).status().code(), Code::kInvalid) << score;
  }
  DetectorOptions o;
  o.model.clear();
  EXPECT_EQ(ObjectDetector::Create(o).status().code(), Code::kInvalid);
}

TEST(ObjectClassTest, NamesAndVehicles) {
  EXPECT_EQ(ObjectClassName(ObjectClass::kPerson), "person");
  EXPECT_EQ(ObjectClassName(ObjectClass::kSuitcase), "suitcase");
  EXPECT_TRUE(IsVehicle(ObjectClass::kBus));
  EXPECT_TRUE(IsVehicle(ObjectClass::kMotorcycle));
  EXPECT_FALSE(IsVehicle(ObjectClass::kBicycle));
  EXPECT_FALSE(IsVehicle(ObjectClass::kPerson));
}

}  // namespace
}  // namespace gb::vision

// A street photo of pedestrians through the hub: a frame of vtest.avi enlarged to 1536 px,
// posted by a resident (Open311 POST with media) and uploaded as camera evidence (PUT), is
// stored with every person blurred so far that OpenCV's HOG people detector finds no one in
// it, beyond what it finds on the empty street (a box on the parked van), which the test
// measures first.

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <string>
#include <vector>

#include "api/auth/crypto.h"
#include "../integration/hub_fixture.h"
#include "support/test_jpeg.h"
#include "support/hog_people.h"
#include "support/vtest.h"

namespace gb::testing {
namespace {

const cv::Size kPhoto(1536, 1152);

cv::Mat Enlarged(const cv::Mat& m) {
  cv::Mat out;
  cv::resize(m, out, kPhoto, 0, 0, cv::INTER_CUBIC);
  return out;
}

// HOG's boxes in `stored` that are not one of `baseline`'s.
std::vector<cv::Rect> PeopleLeft(const std::string& stored, const std::vector<cv::Rect>& baseline) {
  std::vector<cv::Rect> left;
  for (const cv::Rect& h : HogPeople(DecodeJpegBgr(stored))) {
    bool known = false;
    for (const cv::Rect& b : baseline) known = known || (b & h).area() > 0.5 * (b | h).area();
    if (!known) left.push_back(h);
  }
  return left;
}

TEST(StreetPhotoTest, PedestriansAreGoneForHogAfterUploadAndPost) {
  const cv::Mat street = VtestEmptyStreet();
  if (street.empty()) GTEST_SKIP() << kVtestVideo << ": install the Debian package " << kVtestPackage;
  const std::vector<cv::Rect> baseline = HogPeople(Enlarged(street));
  ASSERT_LE(baseline.size(), 1u) << "HOG's false positives on the empty street";

  HubFixture hub;
  // A resident's photo.
  const cv::Mat photo = Enlarged(VtestFrame(300));
  ASSERT_GE(HogPeople(photo).size(), baseline.size() + 4) << "HOG should see the pedestrians before";
  const std::string path = PostPhotoReport(hub, EncodeJpeg(photo, 90), {31.2304, 121.4737});
  ASSERT_FALSE(path.empty());
  const HttpReply stored_photo = hub.Anonymous("GET", path);
  ASSERT_EQ(stored_photo.status, 200) << path;
  for (const cv::Rect& h : PeopleLeft(stored_photo.body, baseline)) {
    ADD_FAILURE() << "Open311 photo: HOG finds a person at " << h.x << "," << h.y << " " << h.width << "x" << h.height;
  }

  // Camera evidence.
  const std::string evidence = EncodeJpeg(Enlarged(VtestFrame(0)), 90);
  const std::string ref = "sha256:" + auth::Sha256Hex(evidence);
  const HttpReply put = hub.Bearer(hub.edge_token(), "PUT", "/api/v1/evidence/" + ref, evidence, {"Content-Type: image/jpeg"});
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_NE(put.body.find("\"people_blurred\""), std::string::npos) << put.body;
  auto dispatcher = hub.SignIn("dispatcher");
  const HttpReply stored = dispatcher.Get("/api/v1/evidence/" + ref + "?purpose=check+the+privacy+of+evidence");
  ASSERT_EQ(stored.status, 200);
  for (const cv::Rect& h : PeopleLeft(stored.body, baseline)) {
    ADD_FAILURE() << "evidence: HOG finds a person at " << h.x << "," << h.y << " " << h.width << "x" << h.height;
  }
}

}  // namespace
}  // namespace gb::testing

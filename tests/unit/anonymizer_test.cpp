// Anonymizer tests: faces are really blurred (in a real photo, at known sizes, in Megamind.avi
// frames for three face cascades), people in a street photo are gone for HOG, plates in
// vehicle boxes are blurred unless kept, the pixel entry point is the same pipeline, metadata
// really goes, hostile input is refused with the right status, the hash is right, concurrent
// callers get identical results, and a missing model stops Create().
//
// messi5.jpg, Megamind.avi and vtest.avi come from the Debian package opencv-doc; the
// reference cascades from opencv-data; the face model from `npm ci --prefix models`, the
// object detector's network from the build. Every other image is generated here.

#include "privacy/image/anonymizer.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/videoio.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "privacy/image/blazeface.h"
#include "support/hog_people.h"
#include "support/test_jpeg.h"
#include "support/vtest.h"

namespace gb {
namespace {

using namespace std::string_literals;

using testing::DecodeJpegBgr;
using testing::HogPeople;
using testing::kFacePhoto;
using testing::kFacePhotoPackage;
using testing::ExifPayload;
using testing::ReadFileOrEmpty;
using testing::Segment;
using testing::WithMetadata;

// Encodes BGR pixels (4:2:0; `flags` may ask for a progressive file); a failure fails the test.
std::string Encode(const cv::Mat& bgr, int quality = 90, int flags = 0) {
  std::string error;
  std::string out = testing::EncodeJpeg(bgr, quality, flags, &error);
  EXPECT_FALSE(out.empty()) << error;
  return out;
}

// A textured test picture: gradients, blocks of colour and noise (so that the entropy-coded
// data is large enough to cut in the middle).
cv::Mat Pattern(int w, int h, uint32_t seed = 1) {
  cv::Mat m(h, w, CV_8UC3);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(-25, 25);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      auto clamp = [](int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); };
      const int block = ((x / 32) + (y / 32)) % 2 ? 60 : 0;
      m.at<cv::Vec3b>(y, x) = {clamp(x * 255 / w + noise(rng)), clamp(y * 255 / h + block),
                               clamp(128 + block + noise(rng))};
    }
  }
  return m;
}

// Offset of the first SOF0/SOF2 marker's payload (precision byte), or npos.
size_t SofOffset(const std::string& jpeg) {
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    const auto m = static_cast<unsigned char>(jpeg[i + 1]);
    if (static_cast<unsigned char>(jpeg[i]) == 0xFF && (m == 0xC0 || m == 0xC2)) return i + 4;
  }
  return std::string::npos;
}

// Rewrites the dimensions declared in SOF: a tiny file that claims a huge image.
std::string WithDeclaredSize(std::string jpeg, int w, int h) {
  const size_t p = SofOffset(jpeg);
  EXPECT_NE(p, std::string::npos);
  jpeg[p + 1] = static_cast<char>(h >> 8);
  jpeg[p + 2] = static_cast<char>(h & 0xFF);
  jpeg[p + 3] = static_cast<char>(w >> 8);
  jpeg[p + 4] = static_cast<char>(w & 0xFF);
  return jpeg;
}

double LaplacianVariance(const cv::Mat& bgr, const cv::Rect& r) {
  cv::Mat gray, lap;
  cv::cvtColor(bgr(r), gray, cv::COLOR_BGR2GRAY);
  cv::Laplacian(gray, lap, CV_64F);
  cv::Scalar mean, stddev;
  cv::meanStdDev(lap, mean, stddev);
  return stddev[0] * stddev[0];
}

// The reference detector of the face tests: faces that two of OpenCV's frontal Haar cascades
// both find at full resolution. (Either cascade alone also reports a box on Messi's shoulder
// in messi5.jpg, which is not a face.)
std::vector<cv::Rect> FullResolutionFaces(const cv::Mat& bgr) {
  const std::string dir = "/usr/share/opencv4/haarcascades/";  // Debian's opencv-data
  cv::CascadeClassifier frontal(dir + "haarcascade_frontalface_default.xml");
  cv::CascadeClassifier alt(dir + "haarcascade_frontalface_alt.xml");
  EXPECT_FALSE(frontal.empty());
  EXPECT_FALSE(alt.empty());
  cv::Mat gray;
  cv::cvtColor(bgr, gray, cv::COLOR_BGR2GRAY);
  cv::equalizeHist(gray, gray);
  std::vector<cv::Rect> a, b, faces;
  frontal.detectMultiScale(gray, a, 1.1, 3, 0, cv::Size(24, 24));
  alt.detectMultiScale(gray, b, 1.1, 3, 0, cv::Size(24, 24));
  for (const cv::Rect& f : a) {
    for (const cv::Rect& g : b) {
      if ((f & g).area() > 0.5 * (f | g).area()) {
        faces.push_back(f);
        break;
      }
    }
  }
  return faces;
}

class AnonymizerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_GE(sodium_init(), 0);
    auto a = Anonymizer::Create();
    ASSERT_TRUE(a.ok()) << a.status().message();
    anonymizer_ = std::move(a).value().release();
    // Faces alone, for the tests of face detection: a face inside a person box would be
    // blurred with the person and hide a face the face detector missed.
    AnonymizerOptions faces_only;
    faces_only.people = false;
    auto f = Anonymizer::Create(faces_only);
    ASSERT_TRUE(f.ok()) << f.status().message();
    faces_only_ = std::move(f).value().release();
  }
  static void TearDownTestSuite() {
    delete anonymizer_;
    anonymizer_ = nullptr;
    delete faces_only_;
    faces_only_ = nullptr;
  }
  static const Anonymizer& A() { return *anonymizer_; }
  static const Anonymizer& FacesOnly() { return *faces_only_; }

  static Anonymizer* anonymizer_;
  static Anonymizer* faces_only_;
};
Anonymizer* AnonymizerTest::anonymizer_ = nullptr;
Anonymizer* AnonymizerTest::faces_only_ = nullptr;

TEST_F(AnonymizerTest, BlursEveryFaceOfARealPhoto) {
  const std::string photo = ReadFileOrEmpty(kFacePhoto);
  if (photo.empty()) {
    GTEST_SKIP() << kFacePhoto << " is missing: install the Debian package " << kFacePhotoPackage;
  }
  const cv::Mat before = DecodeJpegBgr(photo);
  ASSERT_FALSE(before.empty());
  const std::vector<cv::Rect> faces = FullResolutionFaces(before);
  ASSERT_GE(faces.size(), 1u) << "the reference cascade no longer finds the face in the photo";

  auto r = FacesOnly().Process(photo);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(r->faces_blurred, 1);
  const cv::Mat after = DecodeJpegBgr(r->jpeg);
  ASSERT_FALSE(after.empty());
  ASSERT_EQ(after.size(), before.size());

  // Every face the reference detector saw has lost its detail...
  for (const cv::Rect& f : faces) {
    const double v0 = LaplacianVariance(before, f), v1 = LaplacianVariance(after, f);
    EXPECT_LT(v1, v0 / 50) << "face at " << f.x << "," << f.y << " " << f.width << "x" << f.height
                           << ": Laplacian variance " << v0 << " -> " << v1;
  }
  // ...and the reference detector finds no face there any more.
  for (const cv::Rect& g : FullResolutionFaces(after)) {
    for (const cv::Rect& f : faces) {
      const cv::Point c(g.x + g.width / 2, g.y + g.height / 2);
      EXPECT_FALSE(f.contains(c)) << "a face is still detectable at " << g.x << "," << g.y;
    }
  }
  // The rest of the picture keeps its detail (the blur is local).
  const cv::Rect corner(0, before.rows * 2 / 3, before.cols / 4, before.rows / 3);
  EXPECT_GT(LaplacianVariance(after, corner), LaplacianVariance(before, corner) / 4);
}

// Messi's face from messi5.jpg, pasted with some of its surroundings at known sizes (the face
// box from 40 to 200 px across) onto a plain 1-megapixel background: every copy is blurred.
TEST_F(AnonymizerTest, BlursFacesPastedAtKnownSizes) {
  const std::string photo = ReadFileOrEmpty(kFacePhoto);
  if (photo.empty()) {
    GTEST_SKIP() << kFacePhoto << " is missing: install the Debian package " << kFacePhotoPackage;
  }
  const cv::Mat source = DecodeJpegBgr(photo);
  ASSERT_FALSE(source.empty());
  const std::vector<cv::Rect> found = FullResolutionFaces(source);
  ASSERT_EQ(found.size(), 1u) << "the reference cascades no longer agree on the face";
  const cv::Rect face = found[0];
  // The crop: twice the face box, centred on it (the photo is large enough around it).
  const cv::Rect crop(face.x - face.width / 2, face.y - face.height / 2, face.width * 2,
                      face.height * 2);
  ASSERT_EQ(crop & cv::Rect(0, 0, source.cols, source.rows), crop);

  cv::Mat canvas(864, 1152, CV_8UC3);
  for (int x = 0; x < canvas.cols; ++x) {
    canvas.col(x).setTo(cv::Scalar(150 + x / 40, 160, 170 - x / 40));  // a gentle gradient
  }
  const int sizes[] = {40, 48, 64, 96, 140, 200};
  std::vector<cv::Rect> pasted;
  for (size_t i = 0; i < std::size(sizes); ++i) {
    const double s = static_cast<double>(sizes[i]) / face.width;
    cv::Mat scaled;
    cv::resize(source(crop), scaled, cv::Size(), s, s, s < 1 ? cv::INTER_AREA : cv::INTER_CUBIC);
    // Three columns, two rows, at odd offsets (not on the detector's grid), apart.
    const int xs[] = {211, 583, 949}, ys[] = {205, 643};
    const cv::Point centre(xs[i % 3], ys[i / 3]);
    const cv::Rect at(centre.x - scaled.cols / 2, centre.y - scaled.rows / 2, scaled.cols,
                      scaled.rows);
    scaled.copyTo(canvas(at));
    const int side = static_cast<int>(std::lround(face.width * s));
    pasted.emplace_back(centre.x - side / 2, centre.y - side / 2, side, side);
  }
  const std::string input = Encode(canvas, 95);
  auto r = FacesOnly().Process(input);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(r->faces_blurred, static_cast<int>(pasted.size()));
  const cv::Mat after = DecodeJpegBgr(r->jpeg);
  ASSERT_EQ(after.size(), canvas.size());
  for (const cv::Rect& f : pasted) {
    // Detail measured at the source's scale, so that enlarged copies (smooth already) are
    // judged like the others.
    cv::Mat before_face, after_face;
    cv::resize(canvas(f), before_face, face.size(), 0, 0, cv::INTER_AREA);
    cv::resize(after(f), after_face, face.size(), 0, 0, cv::INTER_AREA);
    const cv::Rect all(0, 0, face.width, face.height);
    const double v0 = LaplacianVariance(before_face, all), v1 = LaplacianVariance(after_face, all);
    EXPECT_LT(v1, v0 / 20) << "face of " << f.width << " px at " << f.x << "," << f.y
                           << ": Laplacian variance " << v0 << " -> " << v1;
  }
  // The plain background between the rows is left alone: it is what re-encoding alone makes.
  // (Only well left of the largest copy, whose crop holds face-like patches of the stands.)
  const cv::Mat reencoded = DecodeJpegBgr(Encode(DecodeJpegBgr(input), A().options().jpeg_quality));
  const cv::Rect gap(0, 330, 700, 120);
  EXPECT_LE(cv::norm(after(gap), reencoded(gap), cv::NORM_INF), 2.0);
}

TEST_F(AnonymizerTest, StripsEveryMetadataSegment) {
  const std::string clean = Encode(Pattern(320, 240));
  EXPECT_FALSE(HasMetadataMarkers(clean));
  const std::string tagged = WithMetadata(clean);
  ASSERT_TRUE(HasMetadataMarkers(tagged));
  for (const char* needle : {"GLASSBRAIN-GPS", "GLASSBRAIN-XMP", "GLASSBRAIN-IPTC",
                             "GLASSBRAIN-COMMENT", "ICC_PROFILE"}) {
    ASSERT_NE(tagged.find(needle), std::string::npos) << needle;
  }
  ASSERT_FALSE(DecodeJpegBgr(tagged).empty())
      << "the spliced test input must itself be a valid JPEG";

  auto r = A().Process(tagged);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(HasMetadataMarkers(r->jpeg));
  EXPECT_EQ(r->jpeg.find("GLASSBRAIN"), std::string::npos);
  EXPECT_EQ(r->jpeg.find("Exif"), std::string::npos);
  EXPECT_EQ(r->jpeg.find("ICC_PROFILE"), std::string::npos);
  const cv::Mat out = DecodeJpegBgr(r->jpeg);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.cols, 320);
  EXPECT_EQ(out.rows, 240);
  // Only SOI + APP0 JFIF at the start.
  ASSERT_GE(r->jpeg.size(), 6u);
  EXPECT_EQ(r->jpeg.substr(0, 4), std::string("\xFF\xD8\xFF\xE0", 4));
  EXPECT_EQ(r->jpeg.substr(6, 5), std::string("JFIF\0", 5));
}

TEST_F(AnonymizerTest, AppliesExifOrientationBeforeDroppingIt) {
  // Left half red, right half blue; orientation 6 means "rotate 90° clockwise to view".
  cv::Mat m(120, 200, CV_8UC3, cv::Scalar(255, 0, 0));
  m(cv::Rect(0, 0, 100, 120)).setTo(cv::Scalar(0, 0, 255));
  auto r = A().Process(WithMetadata(Encode(m), 6));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->width, 120);
  EXPECT_EQ(r->height, 200);
  const cv::Mat out = DecodeJpegBgr(r->jpeg);
  ASSERT_EQ(out.size(), cv::Size(120, 200));
  const cv::Scalar top = cv::mean(out(cv::Rect(0, 0, 120, 90)));
  const cv::Scalar bottom = cv::mean(out(cv::Rect(0, 110, 120, 90)));
  EXPECT_GT(top[2], 200);     // red on top
  EXPECT_GT(bottom[0], 200);  // blue below
  EXPECT_FALSE(HasMetadataMarkers(r->jpeg));
}

TEST_F(AnonymizerTest, RejectsWhatIsNotAJpeg) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0", 29);
  for (const std::string& input :
       {std::string("hello"), png, std::string(), std::string("GIF89a\x01\0\x01\0", 10),
        std::string("\xFF\xD8", 2), std::string("RIFF\0\0\0\0WEBPVP8 ", 16)}) {
    auto r = A().Process(input);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), Code::kUnsupported) << r.status().message();
    EXPECT_NE(r.status().message().find("media must be a JPEG image"), std::string::npos);
    auto d = JpegDimensions(input);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.status().code(), Code::kUnsupported);
  }
}

TEST_F(AnonymizerTest, RejectsTruncatedAndCorruptJpegs) {
  const std::string jpeg = Encode(Pattern(640, 480), 95);
  ASSERT_GT(jpeg.size(), 20000u);
  for (size_t keep : {jpeg.size() * 3 / 5, jpeg.size() - 3, jpeg.size() - 2}) {
    auto r = A().Process(jpeg.substr(0, keep));
    ASSERT_FALSE(r.ok()) << "kept " << keep << " of " << jpeg.size() << " bytes";
    EXPECT_EQ(r.status().code(), Code::kInvalid) << r.status().message();
  }
  // Cut inside the header: still recognisably a JPEG, but unreadable.
  const size_t sof = SofOffset(jpeg);
  ASSERT_NE(sof, std::string::npos);
  auto header_cut = A().Process(jpeg.substr(0, sof + 3));
  ASSERT_FALSE(header_cut.ok());
  EXPECT_EQ(header_cut.status().code(), Code::kInvalid) << header_cut.status().message();
  // Garbage after a valid start.
  auto garbage = A().Process(std::string("\xFF\xD8\xFF\xE0", 4) + std::string(500, '\x17'));
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), Code::kInvalid) << garbage.status().message();
}

TEST_F(AnonymizerTest, RefusesDecompressionBombsFromTheHeader) {
  const std::string tiny = Encode(Pattern(16, 16));
  ASSERT_LT(tiny.size(), 2000u);
  const std::string bomb = WithDeclaredSize(tiny, 30000, 30000);
  auto dims = JpegDimensions(bomb);
  ASSERT_TRUE(dims.ok()) << dims.status().message();
  EXPECT_EQ(dims->first, 30000);
  EXPECT_EQ(dims->second, 30000);

  auto r = A().Process(bomb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  EXPECT_NE(r.status().message().find("30000x30000"), std::string::npos) << r.status().message();

  // Each limit on its own.
  auto wide = A().Process(WithDeclaredSize(tiny, 9000, 100));
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.status().code(), Code::kTooLarge);
  EXPECT_NE(wide.status().message().find("9000x100"), std::string::npos);
  auto tall = A().Process(WithDeclaredSize(tiny, 100, 9000));
  ASSERT_FALSE(tall.ok());
  EXPECT_EQ(tall.status().code(), Code::kTooLarge);
  auto many = A().Process(WithDeclaredSize(tiny, 8000, 8000));  // 64 M pixels > 40 M
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), Code::kTooLarge);
  ImageLimits small;
  small.max_pixels = 100;
  auto limited = A().Process(tiny, small);  // 256 pixels
  ASSERT_FALSE(limited.ok());
  EXPECT_EQ(limited.status().code(), Code::kTooLarge);
}

TEST_F(AnonymizerTest, RefusesBodiesOverTheByteLimit) {
  const std::string jpeg = Encode(Pattern(320, 240));
  ImageLimits limits;
  limits.max_bytes = jpeg.size() - 1;
  auto r = A().Process(jpeg, limits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kTooLarge);
  limits.max_bytes = jpeg.size();
  EXPECT_TRUE(A().Process(jpeg, limits).ok());
  // The byte limit comes first: even garbage over the limit is TooLarge, not Unsupported.
  limits.max_bytes = 4;
  auto big = A().Process("hello", limits);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), Code::kTooLarge);
}

TEST_F(AnonymizerTest, HashAndDimensionsDescribeTheOutput) {
  const cv::Mat m = Pattern(333, 211, 7);
  auto r = A().Process(Encode(m));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->width, 333);
  EXPECT_EQ(r->height, 211);
  ASSERT_EQ(r->sha256_hex.size(), 64u);
  EXPECT_EQ(r->sha256_hex.find_first_not_of("0123456789abcdef"), std::string::npos);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(r->jpeg.data()),
                     r->jpeg.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  EXPECT_EQ(r->sha256_hex, hex);
  const cv::Mat out = DecodeJpegBgr(r->jpeg);
  ASSERT_EQ(out.size(), m.size());
  EXPECT_EQ(JpegDimensions(r->jpeg).value(), std::make_pair(333, 211));
}

TEST_F(AnonymizerTest, AcceptsProgressiveGreyscaleAndTinyImagesButNotCmyk) {
  auto progressive = A().Process(Encode(Pattern(300, 200), 85, TJFLAG_PROGRESSIVE));
  ASSERT_TRUE(progressive.ok()) << progressive.status().message();
  EXPECT_FALSE(HasMetadataMarkers(progressive->jpeg));

  auto tiny = A().Process(Encode(Pattern(1, 1)));
  ASSERT_TRUE(tiny.ok()) << tiny.status().message();
  EXPECT_EQ(tiny->width, 1);

  cv::Mat gray;
  cv::cvtColor(Pattern(200, 100), gray, cv::COLOR_BGR2GRAY);
  const std::string gray_jpeg = testing::EncodeJpeg(gray);  // TJPF_GRAY, TJSAMP_GRAY
  ASSERT_FALSE(gray_jpeg.empty());
  auto g = A().Process(gray_jpeg);
  ASSERT_TRUE(g.ok()) << g.status().message();
  EXPECT_FALSE(DecodeJpegBgr(g->jpeg).empty());

  cv::Mat cmyk(64, 64, CV_8UC4, cv::Scalar(10, 20, 30, 40));
  const std::string cmyk_jpeg = testing::EncodeJpeg(cmyk.data, 64, 64, static_cast<int>(cmyk.step),
                                                    TJPF_CMYK, 90, TJSAMP_444);
  ASSERT_FALSE(cmyk_jpeg.empty());
  auto c = A().Process(cmyk_jpeg);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), Code::kUnsupported) << c.status().message();
}

TEST_F(AnonymizerTest, ConcurrentCallersGetIdenticalOutput) {
  std::string input = ReadFileOrEmpty(kFacePhoto);
  if (input.empty()) input = Encode(Pattern(548, 342, 3));  // still exercises the pool
  auto reference = A().Process(input);
  ASSERT_TRUE(reference.ok()) << reference.status().message();

  constexpr int kThreads = 4, kRounds = 1;
  std::vector<std::vector<std::string>> hashes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; ++i) {
        auto r = A().Process(input);
        hashes[t].push_back(r.ok() ? r->sha256_hex : "error: " + r.status().message());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(hashes[t].size(), static_cast<size_t>(kRounds));
    for (const std::string& h : hashes[t]) EXPECT_EQ(h, reference->sha256_hex) << "thread " << t;
  }
}

// The pixel entry point is the same pipeline: a picture given as pixels comes out as the
// same JPEG as the picture given as a (lossless enough) JPEG of those pixels decodes to.
TEST_F(AnonymizerTest, ProcessPixelsRunsTheSamePipelineAndLeavesItsInputAlone) {
  const std::string jpeg = Encode(Pattern(640, 480, 5), 95);
  const cv::Mat pixels = DecodeJpegBgr(jpeg);
  ASSERT_FALSE(pixels.empty());
  const cv::Mat before = pixels.clone();
  auto from_jpeg = A().Process(jpeg);
  auto from_pixels = A().ProcessPixels(pixels);
  ASSERT_TRUE(from_jpeg.ok()) << from_jpeg.status().message();
  ASSERT_TRUE(from_pixels.ok()) << from_pixels.status().message();
  EXPECT_EQ(from_pixels->sha256_hex, from_jpeg->sha256_hex);
  EXPECT_EQ(cv::norm(pixels, before, cv::NORM_INF), 0.0) << "ProcessPixels changed the caller's pixels";
  EXPECT_FALSE(HasMetadataMarkers(from_pixels->jpeg));
  EXPECT_EQ(from_pixels->width, 640);
  EXPECT_EQ(from_pixels->height, 480);

  EXPECT_EQ(A().ProcessPixels(cv::Mat()).status().code(), Code::kInvalid);
  EXPECT_EQ(A().ProcessPixels(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))).status().code(), Code::kInvalid);
  EXPECT_EQ(A().ProcessPixels(cv::Mat(10, 10, CV_32FC3, cv::Scalar(0))).status().code(), Code::kInvalid);
  ImageLimits small;
  small.max_width = 100;
  EXPECT_EQ(A().ProcessPixels(pixels, {}, small).status().code(), Code::kTooLarge);
}

// A person the caller knows of (the edge agent's tracker) is blurred whether or not the
// detector sees one there; what lies outside the box keeps its detail.
TEST_F(AnonymizerTest, KnownPeopleAreBlurredPastRecognition) {
  const cv::Mat pixels = Pattern(640, 480, 9);
  const cv::Rect person(300, 120, 60, 170);
  KnownObjects known;
  known.people = {person, cv::Rect(-40, -40, 20, 20) /* outside: ignored */};
  auto r = A().ProcessPixels(pixels, known);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(r->people_blurred, 1);
  const cv::Mat after = DecodeJpegBgr(r->jpeg);
  ASSERT_EQ(after.size(), pixels.size());
  EXPECT_LT(LaplacianVariance(after, person), LaplacianVariance(pixels, person) / 50);
  const cv::Rect elsewhere(20, 300, 200, 150);
  EXPECT_GT(LaplacianVariance(after, elsewhere), LaplacianVariance(pixels, elsewhere) / 4);
}

// A generated rear view of a car with a number plate in the format of OpenCV's plate
// cascades (a white 4.6:1 plate, black border and characters).
struct PlateScene {
  cv::Mat pixels;
  cv::Rect car, plate;
};
PlateScene MakePlateScene() {
  PlateScene s{cv::Mat(720, 1280, CV_8UC3, cv::Scalar(110, 115, 120)), cv::Rect(400, 250, 480, 300),
               cv::Rect(562, 440, 156, 34)};
  cv::rectangle(s.pixels, s.car, cv::Scalar(40, 40, 160), cv::FILLED);
  cv::rectangle(s.pixels, cv::Rect(440, 270, 400, 110), cv::Scalar(60, 50, 40), cv::FILLED);  // rear window
  cv::circle(s.pixels, {450, 430}, 25, cv::Scalar(30, 30, 220), cv::FILLED);                  // lights
  cv::circle(s.pixels, {830, 430}, 25, cv::Scalar(30, 30, 220), cv::FILLED);
  cv::rectangle(s.pixels, s.plate, cv::Scalar(245, 245, 245), cv::FILLED);
  cv::rectangle(s.pixels, s.plate, cv::Scalar(0, 0, 0), 2);
  cv::putText(s.pixels, "A123BC", {s.plate.x + 8, s.plate.y + 28}, cv::FONT_HERSHEY_SIMPLEX, 0.95, cv::Scalar(0, 0, 0), 2);
  cv::putText(s.pixels, "77", {s.plate.x + 126, s.plate.y + 20}, cv::FONT_HERSHEY_SIMPLEX, 0.5, cv::Scalar(0, 0, 0), 1);
  return s;
}

// Plates the reference cascade finds inside `car`, in image pixels.
std::vector<cv::Rect> ReferencePlates(const cv::Mat& bgr, const cv::Rect& car) {
  cv::CascadeClassifier cascade(std::string(kDefaultCascadeDir) + "/haarcascade_russian_plate_number.xml");
  EXPECT_FALSE(cascade.empty());
  cv::Mat grey;
  cv::cvtColor(bgr(car), grey, cv::COLOR_BGR2GRAY);
  cv::equalizeHist(grey, grey);
  std::vector<cv::Rect> found;
  cascade.detectMultiScale(grey, found, 1.1, 3, 0, cascade.getOriginalWindowSize());
  for (cv::Rect& r : found) r += car.tl();
  return found;
}

TEST_F(AnonymizerTest, PlatesInVehicleBoxesAreBlurredUnlessKept) {
  const PlateScene s = MakePlateScene();
  const std::vector<cv::Rect> before = ReferencePlates(s.pixels, s.car);
  ASSERT_EQ(before.size(), 1u) << "the reference cascade no longer finds the generated plate";
  ASSERT_GT((before[0] & s.plate).area(), s.plate.area() / 2);

  KnownObjects known;
  known.vehicles = {s.car};
  auto r = A().ProcessPixels(s.pixels, known);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_GE(r->plates_blurred, 1);
  const cv::Mat after = DecodeJpegBgr(r->jpeg);
  EXPECT_TRUE(ReferencePlates(after, s.car).empty());
  EXPECT_LT(LaplacianVariance(after, s.plate), LaplacianVariance(s.pixels, s.plate) / 20);

  // Kept for a category that needs them: the plate is what re-encoding alone makes of it.
  known.blur_plates = false;
  auto kept = A().ProcessPixels(s.pixels, known);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_EQ(kept->plates_blurred, 0);
  const cv::Mat reencoded = DecodeJpegBgr(Encode(s.pixels, A().options().jpeg_quality));
  EXPECT_LE(cv::norm(DecodeJpegBgr(kept->jpeg)(s.plate), reencoded(s.plate), cv::NORM_INF), 2.0);
  EXPECT_EQ(ReferencePlates(DecodeJpegBgr(kept->jpeg), s.car).size(), 1u);
}

// Frames of Megamind.avi (faces, opencv-doc) enlarged to 1280 px wide, as the edge agent's
// evidence is: before, OpenCV's frontal (default, alt2) and profile cascades find faces in
// them; after ProcessPixels, none of the three finds any over anything the frame shows. A box
// over a flat patch of the frame (grey levels within a few steps: the dark background) is not
// counted: there was nothing there to anonymize, and what the cascades see in it is the
// codec's noise, stretched by the equalisation of a histogram that the erased people changed.
TEST_F(AnonymizerTest, MegamindFramesShowTheFaceCascadesNoFace) {
  cv::VideoCapture video(testing::kMegamindVideo);
  if (!video.isOpened()) GTEST_SKIP() << testing::kMegamindVideo << ": install " << testing::kVtestPackage;
  const std::string dir = std::string(kDefaultCascadeDir) + "/";
  std::vector<cv::CascadeClassifier> cascades;
  for (const char* name : {"haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt2.xml",
                           "haarcascade_profileface.xml"}) {
    cascades.emplace_back(dir + name);
    ASSERT_FALSE(cascades.back().empty()) << name;
  }
  auto faces = [&](const cv::Mat& bgr) {
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::equalizeHist(grey, grey);
    std::vector<cv::Rect> all;
    for (cv::CascadeClassifier& c : cascades) {
      std::vector<cv::Rect> found;
      c.detectMultiScale(grey, found, 1.1, 3, 0, cv::Size(24, 24));
      all.insert(all.end(), found.begin(), found.end());
    }
    return all;
  };
  int frames_with_faces = 0, frames = 0;
  cv::Mat frame;
  for (int i = 0; video.read(frame); ++i) {
    if (i % 45 != 0) continue;
    cv::Mat big;
    cv::resize(frame, big, cv::Size(1280, frame.rows * 1280 / frame.cols), 0, 0, cv::INTER_CUBIC);
    ++frames;
    if (!faces(big).empty()) ++frames_with_faces;
    auto r = A().ProcessPixels(big);
    ASSERT_TRUE(r.ok()) << r.status().message();
    std::vector<cv::Rect> left = faces(DecodeJpegBgr(r->jpeg));
    cv::Mat grey_before;
    cv::cvtColor(big, grey_before, cv::COLOR_BGR2GRAY);
    std::erase_if(left, [&](const cv::Rect& f) {
      cv::Scalar mean, sd;
      cv::meanStdDev(grey_before(f), mean, sd);
      return sd[0] < 3;
    });
    EXPECT_TRUE(left.empty()) << "frame " << i << ": " << left.size() << " faces left, the first at " << left[0].x
                              << "," << left[0].y << " " << left[0].width << "x" << left[0].height;
  }
  EXPECT_GE(frames, 6);
  EXPECT_GE(frames_with_faces, frames - 1) << "the cascades find faces in too few frames for the test to show much";
}

// A street photo: frames of vtest.avi enlarged to 1536 px. HOG finds the pedestrians before;
// afterwards it finds nothing but what it finds on the empty street (a box on the parked van).
TEST_F(AnonymizerTest, StreetPhotoShowsHogNoPersonAfterwards) {
  cv::Mat empty = testing::VtestEmptyStreet();
  if (empty.empty()) GTEST_SKIP() << testing::kVtestVideo << ": install " << testing::kVtestPackage;
  cv::resize(empty, empty, cv::Size(1536, 1152), 0, 0, cv::INTER_CUBIC);
  const std::vector<cv::Rect> baseline = HogPeople(empty);
  ASSERT_LE(baseline.size(), 1u) << "HOG's false positives on the empty street";
  for (int n : {0, 300}) {
    cv::Mat photo;
    cv::resize(testing::VtestFrame(n), photo, cv::Size(1536, 1152), 0, 0, cv::INTER_CUBIC);
    ASSERT_GE(HogPeople(photo).size(), baseline.size() + 4) << "frame " << n;
    auto r = A().Process(Encode(photo));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_GE(r->people_blurred, 3) << "frame " << n;
    for (const cv::Rect& h : HogPeople(DecodeJpegBgr(r->jpeg))) {
      const bool baseline_box = std::any_of(baseline.begin(), baseline.end(), [&](const cv::Rect& b) {
        return (b & h).area() > 0.5 * (b | h).area();
      });
      EXPECT_TRUE(baseline_box) << "frame " << n << ": HOG finds a person at " << h.x << "," << h.y << " " << h.width
                                << "x" << h.height;
    }
  }
}

// Writes `bytes` to a file in the test's temporary directory; returns its path.
std::string TempFile(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "anonymizer_test_" + name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(out.good()) << path;
  return path;
}

TEST(AnonymizerCreateTest, MissingFaceModelIsAClearError) {
  AnonymizerOptions o;
  o.face_model = "/nonexistent/models/face.onnx";
  auto a = Anonymizer::Create(o);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), Code::kUnavailable);
  EXPECT_NE(a.status().message().find("/nonexistent/models/face.onnx"), std::string::npos)
      << a.status().message();
  EXPECT_NE(a.status().message().find("npm ci --prefix models"), std::string::npos)
      << a.status().message();
}

TEST(AnonymizerCreateTest, UnusableFaceModelIsAClearError) {
  const std::string model = ReadFileOrEmpty(DefaultFaceModelPath());
  ASSERT_FALSE(model.empty()) << DefaultFaceModelPath() << ": run `npm ci --prefix models`";
  for (const auto& [name, bytes] :
       {std::pair<std::string, std::string>{"garbage.onnx", "this is not a model"},
        {"empty.onnx", ""},
        {"truncated.onnx", model.substr(0, model.size() / 2)}}) {
    AnonymizerOptions o;
    o.face_model = TempFile(name, bytes);
    auto a = Anonymizer::Create(o);
    ASSERT_FALSE(a.ok()) << name;
    EXPECT_EQ(a.status().code(), Code::kUnavailable) << name;
    EXPECT_NE(a.status().message().find(o.face_model), std::string::npos) << a.status().message();
    EXPECT_NE(a.status().message().find("npm ci --prefix models"), std::string::npos)
        << a.status().message();
    std::filesystem::remove(o.face_model);
  }
}

TEST(AnonymizerCreateTest, OptionsOutOfRangeAreInvalid) {
  auto invalid = [](void (*change)(AnonymizerOptions&)) {
    AnonymizerOptions o;
    change(o);
    return Anonymizer::Create(o).status().code() == Code::kInvalid;
  };
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.face_threshold = 1.0; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.face_threshold = 0.0; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.min_face_px = 0; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.min_person_px = 0; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.person_threshold = 0.0; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.person_threshold = 1.0; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.object_model.clear(); }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.jpeg_quality = 101; }));
  EXPECT_TRUE(invalid([](AnonymizerOptions& o) { o.face_model.clear(); }));
}

// The face network itself: the model as shipped and the fully convolutional rewrite agree at
// 128×128, and the rewrite finds a face wherever it is in a larger input.
class BlazeFaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto model = image::FaceModel::Load(DefaultFaceModelPath());
    ASSERT_TRUE(model.ok()) << model.status().message() << ": run `npm ci --prefix models`";
    auto detector = image::FaceDetector::Create(*model);
    ASSERT_TRUE(detector.ok()) << detector.status().message();
    detector_ = std::move(detector).value();
    const cv::Mat photo = DecodeJpegBgr(ReadFileOrEmpty(kFacePhoto));
    if (photo.empty()) GTEST_SKIP() << kFacePhoto << ": install " << kFacePhotoPackage;
    // Messi's face is about 37 px wide at (226, 94) in messi5.jpg.
    face_ = photo(cv::Rect(180, 48, 128, 128)).clone();
  }
  std::unique_ptr<image::FaceDetector> detector_;
  cv::Mat face_;  // 128×128 around a face
};

TEST_F(BlazeFaceTest, FullyConvolutionalModelMatchesTheOriginal) {
  auto original = detector_->RunOriginal(face_, 0.05f);
  auto rewritten = detector_->RunOnce(face_, 0.05f);
  ASSERT_TRUE(original.ok()) << original.status().message();
  ASSERT_TRUE(rewritten.ok()) << rewritten.status().message();
  ASSERT_GE(original->size(), 1u);
  ASSERT_EQ(original->size(), rewritten->size());
  float best = 0;
  for (size_t i = 0; i < original->size(); ++i) {
    const image::Face& a = (*original)[i];
    const image::Face& b = (*rewritten)[i];
    EXPECT_NEAR(a.score, b.score, 1e-5);
    EXPECT_NEAR(a.box.x, b.box.x, 1e-3);
    EXPECT_NEAR(a.box.y, b.box.y, 1e-3);
    EXPECT_NEAR(a.box.width, b.box.width, 1e-3);
    EXPECT_NEAR(a.box.height, b.box.height, 1e-3);
    best = std::max(best, a.score);
  }
  EXPECT_GT(best, 0.8f) << "the face in the crop should be found with confidence";
}

TEST_F(BlazeFaceTest, FindsAFaceAnywhereInALargerInput) {
  // Two copies of the crop (face about 37 px) in a 400×240 input, at places that are not
  // multiples of the anchor strides.
  cv::Mat input(240, 400, CV_8UC3, cv::Scalar(120, 130, 140));
  const cv::Point at[] = {{9, 13}, {251, 99}};
  for (const cv::Point& p : at) face_.copyTo(input(cv::Rect(p.x, p.y, 128, 128)));
  auto faces = detector_->RunOnce(input, 0.5f);
  ASSERT_TRUE(faces.ok()) << faces.status().message();
  const std::vector<image::Face> merged = image::WeightedNms(*faces);
  for (const cv::Point& p : at) {
    const cv::Point2f centre(p.x + 226 - 180 + 18.5f, p.y + 94 - 48 + 18.5f);
    bool found = false;
    for (const image::Face& f : merged) {
      const cv::Point2f c(f.box.x + f.box.width / 2, f.box.y + f.box.height / 2);
      if (std::abs(c.x - centre.x) < 8 && std::abs(c.y - centre.y) < 10 && f.box.width > 28 &&
          f.box.width < 48) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "no face found near " << centre.x << "," << centre.y;
  }
  EXPECT_EQ(merged.size(), std::size(at));
}

TEST(BlazeFaceModelTest, RefusesWhatIsNotTheModel) {
  EXPECT_EQ(image::MakeFullyConvolutional("").status().code(), Code::kInvalid);
  EXPECT_EQ(image::MakeFullyConvolutional("not a model").status().code(), Code::kInvalid);
  // A valid protobuf message (one ModelProto field: ir_version = 7) without a graph.
  EXPECT_EQ(image::MakeFullyConvolutional(std::string("\x08\x07", 2)).status().code(),
            Code::kInvalid);
}

TEST(HasMetadataMarkersTest, FindsEachKindOfSegment) {
  const std::string clean = Encode(Pattern(64, 64));
  ASSERT_FALSE(HasMetadataMarkers(clean));
  auto with = [&](unsigned char marker, const std::string& payload) {
    return clean.substr(0, 2) + Segment(marker, payload) + clean.substr(2);
  };
  EXPECT_TRUE(HasMetadataMarkers(with(0xE1, ExifPayload(1))));
  EXPECT_TRUE(HasMetadataMarkers(with(0xE1, "http://ns.adobe.com/xap/1.0/\0<x/>"s)));
  EXPECT_TRUE(HasMetadataMarkers(with(0xE2, "ICC_PROFILE")));
  EXPECT_TRUE(HasMetadataMarkers(with(0xED, "Photoshop 3.0")));
  EXPECT_TRUE(HasMetadataMarkers(with(0xFE, "a comment")));
  EXPECT_TRUE(HasMetadataMarkers(with(0xE0, std::string("JFXX\0\x10", 6))));  // thumbnail
  EXPECT_FALSE(HasMetadataMarkers(with(0xEE, std::string("Adobe\0\x64\0\0\0\0\1", 12))));
  // A comment after the image data, and bytes after the end, count too.
  EXPECT_TRUE(
      HasMetadataMarkers(clean.substr(0, clean.size() - 2) + Segment(0xFE, "late") + "\xFF\xD9"));
  EXPECT_TRUE(HasMetadataMarkers(clean + "trailing"));
  // Unparseable structure: absence cannot be shown.
  EXPECT_TRUE(HasMetadataMarkers(clean.substr(0, clean.size() / 2)));
  EXPECT_TRUE(HasMetadataMarkers("hello"));
}

}  // namespace
}  // namespace gb

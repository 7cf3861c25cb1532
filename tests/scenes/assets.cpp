#include "scenes/assets.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "support/vtest.h"

namespace gb::scenes {
namespace {

// The street is vtest.avi's 768×576 view cut to 16:9 (rows 20–452) and scaled to 640×360.
constexpr int kCutTop = 20;
constexpr double kScale = 640.0 / 768.0;
// Frames the people are cut from, and how different from the background a person's pixel is.
constexpr int kFirstPersonFrame = 40, kPersonFrameStep = 45;
constexpr int kPersonDifference = 60;
constexpr size_t kMaxPeople = 30;

Sprite Cut(const cv::Mat& bgr, const cv::Mat& mask, const cv::Rect& box, double scale) {
  cv::Mat alpha;
  mask(box).convertTo(alpha, CV_32F, 1 / 255.0);
  cv::GaussianBlur(alpha, alpha, {3, 3}, 0);
  Sprite s;
  cv::resize(bgr(box), s.bgr, {}, scale, scale, cv::INTER_AREA);
  cv::resize(alpha, s.alpha, s.bgr.size(), 0, 0, cv::INTER_AREA);
  return s;
}

// Whole people: foreground regions of upright shape, apart from the frame's edges.
std::vector<Sprite> CutPeople(const std::vector<cv::Mat>& frames, const cv::Mat& background) {
  std::vector<Sprite> people;
  for (const cv::Mat& f : frames) {
    cv::Mat diff, channels[3];
    cv::absdiff(f, background, diff);
    cv::split(diff, channels);
    cv::Mat sum = (channels[0] + channels[1] + channels[2]) > kPersonDifference;  // saturating add
    cv::morphologyEx(sum, sum, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
    cv::morphologyEx(sum, sum, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_ELLIPSE, {7, 7}));
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(sum, labels, stats, centroids, 8, CV_32S);
    for (int i = 1; i < n && people.size() < kMaxPeople; ++i) {
      const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                         stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
      const double aspect = static_cast<double>(box.height) / box.width;
      const bool inside = box.x > 2 && box.y > 2 && box.br().x < f.cols - 2 && box.br().y < f.rows - 2;
      const double fill = static_cast<double>(stats.at<int>(i, cv::CC_STAT_AREA)) / box.area();
      if (!inside || box.height < 55 || box.height > 130 || aspect < 2.0 || aspect > 4.2 || fill < 0.45) continue;
      cv::Mat mask = labels == i;
      cv::dilate(mask, mask, cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3}));
      const cv::Rect grown = cv::Rect(box.x - 2, box.y - 2, box.width + 4, box.height + 4) & cv::Rect(0, 0, f.cols, f.rows);
      people.push_back(Cut(f, mask, grown, kScale));
    }
  }
  return people;
}

Sprite CutVan(const cv::Mat& background) {
  const cv::Rect box(648, 40, 80, 64);
  const std::vector<cv::Point> outline = {{655, 46}, {712, 44}, {719, 52}, {725, 68}, {725, 100}, {651, 101}, {651, 60}};
  cv::Mat mask = cv::Mat::zeros(background.size(), CV_8U);
  cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{outline}, 255);
  return Cut(background, mask, box, kScale);
}

Assets Build() {
  const cv::Mat background = testing::VtestEmptyStreet();
  if (background.empty()) {
    throw std::runtime_error(std::string(kStreetVideo) + " cannot be read: install the Debian package " +
                             kStreetVideoPackage);
  }
  cv::VideoCapture video(kStreetVideo);
  std::vector<cv::Mat> person_frames;
  cv::Mat f;
  for (int i = 0; video.read(f); ++i) {
    if (i >= kFirstPersonFrame && (i - kFirstPersonFrame) % kPersonFrameStep == 0) person_frames.push_back(f.clone());
  }
  Assets a;
  cv::resize(background(cv::Rect(0, kCutTop, background.cols, 432)), a.street, {640, 360}, 0, 0, cv::INTER_AREA);
  a.people = CutPeople(person_frames, background);
  a.van = CutVan(background);
  if (a.people.size() < 8) throw std::runtime_error("too few people found in " + std::string(kStreetVideo));
  return a;
}

cv::Scalar Jitter(std::mt19937& rng, cv::Scalar base, int spread) {
  std::uniform_int_distribution<int> d(-spread, spread);
  return {std::clamp(base[0] + d(rng), 0.0, 255.0), std::clamp(base[1] + d(rng), 0.0, 255.0),
          std::clamp(base[2] + d(rng), 0.0, 255.0)};
}

}  // namespace

const Assets& LoadAssets() {
  static const Assets assets = Build();
  return assets;
}

Sprite DrawObject(int kind, int width, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const int w = std::max(8, width);
  const int h = kind == 0 ? w * 4 / 5 : kind == 1 ? w * 3 / 4 : w * 6 / 5;
  Sprite s;
  s.bgr = cv::Mat(h + 4, w + 4, CV_8UC3, cv::Scalar(0, 0, 0));
  cv::Mat mask = cv::Mat::zeros(s.bgr.size(), CV_8U);
  const cv::Point c(s.bgr.cols / 2, s.bgr.rows / 2);
  if (kind == 0) {  // a dark rubbish bag, tied at the top
    const cv::Scalar plastic = Jitter(rng, {35, 35, 38}, 10);
    cv::ellipse(s.bgr, c + cv::Point(0, h / 10), {w / 2, h * 2 / 5}, 0, 0, 360, plastic, cv::FILLED);
    cv::ellipse(mask, c + cv::Point(0, h / 10), {w / 2, h * 2 / 5}, 0, 0, 360, 255, cv::FILLED);
    cv::ellipse(s.bgr, c + cv::Point(0, -h * 2 / 5), {w / 8, h / 8}, 0, 0, 360, plastic, cv::FILLED);
    cv::ellipse(mask, c + cv::Point(0, -h * 2 / 5), {w / 8, h / 8}, 0, 0, 360, 255, cv::FILLED);
    cv::ellipse(s.bgr, c + cv::Point(-w / 6, 0), {w / 8, h / 5}, 20, 0, 360, plastic + cv::Scalar(45, 45, 45), cv::FILLED);
  } else if (kind == 1) {  // a cardboard box, its side in shadow, with tape
    const cv::Scalar card = Jitter(rng, {70, 120, 170}, 15);
    const cv::Rect front(2, h / 5 + 2, w * 3 / 4, h * 4 / 5);
    cv::rectangle(s.bgr, front, card, cv::FILLED);
    const std::vector<cv::Point> side = {{front.br().x, front.y}, {w + 2, 2}, {w + 2, h * 4 / 5}, {front.br().x, front.br().y}};
    const std::vector<cv::Point> top = {{2, front.y}, {w / 4 + 2, 2}, {w + 2, 2}, {front.br().x, front.y}};
    cv::fillPoly(s.bgr, std::vector<std::vector<cv::Point>>{side}, card * 0.6);
    cv::fillPoly(s.bgr, std::vector<std::vector<cv::Point>>{top}, card * 1.15);
    cv::line(s.bgr, {front.x + front.width / 2, front.y}, {front.x + front.width / 2, front.br().y}, {190, 200, 205}, std::max(1, w / 12));
    cv::rectangle(mask, front, 255, cv::FILLED);
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{side, top}, 255);
  } else {  // an upright suitcase with a handle and wheels
    const cv::Scalar shell = Jitter(rng, {rng() % 2 ? 120.0 : 40.0, 40, rng() % 2 ? 40.0 : 140.0}, 20);
    const cv::Rect body(2, h / 6 + 2, w, h * 5 / 6 - 4);
    cv::rectangle(s.bgr, body, shell, cv::FILLED);
    cv::rectangle(mask, body, 255, cv::FILLED);
    for (int k = 1; k < 4; ++k) cv::line(s.bgr, {body.x + body.width * k / 4, body.y + 2}, {body.x + body.width * k / 4, body.br().y - 2}, shell * 0.7, 1);
    cv::rectangle(s.bgr, cv::Rect(w / 2 - w / 6 + 2, 2, w / 3, h / 6), {30, 30, 30}, 2);
    cv::rectangle(mask, cv::Rect(w / 2 - w / 6 + 2, 2, w / 3, h / 6), 255, 2);
    cv::circle(s.bgr, {body.x + 3, body.br().y}, 2, {20, 20, 20}, cv::FILLED);
    cv::circle(s.bgr, {body.br().x - 3, body.br().y}, 2, {20, 20, 20}, cv::FILLED);
  }
  mask.convertTo(s.alpha, CV_32F, 1 / 255.0);
  cv::GaussianBlur(s.alpha, s.alpha, {3, 3}, 0);
  return s;
}

Sprite DrawPoster(int width, int height, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Sprite s;
  s.bgr = cv::Mat(height, width, CV_8UC3, Jitter(rng, {rng() % 2 ? 230.0 : 60.0, 200, 220}, 30));
  std::uniform_int_distribution<int> x(0, width - 1), y(0, height - 1);
  for (int k = 0; k < 3; ++k) {  // blocks of colour: a picture
    const cv::Point a(x(rng), y(rng)), b(x(rng), y(rng));
    cv::rectangle(s.bgr, a, b, Jitter(rng, {128, 128, 128}, 127), cv::FILLED);
  }
  const double font = std::max(0.2, height / 120.0);
  for (int line = 0; line < 3; ++line) {  // lettering
    const std::string text = std::string(1, static_cast<char>('A' + rng() % 26)) + "SALE" + std::to_string(rng() % 90 + 10);
    cv::putText(s.bgr, text, {1, height * (line + 1) / 4}, cv::FONT_HERSHEY_SIMPLEX, font, Jitter(rng, {20, 20, 120}, 20), 1);
  }
  cv::rectangle(s.bgr, cv::Rect(0, 0, width, height), {240, 240, 240}, 1);
  s.alpha = cv::Mat(height, width, CV_32F, cv::Scalar(1));
  return s;
}

void Paste(cv::Mat& frame, const Sprite& s, cv::Point2f bottom, double scale, bool flip) {
  cv::Mat bgr, alpha;
  if (std::abs(scale - 1) > 1e-3) {
    cv::resize(s.bgr, bgr, {}, scale, scale, cv::INTER_LINEAR);
    cv::resize(s.alpha, alpha, bgr.size(), 0, 0, cv::INTER_LINEAR);
  } else {
    bgr = s.bgr;
    alpha = s.alpha;
  }
  if (flip) {
    cv::flip(bgr, bgr, 1);
    cv::flip(alpha, alpha, 1);
  }
  const cv::Rect at(static_cast<int>(std::lround(bottom.x - bgr.cols / 2.0)), static_cast<int>(std::lround(bottom.y)) - bgr.rows,
                    bgr.cols, bgr.rows);
  const cv::Rect in = at & cv::Rect(0, 0, frame.cols, frame.rows);
  if (in.empty()) return;
  const cv::Rect src(in.x - at.x, in.y - at.y, in.width, in.height);
  for (int yy = 0; yy < in.height; ++yy) {
    cv::Vec3b* out = frame.ptr<cv::Vec3b>(in.y + yy) + in.x;
    const cv::Vec3b* from = bgr.ptr<cv::Vec3b>(src.y + yy) + src.x;
    const float* a = alpha.ptr<float>(src.y + yy) + src.x;
    for (int xx = 0; xx < in.width; ++xx) {
      for (int c = 0; c < 3; ++c) {
        out[xx][c] = cv::saturate_cast<uchar>(out[xx][c] * (1 - a[xx]) + from[xx][c] * a[xx]);
      }
    }
  }
}

}  // namespace gb::scenes

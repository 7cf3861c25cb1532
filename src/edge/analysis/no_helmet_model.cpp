#include "edge/analysis/no_helmet_model.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>

#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

namespace gb::edge {
namespace {

constexpr int kInputSize = 640;
constexpr float kMinScore = 0.4f;
constexpr float kNmsOverlap = 0.45f;
// A head under a helmet box that overlaps it this much wears it.
constexpr double kWorn = 0.3;
// Each person in the zone is looked at this often.
constexpr std::int64_t kLookEveryMs = 1000;

std::string Trimmed(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class OnnxHelmetModel final : public NoHelmetModel {
 public:
  OnnxHelmetModel(cv::dnn::Net net, int helmet, int head, int classes)
      : net_(std::move(net)), helmet_(helmet), head_(head), classes_(classes) {}

  HeadsFound Find(const cv::Mat& bgr) override {
    HeadsFound out;
    if (bgr.empty()) return out;
    cv::Mat blob = cv::dnn::blobFromImage(bgr, 1 / 255.0, {kInputSize, kInputSize}, {}, true, false);
    cv::Mat raw;
    try {
      net_.setInput(blob);
      raw = net_.forward();
    } catch (const cv::Exception&) {
      return out;  // a file that does not fit the documented format finds nothing
    }
    if (raw.dims != 3 || raw.size[0] != 1) return out;
    // [1, N, 5 + C] with objectness, or [1, 4 + C, N] without.
    const bool rows_are_boxes = raw.size[2] == 5 + classes_;
    const bool columns_are_boxes = raw.size[1] == 4 + classes_;
    if (!rows_are_boxes && !columns_are_boxes) return out;
    const int n = rows_are_boxes ? raw.size[1] : raw.size[2];
    cv::Mat m(raw.size[1], raw.size[2], CV_32F, raw.ptr<float>());
    if (columns_are_boxes) m = m.t();
    const float sx = static_cast<float>(bgr.cols) / kInputSize, sy = static_cast<float>(bgr.rows) / kInputSize;
    std::map<int, std::pair<std::vector<cv::Rect>, std::vector<float>>> by_class;
    for (int i = 0; i < n; ++i) {
      const float* r = m.ptr<float>(i);
      const float objectness = rows_are_boxes ? r[4] : 1.0f;
      const float* scores = r + (rows_are_boxes ? 5 : 4);
      for (int c : {helmet_, head_}) {
        const float score = objectness * scores[c];
        if (score < kMinScore) continue;
        const cv::Rect box(static_cast<int>((r[0] - r[2] / 2) * sx), static_cast<int>((r[1] - r[3] / 2) * sy),
                           static_cast<int>(r[2] * sx), static_cast<int>(r[3] * sy));
        by_class[c].first.push_back(box);
        by_class[c].second.push_back(score);
      }
    }
    auto kept = [&](int c) {
      std::vector<cv::Rect> boxes;
      auto& [all, scores] = by_class[c];
      std::vector<int> keep;
      cv::dnn::NMSBoxes(all, scores, kMinScore, kNmsOverlap, keep);
      for (int k : keep) boxes.push_back(all[static_cast<size_t>(k)]);
      return boxes;
    };
    out.helmets = kept(helmet_);
    for (const cv::Rect& head : kept(head_)) {
      const bool worn = std::any_of(out.helmets.begin(), out.helmets.end(), [&](const cv::Rect& h) {
        return track::IoU(h, head) >= kWorn || track::FractionInside(head, h) >= 0.5;
      });
      if (!worn) out.bare.push_back(head);
    }
    return out;
  }

 private:
  cv::dnn::Net net_;
  int helmet_, head_, classes_;
};

class NoHelmet final : public rules::Rule {
 public:
  NoHelmet(const rules::Zone& zone, std::unique_ptr<NoHelmetModel> model) : zone_(zone), model_(std::move(model)) {}

  rules::RuleOutput Evaluate(const rules::SceneView& scene) override {
    fired_.Refresh(scene);
    rules::RuleOutput out;
    const auto min_ms = static_cast<std::int64_t>(zone_.config().min_s * 1000);
    std::erase_if(looks_, [&](const auto& entry) {
      return std::none_of(scene.tracks->begin(), scene.tracks->end(), [&](const track::Track& t) { return t.id == entry.first; });
    });
    for (const track::Track& t : *scene.tracks) {
      if (!t.ever_person || !zone_.Holds(t.box) || fired_.Fired(t)) continue;
      Look& look = looks_[t.id];
      if (look.last_ms >= 0 && scene.now_ms - look.last_ms < kLookEveryMs) continue;
      look.last_ms = scene.now_ms;
      // The upper half of the person, with a margin: where a head is.
      const cv::Rect upper(t.box.x - t.box.width / 4, t.box.y - t.box.height / 10, t.box.width * 3 / 2, t.box.height / 2);
      const cv::Rect crop = upper & cv::Rect(0, 0, scene.frame->cols, scene.frame->rows);
      if (crop.empty()) continue;
      const HeadsFound found = model_->Find((*scene.frame)(crop));
      if (found.bare.empty()) {
        look.bare_since_ms = -1;
        continue;
      }
      if (look.bare_since_ms < 0) {
        look.bare_since_ms = scene.now_ms;
        out.began.push_back({t.id, t.box});
      }
      if (scene.now_ms - look.bare_since_ms < min_ms) continue;
      fired_.Add(t, scene.now_ms);
      rules::Firing f;
      f.situation = t.id;
      f.box = t.box;
      f.started_ms = look.bare_since_ms;
      f.confidence = 0.6;
      out.fired.push_back(f);
    }
    return out;
  }

  bool CountsPeople() const override { return false; }

 private:
  struct Look {
    std::int64_t last_ms = -1;
    std::int64_t bare_since_ms = -1;
  };
  const rules::Zone& zone_;
  std::unique_ptr<NoHelmetModel> model_;
  std::map<int, Look> looks_;
  rules::FiredSituations fired_;
};

}  // namespace

Result<std::unique_ptr<NoHelmetModel>> NoHelmetModel::Load(const std::string& model, const std::string& classes) {
  if (model.empty()) {
    return Status::Invalid("no_helmet needs `model`, an ONNX detector whose classes include helmet and head; none is set");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model, ec)) return Status::Invalid("no_helmet model " + model + " does not exist");
  const std::string names_path =
      classes.empty() ? (std::filesystem::path(model).parent_path() / "names.txt").string() : classes;
  std::ifstream names(names_path);
  if (!names) return Status::Invalid("no_helmet classes file " + names_path + " cannot be read");
  int helmet = -1, head = -1, count = 0;
  for (std::string line; std::getline(names, line); ++count) {
    const std::string name = Trimmed(line);
    if (name == "helmet") helmet = count;
    if (name == "head") head = count;
  }
  if (helmet < 0 || head < 0) {
    return Status::Invalid("no_helmet classes file " + names_path + " must name both helmet and head");
  }
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(model);
  } catch (const cv::Exception& e) {
    return Status::Invalid("no_helmet model " + model + " is not an ONNX network OpenCV can run: " + e.msg);
  }
  if (net.empty()) return Status::Invalid("no_helmet model " + model + " is an empty network");
  return std::unique_ptr<NoHelmetModel>(std::make_unique<OnnxHelmetModel>(std::move(net), helmet, head, count));
}

std::unique_ptr<rules::Rule> MakeNoHelmetRule(const rules::Zone& zone, std::unique_ptr<NoHelmetModel> model) {
  return std::make_unique<NoHelmet>(zone, std::move(model));
}

}  // namespace gb::edge

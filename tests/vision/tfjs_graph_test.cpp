// The converter (vision/tfjs_graph.h): the network the build wrote loads in OpenCV with the
// outputs the detector decodes; a small TF.js graph written here converts to a GraphDef that
// OpenCV runs to the numbers worked out by hand (weights in manifest order, the folded
// batch-shape Pack, int32 constants, the cut before the input); broken models are refused
// with a message naming what is wrong.

#include "vision/tfjs_graph.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "support/test_jpeg.h"
#include "vision/object_detector.h"
#include "vision/ssd_output.h"

namespace gb::vision {
namespace {

using nlohmann::json;

TEST(ConvertedDetectorModelTest, LoadsInOpenCvWithTheDecodedOutputShapes) {
  const std::string pb = testing::ReadFileOrEmpty(DefaultDetectorModelPath());
  ASSERT_FALSE(pb.empty()) << DefaultDetectorModelPath() << " is missing: the build writes it";
  cv::dnn::Net net = cv::dnn::readNetFromTensorflow(pb.data(), pb.size());
  ASSERT_FALSE(net.empty());
  cv::Mat input(ssd::kInputSide, ssd::kInputSide, CV_8UC3);
  cv::randu(input, cv::Scalar::all(0), cv::Scalar::all(255));
  net.setInput(cv::dnn::blobFromImage(input, 1.0 / 127.5, cv::Size(), cv::Scalar::all(127.5), true));
  std::vector<cv::Mat> out;
  net.forward(out, std::vector<cv::String>{"concat", "Postprocessor/convert_scores"});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(std::vector<int>(out[0].size.p, out[0].size.p + out[0].dims), (std::vector<int>{1, ssd::kAnchors, 1, 4}));
  EXPECT_EQ(std::vector<int>(out[1].size.p, out[1].size.p + out[1].dims),
            (std::vector<int>{1, ssd::kAnchors, ssd::kColumns}));
  double lo = 0, hi = 0;
  cv::minMaxLoc(out[1].reshape(1, 1), &lo, &hi);
  EXPECT_GE(lo, 0.0);  // sigmoid scores
  EXPECT_LE(hi, 1.0);
  // The anchors travel in the same file, unconnected: the 19×19 grid's first anchor is
  // centred on its first cell.
  EXPECT_NE(pb.find("Postprocessor/ExpandDims"), std::string::npos);
}

// A TF.js graph model small enough to check by hand: image → ×scale − 1 (the preprocessor
// the cut leaves out) → 1×1 convolution, 3 → 2 channels, + bias → Reshape to
// (batch, 16, 2) through Pack(StridedSlice(Shape(x)), 16, 2) → Sigmoid.
struct SmallModel {
  json model;
  std::string weights;
};

void AddWeight(SmallModel& m, const std::string& name, const std::vector<int>& shape, const std::vector<float>& f,
               const std::vector<int32_t>& i = {}) {
  json w = {{"name", name}, {"shape", shape}, {"dtype", i.empty() ? "float32" : "int32"}};
  m.model["weightsManifest"][0]["weights"].push_back(w);
  if (i.empty()) {
    m.weights.append(reinterpret_cast<const char*>(f.data()), f.size() * sizeof(float));
  } else {
    m.weights.append(reinterpret_cast<const char*>(i.data()), i.size() * sizeof(int32_t));
  }
  m.model["modelTopology"]["node"].push_back(
      {{"name", name}, {"op", "Const"}, {"attr", {{"dtype", {{"type", i.empty() ? 1 : 3}}}}}});
}

json Bytes(const std::string& s) { return json(std::vector<int>(s.begin(), s.end())); }

void AddNode(SmallModel& m, const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
             json attr = json::object()) {
  attr["T"] = {{"type", 1}};
  m.model["modelTopology"]["node"].push_back({{"name", name}, {"op", op}, {"input", inputs}, {"attr", attr}});
}

// Convolution weights [1, 1, in = 3, out = 2] and biases.
const float kW[3][2] = {{0.5f, -1.0f}, {0.25f, 2.0f}, {-0.75f, 0.125f}};
const float kBias[2] = {0.1f, -0.2f};

SmallModel MakeSmallModel() {
  SmallModel m;
  m.model = {{"modelTopology", {{"node", json::array()}}},
             {"weightsManifest", json::array({{{"paths", {"group1-shard1of1"}}, {"weights", json::array()}}})}};
  m.model["modelTopology"]["node"].push_back(
      {{"name", "image"}, {"op", "Placeholder"}, {"attr", {{"dtype", {{"type", 1}}}}}});
  AddWeight(m, "pre/scale", {}, {2.0f / 255});
  AddWeight(m, "pre/one", {}, {1.0f});
  AddNode(m, "pre/mul", "Mul", {"image", "pre/scale"});
  AddNode(m, "pre/sub", "Sub", {"pre/mul", "pre/one"});
  AddWeight(m, "conv/w", {1, 1, 3, 2}, {kW[0][0], kW[0][1], kW[1][0], kW[1][1], kW[2][0], kW[2][1]});
  AddNode(m, "conv", "Conv2D", {"pre/sub", "conv/w"},
          {{"strides", {{"list", {{"i", {"1", "1", "1", "1"}}, {"s", json::array()}}}}},
           {"dilations", {{"list", {{"i", {"1", "1", "1", "1"}}}}}},
           {"padding", {{"s", Bytes("SAME")}}},
           {"data_format", {{"s", Bytes("NHWC")}}},
           {"_grappler:note", {{"b", true}}}});
  AddWeight(m, "conv/b", {2}, {kBias[0], kBias[1]});
  AddNode(m, "bias", "BiasAdd", {"conv", "conv/b", "^pre/one"}, {{"data_format", {{"s", Bytes("NHWC")}}}});
  AddNode(m, "shape", "Shape", {"bias"}, {{"out_type", {{"type", 3}}}});
  AddWeight(m, "slice/begin", {1}, {}, {0});
  AddWeight(m, "slice/end", {1}, {}, {1});
  AddWeight(m, "slice/strides", {1}, {}, {1});
  AddNode(m, "slice", "StridedSlice", {"shape", "slice/begin", "slice/end", "slice/strides"},
          {{"Index", {{"type", 3}}},
           {"shrink_axis_mask", {{"i", "1"}}},
           {"begin_mask", {{"i", "0"}}},
           {"end_mask", {{"i", "0"}}},
           {"ellipsis_mask", {{"i", "0"}}},
           {"new_axis_mask", {{"i", "0"}}}});
  AddWeight(m, "stack/1", {}, {}, {16});
  AddWeight(m, "stack/2", {}, {}, {2});
  AddNode(m, "stack", "Pack", {"slice", "stack/1", "stack/2"}, {{"axis", {{"i", "0"}}}, {"N", {{"i", "3"}}}});
  AddNode(m, "reshape", "Reshape", {"bias", "stack"}, {{"Tshape", {{"type", 3}}}});
  AddNode(m, "scores", "Sigmoid", {"reshape"});
  AddWeight(m, "extra", {2}, {7.0f, 8.0f});
  return m;
}

GraphCut SmallCut() { return {"pre/sub", {1, 4, 4, 3}, {"reshape", "scores"}, {"extra"}}; }

TEST(TfjsGraphTest, ConvertsASmallGraphThatOpenCvRunsExactly) {
  const SmallModel m = MakeSmallModel();
  auto pb = TfjsToGraphDef(m.model.dump(), m.weights, SmallCut());
  ASSERT_TRUE(pb.ok()) << pb.status().message();
  // Cut: nothing before the input, and the folded Pack took Shape and StridedSlice with it.
  for (const char* gone : {"image", "pre/mul", "pre/scale", "slice", "_grappler"}) {
    EXPECT_EQ(pb->find(gone), std::string::npos) << gone;
  }
  EXPECT_NE(pb->find("extra"), std::string::npos);

  cv::dnn::Net net = cv::dnn::readNetFromTensorflow(pb->data(), pb->size());
  ASSERT_FALSE(net.empty());
  // NCHW input, the values the cut input would have held: x, y and the channel mixed.
  cv::Mat blob(std::vector<int>{1, 3, 4, 4}, CV_32F);
  auto in = [](int c, int y, int x) { return 0.1f * x - 0.2f * y + 0.3f * c - 0.25f; };
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 4; ++x) blob.ptr<float>(0, c, y)[x] = in(c, y, x);
  net.setInput(blob);
  std::vector<cv::Mat> out;
  net.forward(out, std::vector<cv::String>{"reshape", "scores"});
  ASSERT_EQ(out.size(), 2u);
  ASSERT_EQ(out[0].total(), 32u);
  ASSERT_EQ(out[1].total(), 32u);
  // Row y·4 + x of the (1, 16, 2) output is pixel (x, y): the reshape runs over NHWC data.
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      for (int k = 0; k < 2; ++k) {
        float expected = kBias[k];
        for (int c = 0; c < 3; ++c) expected += kW[c][k] * in(c, y, x);
        const size_t i = static_cast<size_t>((y * 4 + x) * 2 + k);
        EXPECT_NEAR(out[0].ptr<float>()[i], expected, 1e-5) << "x " << x << " y " << y << " k " << k;
        EXPECT_NEAR(out[1].ptr<float>()[i], 1 / (1 + std::exp(-expected)), 1e-5);
      }
    }
  }
}

TEST(TfjsGraphTest, SameModelSameBytes) {
  const SmallModel m = MakeSmallModel();
  auto a = TfjsToGraphDef(m.model.dump(), m.weights, SmallCut());
  auto b = TfjsToGraphDef(m.model.dump(2), m.weights, SmallCut());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

// The error's message names what is wrong.
void ExpectRefused(const std::string& model_json, const std::string& weights, const GraphCut& cut,
                   const std::string& says) {
  auto pb = TfjsToGraphDef(model_json, weights, cut);
  ASSERT_FALSE(pb.ok()) << "expected a refusal mentioning " << says;
  EXPECT_EQ(pb.status().code(), Code::kInvalid);
  EXPECT_NE(pb.status().message().find(says), std::string::npos) << pb.status().message();
}

TEST(TfjsGraphTest, RefusesBrokenModels) {
  const SmallModel good = MakeSmallModel();
  const std::string text = good.model.dump();
  ExpectRefused("{not json", good.weights, SmallCut(), "not a TF.js graph model");
  ExpectRefused("{}", good.weights, SmallCut(), "modelTopology");
  ExpectRefused(text, good.weights.substr(1), SmallCut(), "bytes");
  ExpectRefused(text, good.weights + "xxxx", SmallCut(), "bytes");

  SmallModel quantized = MakeSmallModel();
  quantized.model["weightsManifest"][0]["weights"][2]["quantization"] = {{"dtype", "uint8"}};
  ExpectRefused(quantized.model.dump(), quantized.weights, SmallCut(), "conv/w is quantized");
  SmallModel half = MakeSmallModel();
  half.model["weightsManifest"][0]["weights"][2]["dtype"] = "float16";
  ExpectRefused(half.model.dump(), half.weights, SmallCut(), "float16");

  GraphCut no_output = SmallCut();
  no_output.outputs.push_back("nowhere");
  ExpectRefused(text, good.weights, no_output, "output node nowhere");
  GraphCut no_input = SmallCut();
  no_input.input = "nothing";
  ExpectRefused(text, good.weights, no_input, "input node nothing");
  GraphCut before_input = SmallCut();
  before_input.outputs = {"pre/mul"};
  ExpectRefused(text, good.weights, before_input, "placeholder image");
  GraphCut unrelated = SmallCut();
  unrelated.outputs = {"extra"};
  ExpectRefused(text, good.weights, unrelated, "do not depend on the input");
  GraphCut keep_missing = SmallCut();
  keep_missing.keep = {"anchors"};
  ExpectRefused(text, good.weights, keep_missing, "constant anchors");

  SmallModel dangling = MakeSmallModel();
  dangling.model["modelTopology"]["node"].push_back(
      {{"name", "late"}, {"op", "Relu"}, {"input", {"ghost"}}, {"attr", json::object()}});
  GraphCut to_late = SmallCut();
  to_late.outputs = {"late"};
  ExpectRefused(dangling.model.dump(), dangling.weights, to_late, "ghost");

  SmallModel odd_attr = MakeSmallModel();
  for (json& n : odd_attr.model["modelTopology"]["node"]) {
    if (n["name"] == "conv") n["attr"]["padding"] = {{"func", {{"name", "f"}}}};
  }
  ExpectRefused(odd_attr.model.dump(), odd_attr.weights, SmallCut(), "padding");
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

TEST(TfjsGraphTest, ReadsTheShardsBesideModelJson) {
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) / "tfjs_graph_test";
  std::filesystem::create_directories(dir);
  SmallModel m = MakeSmallModel();
  // Two shards, split in the middle of a weight, as TF.js does at its shard size.
  m.model["weightsManifest"][0]["paths"] = {"group1-shard1of2", "group1-shard2of2"};
  WriteFile(dir / "model.json", m.model.dump());
  WriteFile(dir / "group1-shard1of2", m.weights.substr(0, 10));
  WriteFile(dir / "group1-shard2of2", m.weights.substr(10));
  auto from_files = TfjsFileToGraphDef(dir / "model.json", SmallCut());
  ASSERT_TRUE(from_files.ok()) << from_files.status().message();
  EXPECT_EQ(*from_files, TfjsToGraphDef(m.model.dump(), m.weights, SmallCut()).value());

  std::filesystem::remove(dir / "group1-shard2of2");
  auto missing_shard = TfjsFileToGraphDef(dir / "model.json", SmallCut());
  ASSERT_FALSE(missing_shard.ok());
  EXPECT_EQ(missing_shard.status().code(), Code::kUnavailable);
  EXPECT_NE(missing_shard.status().message().find("group1-shard2of2"), std::string::npos);

  m.model["weightsManifest"][0]["paths"] = {"../outside"};
  WriteFile(dir / "model.json", m.model.dump());
  auto outside = TfjsFileToGraphDef(dir / "model.json", SmallCut());
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.status().code(), Code::kInvalid);
  EXPECT_NE(outside.status().message().find("outside its directory"), std::string::npos);

  auto missing = TfjsFileToGraphDef("/nonexistent/model.json", CocoSsdCut());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Code::kUnavailable);
  EXPECT_NE(missing.status().message().find("/nonexistent/model.json"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace gb::vision

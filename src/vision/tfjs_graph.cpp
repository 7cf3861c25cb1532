#include "vision/tfjs_graph.h"

#include <algorithm>
#include <cstring>
#include <exception>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "core/env.h"
#include "vision/protobuf_wire.h"

namespace gb::vision {
namespace {

using nlohmann::json;
using protobuf::Writer;

// TensorFlow's DataType values and the protobuf field numbers of the GraphDef messages
// written here (tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto).
constexpr int kDtFloat = 1, kDtInt32 = 3;
namespace graph_def { constexpr uint32_t kNode = 1; }
namespace node_def { constexpr uint32_t kName = 1, kOp = 2, kInput = 3, kAttr = 5; }
namespace map_entry { constexpr uint32_t kKey = 1, kValue = 2; }
namespace attr_value {
constexpr uint32_t kList = 1, kS = 2, kI = 3, kF = 4, kB = 5, kType = 6, kShape = 7, kTensor = 8;
}
namespace list_value { constexpr uint32_t kS = 2, kI = 3, kF = 4, kB = 5, kType = 6, kShape = 7; }
namespace tensor_shape { constexpr uint32_t kDim = 2, kUnknownRank = 3; }
namespace dim { constexpr uint32_t kSize = 1; }
namespace tensor { constexpr uint32_t kDtype = 1, kShape = 2, kContent = 4, kIntVal = 7; }

// One weight of the manifest: where its bytes are in the concatenated shards.
struct Weight {
  int dtype = 0;
  std::vector<int64_t> shape;
  size_t offset = 0, bytes = 0;
};

// A node's input without its output index ("x:1" → "x"); control inputs ("^x") are skipped
// by the callers.
std::string NodeOf(const std::string& input) { return input.substr(0, input.find(':')); }

int64_t JsonInt(const json& v) {
  if (v.is_string()) return std::stoll(v.get<std::string>());
  if (v.is_number_integer()) return v.get<int64_t>();
  throw std::invalid_argument("not an integer: " + v.dump());
}

// `s` fields come as arrays of byte values.
std::string JsonBytes(const json& v) {
  if (!v.is_array()) throw std::invalid_argument("bytes are not an array of byte values");
  std::string out;
  for (const json& b : v) {
    const int64_t c = JsonInt(b);
    if (c < 0 || c > 255) throw std::invalid_argument("byte value out of range");
    out.push_back(static_cast<char>(c));
  }
  return out;
}

int JsonType(const json& v) {
  const int64_t t = JsonInt(v);
  if (t <= 0 || t > 30) throw std::invalid_argument("unknown data type " + v.dump());
  return static_cast<int>(t);
}

Writer ShapeProto(const std::vector<int64_t>& dims) {
  Writer shape;
  for (int64_t d : dims) {
    Writer dm;
    dm.Int(dim::kSize, d);
    shape.Message(tensor_shape::kDim, dm);
  }
  return shape;
}

Writer JsonShape(const json& v) {
  std::vector<int64_t> dims;
  for (const json& d : v.value("dim", json::array())) dims.push_back(JsonInt(d.value("size", json("0"))));
  Writer shape = ShapeProto(dims);
  if (v.value("unknownRank", false)) shape.Bool(tensor_shape::kUnknownRank, true);
  return shape;
}

// An AttrValue from its JSON form: exactly one of s, i, f, b, type, shape, list is set.
Writer JsonAttr(const json& v) {
  Writer a;
  int set = 0;
  for (const auto& [key, value] : v.items()) {
    if (key == "s") {
      a.Bytes(attr_value::kS, JsonBytes(value));
    } else if (key == "i") {
      a.Int(attr_value::kI, JsonInt(value));
    } else if (key == "f") {
      a.Float(attr_value::kF, value.get<float>());
    } else if (key == "b") {
      a.Bool(attr_value::kB, value.get<bool>());
    } else if (key == "type") {
      a.Int(attr_value::kType, JsonType(value));
    } else if (key == "shape") {
      a.Message(attr_value::kShape, JsonShape(value));
    } else if (key == "list") {
      Writer list;
      for (const auto& [lk, items] : value.items()) {
        if (!items.is_array()) throw std::invalid_argument("list." + lk + " is not an array");
        if (items.empty()) continue;
        if (lk == "s") {
          for (const json& s : items) list.Bytes(list_value::kS, JsonBytes(s));
        } else if (lk == "i" || lk == "type" || lk == "b") {
          std::vector<int64_t> packed;
          for (const json& x : items) {
            packed.push_back(lk == "b" ? (x.get<bool>() ? 1 : 0) : lk == "type" ? JsonType(x) : JsonInt(x));
          }
          list.PackedInts(lk == "i" ? list_value::kI : lk == "b" ? list_value::kB : list_value::kType, packed);
        } else if (lk == "f") {
          for (const json& x : items) list.Float(list_value::kF, x.get<float>());
        } else if (lk == "shape") {
          for (const json& x : items) list.Message(list_value::kShape, JsonShape(x));
        } else {
          throw std::invalid_argument("list of " + lk + " is not supported");
        }
      }
      a.Message(attr_value::kList, list);
    } else {
      throw std::invalid_argument("attribute value of kind " + key + " is not supported");
    }
    ++set;
  }
  if (set != 1) throw std::invalid_argument("attribute value with " + std::to_string(set) + " kinds");
  return a;
}

void AddAttr(Writer& node, std::string_view name, const Writer& value) {
  Writer entry;
  entry.Bytes(map_entry::kKey, name);
  entry.Message(map_entry::kValue, value);
  node.Message(node_def::kAttr, entry);
}

Writer TypeAttr(int dtype) {
  Writer a;
  a.Int(attr_value::kType, dtype);
  return a;
}

// A Const node holding `content` (float32) or `ints` (int32).
Writer ConstNode(const std::string& name, int dtype, const std::vector<int64_t>& shape,
                 std::string_view content, const std::vector<int64_t>& ints) {
  Writer t;
  t.Int(tensor::kDtype, dtype);
  t.Message(tensor::kShape, ShapeProto(shape));
  if (dtype == kDtInt32) {
    t.PackedInts(tensor::kIntVal, ints);
  } else {
    t.Bytes(tensor::kContent, content);
  }
  Writer value;
  value.Message(attr_value::kTensor, t);
  Writer node;
  node.Bytes(node_def::kName, name);
  node.Bytes(node_def::kOp, "Const");
  AddAttr(node, "dtype", TypeAttr(dtype));
  AddAttr(node, "value", value);
  return node;
}

class Converter {
 public:
  Converter(std::string_view weights, const GraphCut& cut) : weights_(weights), cut_(cut) {}

  Result<std::string> Run(const json& model) {
    if (!model.is_object() || !model.contains("modelTopology") || !model.contains("weightsManifest")) {
      return Status::Invalid("not a TF.js graph model: modelTopology or weightsManifest is missing");
    }
    GB_RETURN_IF_ERROR(ReadManifest(model.at("weightsManifest")));
    for (const json& n : model.at("modelTopology").at("node")) {
      const std::string name = n.at("name").get<std::string>();
      if (!nodes_.emplace(name, &n).second) return Status::Invalid("node " + name + " appears twice");
    }
    if (cut_.input_shape.empty()) return Status::Invalid("the cut's input has no shape");
    if (nodes_.count(cut_.input) == 0) return Status::Invalid("input node " + cut_.input + " is not in the graph");
    GB_RETURN_IF_ERROR(Order());
    Writer graph;
    for (const std::string& name : order_) {
      auto node = Emit(name);
      if (!node.ok()) return WithContext(node.status(), "node " + name);
      graph.Message(graph_def::kNode, *node);
    }
    for (const std::string& name : cut_.keep) {
      if (std::find(order_.begin(), order_.end(), name) != order_.end()) continue;
      auto it = nodes_.find(name);
      if (it == nodes_.end() || it->second->value("op", "") != "Const") {
        return Status::Invalid("constant " + name + " is not in the graph");
      }
      auto node = Emit(name);
      if (!node.ok()) return WithContext(node.status(), "node " + name);
      graph.Message(graph_def::kNode, *node);
    }
    return graph.Take();
  }

 private:
  Status ReadManifest(const json& manifest) {
    size_t offset = 0;
    for (const json& group : manifest) {
      for (const json& w : group.at("weights")) {
        const std::string name = w.at("name").get<std::string>();
        if (w.contains("quantization")) return Status::Invalid("weight " + name + " is quantized; only float32 and int32 weights are supported");
        const std::string dtype = w.at("dtype").get<std::string>();
        Weight weight;
        if (dtype == "float32") {
          weight.dtype = kDtFloat;
        } else if (dtype == "int32") {
          weight.dtype = kDtInt32;
        } else {
          return Status::Invalid("weight " + name + " has dtype " + dtype + "; only float32 and int32 are supported");
        }
        size_t count = 1;
        for (const json& d : w.at("shape")) {
          const int64_t v = JsonInt(d);
          if (v < 0 || v > (int64_t{1} << 31)) return Status::Invalid("weight " + name + " has a bad shape");
          weight.shape.push_back(v);
          count *= static_cast<size_t>(v);
          if (count > weights_.size()) return Status::Invalid("weight " + name + " is larger than the weights");
        }
        weight.offset = offset;
        weight.bytes = count * 4;
        offset += weight.bytes;
        if (!weights_by_name_.emplace(name, weight).second) return Status::Invalid("weight " + name + " appears twice");
      }
    }
    if (offset != weights_.size()) {
      return Status::Invalid("the weight shards hold " + std::to_string(weights_.size()) +
                             " bytes; the manifest describes " + std::to_string(offset));
    }
    return Status::Ok();
  }

  const json& Node(const std::string& name) const { return *nodes_.at(name); }

  // The value of an int32 tensor computed only from constants and the input's batch size, or
  // nothing.
  std::optional<std::vector<int64_t>> FoldInts(const std::string& name) const {
    auto it = nodes_.find(name);
    if (it == nodes_.end()) return std::nullopt;
    const json& n = *it->second;
    const std::string op = n.value("op", "");
    const std::vector<std::string> inputs = DataInputs(n);
    if (op == "Const") {
      auto w = weights_by_name_.find(name);
      if (w == weights_by_name_.end() || w->second.dtype != kDtInt32) return std::nullopt;
      return Ints(w->second);
    }
    const json attr = n.value("attr", json::object());
    auto int_attr = [&](const char* key) { return JsonInt(attr.value(key, json::object()).value("i", json("0"))); };
    if (op == "Pack" && int_attr("axis") == 0) {
      std::vector<int64_t> out;
      for (const std::string& in : inputs) {
        auto v = FoldInts(NodeOf(in));
        if (!v || v->size() != 1) return std::nullopt;
        out.push_back((*v)[0]);
      }
      return out;
    }
    if (op == "StridedSlice" && inputs.size() == 4) {
      // shape(x)[0]: the batch size, which the cut fixes.
      auto begin = FoldInts(NodeOf(inputs[1])), end = FoldInts(NodeOf(inputs[2])),
           strides = FoldInts(NodeOf(inputs[3]));
      auto src = nodes_.find(NodeOf(inputs[0]));
      if (src != nodes_.end() && src->second->value("op", "") == "Shape" && begin == std::vector<int64_t>{0} &&
          end == std::vector<int64_t>{1} && strides == std::vector<int64_t>{1} && int_attr("shrink_axis_mask") == 1 &&
          int_attr("begin_mask") == 0 && int_attr("end_mask") == 0 && int_attr("ellipsis_mask") == 0 &&
          int_attr("new_axis_mask") == 0) {
        return std::vector<int64_t>{cut_.input_shape[0]};
      }
    }
    return std::nullopt;
  }

  std::vector<int64_t> Ints(const Weight& w) const {
    std::vector<int64_t> out(w.bytes / 4);
    for (size_t i = 0; i < out.size(); ++i) {
      int32_t v = 0;
      std::memcpy(&v, weights_.data() + w.offset + 4 * i, 4);  // little-endian, as TF.js writes
      out[i] = v;
    }
    return out;
  }

  static std::vector<std::string> DataInputs(const json& n) {
    std::vector<std::string> out;
    for (const json& in : n.value("input", json::array())) {
      const std::string s = in.get<std::string>();
      if (!s.empty() && s[0] != '^') out.push_back(s);
    }
    return out;
  }

  // The nodes the outputs need, inputs before their consumers, stopping at the cut's input and
  // at foldable Packs.
  Status Order() {
    std::set<std::string> done, open;
    std::vector<std::pair<std::string, bool>> stack;  // (node, its inputs are pushed)
    for (auto it = cut_.outputs.rbegin(); it != cut_.outputs.rend(); ++it) {
      if (nodes_.count(*it) == 0) return Status::Invalid("output node " + *it + " is not in the graph");
      stack.emplace_back(*it, false);
    }
    while (!stack.empty()) {
      auto [name, expanded] = stack.back();
      stack.pop_back();
      if (expanded) {
        open.erase(name);
        if (done.insert(name).second) order_.push_back(name);
        continue;
      }
      if (done.count(name)) continue;
      if (open.count(name)) return Status::Invalid("the graph has a cycle through " + name);
      open.insert(name);
      stack.emplace_back(name, true);
      if (name == cut_.input) continue;
      const json& n = Node(name);
      const std::string op = n.value("op", "");
      if (op == "Placeholder") {
        return Status::Invalid("the outputs depend on placeholder " + name + ", which is before the input " + cut_.input);
      }
      if (op == "Pack") {
        if (auto v = FoldInts(name)) {
          folded_.emplace(name, *v);
          continue;
        }
      }
      for (const std::string& in : DataInputs(n)) {
        const std::string src = NodeOf(in);
        if (nodes_.count(src) == 0) return Status::Invalid("node " + src + " (an input of " + name + ") is not in the graph");
        if (!done.count(src)) stack.emplace_back(src, false);
      }
    }
    if (!done.count(cut_.input)) return Status::Invalid("the outputs do not depend on the input " + cut_.input);
    return Status::Ok();
  }

  Result<Writer> Emit(const std::string& name) const {
    if (name == cut_.input) {
      Writer shape_attr;
      shape_attr.Message(attr_value::kShape, ShapeProto(cut_.input_shape));
      Writer node;
      node.Bytes(node_def::kName, name);
      node.Bytes(node_def::kOp, "Placeholder");
      AddAttr(node, "dtype", TypeAttr(kDtFloat));
      AddAttr(node, "shape", shape_attr);
      return node;
    }
    if (auto f = folded_.find(name); f != folded_.end()) {
      return ConstNode(name, kDtInt32, {static_cast<int64_t>(f->second.size())}, {}, f->second);
    }
    const json& n = Node(name);
    const std::string op = n.value("op", "");
    if (op == "Const") {
      auto w = weights_by_name_.find(name);
      if (w == weights_by_name_.end()) return Status::Invalid("the manifest has no weight for the constant");
      const Weight& wt = w->second;
      const std::string_view content = weights_.substr(wt.offset, wt.bytes);
      return ConstNode(name, wt.dtype, wt.shape, content, wt.dtype == kDtInt32 ? Ints(wt) : std::vector<int64_t>{});
    }
    Writer node;
    node.Bytes(node_def::kName, name);
    node.Bytes(node_def::kOp, op);
    for (const std::string& in : DataInputs(n)) node.Bytes(node_def::kInput, in);
    // Sorted, so that the same model always gives the same bytes.
    std::map<std::string, const json*> attrs;
    if (auto a = n.find("attr"); a != n.end()) {
      for (const auto& [key, value] : a->items()) {
        if (!key.empty() && key[0] != '_') attrs.emplace(key, &value);
      }
    }
    for (const auto& [key, value] : attrs) {
      try {
        AddAttr(node, key, JsonAttr(*value));
      } catch (const std::exception& e) {
        return Status::Invalid("attribute " + key + ": " + e.what());
      }
    }
    return node;
  }

  std::string_view weights_;
  const GraphCut& cut_;
  std::map<std::string, const json*> nodes_;
  std::map<std::string, Weight> weights_by_name_;
  std::map<std::string, std::vector<int64_t>> folded_;
  std::vector<std::string> order_;
};

}  // namespace

GraphCut CocoSsdCut() {
  return {"Preprocessor/sub", {1, 300, 300, 3}, {"concat", "Postprocessor/convert_scores"}, {"Postprocessor/ExpandDims"}};
}

Result<std::string> TfjsToGraphDef(std::string_view model_json, std::string_view weights, const GraphCut& cut) {
  try {
    const json model = json::parse(model_json);
    Converter converter(weights, cut);
    return converter.Run(model);
  } catch (const json::exception& e) {
    return Status::Invalid(std::string("not a TF.js graph model: ") + e.what());
  } catch (const std::invalid_argument& e) {
    return Status::Invalid(std::string("not a TF.js graph model: ") + e.what());
  } catch (const std::out_of_range& e) {
    return Status::Invalid(std::string("not a TF.js graph model: ") + e.what());
  }
}

Result<std::string> TfjsFileToGraphDef(const std::string& path, const GraphCut& cut) {
  Env* env = Env::Default();
  auto text = env->ReadFile(path);
  if (!text.ok()) return Status::Unavailable("cannot read " + path);
  std::vector<std::string> shards;
  try {
    const json model = json::parse(*text);
    for (const json& group : model.at("weightsManifest")) {
      for (const json& p : group.at("paths")) shards.push_back(p.get<std::string>());
    }
  } catch (const json::exception& e) {
    return Status::Invalid(path + " is not a TF.js graph model: " + e.what());
  }
  const std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::string weights;
  for (const std::string& shard : shards) {
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "..") {
      return Status::Invalid(path + " names a weight file outside its directory: " + shard);
    }
    const std::string shard_path = (dir / shard).string();
    auto bytes = env->ReadFile(shard_path);
    if (!bytes.ok()) return Status::Unavailable("cannot read " + shard_path);
    weights += *bytes;
  }
  auto out = TfjsToGraphDef(*text, weights, cut);
  if (!out.ok()) return WithContext(out.status(), path);
  return out;
}

}  // namespace gb::vision

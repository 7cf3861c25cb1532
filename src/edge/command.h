// `glassbrain edge`: the edge agent's command line (docs/edge.md).
//   --check --config F      lists every problem of F, or prints "ok: N cameras, M zones"
//   --config F --dry-run --out DIR [--source FILE] [--epoch T] [--preview DIR] [--preview-every S]
//   --config F [--preview DIR]   live mode until SIGTERM
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "edge/agent.h"

namespace gb::edge {

struct EdgeCommandArgs {
  std::string config;
  bool check = false;
  bool dry_run = false;
  std::string out;       // dry run: where events.jsonl and evidence/ go
  std::string source;    // dry run: replaces the only camera's source
  std::string epoch;     // dry run: RFC 3339, replaces every camera's epoch
  std::string preview;   // preview directory (dry run or live)
  double preview_every_s = 5;
};

// Adds the `edge` subcommand to `app`; its options fill `args`.
CLI::App* AddEdgeCommand(CLI::App& app, EdgeCommandArgs& args);

// Runs the parsed command; returns the process's exit status (0 ok, 2 bad configuration or
// arguments, 1 other failures). `analyzers` makes each camera's analysis.
int RunEdgeCommand(const EdgeCommandArgs& args, const AnalyzerFactory& analyzers);

}  // namespace gb::edge

// edge_agent_scripted: `glassbrain edge` with the ScriptedAnalyzer TEST DOUBLE in place of the
// camera analysis, so that the runtime's tests know every event in advance. Same command
// line as `glassbrain edge`.
#include <spdlog/spdlog.h>

#include "edge/command.h"
#include "scripted_analyzer.h"

int main(int argc, char** argv) {
  CLI::App app{"The edge agent with a scripted analysis (tests only)"};
  app.require_subcommand(1);
  gb::edge::EdgeCommandArgs args;
  gb::edge::AddEdgeCommand(app, args);
  CLI11_PARSE(app, argc, argv);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %v");
  return gb::edge::RunEdgeCommand(args, gb::edge::testing::CreateScriptedAnalyzer);
}

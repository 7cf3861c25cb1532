// glassbrain: the district operations hub. Subcommands are registered by their modules.
#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"Glassbrain: the district operations hub"};
  app.set_version_flag("--version", "glassbrain 0.1.0");
  app.require_subcommand(0, 1);
  CLI11_PARSE(app, argc, argv);
  if (app.get_subcommands().empty()) {
    std::cout << app.help();
    return 0;
  }
  return 0;
}

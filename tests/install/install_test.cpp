// An install runs on its own files. `cmake --install` of this build tree into a DESTDIR (as
// the Debian package is built), then the installed binary: it serves the installed pages,
// loads the installed demo district, takes the installed service configuration, and fails
// naming the installed path when an installed file is missing, instead of quietly taking the
// file from the checkout it was built from.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "edge_testing.h"
#include "hub_process.h"

namespace gb {
namespace {

namespace fs = std::filesystem;
using edge::testing::Eventually;
using edge::testing::FreePort;
using edge::testing::HttpGet;
using edge::testing::Process;
using edge::testing::ReadFile;
using edge::testing::TempDir;
using edge::testing::WriteFile;

// $GLASSBRAIN_CMAKE and $GLASSBRAIN_BUILD_DIR, which ctest sets.
std::string FromEnvironment(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string cmake = FromEnvironment("GLASSBRAIN_CMAKE"), build = FromEnvironment("GLASSBRAIN_BUILD_DIR");
    ASSERT_FALSE(cmake.empty() || build.empty()) << "run it with ctest, which sets GLASSBRAIN_CMAKE and GLASSBRAIN_BUILD_DIR";
    auto r = edge::testing::Run({cmake, "--install", build, "--prefix", "/usr"}, dir_ / "install",
                                std::chrono::seconds(120), {{"DESTDIR", root_}});
    ASSERT_EQ(r.exit, 0) << r.out << r.err;
  }

  // A file of the installed tree, by its path on the target system.
  std::string Installed(const std::string& path) const { return root_ + path; }
  std::string Binary() const { return Installed("/usr/bin/glassbrain"); }

  // Starts `args` of the installed binary and waits until it answers /healthz.
  std::unique_ptr<Process> StartHub(std::vector<std::string> args, const std::string& name) {
    args.insert(args.begin(), Binary());
    auto hub = std::make_unique<Process>(args, std::map<std::string, std::string>{}, dir_ / name);
    EXPECT_TRUE(Eventually([&] { return HttpGet(port_, "/healthz") == "ok\n" || !hub->Running(); },
                           std::chrono::seconds(60)));
    EXPECT_TRUE(hub->Running()) << hub->out() << hub->err();
    return hub;
  }
  void StopHub(Process& hub) {
    hub.Signal(SIGTERM);
    EXPECT_EQ(hub.Wait(std::chrono::seconds(20)), 0) << hub.err();
  }
  std::string Listen() const { return "127.0.0.1:" + std::to_string(port_); }
  // The demo, expected to stop at start-up: a demo that serves is killed after 30 s.
  edge::testing::RunResult RunDemo() {
    return edge::testing::Run({Binary(), "demo", "--listen", Listen(), "--no-simulate", "--data-dir", dir_ / "demo"},
                              dir_ / "demo", std::chrono::seconds(30));
  }

  TempDir dir_{"glassbrain-install-test"};
  // As the binary reads its own path (/proc/self/exe): without symbolic links.
  const std::string root_ = (fs::canonical(dir_.path()) / "root").string();
  const std::uint16_t port_ = FreePort();
};

std::size_t FeatureCount(const std::string& geojson) {
  auto doc = nlohmann::json::parse(geojson, nullptr, false);
  return doc.is_object() ? doc["features"].size() : 0;
}

TEST_F(InstallTest, TheInstalledDemoServesTheInstalledPagesAndDistrict) {
  // Marks on the installed copies, which the checkout's files do not carry: what the hub
  // serves shows where it read it.
  const std::string page = Installed("/usr/share/glassbrain/web/index.html");
  const std::string html = ReadFile(page);
  ASSERT_NE(html.find("Dispatcher desk"), std::string::npos) << page;
  WriteFile(page, html + "<!-- the installed copy -->\n");
  const std::string toml_path = Installed("/usr/share/glassbrain/demo/district.toml");
  std::string toml = ReadFile(toml_path);
  const std::string name_line = "name = \"Riverside District\"";
  ASSERT_NE(toml.find(name_line), std::string::npos) << toml_path;
  toml.replace(toml.find(name_line), name_line.size(), "name = \"Installed Riverside\"");
  WriteFile(toml_path, toml);

  auto hub = StartHub({"demo", "--listen", Listen(), "--no-simulate", "--data-dir", dir_ / "demo"}, "demo");
  EXPECT_EQ(HttpGet(port_, "/"), html + "<!-- the installed copy -->\n");
  auto map = nlohmann::json::parse(HttpGet(port_, "/api/v1/public/map"), nullptr, false);
  ASSERT_TRUE(map.is_object());
  EXPECT_EQ(map["name"], "Installed Riverside");
  std::map<std::string, std::size_t> layers;
  for (const auto& f : map["features"]) ++layers[f["properties"]["layer"].get<std::string>()];
  EXPECT_EQ(layers["area"], FeatureCount(ReadFile(Installed("/usr/share/glassbrain/demo/areas.geojson"))));
  EXPECT_EQ(layers["camera"], FeatureCount(ReadFile(Installed("/usr/share/glassbrain/demo/cameras.geojson"))));
  EXPECT_GT(layers["camera"], 0u);
  EXPECT_NE(hub->out().find("Demo district \"Installed Riverside\" loaded"), std::string::npos) << hub->out();
  StopHub(*hub);
}

// What the service does (packaging/glassbrain.service): `serve --config /etc/glassbrain/hub.toml`
// on a store set up from the installed demo district. --store and --listen override the
// configuration's store.url and server.listen, as docs/config.md says flags do.
TEST_F(InstallTest, ServeRunsOnTheInstalledServiceConfiguration) {
  const std::string store = "sqlite:" + (dir_ / "hub.db");
  auto r = edge::testing::Run({Binary(), "import", "--store", store, Installed("/usr/share/glassbrain/demo")}, dir_ / "import");
  ASSERT_EQ(r.exit, 0) << r.err;
  const std::string unit = ReadFile(Installed("/usr/lib/systemd/system/glassbrain.service"));
  EXPECT_NE(unit.find("ExecStart=/usr/bin/glassbrain serve --config /etc/glassbrain/hub.toml\n"), std::string::npos)
      << unit;
  auto hub = StartHub({"serve", "--config", Installed("/etc/glassbrain/hub.toml"), "--store", store, "--listen", Listen()},
                      "serve");
  EXPECT_EQ(HttpGet(port_, "/"), ReadFile(Installed("/usr/share/glassbrain/web/index.html")));
  StopHub(*hub);
}

TEST_F(InstallTest, AMissingInstalledModelIsNamedNotTakenFromTheCheckout) {
  const std::string model = Installed("/usr/share/glassbrain/models/face_detection_front_128x128_barracuda.onnx");
  ASSERT_TRUE(fs::remove(model)) << model;
  auto r = RunDemo();
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.err.find("face model " + model + " is missing"), std::string::npos) << r.err;
}

TEST_F(InstallTest, AMissingInstalledDemoDistrictIsNamedNotTakenFromTheCheckout) {
  fs::remove_all(Installed("/usr/share/glassbrain/demo"));
  auto r = RunDemo();
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.err.find("the demo district is not in the installed data directory " +
                       Installed("/usr/share/glassbrain") + " (no directory " + Installed("/usr/share/glassbrain/demo") +
                       "); give --district DIR"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace gb

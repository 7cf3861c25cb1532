// The web pages as a browser fetches them from a real hub: index pages of directories,
// redirects to the trailing slash, content types, and the security headers on everything.
#include <filesystem>
#include <fstream>

#include "cli/static_files.h"
#include "hub_fixture.h"

namespace gb::testing {
namespace {

namespace fs = std::filesystem;

void Write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

class StaticPagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pages_ = new fs::path(fs::temp_directory_path() / ("glassbrain-pages-" + std::to_string(::getpid())));
    Write(*pages_ / "index.html", "<!doctype html><title>desk</title>");
    Write(*pages_ / "crew/index.html", "<!doctype html><title>crew</title>");
    Write(*pages_ / "crew/app.js", "export const x = 1;\n");
    Write(*pages_ / "crew/manifest.webmanifest", "{\"name\": \"Crew\"}");
    Write(*pages_ / "fonts/a.woff2", std::string("wOF2\0\0", 6));
    fixture_ = new HubFixture([](HubOptions& o) { o.web_dir = pages_->string(); });
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fs::remove_all(*pages_);
    delete pages_;
  }
  HubFixture& f() { return *fixture_; }

  static void ExpectSecurityHeaders(const HttpReply& r, const std::string& what) {
    for (const auto& [name, value] : kPageSecurityHeaders) {
      std::string lower(name);
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_EQ(r.header(lower), value) << what;
    }
  }

  static fs::path* pages_;
  static HubFixture* fixture_;
};
fs::path* StaticPagesTest::pages_ = nullptr;
HubFixture* StaticPagesTest::fixture_ = nullptr;

TEST_F(StaticPagesTest, DirectoriesServeTheirIndexPage) {
  auto root = f().Anonymous("GET", "/");
  ASSERT_EQ(root.status, 200);
  EXPECT_NE(root.body.find("<title>desk</title>"), std::string::npos);
  EXPECT_EQ(root.header("content-type"), "text/html; charset=utf-8");
  auto crew = f().Anonymous("GET", "/crew/");
  ASSERT_EQ(crew.status, 200);
  EXPECT_NE(crew.body.find("<title>crew</title>"), std::string::npos);
  ExpectSecurityHeaders(crew, "/crew/");
}

TEST_F(StaticPagesTest, ADirectoryWithoutItsSlashRedirectsKeepingTheQuery) {
  auto r = f().Anonymous("GET", "/crew?incident=12&x=%20y");
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("location"), "/crew/?incident=12&x=%20y");
  EXPECT_EQ(f().Anonymous("GET", "/crew").header("location"), "/crew/");
}

TEST_F(StaticPagesTest, AssetsCarryTheirTypeAndTheSecurityHeaders) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/crew/app.js", "text/javascript; charset=utf-8"},
      {"/crew/manifest.webmanifest", "application/manifest+json"},
      {"/fonts/a.woff2", "font/woff2"}};
  for (const auto& [path, type] : cases) {
    auto r = f().Anonymous("GET", path);
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.header("content-type"), type) << path;
    ExpectSecurityHeaders(r, path);
  }
  // The policy allows no inline script or eval anywhere.
  EXPECT_EQ(std::string(kPageSecurityHeaders[0].second).find("unsafe"), std::string::npos);
}

TEST_F(StaticPagesTest, AnUnchangedFileAnswers304ToItsETag) {
  auto first = f().Anonymous("GET", "/crew/app.js");
  ASSERT_FALSE(first.header("etag").empty());
  auto again = f().Anonymous("GET", "/crew/app.js", "", {"If-None-Match: " + first.header("etag")});
  EXPECT_EQ(again.status, 304);
  EXPECT_TRUE(again.body.empty());
}

TEST_F(StaticPagesTest, NothingOutsideTheDirectoryIsServed) {
  fs::create_symlink("/etc/hostname", *pages_ / "escape.txt");
  for (const char* path : {"/../hub.db", "/%2e%2e/hub.db", "/crew//app.js", "/escape.txt", "/missing.html",
                           "/crew/%5c..%5capp.js"}) {
    auto r = f().Anonymous("GET", path);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << path << " got " << r.status;
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff") << path;
  }
  // The API is not shadowed by the pages.
  EXPECT_EQ(f().Anonymous("GET", "/healthz").body, "ok\n");
}

TEST(StaticPagesMissing, AMissingDirectoryAnswersAClearPageAndTheApiStillWorks) {
  HubFixture hub([](HubOptions& o) { o.web_dir = "/nonexistent/glassbrain/web/dist"; });
  auto r = hub.Anonymous("GET", "/crew/");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("not been built"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("/nonexistent"), std::string::npos) << "no file system paths for the public";
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(hub.Anonymous("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace gb::testing

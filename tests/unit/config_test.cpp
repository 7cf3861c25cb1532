// The TOML configuration file: the documented example is accepted and holds the defaults,
// and every mistake is refused with a message that names the key.
#include "cli/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace gb {
namespace {

namespace fs = std::filesystem;

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("glassbrain-config-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Status Load(const std::string& text, HubOptions& options) {
    const std::string path = (dir_ / "hub.toml").string();
    std::ofstream(path) << text;
    return LoadConfigFile(path, options);
  }
  Status Load(const std::string& text) {
    HubOptions ignored;
    return Load(text, ignored);
  }

  fs::path dir_;
};

// The ```toml block of docs/config.md.
std::string DocumentedExample() {
  std::ifstream in(std::string(GLASSBRAIN_SOURCE_DIR) + "/docs/config.md");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string doc = ss.str();
  const auto begin = doc.find("```toml\n");
  const auto end = doc.find("```", begin + 8);
  if (begin == std::string::npos || end == std::string::npos) return "";
  return doc.substr(begin + 8, end - begin - 8);
}

TEST_F(ConfigTest, TheDocumentedExampleIsAcceptedAndShowsTheDefaults) {
  const std::string example = DocumentedExample();
  ASSERT_FALSE(example.empty()) << "docs/config.md has no ```toml block";
  HubOptions loaded;
  ASSERT_TRUE(Load(example, loaded).ok()) << Load(example).message();
  const HubOptions d;
  EXPECT_EQ(loaded.server.host, "127.0.0.1");
  EXPECT_EQ(loaded.server.port, 8080);
  EXPECT_EQ(loaded.server.threads, d.server.threads);
  EXPECT_EQ(loaded.api.limits.max_body_bytes, d.api.limits.max_body_bytes);
  EXPECT_EQ(loaded.server.idle_timeout, d.server.idle_timeout);
  EXPECT_EQ(loaded.server.shutdown_grace, d.server.shutdown_grace);
  EXPECT_EQ(loaded.secure_cookies, d.secure_cookies);
  EXPECT_EQ(loaded.server.trusted_proxies, d.server.trusted_proxies);
  EXPECT_EQ(loaded.store_url, d.store_url);
  EXPECT_EQ(loaded.evidence_dir, d.evidence_dir);
  EXPECT_EQ(loaded.correlation.join_distance_m, d.correlation.join_distance_m);
  EXPECT_EQ(loaded.correlation.join_window_ms, d.correlation.join_window_ms);
  EXPECT_EQ(loaded.api.open311_require_api_key, d.api.open311_require_api_key);
  EXPECT_EQ(loaded.api.open311_posts_per_minute, d.api.open311_posts_per_minute);
  EXPECT_EQ(loaded.api.public_base_url, d.api.public_base_url);
  EXPECT_EQ(loaded.api.jurisdiction_id, d.api.jurisdiction_id);
  EXPECT_EQ(loaded.api.limits.images.max_bytes, d.api.limits.images.max_bytes);
  EXPECT_EQ(loaded.api.reopen_days, d.api.reopen_days);
  EXPECT_EQ(loaded.api.feedback_per_minute, d.api.feedback_per_minute);
  EXPECT_EQ(loaded.api.limits.max_batch_items, d.api.limits.max_batch_items);
  EXPECT_EQ(loaded.api.limits.max_batch_body_bytes, d.api.limits.max_batch_body_bytes);
  EXPECT_EQ(loaded.api.limits.max_json_body_bytes, d.api.limits.max_json_body_bytes);
  EXPECT_EQ(loaded.purge_interval_minutes, d.purge_interval_minutes);
}

// Where open311.public_base_url is not set, media_url and discovery name the address the
// hub listens on.
TEST(PublicBaseUrl, IsDerivedFromTheListenAddress) {
  EXPECT_EQ(PublicBaseUrlFor("127.0.0.1", 41234), "http://127.0.0.1:41234");
  EXPECT_EQ(PublicBaseUrlFor("0.0.0.0", 8080), "http://localhost:8080");
  EXPECT_EQ(PublicBaseUrlFor("::", 80), "http://localhost:80");
  EXPECT_EQ(PublicBaseUrlFor("::1", 9000), "http://[::1]:9000");
  EXPECT_EQ(PublicBaseUrlFor("hub.example", 443), "http://hub.example:443");
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.8.0.1"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("192.168.1.2"));
}

TEST_F(ConfigTest, KeysOverrideOnlyWhatTheyName) {
  HubOptions o;
  o.store_url = "sqlite:/from/the/flag.db";
  ASSERT_TRUE(Load("[server]\nlisten = \"0.0.0.0:9090\"\nsecure_cookies = true\n"
                   "trusted_proxies = [\"127.0.0.1\", \"::1\"]\n"
                   "[correlation]\njoin_window_minutes = 5\n[open311]\nposts_per_minute = 0\n",
                   o)
                  .ok());
  EXPECT_EQ(o.server.host, "0.0.0.0");
  EXPECT_EQ(o.server.port, 9090);
  EXPECT_TRUE(o.secure_cookies);
  EXPECT_EQ(o.server.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(o.correlation.join_window_ms, 5 * 60'000);
  EXPECT_EQ(o.api.open311_posts_per_minute, 0) << "0 turns the limit off, as documented";
  EXPECT_EQ(o.store_url, "sqlite:/from/the/flag.db");
  EXPECT_EQ(o.correlation.join_distance_m, HubOptions{}.correlation.join_distance_m);

  // A larger photo limit is accepted with a body limit that lets it through.
  ASSERT_TRUE(Load("[server]\nmax_body_bytes = 33554432\n[open311]\nmax_media_bytes = 20971520\n", o).ok());
  EXPECT_EQ(o.api.limits.images.max_bytes, 20u << 20);
  EXPECT_EQ(o.api.limits.max_body_bytes, 32u << 20);
}

TEST_F(ConfigTest, MistakesAreRefusedNamingTheKey) {
  struct Case {
    const char* text;
    const char* says;
  };
  for (const Case& c : {
           Case{"[server]\nthreds = 4\n", "threds"},
           Case{"[nonsense]\n", "nonsense"},
           Case{"[server]\nthreads = \"four\"\n", "server.threads must be a number from 0 to 256"},
           Case{"[server]\nsecure_cookies = \"yes\"\n", "server.secure_cookies must be true or false"},
           Case{"[correlation]\njoin_distance_m = 0\n", "correlation.join_distance_m"},
           Case{"[store]\nurl = 5\n", "store.url must be a string"},
           Case{"[server]\ntrusted_proxies = \"127.0.0.1\"\n", "server.trusted_proxies must be an array of strings"},
           Case{"[server]\ntrusted_proxies = [1]\n", "server.trusted_proxies must be an array of strings"},
           Case{"[paths]\ncascade_dir = \"/tmp\"\n", "cascade_dir"},
           Case{"server = 1\n", "server must be a table"},
           Case{"[server\nthreads = 1\n", "line 1"},
           // A limit that the server's body limit would hide: the client could never see it.
           Case{"[open311]\nmax_media_bytes = 20971520\n", "is above server.max_body_bytes (10485760)"},
           Case{"[api]\nmax_batch_body_bytes = 20971520\n", "api.max_batch_body_bytes (20971520 bytes)"},
           Case{"[server]\nmax_body_bytes = 1048576\n", "api.max_batch_body_bytes"},
       }) {
    Status s = Load(c.text);
    EXPECT_EQ(s.code(), Code::kInvalid) << c.text;
    EXPECT_NE(s.message().find(c.says), std::string::npos) << c.text << " → " << s.message();
  }
}

}  // namespace
}  // namespace gb

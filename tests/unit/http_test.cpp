// Helpers of the HTTP layer: who a request comes from, and error bodies.
#include "api/http.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace gb::http {
namespace {

TEST(ClientAddress, APeerThatIsNotATrustedProxyIsTheClientWhateverItForwards) {
  EXPECT_EQ(ClientAddress("203.0.113.7", "198.51.100.1", {}), "203.0.113.7");
  EXPECT_EQ(ClientAddress("203.0.113.7", "198.51.100.1", {"10.0.0.1"}), "203.0.113.7");
}

TEST(ClientAddress, BehindTrustedProxiesTheNearestUntrustedHopIsTheClient) {
  const std::vector<std::string> proxies = {"10.0.0.1", "10.0.0.2"};
  EXPECT_EQ(ClientAddress("10.0.0.1", "198.51.100.1", proxies), "198.51.100.1");
  // A client may send its own X-Forwarded-For; the proxy appends the address it saw.
  EXPECT_EQ(ClientAddress("10.0.0.1", "6.6.6.6, 198.51.100.1", proxies), "198.51.100.1");
  // Two proxies in a row: the hop the inner proxy appended is skipped.
  EXPECT_EQ(ClientAddress("10.0.0.1", "6.6.6.6,198.51.100.1 , 10.0.0.2", proxies), "198.51.100.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", "2001:db8::5", proxies), "2001:db8::5");
}

TEST(ClientAddress, WithoutAUsableHeaderTheLastTrustedHopCounts) {
  const std::vector<std::string> proxies = {"10.0.0.1", "10.0.0.2"};
  EXPECT_EQ(ClientAddress("10.0.0.1", "", proxies), "10.0.0.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", "10.0.0.2", proxies), "10.0.0.2");
  EXPECT_EQ(ClientAddress("10.0.0.1", "not-an-address", proxies), "10.0.0.1");
  // What lies beyond a malformed hop is not believed.
  EXPECT_EQ(ClientAddress("10.0.0.1", "198.51.100.1, <script>", proxies), "10.0.0.1");
  EXPECT_EQ(ClientAddress("10.0.0.1", " , ", proxies), "10.0.0.1");
}

TEST(JsonError, AMessageQuotingBytesThatAreNotUtf8IsStillTheErrorAsJson) {
  Response r = JsonError(404, "no such page: /hea\xFFlthz");
  EXPECT_EQ(r.status, 404);
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.body;
  EXPECT_EQ(j["error"]["message"], "no such page: /hea\xEF\xBF\xBDlthz");  // U+FFFD
}

}  // namespace
}  // namespace gb::http

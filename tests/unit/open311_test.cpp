// Unit tests of the pure parts of the Open311 API: documents and their JSON/XML forms,
// query and body parsing, the multipart parser and the post limiter (with the sliding window
// log it shares with the sign-in limiter). No server, no store.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/multipart.h"
#include "api/open311/format.h"
#include "api/rate_limiter.h"
#include "api/open311/parse.h"
#include "api/rate_window.h"
#include "core/env.h"
#include "core/time.h"

namespace gb {
namespace {

using http::MultipartPart;
using http::ParseMultipart;
using nlohmann::ordered_json;
using open311::Format;

// ---- a tiny XML well-formedness check ---------------------------------------------------
// Accepts the declaration, nested elements without attributes, empty elements, and text
// with the five named entities and numeric references. Enough for the documents here.
class XmlChecker {
 public:
  explicit XmlChecker(std::string_view s) : s_(s) {}

  bool Check(std::string* root = nullptr) {
    const std::string_view decl = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";
    if (!s_.starts_with(decl)) return Fail("no XML declaration");
    pos_ = decl.size();
    SkipSpace();
    std::string name;
    if (!Element(&name)) return false;
    SkipSpace();
    if (pos_ != s_.size()) return Fail("content after the root element");
    if (root) *root = name;
    return true;
  }
  const std::string& error() const { return error_; }

 private:
  bool Fail(std::string why) {
    error_ = why + " at " + std::to_string(pos_);
    return false;
  }
  void SkipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t' || s_[pos_] == '\r')) ++pos_;
  }
  bool Name(std::string* out) {
    size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
    if (pos_ == start) return Fail("expected a name");
    *out = std::string(s_.substr(start, pos_ - start));
    return true;
  }
  bool Element(std::string* name) {
    if (pos_ >= s_.size() || s_[pos_] != '<') return Fail("expected '<'");
    ++pos_;
    if (!Name(name)) return false;
    if (s_.substr(pos_, 2) == "/>") {
      pos_ += 2;
      return true;
    }
    if (pos_ >= s_.size() || s_[pos_] != '>') return Fail("expected '>'");
    ++pos_;
    while (true) {
      if (pos_ >= s_.size()) return Fail("unclosed element " + *name);
      char c = s_[pos_];
      if (c == '<') {
        if (s_.substr(pos_, 2) == "</") {
          pos_ += 2;
          std::string close;
          if (!Name(&close)) return false;
          if (close != *name) return Fail("</" + close + "> closes <" + *name + ">");
          if (pos_ >= s_.size() || s_[pos_] != '>') return Fail("expected '>'");
          ++pos_;
          return true;
        }
        std::string child;
        if (!Element(&child)) return false;
      } else if (c == '&') {
        size_t semi = s_.find(';', pos_);
        if (semi == std::string_view::npos) return Fail("unterminated entity");
        std::string_view ent = s_.substr(pos_, semi - pos_ + 1);
        static const std::set<std::string_view> kNamed = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
        bool numeric = ent.size() > 3 && ent[1] == '#' &&
                       ent.substr(2, ent.size() - 3).find_first_not_of("0123456789") == std::string_view::npos;
        if (!kNamed.count(ent) && !numeric) return Fail("bad entity " + std::string(ent));
        pos_ = semi + 1;
      } else if (c == '>') {
        return Fail("raw '>' in text");
      } else {
        unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 && c != '\n' && c != '\t') return Fail("control character in text");
        ++pos_;
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string error_;
};

::testing::AssertionResult WellFormed(const std::string& xml, std::string_view expected_root) {
  XmlChecker checker(xml);
  std::string root;
  if (!checker.Check(&root)) return ::testing::AssertionFailure() << checker.error() << " in\n" << xml;
  if (root != expected_root) return ::testing::AssertionFailure() << "root is " << root;
  if (!open311::IsValidUtf8(xml)) return ::testing::AssertionFailure() << "not UTF-8";
  return ::testing::AssertionSuccess();
}

template <typename Json>
std::vector<std::string> Keys(const Json& object) {
  std::vector<std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it) out.push_back(it.key());
  return out;
}

const std::string kNasty = "Tom & Jerry <b>\"quoted\" 'single'</b>\r\nline\ttab \x01 caf\xC3\xA9 \xE2\x82\xAC \xFF end";

// ---- text --------------------------------------------------------------------------------
TEST(Open311Text, XmlEscapeHandlesSpecialsControlsAndBadUtf8) {
  EXPECT_EQ(open311::XmlEscape("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&apos;f");
  EXPECT_EQ(open311::XmlEscape("line1\nline2\ttab"), "line1\nline2\ttab");
  EXPECT_EQ(open311::XmlEscape("cr\r\n"), "cr&#13;\n");
  EXPECT_EQ(open311::XmlEscape(std::string("nul\0x", 5)), "nul\xEF\xBF\xBDx");
  EXPECT_EQ(open311::XmlEscape("bell\x07"), "bell\xEF\xBF\xBD");
  EXPECT_EQ(open311::XmlEscape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"), "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(open311::XmlEscape("bad \xFF byte"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(open311::XmlEscape("overlong \xC0\xAF"), "overlong \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(open311::XmlEscape("surrogate \xED\xA0\x80"), "surrogate \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(open311::XmlEscape("truncated \xE2\x82"), "truncated \xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(open311::XmlEscape("nonchar \xEF\xBF\xBF"), "nonchar \xEF\xBF\xBD");
  EXPECT_EQ(open311::XmlEscape(""), "");
}

TEST(Open311Text, Utf8ValidationAndLength) {
  EXPECT_TRUE(open311::IsValidUtf8("plain"));
  EXPECT_TRUE(open311::IsValidUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80"));
  EXPECT_FALSE(open311::IsValidUtf8("\xC3"));
  EXPECT_FALSE(open311::IsValidUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(open311::IsValidUtf8("\xE0\x80\x80"));      // overlong
  EXPECT_EQ(open311::Utf8Length("caf\xC3\xA9"), 4u);
  EXPECT_EQ(open311::Utf8Length("\xF0\x9F\x98\x80"), 1u);
}

TEST(Open311Text, FormatsAndExtensions) {
  EXPECT_EQ(open311::ParseFormat("json"), Format::kJson);
  EXPECT_EQ(open311::ParseFormat("xml"), Format::kXml);
  EXPECT_FALSE(open311::ParseFormat("csv"));
  EXPECT_FALSE(open311::ParseFormat("JSON"));
  EXPECT_FALSE(open311::ParseFormat(""));
  auto [stem, ext] = open311::SplitExtension("services.json");
  EXPECT_EQ(stem, "services");
  EXPECT_EQ(ext, "json");
  auto [stem2, ext2] = open311::SplitExtension("a.b.xml");
  EXPECT_EQ(stem2, "a.b");
  EXPECT_EQ(ext2, "xml");
  EXPECT_EQ(open311::SplitExtension("services").second, "");
  EXPECT_EQ(open311::ContentTypeOf(Format::kJson), "application/json; charset=utf-8");
  EXPECT_EQ(open311::ContentTypeOf(Format::kXml), "text/xml; charset=utf-8");
}

// ---- documents ---------------------------------------------------------------------------
Service Pothole() {
  Service s;
  s.code = "pothole";
  s.name = "Pothole";
  s.description = "A hole in the road";
  s.group = "streets";
  s.keywords = "road, hole";
  return s;
}

TEST(Open311Docs, ServicesExactJsonAndXml) {
  auto doc = open311::ServicesDoc({Pothole()});
  EXPECT_EQ(open311::ToJson(doc),
            R"([{"service_code":"pothole","service_name":"Pothole","description":"A hole in the road",)"
            R"("metadata":false,"type":"realtime","keywords":"road, hole","group":"streets"}])");
  EXPECT_EQ(open311::ToXml(doc, "services"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service><service_code>pothole</service_code>"
            "<service_name>Pothole</service_name><description>A hole in the road</description>"
            "<metadata>false</metadata><type>realtime</type><keywords>road, hole</keywords>"
            "<group>streets</group></service></services>\n");
  EXPECT_EQ(open311::ToXml(open311::ServicesDoc({}), "services"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services/>\n");
}

TEST(Open311Docs, ServiceDefinition) {
  auto doc = open311::ServiceDefinitionDoc("pothole");
  EXPECT_EQ(open311::ToJson(doc), R"({"service_code":"pothole","attributes":[]})");
  EXPECT_EQ(open311::ToXml(doc, "service_definition"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_definition><service_code>pothole</service_code>"
            "<attributes/></service_definition>\n");
}

TEST(Open311Docs, DiscoveryFieldsAndNesting) {
  open311::DiscoveryInfo info;
  info.changeset = "2026-11-24T10:15:02Z";
  info.contact = "ops & friends";
  info.key_service = "none needed";
  info.url = "https://hub.example/open311/v2";
  auto doc = open311::DiscoveryDoc(info);
  EXPECT_EQ(Keys(doc), (std::vector<std::string>{"changeset", "contact", "key_service", "endpoints"}));
  ASSERT_EQ(doc["endpoints"].size(), 1u);
  const auto& ep = doc["endpoints"][0];
  EXPECT_EQ(Keys(ep), (std::vector<std::string>{"specification", "url", "changeset", "type", "formats"}));
  EXPECT_EQ(ep["specification"], "http://wiki.open311.org/GeoReport_v2");
  EXPECT_EQ(ep["url"], "https://hub.example/open311/v2");
  EXPECT_EQ(ep["type"], "production");
  EXPECT_EQ(ep["formats"], ordered_json::array({"text/xml", "application/json"}));
  std::string xml = open311::ToXml(doc, "discovery");
  EXPECT_TRUE(WellFormed(xml, "discovery"));
  EXPECT_NE(xml.find("<contact>ops &amp; friends</contact>"), std::string::npos);
  EXPECT_NE(xml.find("<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification>"),
            std::string::npos);
  EXPECT_NE(xml.find("<formats><format>text/xml</format><format>application/json</format></formats>"),
            std::string::npos);
}

TEST(Open311Docs, ErrorsExactJsonAndXml) {
  auto r = open311::Error(Format::kJson, 400, "service_code is required");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(r.body, R"([{"code":400,"description":"service_code is required"}])");
  auto x = open311::Error(Format::kXml, 404, "token 'a<b' not found");
  EXPECT_EQ(x.status, 404);
  EXPECT_EQ(x.content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(x.body,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>404</code>"
            "<description>token &apos;a&lt;b&apos; not found</description></error></errors>\n");
  EXPECT_TRUE(WellFormed(x.body, "errors"));
}

TEST(Open311Docs, ErrorsFromStatusUseSpecCodes) {
  EXPECT_EQ(open311::Error(Format::kJson, Status::Invalid("x")).status, 400);
  EXPECT_EQ(open311::Error(Format::kJson, Status::NotFound("x")).status, 404);
  EXPECT_EQ(open311::Error(Format::kJson, Status::Forbidden("x")).status, 403);
  EXPECT_EQ(open311::Error(Format::kJson, Status::Unauthenticated("x")).status, 403);
  EXPECT_EQ(open311::Error(Format::kJson, Status::TooLarge("x")).status, 413);
  EXPECT_EQ(open311::Error(Format::kJson, Status::Unsupported("x")).status, 415);
  EXPECT_EQ(open311::Error(Format::kJson, Status::RateLimited("x")).status, 429);
  EXPECT_EQ(open311::Error(Format::kJson, Status::Unavailable("x")).status, 503);
  auto r = open311::Error(Format::kJson, Status::TooLarge("too big"));
  EXPECT_EQ(nlohmann::json::parse(r.body)[0]["code"], 413);
}

TEST(Open311Docs, StatusFromIncidentState) {
  EXPECT_EQ(open311::StatusOf(std::nullopt), "open");
  for (IncidentState s : kAllIncidentStates) {
    bool closed = s == IncidentState::kResolved || s == IncidentState::kRejected;
    EXPECT_EQ(open311::StatusOf(s), closed ? "closed" : "open") << StateName(s);
  }
}

Report FullReport() {
  Report r;
  r.id = 42;
  r.token = "0123456789abcdef0123456789abcdef";
  r.service_code = "pothole";
  r.description = kNasty;
  r.location = {31.2304, 121.4737};
  r.address = "8th Ave & Judah St";
  r.email = "secret@example.org";
  r.first_name = "Secretfirst";
  r.last_name = "Secretlast";
  r.phone = "+15550001111";
  r.device_id = "secret-device";
  r.account_id = "secret-account";
  r.media = "sha256:" + std::string(64, 'a');
  r.requested_at = *ParseRfc3339("2026-11-24T10:15:02.120Z");
  r.incident_id = 7;
  return r;
}

TEST(Open311Docs, RequestHasSpecFieldsAndNoPersonalData) {
  Report report = FullReport();
  Incident incident;
  incident.id = 7;
  incident.state = IncidentState::kResolved;
  incident.note = "Filled & rolled";
  incident.department_id = "streets";
  incident.updated_at = *ParseRfc3339("2026-11-25T08:00:00Z");
  Department dep{"streets", "Street Maintenance", "dept@example.org", "555", "24/7", ""};
  Service svc = Pothole();
  auto pub = open311::MakePublicRequest(report, &incident, &svc, &dep, "https://hub.example/");
  auto doc = open311::RequestsDoc({pub});
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(Keys(doc[0]), (std::vector<std::string>{"service_request_id", "status", "status_notes", "service_name",
                                                    "service_code", "description", "agency_responsible",
                                                    "service_notice", "requested_datetime", "updated_datetime",
                                                    "address", "zipcode", "lat", "long", "media_url"}));
  const auto& r = doc[0];
  EXPECT_EQ(r["service_request_id"], "42");
  EXPECT_EQ(r["status"], "closed");
  EXPECT_EQ(r["status_notes"], "Filled & rolled");
  EXPECT_EQ(r["service_name"], "Pothole");
  EXPECT_EQ(r["agency_responsible"], "Street Maintenance");
  EXPECT_EQ(r["requested_datetime"], "2026-11-24T10:15:02Z");
  EXPECT_EQ(r["updated_datetime"], "2026-11-25T08:00:00Z");
  EXPECT_EQ(r["lat"], 31.2304);
  EXPECT_EQ(r["long"], 121.4737);
  EXPECT_EQ(r["media_url"], "https://hub.example/open311/v2/media/" + std::string(64, 'a') + ".jpg");
  EXPECT_TRUE(r["zipcode"].is_null());

  std::string json = open311::ToJson(doc);
  std::string xml = open311::ToXml(doc, "service_requests");
  EXPECT_TRUE(WellFormed(xml, "service_requests"));
  EXPECT_NE(xml.find("<service_requests><request><service_request_id>42</service_request_id><status>closed</status>"),
            std::string::npos);
  EXPECT_NE(xml.find("<lat>31.2304</lat><long>121.4737</long>"), std::string::npos);
  EXPECT_NE(xml.find("<zipcode/>"), std::string::npos);
  for (const std::string& secret : {std::string("secret@example.org"), std::string("Secretfirst"),
                                    std::string("Secretlast"), std::string("+15550001111"),
                                    std::string("secret-device"), std::string("secret-account"), report.token,
                                    std::string("dept@example.org")}) {
    EXPECT_EQ(json.find(secret), std::string::npos) << secret;
    EXPECT_EQ(xml.find(secret), std::string::npos) << secret;
  }
  for (const char* key : {"email", "first_name", "last_name", "phone", "device_id", "account_id", "token"}) {
    EXPECT_FALSE(r.contains(key)) << key;
    EXPECT_EQ(xml.find(std::string("<") + key), std::string::npos) << key;
  }
}

TEST(Open311Docs, OpenRequestHidesNotesAndUsesNullsForEmptyText) {
  Report report = FullReport();
  report.description.clear();
  report.address.clear();
  report.media.clear();
  Incident incident;
  incident.state = IncidentState::kInProgress;
  incident.note = "internal: crew on the way";
  incident.updated_at = report.requested_at - 5000;  // never before the request
  auto pub = open311::MakePublicRequest(report, &incident, nullptr, nullptr, "http://x");
  auto doc = open311::RequestDoc(pub);
  EXPECT_EQ(doc["status"], "open");
  EXPECT_TRUE(doc["status_notes"].is_null());
  EXPECT_TRUE(doc["description"].is_null());
  EXPECT_TRUE(doc["agency_responsible"].is_null());
  EXPECT_TRUE(doc["address"].is_null());
  EXPECT_TRUE(doc["media_url"].is_null());
  EXPECT_EQ(doc["service_name"], "pothole");  // service gone from the catalog: the code stands in
  EXPECT_EQ(doc["updated_datetime"], doc["requested_datetime"]);

  auto no_incident = open311::MakePublicRequest(report, nullptr, nullptr, nullptr, "http://x");
  EXPECT_EQ(no_incident.status, "open");
}

TEST(Open311Docs, NastyTextStaysWellFormed) {
  Report report = FullReport();
  auto doc = open311::RequestsDoc({open311::MakePublicRequest(report, nullptr, nullptr, nullptr, "http://x")});
  std::string xml = open311::ToXml(doc, "service_requests");
  EXPECT_TRUE(WellFormed(xml, "service_requests"));
  EXPECT_NE(xml.find("Tom &amp; Jerry &lt;b&gt;&quot;quoted&quot; &apos;single&apos;&lt;/b&gt;&#13;\nline\ttab"),
            std::string::npos);
  std::string json = open311::ToJson(doc);  // invalid UTF-8 is replaced, not thrown on
  EXPECT_TRUE(open311::IsValidUtf8(json));
  auto parsed = nlohmann::json::parse(json);
  EXPECT_EQ(parsed[0]["description"].get<std::string>().substr(0, 11), "Tom & Jerry");
}

TEST(Open311Docs, MediaUrl) {
  std::string hex(64, 'b');
  EXPECT_EQ(open311::MediaUrl("http://h:8080", "sha256:" + hex), "http://h:8080/open311/v2/media/" + hex + ".jpg");
  EXPECT_EQ(open311::MediaUrl("http://h//", "sha256:" + hex), "http://h/open311/v2/media/" + hex + ".jpg");
  EXPECT_EQ(open311::MediaUrl("http://h", "md5:abc"), "");
  EXPECT_EQ(open311::MediaUrl("http://h", ""), "");
}

TEST(Open311Docs, PostResultAndToken) {
  auto doc = open311::PostResultDoc(17, "00ff", "", "");
  EXPECT_EQ(open311::ToJson(doc),
            R"([{"service_request_id":"17","token":"00ff","service_notice":"","account_id":null}])");
  EXPECT_EQ(open311::ToXml(doc, "service_requests"),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request>"
            "<service_request_id>17</service_request_id><token>00ff</token><service_notice></service_notice>"
            "<account_id/></request></service_requests>\n");
  EXPECT_EQ(open311::PostResultDoc(17, "00ff", "", "acct-1")[0]["account_id"], "acct-1");
  EXPECT_EQ(open311::ToJson(open311::TokenDoc(9, "abc")), R"([{"service_request_id":"9","token":"abc"}])");
  EXPECT_TRUE(WellFormed(open311::ToXml(open311::TokenDoc(9, "abc"), "service_requests"), "service_requests"));
}

TEST(Open311Docs, RenderSetsStatusAndContentType) {
  auto r = open311::Render(201, open311::TokenDoc(1, "t"), "service_requests", Format::kXml);
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.content_type, "text/xml; charset=utf-8");
  EXPECT_TRUE(r.body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
}

// ---- GET requests filters --------------------------------------------------------------
http::Params Q(std::string_view query) {
  auto p = http::ParseForm(query);
  EXPECT_TRUE(p) << query;
  return p ? *p : http::Params{};
}

constexpr TimeMs kNow = 1'795'515'302'120;  // 2026-11-24T10:15:02.120Z

TEST(Open311Query, DefaultsToNinetyDaysAndFirstPage) {
  auto q = open311::ParseRequestQuery(Q(""));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->page, 1);
  EXPECT_EQ(q->page_size, 50);
  auto f = open311::ToReportFilter(*q, kNow);
  EXPECT_EQ(f.start, kNow - 90LL * 86'400'000);
  EXPECT_EQ(f.end, 0);
  EXPECT_EQ(f.offset, 0);
  EXPECT_EQ(f.limit, 50);
  EXPECT_FALSE(f.open);
  EXPECT_TRUE(f.ids.empty());
  EXPECT_TRUE(f.service_codes.empty());
}

TEST(Open311Query, PagingAndLimits) {
  auto q = open311::ParseRequestQuery(Q("page=3&page_size=20"));
  ASSERT_TRUE(q.ok());
  auto f = open311::ToReportFilter(*q, kNow);
  EXPECT_EQ(f.offset, 40);
  EXPECT_EQ(f.limit, 20);
  EXPECT_TRUE(open311::ParseRequestQuery(Q("page_size=200")).ok());
  EXPECT_TRUE(open311::ParseRequestQuery(Q("page_size=1")).ok());
  for (const char* bad : {"page=0", "page=-1", "page=abc", "page=1.5", "page=100001", "page_size=0",
                          "page_size=201", "page_size=ten", "page=99999999999"}) {
    auto r = open311::ParseRequestQuery(Q(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalid) << bad;
  }
  auto max = open311::ParseRequestQuery(Q("page=100000&page_size=200"));
  ASSERT_TRUE(max.ok());
  EXPECT_EQ(open311::ToReportFilter(*max, kNow).offset, 99'999 * 200);
}

TEST(Open311Query, Dates) {
  auto q = open311::ParseRequestQuery(Q("start_date=2026-11-01T00:00:00Z&end_date=2026-11-02T00:00:00-05:00"));
  ASSERT_TRUE(q.ok());
  auto f = open311::ToReportFilter(*q, kNow);
  EXPECT_EQ(f.start, *ParseRfc3339("2026-11-01T00:00:00Z"));
  EXPECT_EQ(f.end, *ParseRfc3339("2026-11-02T05:00:00Z"));  // both inclusive

  auto only_end = open311::ParseRequestQuery(Q("end_date=2026-06-01T00:00:00Z"));
  ASSERT_TRUE(only_end.ok());
  auto fe = open311::ToReportFilter(*only_end, kNow);
  EXPECT_EQ(fe.start, *ParseRfc3339("2026-06-01T00:00:00Z") - 90LL * 86'400'000);
  EXPECT_EQ(fe.end, *ParseRfc3339("2026-06-01T00:00:00Z"));

  auto only_start = open311::ParseRequestQuery(Q("start_date=2020-01-01T00:00:00Z"));
  ASSERT_TRUE(only_start.ok());
  auto fs = open311::ToReportFilter(*only_start, kNow);
  EXPECT_EQ(fs.start, *ParseRfc3339("2020-01-01T00:00:00Z"));
  EXPECT_EQ(fs.end, 0);

  // An unencoded '+' arrives as a space; the w3 note's minute precision is accepted.
  auto plus = open311::ParseRequestQuery(Q("start_date=2026-11-01T08:00:00+08:00"));
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(*plus->start, *ParseRfc3339("2026-11-01T00:00:00Z"));
  EXPECT_EQ(open311::ParseW3Date("2026-11-01T00:00Z"), ParseRfc3339("2026-11-01T00:00:00Z"));
  EXPECT_EQ(open311::ParseW3Date("2026-11-01T01:00+01:00"), ParseRfc3339("2026-11-01T00:00:00Z"));
  EXPECT_EQ(open311::ParseW3Date(" 2026-11-01T00:00:00.5Z "), ParseRfc3339("2026-11-01T00:00:00.500Z"));

  for (const char* bad : {"start_date=yesterday", "start_date=2026-11-01", "end_date=2026-11-01T00:00:00",
                          "start_date=2026-02-30T00:00:00Z", "end_date=1700000000"}) {
    auto r = open311::ParseRequestQuery(Q(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalid);
    EXPECT_NE(r.status().message().find("2010-01-01T00:00:00Z"), std::string::npos);
  }
  EXPECT_FALSE(open311::ParseRequestQuery(Q("start_date=2026-11-02T00:00:00Z&end_date=2026-11-01T00:00:00Z")).ok());
}

TEST(Open311Query, Status) {
  EXPECT_EQ(open311::ParseRequestQuery(Q("status=open"))->open, true);
  EXPECT_EQ(open311::ParseRequestQuery(Q("status=closed"))->open, false);
  EXPECT_EQ(open311::ParseRequestQuery(Q("status=OPEN"))->open, true);
  EXPECT_FALSE(open311::ParseRequestQuery(Q("status=open,closed"))->open);
  EXPECT_FALSE(open311::ParseRequestQuery(Q("status=open&status=closed"))->open);
  EXPECT_FALSE(open311::ParseRequestQuery(Q("status="))->open);
  auto bad = open311::ParseRequestQuery(Q("status=pending"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("pending"), std::string::npos);
  auto f = open311::ToReportFilter(*open311::ParseRequestQuery(Q("status=closed")), kNow);
  EXPECT_EQ(f.open, false);
}

TEST(Open311Query, ServiceCodesAndIds) {
  auto q = open311::ParseRequestQuery(Q("service_code=pothole,%20graffiti&service_code=litter&service_code="));
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->service_codes, (std::vector<std::string>{"pothole", "graffiti", "litter"}));

  // service_request_id overrides all other arguments, even malformed ones; paging stays.
  auto ids = open311::ParseRequestQuery(Q("service_request_id=3,%201,,2&status=bogus&page_size=2"));
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(ids->ids, (std::vector<Id>{3, 1, 2}));
  auto f = open311::ToReportFilter(*ids, kNow);
  EXPECT_EQ(f.ids, (std::vector<Id>{3, 1, 2}));
  EXPECT_EQ(f.start, 0);
  EXPECT_EQ(f.end, 0);
  EXPECT_FALSE(f.open);
  EXPECT_EQ(f.limit, 2);
  for (const char* bad : {"service_request_id=abc", "service_request_id=1,-2", "service_request_id=0",
                          "service_request_id=1.5"})
    EXPECT_FALSE(open311::ParseRequestQuery(Q(bad)).ok()) << bad;
  std::string many = "service_request_id=";
  for (int i = 1; i <= 201; ++i) many += std::to_string(i) + ",";
  EXPECT_FALSE(open311::ParseRequestQuery(Q(many)).ok());
}

TEST(Open311Query, Jurisdiction) {
  EXPECT_TRUE(open311::CheckJurisdiction(Q(""), "riverside.example").ok());
  EXPECT_TRUE(open311::CheckJurisdiction(Q("jurisdiction_id="), "riverside.example").ok());
  EXPECT_TRUE(open311::CheckJurisdiction(Q("jurisdiction_id=riverside.example"), "riverside.example").ok());
  auto s = open311::CheckJurisdiction(Q("jurisdiction_id=elsewhere.gov"), "riverside.example");
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(s.message().find("elsewhere.gov"), std::string::npos);
}

TEST(Open311Query, IdsAndTokens) {
  EXPECT_EQ(open311::ParseId("42"), 42);
  EXPECT_FALSE(open311::ParseId(""));
  EXPECT_FALSE(open311::ParseId("0"));
  EXPECT_FALSE(open311::ParseId("-1"));
  EXPECT_FALSE(open311::ParseId("1e3"));
  EXPECT_FALSE(open311::ParseId("9999999999999999999"));
  std::string t1 = open311::NewToken(), t2 = open311::NewToken();
  EXPECT_TRUE(open311::IsToken(t1));
  EXPECT_NE(t1, t2);
  EXPECT_FALSE(open311::IsToken("ABCDEF0123456789abcdef0123456789"));
  EXPECT_FALSE(open311::IsToken("abc"));
}

// ---- multipart ----------------------------------------------------------------------------
std::string Body(const std::string& boundary, const std::vector<std::string>& parts, const std::string& eol = "\r\n") {
  std::string out;
  for (const auto& p : parts) out += "--" + boundary + eol + p + eol;
  out += "--" + boundary + "--" + eol;
  return out;
}

std::string Field(const std::string& name, const std::string& value, const std::string& eol = "\r\n") {
  return "Content-Disposition: form-data; name=\"" + name + "\"" + eol + eol + value;
}

// The hub's limits for an Open311 form.
const Limits kHub;
const http::MultipartLimits kForm{kHub.max_form_parts, kHub.max_part_header_bytes, kHub.max_form_field_bytes,
                                  kHub.images.max_bytes};

TEST(Multipart, Boundary) {
  EXPECT_EQ(http::MultipartBoundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk").value(),
            "----WebKitFormBoundary7MA4YWxk");
  EXPECT_EQ(http::MultipartBoundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b:c\"").value(), "a b:c");
  for (const char* bad : {"multipart/form-data", "multipart/form-data; boundary=", "multipart/mixed; boundary=x",
                          "application/x-www-form-urlencoded", "multipart/form-data; boundary=\"unterminated",
                          "multipart/form-data; boundary=a<b", "multipart/form-data; boundary=\"trailing \""}) {
    auto r = http::MultipartBoundary(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), Code::kInvalid) << bad;
  }
  EXPECT_FALSE(http::MultipartBoundary("multipart/form-data; boundary=" + std::string(71, 'x')).ok());
  EXPECT_TRUE(http::MultipartBoundary("multipart/form-data; boundary=" + std::string(70, 'x')).ok());
}

TEST(Multipart, MediaTypeParameters) {
  auto m = http::ParseMediaType("form-data; name=\"a;b\\\"c\"; filename=photo.jpg");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->type, "form-data");
  EXPECT_EQ(m->Param("name"), "a;b\"c");
  EXPECT_EQ(m->Param("filename"), "photo.jpg");
  EXPECT_EQ(m->Param("missing"), "");
  EXPECT_EQ(http::ParseMediaType("").value().type, "");
  EXPECT_FALSE(http::ParseMediaType("text/plain; charset").ok());
  EXPECT_FALSE(http::ParseMediaType("text/plain; x=\"open").ok());
}

TEST(Multipart, ParsesFieldsAndBinaryFile) {
  std::string binary("\xFF\xD8\xFF\x00\r\n--notboundary\r\n\r\n--BOUNDAR\x00\xFF\xD9", 34);
  std::string body = Body("BOUNDARY", {Field("service_code", "pothole"), Field("description", "line1\r\nline2"),
                                       "Content-Disposition: form-data; name=\"media\"; filename=\"photo.jpg\"\r\n"
                                       "Content-Type: image/jpeg\r\n\r\n" + binary});
  auto parts = ParseMultipart(body, "BOUNDARY", kForm);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "service_code");
  EXPECT_EQ((*parts)[0].body, "pothole");
  EXPECT_FALSE((*parts)[0].has_filename);
  EXPECT_EQ((*parts)[1].body, "line1\r\nline2");
  EXPECT_EQ((*parts)[2].name, "media");
  EXPECT_TRUE((*parts)[2].has_filename);
  EXPECT_EQ((*parts)[2].filename, "photo.jpg");
  EXPECT_EQ((*parts)[2].content_type, "image/jpeg");
  EXPECT_EQ((*parts)[2].body, binary);
}

TEST(Multipart, BareLfPreambleEpilogueAndPadding) {
  std::string lf = "preamble text\n" + Body("b", {Field("a", "1", "\n"), Field("b", "two\nlines", "\n")}, "\n") +
                   "epilogue";
  auto parts = ParseMultipart(lf, "b", kForm);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].body, "1");
  EXPECT_EQ((*parts)[1].body, "two\nlines");

  std::string padded = "--b  \r\n" + Field("a", "x") + "\r\n--b\t\r\n" + Field("c", "") + "\r\n--b--";
  auto p2 = ParseMultipart(padded, "b", kForm);
  ASSERT_TRUE(p2.ok()) << p2.status().message();
  ASSERT_EQ(p2->size(), 2u);
  EXPECT_EQ((*p2)[1].name, "c");
  EXPECT_EQ((*p2)[1].body, "");

  auto empty = ParseMultipart("--b--\r\n", "b", kForm);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Multipart, BoundaryLookalikesInsideContentAreData) {
  std::string body = Body("xyz", {Field("a", "before\r\n--xyzNOT the end\r\n--xyz- neither"), Field("b", "2")});
  auto parts = ParseMultipart(body, "xyz", kForm);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].body, "before\r\n--xyzNOT the end\r\n--xyz- neither");
}

TEST(Multipart, FilenamesAndHeaders) {
  std::string body = Body(
      "b", {"content-disposition: form-data; name=media; filename=\"C:\\\\Users\\\\me\\\\p.jpg\"\r\n\r\nx",
            "Content-Disposition: form-data; name=\"f\"; filename*=UTF-8''caf%C3%A9.jpg\r\n\r\ny",
            "Content-Disposition: form-data;\r\n name=\"folded\"\r\nX-Other: ignored\r\n\r\nz",
            "Content-Disposition: form-data; name=\"e\"; filename=\"\"\r\n\r\n"});
  auto parts = ParseMultipart(body, "b", kForm);
  ASSERT_TRUE(parts.ok()) << parts.status().message();
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[0].filename, "p.jpg");
  EXPECT_EQ((*parts)[1].filename, "caf\xC3\xA9.jpg");
  EXPECT_EQ((*parts)[2].name, "folded");
  EXPECT_TRUE((*parts)[3].has_filename);
  EXPECT_EQ((*parts)[3].filename, "");
  EXPECT_EQ((*parts)[3].body, "");
}

TEST(Multipart, MalformedBodies) {
  struct Case {
    std::string body;
    Code code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"", Code::kInvalid, "no boundary line"},
      {"no boundary here at all", Code::kInvalid, "no boundary line"},
      {"--other\r\n" + Field("a", "1") + "\r\n--other--", Code::kInvalid, "no boundary line"},
      {"--b\r\n" + Field("a", "1"), Code::kInvalid, "truncated"},
      {"--b\r\n" + Field("a", "1") + "\r\n--b\r\n", Code::kInvalid, "truncated"},
      {"--b\r\nContent-Disposition: form-data; name=\"a\"", Code::kInvalid, "truncated"},
      {"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--", Code::kInvalid, "Content-Disposition"},
      {"--b\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--b--", Code::kInvalid, "form-data"},
      {"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--", Code::kInvalid, "no name"},
      {"--b\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--b--", Code::kInvalid, "unterminated"},
      {"--b\r\nno colon here\r\n\r\nx\r\n--b--", Code::kInvalid, "malformed header"},
      {"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Transfer-Encoding: base64\r\n\r\neA==\r\n--b--",
       Code::kUnsupported, "Content-Transfer-Encoding"},
      {"--bjunk\r\n" + Field("a", "1") + "\r\n--bjunk--", Code::kInvalid, "no boundary line"},
      // One body, one line-break style: a bare-LF delimiter after a CRLF one is not a delimiter.
      {"--b\r\n" + Field("a", "1") + "\n--b--\n", Code::kInvalid, "truncated"},
  };
  for (const auto& c : cases) {
    auto r = ParseMultipart(c.body, "b", kForm);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), c.code) << c.body << " → " << r.status().message();
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
  }
}

TEST(Multipart, Limits) {
  std::vector<std::string> fields;
  for (int i = 0; i < 32; ++i) fields.push_back(Field("f" + std::to_string(i), "v"));
  EXPECT_TRUE(ParseMultipart(Body("b", fields), "b", kForm).ok());
  fields.push_back(Field("one_too_many", "v"));
  auto many = ParseMultipart(Body("b", fields), "b", kForm);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), Code::kInvalid);
  EXPECT_NE(many.status().message().find("more than 32 parts"), std::string::npos);

  http::MultipartLimits small = kForm;
  small.max_field_bytes = 10;
  small.max_file_bytes = 20;
  small.max_header_bytes = 100;
  EXPECT_TRUE(ParseMultipart(Body("b", {Field("a", std::string(10, 'x'))}), "b", small).ok());
  auto field = ParseMultipart(Body("b", {Field("a", std::string(11, 'x'))}), "b", small);
  EXPECT_EQ(field.status().code(), Code::kTooLarge);
  std::string file_part = "Content-Disposition: form-data; name=\"media\"; filename=\"p.jpg\"\r\n\r\n";
  EXPECT_TRUE(ParseMultipart(Body("b", {file_part + std::string(20, 'x')}), "b", small).ok());
  auto file = ParseMultipart(Body("b", {file_part + std::string(21, 'x')}), "b", small);
  EXPECT_EQ(file.status().code(), Code::kTooLarge);
  EXPECT_NE(file.status().message().find("'media'"), std::string::npos);
  // Too large even when the body is also cut off: the size is the clearer answer.
  auto cut = ParseMultipart("--b\r\n" + file_part + std::string(50, 'x'), "b", small);
  EXPECT_EQ(cut.status().code(), Code::kTooLarge);
  auto headers = ParseMultipart(Body("b", {"Content-Disposition: form-data; name=\"a\"\r\nX-Pad: " +
                                           std::string(200, 'p') + "\r\n\r\nv"}),
                                "b", small);
  EXPECT_EQ(headers.status().code(), Code::kTooLarge);
}

// ---- POST body and fields ----------------------------------------------------------------
Limits SmallLimits() {
  Limits l;
  l.max_json_body_bytes = 1000;
  l.images.max_bytes = 100;
  return l;
}

TEST(Open311Post, FormBodies) {
  std::string spec_example =
      "api_key=xyz&jurisdiction_id=city.gov&service_code=001&lat=37.76524078&long=-122.4212043&"
      "address_string=1234+5th+street&email=smit333%40sfgov.edu&device_id=tt222111&account_id=123456&"
      "first_name=john&last_name=smith&phone=111111111&description=A+large+sinkhole+is+destroying+the+street&"
      "media_url=http%3A%2F%2Ffarm3.static.flickr.com%2F2002%2F2212426634_5ed477a060.jpg&"
      "attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001";
  for (const char* type : {"application/x-www-form-urlencoded; charset=utf-8", "application/x-www-form-urlencoded",
                           ""}) {
    auto body = open311::ReadPostBody(type, spec_example, Limits{});
    ASSERT_TRUE(body.ok()) << type << body.status().message();
    EXPECT_FALSE(body->media);
    auto r = open311::ParseNewRequest(body->fields);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->service_code, "001");
    EXPECT_DOUBLE_EQ(r->lat, 37.76524078);
    EXPECT_DOUBLE_EQ(r->lon, -122.4212043);
    EXPECT_EQ(r->address_string, "1234 5th street");
    EXPECT_EQ(r->email, "smit333@sfgov.edu");
    EXPECT_EQ(r->device_id, "tt222111");
    EXPECT_EQ(r->account_id, "123456");
    EXPECT_EQ(r->first_name, "john");
    EXPECT_EQ(r->last_name, "smith");
    EXPECT_EQ(r->phone, "111111111");
    EXPECT_EQ(r->description, "A large sinkhole is destroying the street");
    EXPECT_EQ(r->media_url, "http://farm3.static.flickr.com/2002/2212426634_5ed477a060.jpg");
    EXPECT_EQ(r->api_key, "xyz");
    EXPECT_EQ(r->jurisdiction_id, "city.gov");
  }
  auto json = open311::ReadPostBody("application/json", "{}", Limits{});
  EXPECT_EQ(json.status().code(), Code::kUnsupported);
  auto latin = open311::ReadPostBody("application/x-www-form-urlencoded; charset=iso-8859-1", "a=b",
                                     Limits{});
  EXPECT_EQ(latin.status().code(), Code::kUnsupported);
  auto big = open311::ReadPostBody("", std::string(1001, 'a'), SmallLimits());
  EXPECT_EQ(big.status().code(), Code::kTooLarge);
  auto escape = open311::ReadPostBody("", "a=%zz", Limits{});
  EXPECT_EQ(escape.status().code(), Code::kInvalid);
}

TEST(Open311Post, MultipartBodies) {
  const std::string type = "multipart/form-data; boundary=XyZ";
  std::string jpeg("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\r\n\xFF\xD9", 15);
  std::string media = "Content-Disposition: form-data; name=\"media\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n";
  auto body = open311::ReadPostBody(
      type, Body("XyZ", {Field("service_code", "pothole"), Field("lat", "1.5"), Field("long", "2.5"), media + jpeg}),
      SmallLimits());
  ASSERT_TRUE(body.ok()) << body.status().message();
  ASSERT_TRUE(body->media);
  EXPECT_EQ(*body->media, jpeg);
  EXPECT_EQ(body->media_content_type, "image/jpeg");
  EXPECT_EQ(http::FormValue(body->fields, "service_code"), "pothole");
  EXPECT_FALSE(http::FormValue(body->fields, "media"));
  EXPECT_TRUE(open311::ParseNewRequest(body->fields).ok());

  // A media field left empty (a file input with no file) is no media.
  auto empty = open311::ReadPostBody(
      type, Body("XyZ", {Field("service_code", "pothole"),
                         "Content-Disposition: form-data; name=\"media\"; filename=\"\"\r\n"
                         "Content-Type: application/octet-stream\r\n\r\n"}),
      SmallLimits());
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->media);

  auto two = open311::ReadPostBody(type, Body("XyZ", {media + "a", media + "b"}), SmallLimits());
  EXPECT_EQ(two.status().code(), Code::kInvalid);
  auto other_file = open311::ReadPostBody(
      type, Body("XyZ", {"Content-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n\r\nx"}), SmallLimits());
  EXPECT_EQ(other_file.status().code(), Code::kInvalid);
  EXPECT_NE(other_file.status().message().find("'media'"), std::string::npos);
  auto large = open311::ReadPostBody(type, Body("XyZ", {media + std::string(101, 'x')}), SmallLimits());
  EXPECT_EQ(large.status().code(), Code::kTooLarge);
  auto no_boundary = open311::ReadPostBody("multipart/form-data", "whatever", SmallLimits());
  EXPECT_EQ(no_boundary.status().code(), Code::kInvalid);
  EXPECT_NE(no_boundary.status().message().find("boundary"), std::string::npos);
  auto truncated = open311::ReadPostBody(type, "--XyZ\r\n" + Field("service_code", "pothole"), SmallLimits());
  EXPECT_EQ(truncated.status().code(), Code::kInvalid);
}

TEST(Open311Post, LocationRules) {
  auto parse = [](std::string_view q) { return open311::ParseNewRequest(Q(q)); };
  EXPECT_TRUE(parse("service_code=a&lat=-90&long=180").ok());
  EXPECT_TRUE(parse("service_code=a&lat=%2B1.5&long=2").ok());
  auto address_only = parse("service_code=a&address_string=1+Main+St");
  ASSERT_FALSE(address_only.ok());
  EXPECT_EQ(address_only.status().code(), Code::kInvalid);
  EXPECT_NE(address_only.status().message().find("lat and long"), std::string::npos);
  EXPECT_NE(address_only.status().message().find("address_string"), std::string::npos);
  EXPECT_FALSE(parse("service_code=a&address_id=77").ok());
  auto none = parse("service_code=a");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("location is required"), std::string::npos);
  EXPECT_NE(parse("service_code=a&lat=1").status().message().find("together"), std::string::npos);
  EXPECT_NE(parse("service_code=a&long=1").status().message().find("together"), std::string::npos);
  for (const char* bad : {"lat=abc&long=1", "lat=1&long=1x", "lat=nan&long=1", "lat=inf&long=1", "lat=91&long=0",
                          "lat=0&long=-180.5", "lat=1e400&long=0"})
    EXPECT_FALSE(parse(std::string("service_code=a&") + bad).ok()) << bad;
}

TEST(Open311Post, FieldRules) {
  auto parse = [](const http::Params& p) { return open311::ParseNewRequest(p); };
  http::Params base = {{"service_code", "a"}, {"lat", "1"}, {"long", "2"}};
  auto with = [&](std::string k, std::string v) {
    http::Params p = base;
    p.emplace_back(std::move(k), std::move(v));
    return p;
  };
  auto missing = parse({{"lat", "1"}, {"long", "2"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("service_code is required"), std::string::npos);
  EXPECT_FALSE(parse({{"service_code", "  "}, {"lat", "1"}, {"long", "2"}}).ok());

  std::string euro4000;
  for (int i = 0; i < 4000; ++i) euro4000 += "\xE2\x82\xAC";
  auto ok = parse(with("description", euro4000));
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(open311::Utf8Length(ok->description), 4000u);
  auto long_desc = parse(with("description", euro4000 + "x"));
  ASSERT_FALSE(long_desc.ok());
  EXPECT_NE(long_desc.status().message().find("4000 characters"), std::string::npos);

  EXPECT_FALSE(parse(with("description", "bad \xFF utf8")).ok());
  EXPECT_FALSE(parse(with("first_name", std::string("nul\0byte", 8))).ok());
  EXPECT_FALSE(parse(with("email", "not-an-address")).ok());
  EXPECT_FALSE(parse(with("email", "a b@example.org")).ok());
  EXPECT_TRUE(parse(with("email", "a@example.org")).ok());
  EXPECT_FALSE(parse(with("phone", std::string(51, '1'))).ok());
  EXPECT_FALSE(parse({{"service_code", std::string(101, 'a')}, {"lat", "1"}, {"long", "2"}}).ok());
  // The first non-empty value of a repeated field counts.
  http::Params repeated = {{"service_code", ""}, {"service_code", "b"}, {"lat", "1"}, {"long", "2"}};
  EXPECT_EQ(parse(repeated)->service_code, "b");
}

// ---- the sliding window log ---------------------------------------------------------------
TEST(SlidingWindowLog, AnEventExactlyOneWindowOldHasLeft) {
  SlidingWindowLog log(100);
  log.Record("k", 1'000);
  log.Record("k", 1'050);
  EXPECT_EQ(log.Count("k", 1'000), 2u);
  EXPECT_EQ(log.Count("k", 1'099), 2u);
  EXPECT_EQ(log.Count("k", 1'100), 1u);  // 1'000 is exactly 100 old: out
  EXPECT_EQ(log.Count("k", 1'149), 1u);
  EXPECT_EQ(log.Count("k", 1'150), 0u);
  EXPECT_EQ(log.KeyCount(), 0u) << "a key left empty is dropped";
  EXPECT_EQ(log.Count("never", 0), 0u);
}

TEST(SlidingWindowLog, ReadyAtIsWhenTheCountDropsBelowMax) {
  SlidingWindowLog log(100);
  EXPECT_EQ(log.ReadyAt("k", 1, 500), 500) << "an unknown key is ready now";
  for (TimeMs t : {1'000, 1'010, 1'020}) log.Record("k", t);
  EXPECT_EQ(log.ReadyAt("k", 4, 1'020), 1'020);
  EXPECT_EQ(log.ReadyAt("k", 3, 1'020), 1'100);  // the oldest must leave
  EXPECT_EQ(log.ReadyAt("k", 2, 1'020), 1'110);  // the two oldest must leave
  EXPECT_EQ(log.ReadyAt("k", 1, 1'020), 1'120);
  EXPECT_EQ(log.ReadyAt("k", 3, 1'099), 1'100);
  EXPECT_EQ(log.ReadyAt("k", 3, 1'100), 1'100) << "ready exactly when the oldest is window_ms old";
  EXPECT_EQ(log.Count("k", 1'100), 2u);
  EXPECT_EQ(log.ReadyAt("k", 1, 1'200), 1'200);
  EXPECT_EQ(log.KeyCount(), 0u);
}

TEST(SlidingWindowLog, RemoveOneTakesBackOneRecordedTime) {
  SlidingWindowLog log(100);
  log.Record("k", 10);
  log.Record("k", 20);
  log.Record("k", 20);
  EXPECT_FALSE(log.RemoveOne("k", 15));
  EXPECT_FALSE(log.RemoveOne("other", 20));
  EXPECT_EQ(log.Count("k", 20), 3u);
  EXPECT_TRUE(log.RemoveOne("k", 20));  // one of the two equal times, not both
  EXPECT_EQ(log.Count("k", 20), 2u);
  EXPECT_EQ(log.ReadyAt("k", 2, 20), 110);
  EXPECT_TRUE(log.RemoveOne("k", 10));
  EXPECT_EQ(log.ReadyAt("k", 1, 20), 120);
  EXPECT_TRUE(log.RemoveOne("k", 20));
  EXPECT_EQ(log.KeyCount(), 0u) << "removing the last time drops the key";
  EXPECT_FALSE(log.RemoveOne("k", 20));
}

TEST(SlidingWindowLog, EraseAndSweep) {
  SlidingWindowLog log(100);
  log.Record("a", 0);
  log.Record("b", 0);
  log.Record("b", 60);
  log.Record("c", 90);
  log.Erase("a");
  log.Erase("missing");
  EXPECT_EQ(log.KeyCount(), 2u);
  EXPECT_EQ(log.Count("a", 0), 0u);
  log.Sweep(100);  // b's first time leaves, b and c stay
  EXPECT_EQ(log.KeyCount(), 2u);
  EXPECT_EQ(log.Count("b", 100), 1u);
  log.Sweep(160);  // b is stale now
  EXPECT_EQ(log.KeyCount(), 1u);
  EXPECT_EQ(log.Count("c", 160), 1u);
}

TEST(SlidingWindowLog, AtTheKeyCapStaleKeysGoFirstThenTheLeastRecentlyUsed) {
  SlidingWindowLog log(100, 3);
  log.Record("a", 0);
  log.Record("b", 50);
  log.Record("c", 60);
  log.Record("a", 70);  // a is now more recently used than b
  log.Record("d", 80);  // no key is stale at 80: b (last used at 50) makes room
  EXPECT_EQ(log.KeyCount(), 3u);
  EXPECT_EQ(log.Count("b", 80), 0u);
  EXPECT_EQ(log.Count("a", 80), 2u);
  EXPECT_EQ(log.Count("c", 80), 1u);
  EXPECT_EQ(log.Count("d", 80), 1u);
  log.Record("c", 90);  // a known key never evicts
  EXPECT_EQ(log.KeyCount(), 3u);

  // At 170 a (last used at 70) has left the window: it goes, and only it.
  log.Record("e", 170);
  EXPECT_EQ(log.KeyCount(), 3u);
  EXPECT_EQ(log.Count("a", 170), 0u);
  EXPECT_EQ(log.Count("c", 170), 1u);
  EXPECT_EQ(log.Count("d", 170), 1u);
  EXPECT_EQ(log.Count("e", 170), 1u);

  // At 500 every key has left the window: all of them go, not just enough to make room.
  log.Record("f", 500);
  EXPECT_EQ(log.KeyCount(), 1u);

  SlidingWindowLog one(100, 0);  // a cap below 1 is taken as 1
  one.Record("x", 0);
  one.Record("y", 1);
  EXPECT_EQ(one.KeyCount(), 1u);
  EXPECT_EQ(one.Count("y", 1), 1u);
}

// ---- the post limiter ---------------------------------------------------------------------
TEST(Open311Limiter, SlidingWindowPerKey) {
  FakeClockEnv env(1'000'000);
  SlidingWindowLimiter limiter(&env, 3, 60'000);
  EXPECT_TRUE(limiter.Allow("1.2.3.4"));
  env.Advance(10'000);
  EXPECT_TRUE(limiter.Allow("1.2.3.4"));
  env.Advance(10'000);
  EXPECT_TRUE(limiter.Allow("1.2.3.4"));
  env.Advance(10'000);
  TimeMs retry = 0;
  EXPECT_FALSE(limiter.Allow("1.2.3.4", &retry));
  EXPECT_EQ(retry, 30'000);
  EXPECT_TRUE(limiter.Allow("5.6.7.8"));  // other addresses are independent
  env.Advance(29'999);
  EXPECT_FALSE(limiter.Allow("1.2.3.4", &retry));
  EXPECT_EQ(retry, 1);
  env.Advance(1);  // the first post leaves the window
  EXPECT_TRUE(limiter.Allow("1.2.3.4"));
  EXPECT_FALSE(limiter.Allow("1.2.3.4"));
  env.Advance(10'000);  // the second leaves; refusals were not counted
  EXPECT_TRUE(limiter.Allow("1.2.3.4"));
}

TEST(Open311Limiter, DisabledAndBounded) {
  FakeClockEnv env(0);
  SlidingWindowLimiter off(&env, 0);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(off.Allow("a"));

  SlidingWindowLimiter bounded(&env, 1, 60'000, 3);
  EXPECT_TRUE(bounded.Allow("a"));
  env.Advance(1);
  EXPECT_TRUE(bounded.Allow("b"));
  env.Advance(1);
  EXPECT_TRUE(bounded.Allow("c"));
  env.Advance(1);
  EXPECT_TRUE(bounded.Allow("d"));  // the least recently used key ("a") makes room
  EXPECT_LE(bounded.KeyCount(), 3u);
  EXPECT_FALSE(bounded.Allow("d"));
  EXPECT_FALSE(bounded.Allow("c"));
  env.Advance(60'000);
  EXPECT_TRUE(bounded.Allow("e"));  // expired keys are dropped first
  EXPECT_LE(bounded.KeyCount(), 3u);
}

TEST(Open311Limiter, ThreadSafeCount) {
  FakeClockEnv env(0);
  SlidingWindowLimiter limiter(&env, 100);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i)
        if (limiter.Allow("same")) ++allowed;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace gb

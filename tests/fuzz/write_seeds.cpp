// Writes the seed corpus of every fuzz target: the kinds of input the tests send (event
// batches, Open311 forms and multipart posts with JPEGs, district files and entities, HTTP
// requests, stream resumptions, headers), built from the demo district under data/demo and
// the test pictures of tests/support. Seeds are generated, never committed: run at test time
// before the replays and by scripts/fuzz.sh before fuzzing.
//
// Usage: write_fuzz_seeds OUT_DIR   (writes OUT_DIR/<target>/<name>, replacing what is there)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "api/auth/crypto.h"
#include "district/codec.h"
#include "district/district.h"
#include "support/sample_event.h"
#include "support/test_jpeg.h"

using namespace gb;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

class Corpus {
 public:
  explicit Corpus(fs::path root) : root_(std::move(root)) {}

  void Add(const std::string& target, const std::string& name, const std::string& bytes) {
    fs::path dir = root_ / target;
    fs::create_directories(dir);
    std::ofstream out(dir / name, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + (dir / name).string());
    ++written_;
  }
  int written() const { return written_; }

 private:
  fs::path root_;
  int written_ = 0;
};

std::string ReadFile(const fs::path& path) {
  std::string bytes = testing::ReadFileOrEmpty(path.string());
  if (bytes.empty()) throw std::runtime_error("cannot read " + path.string());
  return bytes;
}

json Batch() {
  json sensor = testing::SampleEvent("bin-7/2026-11-24T10:00:00Z", "overflowing_bin", 31.2335, 121.4737);
  sensor["source"] = {{"kind", "sensor"}, {"id", "bin-7"}};
  sensor.erase("rule");
  json with_evidence = testing::SampleEvent("cam-02/2026-11-24T10:16:00Z/dumped_object/3", "dumped_rubbish", 31.2351, 121.4651);
  with_evidence["evidence"] = {"sha256:" + std::string(64, 'a')};
  return {testing::SampleEvent("cam-01/2026-11-24T10:15:02.120Z/stationary_vehicle/7", "illegal_parking", 31.2350, 121.4650),
          sensor, with_evidence};
}

std::string Multipart(const std::string& boundary, const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::string& jpeg, const std::string& eol = "\r\n") {
  std::string body;
  for (const auto& [name, value] : fields)
    body += "--" + boundary + eol + "Content-Disposition: form-data; name=\"" + name + "\"" + eol + eol + value + eol;
  if (!jpeg.empty())
    body += "--" + boundary + eol + "Content-Disposition: form-data; name=\"media\"; filename=\"wall.jpg\"" + eol +
            "Content-Type: image/jpeg" + eol + eol + jpeg + eol;
  return body + "--" + boundary + "--" + eol;
}

std::string HttpRequest(const std::string& method, const std::string& target, const std::string& body = "",
                        const std::vector<std::string>& headers = {}) {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: hub.example\r\n";
  for (const auto& h : headers) out += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return out + "\r\n" + body;
}

void EventBatchSeeds(Corpus& c) {
  c.Add("fuzz_event_batch", "batch.json", Batch().dump());
  c.Add("fuzz_event_batch", "batch-pretty.json", Batch().dump(2));
  c.Add("fuzz_event_batch", "empty.json", "[]");
  json bad = Batch();
  bad[0]["observed_at"] = "yesterday";
  bad[1]["location"] = {{"lat", 91}, {"lon", 0}};
  bad[2]["confidence"] = "high";
  bad.push_back(42);
  bad.push_back({{"idempotency_key", "k\u00e9y \u2603"}, {"attributes", {{"nested", {{"deep", {1, 2.5e300, nullptr}}}}}}});
  c.Add("fuzz_event_batch", "mixed.json", bad.dump());
  c.Add("fuzz_event_batch", "not-array.json", R"({"idempotency_key": "x"})");
  c.Add("fuzz_event_batch", "escapes.json", R"([{"idempotency_key": "a\u0000b\"\\\/\b\f\n\r\t\ud83d\ude00", "category": "x"}])");
}

void Open311Seeds(Corpus& c, const std::string& jpeg) {
  const std::string form = "application/x-www-form-urlencoded\n";
  c.Add("fuzz_open311", "form.txt",
        form + "service_code=graffiti&lat=31.2350&long=121.4650&description=Tag+on+the+old+wall&email=a%40b.example");
  c.Add("fuzz_open311", "form-address.txt", form + "service_code=graffiti&address_string=12+Elm+Street");
  c.Add("fuzz_open311", "query.txt",
        form + "service_code=graffiti,overflowing_bin&status=open&start_date=2026-11-01T00:00:00Z&"
               "end_date=2026-11-30T00:00:00+01:00&page=2&page_size=20&jurisdiction_id=riverside.example");
  c.Add("fuzz_open311", "query-ids.txt", form + "service_request_id=1,2,3&status=closed");
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"service_code", "graffiti"}, {"lat", "31.2350"}, {"long", "121.4650"}, {"description", "Tag on the old wall"}};
  c.Add("fuzz_open311", "multipart.txt",
        "multipart/form-data; boundary=gbBoundary7MA4YWxk\n" + Multipart("gbBoundary7MA4YWxk", fields, jpeg));
  c.Add("fuzz_open311", "multipart-lf.txt",
        "multipart/form-data; boundary=\"quoted;boundary\"\n" + Multipart("quoted;boundary", fields, "", "\n"));
}

void JpegSeeds(Corpus& c, const std::string& jpeg) {
  c.Add("fuzz_jpeg", "gradient-64x48.jpg", jpeg);
  c.Add("fuzz_jpeg", "gradient-metadata.jpg", testing::WithMetadata(jpeg, 6));
  cv::Mat grey(40, 56, CV_8UC1, cv::Scalar(90));
  cv::circle(grey, {28, 20}, 12, cv::Scalar(200), -1);
  c.Add("fuzz_jpeg", "grey.jpg", testing::EncodeJpeg(grey));
  cv::Mat bgr(48, 64, CV_8UC3, cv::Scalar(30, 120, 200));
  c.Add("fuzz_jpeg", "progressive.jpg", testing::EncodeJpeg(bgr, 75, TJFLAG_PROGRESSIVE));
}

void DistrictSeeds(Corpus& c, const fs::path& demo) {
  std::string areas = ReadFile(demo / kAreasFile), cameras = ReadFile(demo / kCamerasFile),
              toml = ReadFile(demo / kDistrictFile);
  c.Add("fuzz_district", "demo-district.txt", areas + "\f" + cameras + "\f" + toml);
  auto d = ParseDistrict(areas, cameras, toml);
  if (!d.ok()) throw std::runtime_error("the demo district does not parse: " + d.status().message());
  // One of each entity, as the admin API reads them.
  c.Add("fuzz_district", "area.json", AreaToJson(d->areas.front()).dump());
  c.Add("fuzz_district", "camera.json", CameraToJson(d->cameras.front()).dump());
  c.Add("fuzz_district", "coverage.json", CameraCoverageFeature(d->cameras.front()).dump());
  c.Add("fuzz_district", "department.json", DepartmentToJson(d->departments.front()).dump());
  c.Add("fuzz_district", "routing-rule.json", RoutingRuleToJson(d->rules.front()).dump());
  c.Add("fuzz_district", "service.json", ServiceToJson(d->services.front()).dump());
  if (!d->sensors.empty()) c.Add("fuzz_district", "sensor.json", SensorToJson(d->sensors.front()).dump());
  if (!d->slas.empty()) c.Add("fuzz_district", "sla.json", SlaToJson(d->slas.front()).dump());
  if (!d->templates.empty())
    c.Add("fuzz_district", "template.json", ResponseTemplateToJson(d->templates.front()).dump());
  if (!d->purposes.empty()) c.Add("fuzz_district", "purpose.json", EvidencePurposeToJson(d->purposes.front()).dump());
  c.Add("fuzz_district", "settings.json", DistrictSettingsToJson(*d).dump());
  c.Add("fuzz_district", "collection.json",
        ToFeatureCollection({d->areas.begin(), d->areas.begin() + 2}, {d->cameras.front()}).dump());
}

void HttpSeeds(Corpus& c, const std::string& jpeg) {
  const std::string bearer = "Authorization: Bearer {edge_token}";
  const std::string json_type = "Content-Type: application/json";
  const std::string cookie = "Cookie: gb_session={session}";
  const std::string csrf = "X-CSRF-Token: {csrf}";
  c.Add("fuzz_http", "healthz.http", HttpRequest("GET", "/healthz") + HttpRequest("HEAD", "/readyz"));
  c.Add("fuzz_http", "events-batch.http", HttpRequest("POST", "/api/v1/events:batch", Batch().dump(), {bearer, json_type}));
  c.Add("fuzz_http", "evidence-put.http",
        HttpRequest("PUT", "/api/v1/evidence/sha256:" + auth::Sha256Hex(jpeg), jpeg, {bearer, "Content-Type: image/jpeg"}));
  c.Add("fuzz_http", "open311-services.http",
        HttpRequest("GET", "/open311/v2/discovery.json") + HttpRequest("GET", "/open311/v2/services.xml") +
            HttpRequest("GET", "/open311/v2/services/graffiti.json"));
  c.Add("fuzz_http", "open311-requests.http",
        HttpRequest("GET", "/open311/v2/requests.json?status=open&page=1&page_size=5&start_date=2026-11-01T00:00:00Z") +
            HttpRequest("GET", "/open311/v2/requests/1.xml"));
  c.Add("fuzz_http", "open311-post-form.http",
        HttpRequest("POST", "/open311/v2/requests.json", "service_code=graffiti&lat=31.2350&long=121.4650&description=Tag",
                    {"Content-Type: application/x-www-form-urlencoded"}));
  c.Add("fuzz_http", "open311-post-photo.http",
        HttpRequest("POST", "/open311/v2/requests.json",
                    Multipart("gbB", {{"service_code", "graffiti"}, {"lat", "31.2350"}, {"long", "121.4650"}}, jpeg),
                    {"Content-Type: multipart/form-data; boundary=gbB"}));
  c.Add("fuzz_http", "session.http",
        HttpRequest("POST", "/api/v1/session", R"({"name":"dispatcher","password":"correct horse battery"})",
                    {json_type}) +
            HttpRequest("GET", "/api/v1/session", "", {cookie}));
  c.Add("fuzz_http", "desk.http",
        HttpRequest("GET", "/api/v1/incidents?state=new&limit=5", "", {cookie}) +
            HttpRequest("GET", "/api/v1/incidents/1", "", {cookie}) +
            HttpRequest("GET", "/api/v1/incidents/1/history", "", {cookie}) +
            HttpRequest("GET", "/api/v1/stats", "", {cookie}) +
            HttpRequest("GET", "/api/v1/routing/explain?category=illegal_parking&lat=31.235&lon=121.465", "", {cookie}));
  c.Add("fuzz_http", "transition.http",
        HttpRequest("POST", "/api/v1/incidents/1/transitions", R"({"to":"routed","note":"checked"})",
                    {cookie, csrf, json_type, "Idempotency-Key: t-1"}));
  c.Add("fuzz_http", "config.http",
        HttpRequest("GET", "/api/v1/departments", "", {cookie}) +
            HttpRequest("PUT", "/api/v1/departments/parks",
                        R"({"id":"parks","name":"Parks","email":"parks@example.org"})", {cookie, csrf, json_type}));
  c.Add("fuzz_http", "public.http",
        HttpRequest("GET", "/api/v1/public/map") + HttpRequest("GET", "/api/v1/public/nearby?category=graffiti&lat=31.235&lon=121.465") +
            HttpRequest("GET", "/api/v1/public/stats") + HttpRequest("GET", "/api/v1/openapi.json"));
  c.Add("fuzz_http", "static.http", HttpRequest("GET", "/") + HttpRequest("GET", "/../../etc/passwd") +
                                        HttpRequest("GET", "/%2e%2e/%2e%2e/etc/passwd"));
  c.Add("fuzz_http", "chunked.http",
        "POST /api/v1/events:batch HTTP/1.1\r\nHost: hub\r\n" + bearer + "\r\n" + json_type +
            "\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\n");
  c.Add("fuzz_http", "stream.http", HttpRequest("GET", "/api/v1/stream?department=sanitation", "",
                                                {cookie, "Last-Event-ID: 0"}));
  c.Add("fuzz_http", "metrics.http", HttpRequest("GET", "/metrics", "", {"Authorization: Bearer {integration_token}"}));
}

void StreamSeeds(Corpus& c) {
  c.Add("fuzz_stream", "resume.txt", "0\n\ngb_session={session}");
  c.Add("fuzz_stream", "fresh.txt", "\ndepartment=sanitation&area=ward-old-mill\ngb_session={session}");
  c.Add("fuzz_stream", "query-resume.txt", "\nlast_event_id=2\ntheme=dark; gb_session={session}; gb_session=stale");
  c.Add("fuzz_stream", "anonymous.txt", "1\n\n");
}

void HeaderSeeds(Corpus& c) {
  c.Add("fuzz_headers", "typical.txt",
        "gb_session=abc-DEF_123; theme=dark\nservice_code=graffiti&lat=31.2350&description=Tag+on%20the+wall\n"
        "10.0.0.2\n203.0.113.9, 10.0.0.1\n10.0.0.1,10.0.0.2");
  c.Add("fuzz_headers", "quoted.txt",
        " a=\"quoted value\" ;;b; c=\nmultipart/form-data; boundary=\"x;y\"; charset=utf-8\n::1\n2001:db8::1\n::1");
  c.Add("fuzz_headers", "bad-escape.txt", "x=%zz\na=%4\n127.0.0.1\n\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR (writes OUT_DIR/<target>/<seed> for every fuzz target)\n", argv[0]);
    return 2;
  }
  try {
    Corpus c(argv[1]);
    const std::string jpeg = testing::GradientJpeg(64, 48);
    if (jpeg.empty()) throw std::runtime_error("cannot encode the test picture");
    EventBatchSeeds(c);
    Open311Seeds(c, jpeg);
    JpegSeeds(c, jpeg);
    DistrictSeeds(c, fs::path(GLASSBRAIN_SOURCE_DIR) / "data/demo");
    HttpSeeds(c, jpeg);
    StreamSeeds(c);
    HeaderSeeds(c);
    std::printf("wrote %d seeds under %s\n", c.written(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}

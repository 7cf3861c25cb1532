#include "api/open311/routes.h"

#include <concepts>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/document_cache.h"
#include "api/open311/format.h"
#include "api/open311/parse.h"
#include "api/rate_limiter.h"
#include "core/time.h"
#include "privacy/evidence/photo_intake.h"

namespace gb {
namespace {

using open311::Format;
using ojson = nlohmann::ordered_json;

// At most `max` bytes of client input for an error message, cut on a UTF-8 boundary.
std::string Clip(std::string_view s, size_t max = 80) {
  if (s.size() <= max) return std::string(s);
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return std::string(s.substr(0, cut)) + "…";
}

std::string TrimSlash(std::string s) {
  while (s.ends_with('/')) s.pop_back();
  return s;
}

// The format to answer in when the path's extension is not json or xml: JSON when the
// client asks for it, otherwise XML, the spec's required format.
Format FallbackFormat(const http::Request& req) {
  return req.Header("accept").find("json") != std::string_view::npos ? Format::kJson : Format::kXml;
}

Result<http::Params> QueryParams(const http::Request& req) {
  auto params = http::ParseForm(req.query);
  if (!params) return Status::Invalid("the query string has a malformed percent escape");
  return std::move(*params);
}

// Maps an anonymizer failure to the answer a client can act on.
Status MediaStatus(const Status& s) {
  switch (s.code()) {
    case Code::kUnsupported: return Status::Unsupported("media must be a JPEG photo: " + s.message());
    case Code::kTooLarge: return Status::TooLarge("media is too large: " + s.message());
    case Code::kInvalid: return Status::Invalid("media could not be read as a photo: " + s.message());
    default: return s;
  }
}

// Tracks when the catalog (and so the service list) last changed, for discovery's changeset.
class Changeset {
 public:
  Changeset(std::shared_ptr<const Catalog> current, TimeMs now) : seen_(std::move(current)), at_(now) {}
  std::string Get(const std::shared_ptr<const Catalog>& current, TimeMs now) {
    std::lock_guard lock(mu_);
    if (seen_.lock() != current) {
      seen_ = current;
      at_ = now;
    }
    return FormatRfc3339(at_, false);
  }

 private:
  std::mutex mu_;
  std::weak_ptr<const Catalog> seen_;
  TimeMs at_;
};

class Open311Api {
 public:
  explicit Open311Api(HubContext& ctx)
      : ctx_(ctx),
        limiter_(ctx.env, ctx.settings.open311_posts_per_minute),
        changeset_(ctx.catalog.Get(), ctx.env->NowMs()) {}

  http::Response Discovery(const http::Request& req, Format f) {
    auto params = QueryParams(req);
    if (!params.ok()) return open311::Error(f, params.status());
    const ApiSettings& s = ctx_.settings;
    open311::DiscoveryInfo info;
    auto catalog = ctx_.catalog.Get();
    info.changeset = changeset_.Get(catalog, ctx_.env->NowMs());
    info.url = TrimSlash(s.public_base_url) + "/open311/v2";
    std::string name = catalog->district.name.empty() ? s.jurisdiction_id : catalog->district.name;
    info.contact = name + " district operations (jurisdiction_id " + s.jurisdiction_id + "): " +
                   TrimSlash(s.public_base_url) + "/";
    if (s.open311_require_api_key)
      info.key_service = "Posting service requests needs an api_key; ask the district operations team for one.";
    else if (s.open311_posts_per_minute > 0)
      info.key_service = "No api_key is needed: anyone may post service requests (at most " +
                         std::to_string(s.open311_posts_per_minute) + " per minute from one client address).";
    else
      info.key_service = "No api_key is needed: anyone may post service requests.";
    return open311::Render(200, open311::DiscoveryDoc(info), "discovery", f);
  }

  http::Response Services(const http::Request& req, Format f) {
    if (auto s = CheckQuery(req); !s.ok()) return open311::Error(f, s);
    auto catalog = ctx_.catalog.Get();
    return open311::Render(200, open311::ServicesDoc(catalog->district.services), "services", f);
  }

  http::Response ServiceDefinition(const http::Request& req, Format f) {
    if (auto s = CheckQuery(req); !s.ok()) return open311::Error(f, s);
    const std::string& code = req.Param("code");
    auto catalog = ctx_.catalog.Get();
    if (!catalog->district.FindService(code))
      return open311::Error(f, 404, "service_code '" + Clip(code) + "' not found; services." +
                                        (f == Format::kJson ? "json" : "xml") + " lists the codes");
    return open311::Render(200, open311::ServiceDefinitionDoc(code), "service_definition", f);
  }

  http::Response ListRequests(const http::Request& req, Format f) {
    auto params = QueryParams(req);
    if (!params.ok()) return open311::Error(f, params.status());
    if (auto s = open311::CheckJurisdiction(*params, ctx_.settings.jurisdiction_id); !s.ok())
      return open311::Error(f, s);
    auto query = open311::ParseRequestQuery(*params);
    if (!query.ok()) return open311::Error(f, query.status());
    auto views = ctx_.store.ListReports(open311::ToReportFilter(*query, ctx_.env->NowMs()));
    if (!views.ok()) return open311::Error(f, views.status());
    auto catalog = ctx_.catalog.Get();
    std::vector<open311::PublicRequest> out;
    out.reserve(views->size());
    for (auto& v : *views) out.push_back(Public(v.report, std::move(v.incident), *catalog));
    return open311::Render(200, open311::RequestsDoc(out), "service_requests", f);
  }

  http::Response GetRequest(const http::Request& req, Format f) {
    if (auto s = CheckQuery(req); !s.ok()) return open311::Error(f, s);
    const std::string& raw = req.Param("id");
    auto id = open311::ParseId(raw);
    std::optional<Report> report;
    if (id) {
      auto read = ctx_.store.GetReport(*id);
      if (!read.ok()) return open311::Error(f, read.status());
      report = std::move(*read);
    }
    if (!report) return open311::Error(f, 404, "service_request_id '" + Clip(raw) + "' not found");
    std::optional<Incident> incident;
    if (report->incident_id != 0) {
      auto read = FollowMerges(ctx_.store, ctx_.store.GetIncident(report->incident_id));
      if (!read.ok()) return open311::Error(f, read.status());
      incident = std::move(*read);
    }
    auto catalog = ctx_.catalog.Get();
    std::vector<open311::PublicRequest> out{Public(*report, std::move(incident), *catalog)};
    return open311::Render(200, open311::RequestsDoc(out), "service_requests", f);
  }

  http::Response Token(const http::Request& req, Format f) {
    if (auto s = CheckQuery(req); !s.ok()) return open311::Error(f, s);
    const std::string& token = req.Param("token");
    std::optional<Report> report;
    if (open311::IsToken(token)) {
      auto read = ctx_.store.FindReportByToken(token);
      if (!read.ok()) return open311::Error(f, read.status());
      report = std::move(*read);
    }
    if (!report) return open311::Error(f, 404, "token '" + Clip(token) + "' not found");
    return open311::Render(200, open311::TokenDoc(report->id, report->token), "service_requests", f);
  }

  http::Response PostRequest(const http::Request& req, Format f) {
    const ApiSettings& settings = ctx_.settings;
    auto body = open311::ReadPostBody(req.Header("content-type"), req.body, settings.limits);
    if (!body.ok()) return open311::Error(f, body.status());
    // Fields may also come in the query string (api_key, jurisdiction_id); the body wins.
    auto query = QueryParams(req);
    if (!query.ok()) return open311::Error(f, query.status());
    http::Params fields = std::move(body->fields);
    fields.insert(fields.end(), query->begin(), query->end());

    if (auto s = open311::CheckJurisdiction(fields, settings.jurisdiction_id); !s.ok()) return open311::Error(f, s);
    auto api_key = http::FormValue(fields, "api_key");
    bool has_key = api_key && api_key->find_first_not_of(" \t") != std::string::npos;
    if (settings.open311_require_api_key && !has_key)
      return open311::Error(f, 403, "an api_key is required to post service requests here");
    // An api_key is not checked against issued keys yet, so it does not lift the limit:
    // otherwise any made-up key would bypass it.
    TimeMs retry_ms = 0;
    if (!limiter_.Allow(req.remote_address.empty() ? "unknown" : req.remote_address, &retry_ms)) {
      auto r = open311::Error(f, 429, "too many service requests from this address; try again in " +
                                          std::to_string((retry_ms + 999) / 1000) + " s");
      r.SetHeader("Retry-After", std::to_string((retry_ms + 999) / 1000));
      return r;
    }

    auto input = open311::ParseNewRequest(fields);
    if (!input.ok()) return open311::Error(f, input.status());
    {
      auto catalog = ctx_.catalog.Get();
      if (!catalog->district.FindService(input->service_code))
        return open311::Error(f, 404, "service_code '" + input->service_code + "' not found; services." +
                                          (f == Format::kJson ? "json" : "xml") + " lists the codes");
    }

    Report report;
    std::function<Status(WriteTxn&)> store_photo;  // committed with the report
    std::optional<CleanPhoto> photo;
    if (body->media) {
      auto clean = IntakePhoto(ctx_.anonymizer, ctx_.evidence, *body->media, settings.limits.images);
      if (!clean.ok()) return open311::Error(f, MediaStatus(clean.status()));
      photo = std::move(*clean);
      report.media = photo->ref;
      store_photo = [&](WriteTxn& txn) -> Status {
        return StorePhoto(txn, ctx_.evidence, *photo, "public", ctx_.env->NowMs(), R"({"via":"open311"})").status();
      };
    }

    report.token = open311::NewToken();
    report.service_code = input->service_code;
    report.description = input->description;
    report.location = LatLon{input->lat, input->lon};
    report.address = input->address_string;
    report.email = input->email;
    report.first_name = input->first_name;
    report.last_name = input->last_name;
    report.phone = input->phone;
    report.device_id = input->device_id;
    report.account_id = input->account_id;
    report.requested_at = ctx_.env->NowMs();
    // input->media_url is accepted and ignored: the hub never fetches remote URLs.
    Status submitted = ctx_.incidents.SubmitReport(report, Actor{.name = "public", .system = false}, store_photo);
    if (!submitted.ok()) return open311::Error(f, submitted);
    return open311::Render(201, open311::PostResultDoc(report.id, report.token, "", report.account_id),
                           "service_requests", f);
  }

  http::Response Media(const http::Request& req) {
    const std::string& hex = req.Param("hex");
    std::string ref = "sha256:" + hex;
    if (!EvidenceStore::IsValidRef(ref)) return open311::Error(Format::kJson, 404, "no such photo");
    auto published = ctx_.store.FindReportByMedia(ref);
    if (!published.ok()) return open311::Error(Format::kJson, published.status());
    if (!*published) return open311::Error(Format::kJson, 404, "no such photo");
    auto record = ctx_.store.GetEvidence(ref);
    if (!record.ok()) return open311::Error(Format::kJson, record.status());
    if (!*record)  // the report outlives its photo
      return open311::Error(Format::kJson, 410,
                            "this photo was deleted: photos are kept for " +
                                std::to_string(ctx_.catalog.Get()->district.retention.evidence_days) + " days");
    std::string etag = "\"" + hex + "\"";
    if (req.Header("if-none-match") == etag) {
      http::Response r;
      r.status = 304;
      r.content_type = "image/jpeg";
      r.SetHeader("ETag", etag);
      return r;
    }
    auto bytes = ctx_.evidence.Read(ref);
    if (!bytes.ok())
      return open311::Error(Format::kJson, bytes.status().code() == Code::kNotFound ? 404 : 503,
                            bytes.status().code() == Code::kNotFound ? "no such photo" : "the photo cannot be read now");
    http::Response r;
    r.content_type = "image/jpeg";
    r.body = std::move(bytes.value());
    r.SetHeader("ETag", etag);
    r.SetHeader("Cache-Control", "public, max-age=3600");
    r.SetHeader("X-Content-Type-Options", "nosniff");
    return r;
  }

  // Paths under /open311/v2/ that match no resource and format.
  http::Response Unmatched(const http::Request& req, std::string_view collection) {
    const std::string& file = req.Param("file");
    auto [stem, ext] = open311::SplitExtension(file);
    auto format = open311::ParseFormat(ext);
    Format f = format.value_or(FallbackFormat(req));
    bool known = !collection.empty() || stem == "discovery" || stem == "services" || stem == "requests";
    if (known && !format)
      return open311::Error(f, 404, "format '" + Clip(ext) + "' is not supported; use .json or .xml");
    if (known && req.method == "POST" && collection.empty() && stem != "requests") {
      auto r = open311::Error(f, 405, "only GET is allowed on " + Clip(file));
      r.SetHeader("Allow", "GET");
      return r;
    }
    return open311::Error(f, 404, "no such Open311 resource: " + Clip(req.path, 200) + "; see discovery.xml");
  }

 private:
  // Query parameters of the read-only endpoints: only jurisdiction_id is checked.
  Status CheckQuery(const http::Request& req) {
    auto params = QueryParams(req);
    if (!params.ok()) return params.status();
    return open311::CheckJurisdiction(*params, ctx_.settings.jurisdiction_id);
  }

  open311::PublicRequest Public(const Report& report, std::optional<Incident> incident, const Catalog& catalog) {
    // A merge target that cannot be read leaves the request shown with its own incident.
    if (auto followed = FollowMerges(ctx_.store, incident); followed.ok()) incident = std::move(*followed);
    const Incident* inc = incident ? &*incident : nullptr;
    const Department* dep = nullptr;
    if (inc && !inc->department_id.empty()) dep = catalog.district.FindDepartment(inc->department_id);
    open311::PublicRequest out = open311::MakePublicRequest(
        report, inc, catalog.district.FindService(report.service_code), dep, ctx_.settings.public_base_url);
    // Reports outlive their photos: once a photo is purged its media_url is left out. One
    // whose record cannot be read now keeps it (the photo's own read answers 503 meanwhile).
    if (!report.media.empty()) {
      auto photo = ctx_.store.GetEvidence(report.media);
      if (photo.ok() && !*photo) out.media_url.clear();
    }
    return out;
  }

  HubContext& ctx_;
  SlidingWindowLimiter limiter_;
  Changeset changeset_;
};

}  // namespace

void RegisterOpen311Routes(http::Router& router, HubContext& ctx) {
  auto api = std::make_shared<Open311Api>(ctx);
  // Discovery, services and their definitions change only with the district: rendered once
  // per revision of it (clients poll them).
  auto documents = std::make_shared<http::DocumentCache>();
  auto cached = [&ctx, documents](http::Response (Open311Api::*render)(const http::Request&, Format),
                                  std::shared_ptr<Open311Api> on, Format f) {
    return [&ctx, documents, render, on, f](http::Request& req) {
      return documents->Serve(req, req.target, {ctx.catalog.revision(), 0}, http::kDistrictDocumentMaxAge,
                              [&] { return ((*on).*render)(req, f); });
    };
  };
  const std::vector<Role> kPublic{};
  for (Format f : {Format::kJson, Format::kXml}) {
    const std::string ext = f == Format::kJson ? ".json" : ".xml";
    const std::string base = "/open311/v2/";
    router.Add("GET", base + "discovery" + ext, kPublic, cached(&Open311Api::Discovery, api, f),
               "Open311 service discovery");
    router.Add("GET", base + "services" + ext, kPublic, cached(&Open311Api::Services, api, f), "Open311 service list");
    router.Add("GET", base + "services/{code}" + ext, kPublic, cached(&Open311Api::ServiceDefinition, api, f),
               "Open311 service definition");
    router.Add("GET", base + "requests" + ext, kPublic,
               [api, f](http::Request& req) { return api->ListRequests(req, f); },
               "Open311 service requests (filters, page/page_size)");
    router.Add("POST", base + "requests" + ext, kPublic,
               [api, f](http::Request& req) { return api->PostRequest(req, f); },
               "Open311 new service request (form or multipart with media)");
    router.Add("GET", base + "requests/{id}" + ext, kPublic,
               [api, f](http::Request& req) { return api->GetRequest(req, f); }, "Open311 one service request");
    router.Add("GET", base + "tokens/{token}" + ext, kPublic,
               [api, f](http::Request& req) { return api->Token(req, f); },
               "Open311 service_request_id from a token");
  }
  router.Add("GET", "/open311/v2/media/{hex}.jpg", kPublic, [api](http::Request& req) { return api->Media(req); },
             "Open311 request photo (anonymized)");
  // Registered last: the routes above win for the formats they serve.
  for (const char* method : {"GET", "POST"})
    router.Add(method, "/open311/v2/{file}", kPublic, [api](http::Request& req) { return api->Unmatched(req, ""); });
  for (const char* collection : {"services", "requests", "tokens"})
    router.Add("GET", std::string("/open311/v2/") + collection + "/{file}", kPublic,
               [api, c = std::string(collection)](http::Request& req) { return api->Unmatched(req, c); });
}

}  // namespace gb

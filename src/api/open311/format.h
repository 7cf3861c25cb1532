// Open311 GeoReport v2 documents and their two wire formats.
//
// Every response is built once as an ordered JSON value whose keys are the spec's element
// names, then rendered either as JSON or as XML (the spec's required format: UTF-8 with
// the XML declaration, no namespace). Arrays become a plural element holding singular
// ones, as in the spec's examples: services/service, service_requests/request,
// errors/error, endpoints/endpoint, formats/format, attributes/attribute, values/value.
//
// The public view of a request (PublicRequest) has no field for personal data: a report's
// email, names, phone, device_id and account_id cannot reach a GET response by mistake.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/model.h"

namespace gb::open311 {

inline constexpr std::string_view kSpecification = "http://wiki.open311.org/GeoReport_v2";
inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";
inline constexpr std::string_view kXmlContentType = "text/xml; charset=utf-8";

enum class Format { kJson, kXml };

// "json" / "xml" (the part of the path after the last '.'), else nullopt.
std::optional<Format> ParseFormat(std::string_view extension);
std::string_view ContentTypeOf(Format f);

// Splits "services.json" into {"services", "json"}; the extension is "" without a '.'.
std::pair<std::string_view, std::string_view> SplitExtension(std::string_view file);

// ---- text helpers --------------------------------------------------------------------
bool IsValidUtf8(std::string_view s);
// Number of code points. REQUIRES: valid UTF-8 (otherwise counts lead bytes).
std::size_t Utf8Length(std::string_view s);
// Escapes text for XML element content and attribute values: & < > " ' become entities,
// CR becomes &#13; (so parsers do not fold it), invalid UTF-8 and characters XML 1.0 does
// not allow (control characters other than TAB/LF/CR, U+FFFE, U+FFFF) become U+FFFD.
std::string XmlEscape(std::string_view text);

// ---- rendering -----------------------------------------------------------------------
// `root` names the outermost element (for an array document, its items take the singular
// name from the table above). Numbers print as in JSON; null is an empty element.
std::string ToXml(const nlohmann::ordered_json& doc, std::string_view root);
// Compact JSON; invalid UTF-8 in strings is replaced, never thrown on.
std::string ToJson(const nlohmann::ordered_json& doc);

// A response with `doc` in format `f`, with the right Content-Type.
http::Response Render(int status, const nlohmann::ordered_json& doc, std::string_view xml_root, Format f);

// The spec's error document: [{"code": status, "description": …}] /
// <errors><error><code>…</code><description>…</description></error></errors>.
nlohmann::ordered_json ErrorsDoc(int code, std::string_view description);
http::Response Error(Format f, int status, std::string_view description);
// Maps a Status to the spec's HTTP codes (Invalid 400, NotFound 404, Forbidden 403,
// TooLarge 413, Unsupported 415, RateLimited 429, Unavailable 503, NoSpace 507, others 500),
// with http::ClientMessage and http::SetRetryAfter.
http::Response Error(Format f, const Status& s);

// ---- documents -----------------------------------------------------------------------
struct DiscoveryInfo {
  std::string changeset;    // sortable: RFC 3339 time of the last service list change
  std::string contact;
  std::string key_service;
  std::string url;          // the endpoint, e.g. "https://hub.example/open311/v2"
  std::string type = "production";
};
nlohmann::ordered_json DiscoveryDoc(const DiscoveryInfo& info);

// {service_code, service_name, description, metadata: false, type: "realtime", keywords, group}
nlohmann::ordered_json ServiceDoc(const Service& s);
nlohmann::ordered_json ServicesDoc(const std::vector<Service>& services);
// {service_code, attributes: []}: the hub's services take no extra attributes.
nlohmann::ordered_json ServiceDefinitionDoc(std::string_view service_code);

// Open311 status of a report whose (merge-resolved) incident is `state`: "closed" once it
// is resolved or rejected, otherwise (and when there is no incident) "open".
std::string_view StatusOf(std::optional<IncidentState> state);

// What GET requests shows of a report. Only public fields exist here.
struct PublicRequest {
  Id id = 0;
  std::string status;          // open | closed
  std::string status_notes;    // the closing note, only when closed
  std::string service_name;
  std::string service_code;
  std::string description;
  std::string agency_responsible;  // the routed department's name
  std::string service_notice;
  std::string address;
  double lat = 0, lon = 0;
  std::string media_url;       // "" when the report has no photo (or no longer has it)
  TimeMs requested_at = 0;
  TimeMs updated_at = 0;
};

// Builds the public view. `incident` is the report's incident after following merges (or
// null when unknown), `service` and `department` come from the catalog (null when gone).
// media_url is base_url + "/open311/v2/media/<hex>.jpg" when the report has media.
PublicRequest MakePublicRequest(const Report& report, const Incident* incident, const Service* service,
                                const Department* department, std::string_view public_base_url);
std::string MediaUrl(std::string_view public_base_url, std::string_view media_ref);

nlohmann::ordered_json RequestDoc(const PublicRequest& r);
nlohmann::ordered_json RequestsDoc(const std::vector<PublicRequest>& requests);
// The answer to a POST: [{service_request_id, token, service_notice, account_id}]; an
// empty account_id is null.
nlohmann::ordered_json PostResultDoc(Id id, std::string_view token, std::string_view service_notice,
                                     std::string_view account_id);
// The answer to tokens/{token}: [{service_request_id, token}].
nlohmann::ordered_json TokenDoc(Id id, std::string_view token);

}  // namespace gb::open311

#include "api/open311/format.h"

#include <array>
#include <utility>

#include "core/time.h"

namespace gb::open311 {
namespace {

using ojson = nlohmann::ordered_json;

// Decodes one UTF-8 sequence at s[i]. Returns the code point and sets *len, or returns -1
// (and *len = 1) for an invalid, overlong, surrogate or out-of-range sequence.
long DecodeUtf8(std::string_view s, size_t i, size_t* len) {
  *len = 1;
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return c;
  size_t n;
  long cp;
  long min;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (i + n > s.size()) return -1;
  for (size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  *len = n;
  return cp;
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The element name of one item of the array element `plural`.
std::string_view ItemName(std::string_view plural) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kItems = {{
      {"services", "service"},
      {"service_requests", "request"},
      {"errors", "error"},
      {"endpoints", "endpoint"},
      {"formats", "format"},
      {"attributes", "attribute"},
      {"values", "value"},
  }};
  for (const auto& [p, s] : kItems)
    if (p == plural) return s;
  return "item";
}

void WriteXml(std::string& out, std::string_view name, const ojson& v) {
  if (v.is_null() || (v.is_array() && v.empty()) || (v.is_object() && v.empty())) {
    out.append("<").append(name).append("/>");
    return;
  }
  out.append("<").append(name).append(">");
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) WriteXml(out, it.key(), it.value());
  } else if (v.is_array()) {
    std::string_view item = ItemName(name);
    for (const auto& e : v) WriteXml(out, item, e);
  } else if (v.is_string()) {
    out.append(XmlEscape(v.get_ref<const std::string&>()));
  } else {  // number or boolean: the JSON spelling is the XML text
    out.append(v.dump());
  }
  out.append("</").append(name).append(">");
}

ojson TextOrNull(const std::string& s) { return s.empty() ? ojson(nullptr) : ojson(s); }

}  // namespace

std::optional<Format> ParseFormat(std::string_view extension) {
  if (extension == "json") return Format::kJson;
  if (extension == "xml") return Format::kXml;
  return std::nullopt;
}

std::string_view ContentTypeOf(Format f) { return f == Format::kJson ? kJsonContentType : kXmlContentType; }

std::pair<std::string_view, std::string_view> SplitExtension(std::string_view file) {
  size_t dot = file.rfind('.');
  if (dot == std::string_view::npos) return {file, {}};
  return {file.substr(0, dot), file.substr(dot + 1)};
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len;
    if (DecodeUtf8(s, i, &len) < 0) return false;
    i += len;
  }
  return true;
}

std::size_t Utf8Length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (size_t i = 0; i < text.size();) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        case '\r': out += "&#13;"; break;
        case '\t':
        case '\n': out.push_back(static_cast<char>(c)); break;
        default:
          if (c < 0x20) out += kReplacement;
          else out.push_back(static_cast<char>(c));
      }
      ++i;
      continue;
    }
    size_t len;
    long cp = DecodeUtf8(text, i, &len);
    if (cp < 0 || cp == 0xFFFE || cp == 0xFFFF) out += kReplacement;
    else out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

std::string ToXml(const ojson& doc, std::string_view root) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  WriteXml(out, root, doc);
  out.push_back('\n');
  return out;
}

std::string ToJson(const ojson& doc) { return doc.dump(-1, ' ', false, ojson::error_handler_t::replace); }

http::Response Render(int status, const ojson& doc, std::string_view xml_root, Format f) {
  http::Response r;
  r.status = status;
  r.content_type = std::string(ContentTypeOf(f));
  r.body = f == Format::kJson ? ToJson(doc) : ToXml(doc, xml_root);
  return r;
}

ojson ErrorsDoc(int code, std::string_view description) {
  ojson e = ojson::object();
  e["code"] = code;
  e["description"] = description;
  return ojson::array({e});
}

http::Response Error(Format f, int status, std::string_view description) {
  return Render(status, ErrorsDoc(status, description), "errors", f);
}

http::Response Error(Format f, const Status& s) {
  int status = s.code() == Code::kUnauthenticated ? 403 : http::HttpStatusFor(s.code());
  http::Response r = Error(f, status, http::ClientMessage(s));
  http::SetRetryAfter(r, s);
  return r;
}

ojson DiscoveryDoc(const DiscoveryInfo& info) {
  ojson endpoint = ojson::object();
  endpoint["specification"] = kSpecification;
  endpoint["url"] = info.url;
  endpoint["changeset"] = info.changeset;
  endpoint["type"] = info.type;
  endpoint["formats"] = ojson::array({"text/xml", "application/json"});
  ojson d = ojson::object();
  d["changeset"] = info.changeset;
  d["contact"] = info.contact;
  d["key_service"] = info.key_service;
  d["endpoints"] = ojson::array({endpoint});
  return d;
}

ojson ServiceDoc(const Service& s) {
  ojson d = ojson::object();
  d["service_code"] = s.code;
  d["service_name"] = s.name;
  d["description"] = s.description;
  d["metadata"] = false;
  d["type"] = "realtime";
  d["keywords"] = s.keywords;
  d["group"] = s.group;
  return d;
}

ojson ServicesDoc(const std::vector<Service>& services) {
  ojson a = ojson::array();
  for (const auto& s : services) a.push_back(ServiceDoc(s));
  return a;
}

ojson ServiceDefinitionDoc(std::string_view service_code) {
  ojson d = ojson::object();
  d["service_code"] = service_code;
  d["attributes"] = ojson::array();
  return d;
}

std::string_view StatusOf(std::optional<IncidentState> state) {
  if (state && (*state == IncidentState::kResolved || *state == IncidentState::kRejected)) return "closed";
  return "open";
}

std::string MediaUrl(std::string_view public_base_url, std::string_view media_ref) {
  constexpr std::string_view kPrefix = "sha256:";
  if (!media_ref.starts_with(kPrefix) || media_ref.size() == kPrefix.size()) return "";
  while (public_base_url.ends_with('/')) public_base_url.remove_suffix(1);
  std::string url(public_base_url);
  url += "/open311/v2/media/";
  url += media_ref.substr(kPrefix.size());
  url += ".jpg";
  return url;
}

PublicRequest MakePublicRequest(const Report& report, const Incident* incident, const Service* service,
                                const Department* department, std::string_view public_base_url) {
  PublicRequest r;
  r.id = report.id;
  std::optional<IncidentState> state;
  if (incident) state = incident->state;
  r.status = std::string(StatusOf(state));
  if (incident && r.status == "closed") r.status_notes = incident->note;
  r.service_code = report.service_code;
  r.service_name = service ? service->name : report.service_code;
  r.description = report.description;
  if (department) r.agency_responsible = department->name;
  r.address = report.address;
  r.lat = report.location.lat;
  r.lon = report.location.lon;
  if (!report.media.empty()) r.media_url = MediaUrl(public_base_url, report.media);
  r.requested_at = report.requested_at;
  r.updated_at = incident && incident->updated_at > report.requested_at ? incident->updated_at : report.requested_at;
  return r;
}

ojson RequestDoc(const PublicRequest& r) {
  ojson d = ojson::object();
  d["service_request_id"] = std::to_string(r.id);
  d["status"] = r.status;
  d["status_notes"] = TextOrNull(r.status_notes);
  d["service_name"] = r.service_name;
  d["service_code"] = r.service_code;
  d["description"] = TextOrNull(r.description);
  d["agency_responsible"] = TextOrNull(r.agency_responsible);
  d["service_notice"] = TextOrNull(r.service_notice);
  d["requested_datetime"] = FormatRfc3339(r.requested_at, false);
  d["updated_datetime"] = FormatRfc3339(r.updated_at, false);
  d["address"] = TextOrNull(r.address);
  d["zipcode"] = nullptr;
  d["lat"] = r.lat;
  d["long"] = r.lon;
  d["media_url"] = TextOrNull(r.media_url);
  return d;
}

ojson RequestsDoc(const std::vector<PublicRequest>& requests) {
  ojson a = ojson::array();
  for (const auto& r : requests) a.push_back(RequestDoc(r));
  return a;
}

ojson PostResultDoc(Id id, std::string_view token, std::string_view service_notice, std::string_view account_id) {
  ojson d = ojson::object();
  d["service_request_id"] = std::to_string(id);
  d["token"] = token;
  d["service_notice"] = service_notice;
  d["account_id"] = account_id.empty() ? ojson(nullptr) : ojson(account_id);
  return ojson::array({d});
}

ojson TokenDoc(Id id, std::string_view token) {
  ojson d = ojson::object();
  d["service_request_id"] = std::to_string(id);
  d["token"] = token;
  return ojson::array({d});
}

}  // namespace gb::open311

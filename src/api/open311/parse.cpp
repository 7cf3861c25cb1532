#include "api/open311/parse.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <cmath>
#include <random>

#include "api/open311/format.h"
#include "core/geo.h"

namespace gb::open311 {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Every value of `key` (it may repeat), each split at commas, trimmed, empties dropped.
std::vector<std::string> ListValues(const http::Params& params, std::string_view key) {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k != key) continue;
    size_t pos = 0;
    while (pos <= v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string::npos) comma = v.size();
      std::string_view item = Trim(std::string_view(v).substr(pos, comma - pos));
      if (!item.empty()) out.emplace_back(item);
      pos = comma + 1;
    }
  }
  return out;
}

// The first non-empty value of `key`, trimmed; "" when absent.
std::string Value(const http::Params& params, std::string_view key) {
  for (const auto& [k, v] : params)
    if (k == key && !Trim(v).empty()) return std::string(Trim(v));
  return "";
}

std::optional<int> ParseSmallInt(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> ParseDouble(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

Status CheckText(std::string_view name, std::string_view value, std::size_t max_bytes) {
  if (!IsValidUtf8(value) || value.find('\0') != std::string_view::npos)
    return Status::Invalid(std::string(name) + " is not valid UTF-8 text");
  if (value.size() > max_bytes)
    return Status::Invalid(std::string(name) + " is longer than " + std::to_string(max_bytes) + " bytes");
  return Status::Ok();
}

}  // namespace

std::optional<TimeMs> ParseW3Date(std::string_view text) {
  std::string s(Trim(text));
  // "…T10:00:00 01:00": the '+' of the offset arrived as a space (unencoded query string).
  if (s.size() > 19) {
    size_t sp = s.size() - 6;
    auto digit = [&](size_t i) { return std::isdigit(static_cast<unsigned char>(s[i])) != 0; };
    if (s[sp] == ' ' && digit(sp + 1) && digit(sp + 2) && s[sp + 3] == ':' && digit(sp + 4) && digit(sp + 5))
      s[sp] = '+';
  }
  // "2010-01-01T00:00Z": minutes without seconds, as the w3 note allows.
  if (s.size() >= 17 && s[13] == ':' && (s[16] == 'Z' || s[16] == 'z' || s[16] == '+' || s[16] == '-'))
    s.insert(16, ":00");
  return ParseRfc3339(s);
}

Result<RequestQuery> ParseRequestQuery(const http::Params& params) {
  RequestQuery q;
  if (std::string page = Value(params, "page"); !page.empty()) {
    auto v = ParseSmallInt(page);
    if (!v || *v < 1 || *v > kMaxPage)
      return Status::Invalid("page must be a whole number from 1 to " + std::to_string(kMaxPage) + ", not '" +
                             page + "'");
    q.page = *v;
  }
  if (std::string size = Value(params, "page_size"); !size.empty()) {
    auto v = ParseSmallInt(size);
    if (!v || *v < 1 || *v > kMaxPageSize)
      return Status::Invalid("page_size must be a whole number from 1 to " + std::to_string(kMaxPageSize) +
                             ", not '" + size + "'");
    q.page_size = *v;
  }

  for (const auto& item : ListValues(params, "service_request_id")) {
    auto id = ParseId(item);
    if (!id)
      return Status::Invalid("service_request_id must be a comma-separated list of request ids; '" + item +
                             "' is not one");
    q.ids.push_back(*id);
  }
  if (q.ids.size() > kMaxIdsPerQuery)
    return Status::Invalid("at most " + std::to_string(kMaxIdsPerQuery) + " service_request_id values per query");
  if (!q.ids.empty()) return q;  // the spec: service_request_id overrides all other arguments

  q.service_codes = ListValues(params, "service_code");
  if (q.service_codes.size() > 100) return Status::Invalid("at most 100 service_code values per query");
  for (const auto& code : q.service_codes)
    if (code.size() > 100) return Status::Invalid("service_code '" + code.substr(0, 100) + "…' is too long");

  for (const char* key : {"start_date", "end_date"}) {
    std::string text = Value(params, key);
    if (text.empty()) continue;
    auto t = ParseW3Date(text);
    if (!t)
      return Status::Invalid(std::string(key) + " '" + text +
                             "' is not a w3 date-time; use the form 2010-01-01T00:00:00Z or 2010-01-01T00:00:00-05:00");
    (std::string_view(key) == "start_date" ? q.start : q.end) = *t;
  }
  if (q.start && q.end && *q.start > *q.end) return Status::Invalid("start_date is after end_date");

  bool want_open = false, want_closed = false;
  for (const auto& item : ListValues(params, "status")) {
    std::string s = Lower(item);
    if (s == "open") want_open = true;
    else if (s == "closed") want_closed = true;
    else return Status::Invalid("status must be open or closed (or both, comma separated), not '" + item + "'");
  }
  if (want_open != want_closed) q.open = want_open;
  return q;
}

ReportFilter ToReportFilter(const RequestQuery& q, TimeMs now) {
  ReportFilter f;
  f.limit = q.page_size;
  f.offset = (q.page - 1) * q.page_size;
  if (!q.ids.empty()) {
    f.ids = q.ids;
    return f;
  }
  f.service_codes = q.service_codes;
  f.open = q.open;
  if (!q.start && !q.end) {
    f.start = now - kDefaultSpanMs;
  } else if (!q.start) {
    f.start = *q.end - kDefaultSpanMs;
    f.end = *q.end;
  } else {
    f.start = *q.start;
    if (q.end) f.end = *q.end;
  }
  return f;
}

Status CheckJurisdiction(const http::Params& params, std::string_view jurisdiction_id) {
  std::string given = Value(params, "jurisdiction_id");
  if (given.empty() || given == jurisdiction_id) return Status::Ok();
  return Status::NotFound("jurisdiction_id '" + given + "' is not served here; this endpoint serves '" +
                          std::string(jurisdiction_id) + "'");
}

Result<PostBody> ReadPostBody(std::string_view content_type, std::string_view body, const Limits& limits) {
  auto media_type = http::ParseMediaType(content_type);
  if (!media_type.ok()) return Status::Invalid("bad Content-Type: " + media_type.status().message());
  PostBody out;
  if (media_type->type.empty() || media_type->type == "application/x-www-form-urlencoded") {
    std::string charset = Lower(media_type->Param("charset"));
    if (!charset.empty() && charset != "utf-8" && charset != "us-ascii")
      return Status::Unsupported("charset '" + charset + "' is not accepted; send UTF-8");
    if (body.size() > limits.max_json_body_bytes)
      return Status::TooLarge("the form body is larger than " + std::to_string(limits.max_json_body_bytes) +
                              " bytes; send a photo as the media part of a multipart/form-data body");
    auto form = http::ParseForm(body);
    if (!form) return Status::Invalid("the form body has a malformed percent escape");
    out.fields = std::move(*form);
    return out;
  }
  if (media_type->type != "multipart/form-data")
    return Status::Unsupported("Content-Type '" + media_type->type +
                               "' is not accepted; send application/x-www-form-urlencoded or multipart/form-data");
  auto boundary = http::MultipartBoundary(content_type);
  if (!boundary.ok()) return boundary.status();
  // The media part may arrive with or without a filename; text fields are checked below.
  const http::MultipartLimits ml{limits.max_form_parts, limits.max_part_header_bytes,
                                 std::max(limits.images.max_bytes, limits.max_form_field_bytes), limits.images.max_bytes};
  auto parts = http::ParseMultipart(body, *boundary, ml);
  if (!parts.ok()) return parts.status();
  for (auto& part : *parts) {
    if (part.name == "media") {
      if (part.body.empty()) continue;  // a file input left empty
      if (part.body.size() > limits.images.max_bytes)
        return Status::TooLarge("media is larger than " + std::to_string(limits.images.max_bytes) + " bytes");
      if (out.media) return Status::Invalid("send at most one media file per request");
      out.media = std::move(part.body);
      out.media_content_type = std::move(part.content_type);
      continue;
    }
    if (part.has_filename && !part.body.empty())
      return Status::Invalid("unexpected file in field '" + part.name + "'; send the photo as the 'media' field");
    if (part.body.size() > limits.max_form_field_bytes)
      return Status::TooLarge("field '" + part.name + "' is longer than " + std::to_string(limits.max_form_field_bytes) +
                              " bytes");
    out.fields.emplace_back(std::move(part.name), std::move(part.body));
  }
  return out;
}

Result<NewRequest> ParseNewRequest(const http::Params& fields) {
  NewRequest r;
  struct Field {
    const char* name;
    std::string* target;
    std::size_t max_bytes;
  };
  const Field text_fields[] = {
      {"service_code", &r.service_code, 100}, {"address_string", &r.address_string, 500},
      {"address_id", &r.address_id, 200},     {"email", &r.email, 254},
      {"device_id", &r.device_id, 200},       {"account_id", &r.account_id, 200},
      {"first_name", &r.first_name, 100},     {"last_name", &r.last_name, 100},
      {"phone", &r.phone, 50},                {"media_url", &r.media_url, 2048},
      {"api_key", &r.api_key, 256},           {"jurisdiction_id", &r.jurisdiction_id, 255},
  };
  for (const auto& f : text_fields) {
    *f.target = Value(fields, f.name);
    GB_RETURN_IF_ERROR(CheckText(f.name, *f.target, f.max_bytes));
  }
  if (auto d = http::FormValue(fields, "description")) r.description = std::string(Trim(*d));
  GB_RETURN_IF_ERROR(CheckText("description", r.description, kMaxDescriptionChars * 4));
  if (Utf8Length(r.description) > kMaxDescriptionChars)
    return Status::Invalid("description is longer than " + std::to_string(kMaxDescriptionChars) + " characters");

  if (r.service_code.empty())
    return Status::Invalid("service_code is required; services.json lists the codes this endpoint accepts");
  if (!r.email.empty() &&
      (r.email.find('@') == std::string::npos || r.email.find_first_of(" \t\r\n") != std::string::npos))
    return Status::Invalid("email '" + r.email + "' does not look like an email address");

  std::string lat = Value(fields, "lat"), lon = Value(fields, "long");
  if (lat.empty() != lon.empty()) return Status::Invalid("lat and long must be sent together");
  if (lat.empty()) {
    if (!r.address_string.empty() || !r.address_id.empty())
      return Status::Invalid(
          "this endpoint places every request by its coordinates: send lat and long (WGS84 degrees) as well; "
          "address_string and address_id alone cannot be routed");
    return Status::Invalid("a location is required: send lat and long (WGS84 degrees)");
  }
  auto la = ParseDouble(lat), lo = ParseDouble(lon);
  if (!la) return Status::Invalid("lat '" + lat.substr(0, 40) + "' is not a number");
  if (!lo) return Status::Invalid("long '" + lon.substr(0, 40) + "' is not a number");
  if (!ValidLatLon(*la, *lo)) return Status::Invalid("lat must be in [-90, 90] and long in [-180, 180]");
  r.lat = *la;
  r.lon = *lo;
  return r;
}

std::string NewToken() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  out.reserve(32);
  for (int i = 0; i < 4; ++i) {
    std::uint32_t word = rd();
    for (int k = 0; k < 8; ++k) out.push_back(kHex[(word >> (28 - 4 * k)) & 0xF]);
  }
  return out;
}

bool IsToken(std::string_view s) {
  return s.size() == 32 && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::optional<Id> ParseId(std::string_view s) {
  if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  Id v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  if (v <= 0) return std::nullopt;
  return v;
}

}  // namespace gb::open311

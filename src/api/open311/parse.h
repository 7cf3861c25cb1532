// Parsing of Open311 GeoReport v2 input: the filters of GET requests (with the page /
// page_size extension) and the body of POST requests (form-encoded or multipart with a
// `media` file). Pure functions over strings: no store, no clock (callers pass `now`).
//
// Errors are Status values whose message is meant for the client: Invalid (400),
// TooLarge (413), Unsupported (415).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "api/limits.h"
#include "api/multipart.h"
#include "core/status.h"
#include "core/time.h"
#include "store/store.h"

namespace gb::open311 {

inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 200;
inline constexpr int kMaxPage = 100'000;
inline constexpr std::size_t kMaxIdsPerQuery = 200;
inline constexpr TimeMs kDefaultSpanMs = 90LL * 24 * 3600 * 1000;  // the spec's "most recent 90 days"
inline constexpr std::size_t kMaxDescriptionChars = 4000;           // the spec's limit

// The spec's w3 date-times: RFC 3339 with a zone ("2010-01-01T00:00:00Z", "…+01:00"), also
// without seconds ("2010-01-01T00:00Z"), and with the '+' of an offset turned into a space
// by an unencoded query string ("…T00:00:00 01:00").
std::optional<TimeMs> ParseW3Date(std::string_view text);

// Filters of GET requests.{fmt}.
struct RequestQuery {
  std::vector<Id> ids;                     // service_request_id; when set, other filters are ignored
  std::vector<std::string> service_codes;  // service_code, comma separated
  std::optional<TimeMs> start, end;        // start_date / end_date, both inclusive
  std::optional<bool> open;                // status: open → true, closed → false, both/none → nullopt
  int page = 1;                            // 1-based
  int page_size = kDefaultPageSize;        // 1 … kMaxPageSize
};

// Reads the query parameters; empty values count as absent (the spec's "optional"
// arguments). Invalid for a malformed id, date, status, page or page_size, or for
// start_date after end_date.
Result<RequestQuery> ParseRequestQuery(const http::Params& params);

// The store filter for a query at time `now`. Without service_request_id and without
// dates the range is the most recent 90 days; with only end_date it is the 90 days before
// it; with only start_date it is open-ended. Both bounds are inclusive, as in ReportFilter.
ReportFilter ToReportFilter(const RequestQuery& q, TimeMs now);

// jurisdiction_id, when given and non-empty, must be this hub's. NotFound otherwise.
Status CheckJurisdiction(const http::Params& params, std::string_view jurisdiction_id);

// ---- POST requests.{fmt} ---------------------------------------------------------------
struct PostBody {
  http::Params fields;                  // text fields, in the order sent
  std::optional<std::string> media;     // the bytes of the `media` file part (non-empty)
  std::string media_content_type;       // as declared by the client; informational only
};

// Decodes the body by its Content-Type: application/x-www-form-urlencoded (also assumed
// when Content-Type is missing) or multipart/form-data. Unsupported for other types;
// TooLarge when a limit is exceeded: a form-encoded body over limits.max_json_body_bytes, a
// `media` part over limits.images.max_bytes, a text field over limits.max_form_field_bytes. An empty `media` part (a file input left empty) is
// no media. More than one non-empty media part is Invalid.
Result<PostBody> ReadPostBody(std::string_view content_type, std::string_view body, const Limits& limits);

// The fields of a new service request, checked for presence, length and UTF-8.
struct NewRequest {
  std::string service_code;
  double lat = 0, lon = 0;
  std::string address_string, address_id;
  std::string email, device_id, account_id, first_name, last_name, phone;
  std::string description;
  std::string media_url;  // accepted and ignored: the hub never fetches remote media
  std::string api_key;
  std::string jurisdiction_id;
};

// Requires service_code and a location. The spec accepts lat & long, address_string or
// address_id; this hub routes by coordinates, so an address alone is Invalid with an
// explanation. lat and long must come together and be WGS84 degrees in range.
Result<NewRequest> ParseNewRequest(const http::Params& fields);

// A fresh request token: 16 random bytes as 32 lower-case hex digits.
std::string NewToken();
bool IsToken(std::string_view s);
// Parses a positive decimal id; nullopt otherwise.
std::optional<Id> ParseId(std::string_view s);

}  // namespace gb::open311

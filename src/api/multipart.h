// multipart/form-data (RFC 7578 on RFC 2046) and Content-Type parsing for request bodies.
//
// The parser works on a body already in memory (the server limits its size) and copies
// each part out, so the result does not point into the body. It is strict where a lax
// reading could mis-assign bytes (every part must be closed by the boundary; the body must
// end with the close delimiter) and lenient where real clients differ harmlessly (a
// preamble and epilogue are skipped; lines may end in CRLF, as the RFC requires, or in a
// bare LF, as some hand-written clients send, as long as one body uses one style).
//
// Errors are values: Invalid for a malformed body (the message names the problem),
// TooLarge when a limit is exceeded, Unsupported for a Content-Transfer-Encoding other
// than the identity ones (RFC 7578 §4.7 forbids senders to use one).
//
// Thread-safety: free functions without shared state.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace gb::http {

// A media type with its parameters: "multipart/form-data; boundary=xyz".
struct MediaType {
  std::string type;  // lower-cased "type/subtype", "" when the header is empty
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased, values unquoted

  // The value of parameter `lower_name`, or "" when absent.
  std::string_view Param(std::string_view lower_name) const;
};

// Parses a Content-Type (or Content-Disposition) header value. Quoted parameter values may
// contain ';' and backslash escapes. Returns Invalid for an unterminated quote or a
// parameter without '='.
Result<MediaType> ParseMediaType(std::string_view header);

struct MultipartPart {
  std::string name;          // from Content-Disposition: form-data; name="…"
  std::string filename;      // "" when the part is not a file; see has_filename
  bool has_filename = false; // a filename parameter was present (browsers send filename="" for no file)
  std::string content_type;  // as sent, "" when absent (RFC 7578: text/plain then)
  std::string body;          // the bytes, unchanged
};

// The callers' limits (the hub's come from api/limits.h, where their defaults are stated).
struct MultipartLimits {
  std::size_t max_parts;
  std::size_t max_header_bytes;  // all header lines of one part together
  std::size_t max_field_bytes;   // body of a part without a filename
  std::size_t max_file_bytes;    // body of a part with a filename
};

// The boundary of a multipart/form-data Content-Type. Invalid when the type is not
// multipart/form-data or the boundary is missing or not 1–70 characters of the RFC 2046
// alphabet.
Result<std::string> MultipartBoundary(std::string_view content_type);

// Splits `body` into its parts. REQUIRES: boundary as returned by MultipartBoundary.
// Every part must carry Content-Disposition: form-data with a name.
Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  const MultipartLimits& limits);

}  // namespace gb::http

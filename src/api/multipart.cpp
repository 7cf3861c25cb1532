#include "api/multipart.h"

#include <algorithm>
#include <cctype>

#include "api/http.h"

namespace gb::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

// RFC 2046 bchars, without the space (allowed inside, never last; checked separately).
bool IsBoundaryChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("'()+_,-./:=? ").find(c) != std::string_view::npos;
}

// What follows "--boundary" at `pos`: the close delimiter ("--"), or optional transport
// padding and then a line break (`eol`, or either style when eol is empty). On success
// *next is the position after it and *eol_out the line break seen.
enum class DelimiterEnd { kNone, kLine, kClose };
DelimiterEnd ReadDelimiterEnd(std::string_view body, size_t pos, std::string_view eol, size_t* next,
                              std::string* eol_out) {
  if (body.substr(pos, 2) == "--") {
    *next = pos + 2;
    return DelimiterEnd::kClose;
  }
  while (pos < body.size() && IsSpace(body[pos])) ++pos;
  auto try_eol = [&](std::string_view e) {
    if (body.substr(pos, e.size()) != e) return false;
    *next = pos + e.size();
    if (eol_out) *eol_out = std::string(e);
    return true;
  };
  if (eol.empty() ? (try_eol("\r\n") || try_eol("\n")) : try_eol(eol)) return DelimiterEnd::kLine;
  return DelimiterEnd::kNone;
}

std::string BaseName(std::string_view path) {
  size_t cut = path.find_last_of("/\\");
  return std::string(cut == std::string_view::npos ? path : path.substr(cut + 1));
}

// Decodes an RFC 5987 ext-value (charset'lang'pct-encoded) if its charset is UTF-8.
std::optional<std::string> DecodeExtValue(std::string_view v) {
  size_t q1 = v.find('\'');
  if (q1 == std::string_view::npos) return std::nullopt;
  size_t q2 = v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  if (Lower(v.substr(0, q1)) != "utf-8") return std::nullopt;
  return PercentDecode(v.substr(q2 + 1), false);
}

std::string PartLabel(size_t index, const std::string& name) {
  return name.empty() ? "part " + std::to_string(index + 1) : "part '" + name + "'";
}

}  // namespace

std::string_view MediaType::Param(std::string_view lower_name) const {
  for (const auto& [k, v] : params)
    if (k == lower_name) return v;
  return {};
}

Result<MediaType> ParseMediaType(std::string_view header) {
  MediaType out;
  size_t semi = header.find(';');
  out.type = Lower(Trim(header.substr(0, semi)));
  size_t pos = semi == std::string_view::npos ? header.size() : semi + 1;
  while (pos < header.size()) {
    while (pos < header.size() && (IsSpace(header[pos]) || header[pos] == ';')) ++pos;
    if (pos >= header.size()) break;
    size_t eq = header.find('=', pos);
    size_t next_semi = header.find(';', pos);
    if (eq == std::string_view::npos || (next_semi != std::string_view::npos && next_semi < eq))
      return Status::Invalid("header parameter '" + std::string(Trim(header.substr(pos, next_semi - pos))) +
                             "' has no '=value'");
    std::string name = Lower(Trim(header.substr(pos, eq - pos)));
    if (name.empty()) return Status::Invalid("header parameter without a name");
    pos = eq + 1;
    while (pos < header.size() && IsSpace(header[pos])) ++pos;
    std::string value;
    if (pos < header.size() && header[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < header.size()) {
        char c = header[pos++];
        if (c == '\\' && pos < header.size()) {
          value.push_back(header[pos++]);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return Status::Invalid("header parameter '" + name + "' has an unterminated quoted value");
      while (pos < header.size() && IsSpace(header[pos])) ++pos;
      if (pos < header.size() && header[pos] != ';')
        return Status::Invalid("unexpected text after the quoted value of header parameter '" + name + "'");
    } else {
      size_t end = header.find(';', pos);
      if (end == std::string_view::npos) end = header.size();
      value = std::string(Trim(header.substr(pos, end - pos)));
      pos = end;
    }
    out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

Result<std::string> MultipartBoundary(std::string_view content_type) {
  auto media = ParseMediaType(content_type);
  if (!media.ok()) return Status::Invalid("bad Content-Type: " + media.status().message());
  if (media->type != "multipart/form-data")
    return Status::Invalid("Content-Type is '" + media->type + "', expected multipart/form-data");
  std::string_view boundary = media->Param("boundary");
  if (boundary.empty())
    return Status::Invalid("multipart/form-data needs a boundary parameter in Content-Type");
  if (boundary.size() > 70) return Status::Invalid("multipart boundary is longer than 70 characters");
  if (boundary.back() == ' ' || !std::all_of(boundary.begin(), boundary.end(), IsBoundaryChar))
    return Status::Invalid("multipart boundary contains characters RFC 2046 does not allow");
  return std::string(boundary);
}

Result<std::vector<MultipartPart>> ParseMultipart(std::string_view body, std::string_view boundary,
                                                  const MultipartLimits& limits) {
  if (boundary.empty()) return Status::Invalid("multipart boundary is empty");
  const std::string dash = "--" + std::string(boundary);

  // The first delimiter: at the very start, or at the start of a line after a preamble.
  std::string eol;
  size_t pos = std::string_view::npos;
  DelimiterEnd end = DelimiterEnd::kNone;
  for (size_t at = 0; at <= body.size();) {
    size_t found = at == 0 && body.starts_with(dash) ? 0 : body.find("\n" + dash, at);
    if (found == std::string_view::npos) break;
    size_t dash_at = found == 0 && body.starts_with(dash) ? 0 : found + 1;
    end = ReadDelimiterEnd(body, dash_at + dash.size(), "", &pos, &eol);
    if (end != DelimiterEnd::kNone) break;
    at = dash_at + 1;
  }
  if (end == DelimiterEnd::kNone)
    return Status::Invalid("multipart body has no boundary line '" + dash +
                           "'; check that the body matches the boundary in Content-Type");
  std::vector<MultipartPart> parts;
  if (end == DelimiterEnd::kClose) return parts;  // an empty form
  const std::string delimiter = eol + dash;
  const std::string blank = eol + eol;

  while (true) {
    const size_t index = parts.size();
    if (index >= limits.max_parts)
      return Status::Invalid("multipart body has more than " + std::to_string(limits.max_parts) + " parts");
    MultipartPart part;

    // ---- headers, up to an empty line ----
    size_t body_start;
    std::string_view header_block;
    if (body.substr(pos, eol.size()) == eol) {
      body_start = pos + eol.size();  // no headers at all; caught below (no Content-Disposition)
    } else {
      size_t blank_at = body.find(blank, pos);
      if (blank_at == std::string_view::npos || blank_at - pos > limits.max_header_bytes) {
        if (blank_at == std::string_view::npos && body.size() - pos <= limits.max_header_bytes)
          return Status::Invalid("multipart body is truncated: the headers of part " + std::to_string(index + 1) +
                                 " never end");
        return Status::TooLarge("the headers of multipart part " + std::to_string(index + 1) + " are longer than " +
                                std::to_string(limits.max_header_bytes) + " bytes");
      }
      header_block = body.substr(pos, blank_at - pos);
      body_start = blank_at + blank.size();
    }

    std::vector<std::pair<std::string, std::string>> headers;
    for (size_t line_start = 0; line_start < header_block.size();) {
      size_t line_end = header_block.find(eol, line_start);
      if (line_end == std::string_view::npos) line_end = header_block.size();
      std::string_view line = header_block.substr(line_start, line_end - line_start);
      line_start = line_end + eol.size();
      if (!line.empty() && IsSpace(line.front()) && !headers.empty()) {  // obsolete line folding
        headers.back().second += " " + std::string(Trim(line));
        continue;
      }
      size_t colon = line.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return Status::Invalid("multipart part " + std::to_string(index + 1) + " has a malformed header line");
      headers.emplace_back(Lower(Trim(line.substr(0, colon))), std::string(Trim(line.substr(colon + 1))));
    }

    bool has_disposition = false;
    for (const auto& [name, value] : headers) {
      if (name == "content-disposition") {
        auto disposition = ParseMediaType(value);
        if (!disposition.ok())
          return Status::Invalid("multipart part " + std::to_string(index + 1) +
                                 ": bad Content-Disposition: " + disposition.status().message());
        if (disposition->type != "form-data")
          return Status::Invalid("multipart part " + std::to_string(index + 1) +
                                 ": Content-Disposition must be form-data, not '" + disposition->type + "'");
        part.name = std::string(disposition->Param("name"));
        for (const auto& [k, v] : disposition->params) {
          if (k == "filename") {
            part.has_filename = true;
            if (part.filename.empty()) part.filename = BaseName(v);
          } else if (k == "filename*") {
            if (auto decoded = DecodeExtValue(v)) {
              part.has_filename = true;
              part.filename = BaseName(*decoded);
            }
          }
        }
        has_disposition = true;
      } else if (name == "content-type") {
        part.content_type = value;
      } else if (name == "content-transfer-encoding") {
        std::string enc = Lower(value);
        if (enc != "7bit" && enc != "8bit" && enc != "binary")
          return Status::Unsupported("multipart part " + std::to_string(index + 1) +
                                     ": Content-Transfer-Encoding '" + value +
                                     "' is not supported; send the bytes as they are");
      }
    }
    if (!has_disposition)
      return Status::Invalid("multipart part " + std::to_string(index + 1) +
                             " has no Content-Disposition: form-data header");
    if (part.name.empty())
      return Status::Invalid("multipart part " + std::to_string(index + 1) + " has no name in Content-Disposition");

    // ---- body, up to the next real delimiter ----
    const size_t limit = part.has_filename ? limits.max_file_bytes : limits.max_field_bytes;
    size_t next = 0;
    size_t body_end = std::string_view::npos;
    for (size_t at = body_start;;) {
      size_t found = body.find(delimiter, at);
      if (found == std::string_view::npos) break;
      end = ReadDelimiterEnd(body, found + delimiter.size(), eol, &next, nullptr);
      if (end != DelimiterEnd::kNone) {
        body_end = found;
        break;
      }
      at = found + 1;
    }
    if (body_end == std::string_view::npos) {
      if (body.size() - body_start > limit)
        return Status::TooLarge("multipart " + PartLabel(index, part.name) + " is larger than " +
                                std::to_string(limit) + " bytes");
      return Status::Invalid("multipart body is truncated: " + PartLabel(index, part.name) +
                             " is not closed by the boundary");
    }
    if (body_end - body_start > limit)
      return Status::TooLarge("multipart " + PartLabel(index, part.name) + " is larger than " +
                              std::to_string(limit) + " bytes");
    part.body = std::string(body.substr(body_start, body_end - body_start));
    parts.push_back(std::move(part));
    pos = next;
    if (end == DelimiterEnd::kClose) return parts;  // the epilogue, if any, is ignored
    if (pos >= body.size())
      return Status::Invalid("multipart body is truncated: it ends without the closing boundary '" + dash + "--'");
  }
}

}  // namespace gb::http

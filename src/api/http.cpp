#include "api/http.h"

#include <algorithm>

#include <cctype>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace gb::http {

std::string_view Request::Header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return v;
  return {};
}

const std::string& Request::Param(std::string_view name) const {
  static const std::string kEmpty;
  auto it = params.find(name);
  return it == params.end() ? kEmpty : it->second;
}

std::optional<std::string> PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      if (i + 2 >= s.size()) return std::nullopt;
      int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string PercentEncode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<Params> ParseForm(std::string_view s) {
  Params out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t amp = s.find('&', pos);
    if (amp == std::string_view::npos) amp = s.size();
    std::string_view pair = s.substr(pos, amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      auto key = PercentDecode(pair.substr(0, eq), true);
      auto value = PercentDecode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
      if (!key || !value) return std::nullopt;
      out.emplace_back(std::move(*key), std::move(*value));
    }
    pos = amp + 1;
  }
  return out;
}

std::optional<std::string> FormValue(const Params& p, std::string_view key) {
  for (const auto& [k, v] : p)
    if (k == key) return v;
  return std::nullopt;
}

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk: return 200;
    case Code::kInvalid: return 400;
    case Code::kNotFound: return 404;
    case Code::kConflict: return 409;
    case Code::kUnauthenticated: return 401;
    case Code::kForbidden: return 403;
    case Code::kTooLarge: return 413;
    case Code::kUnsupported: return 415;
    case Code::kRateLimited: return 429;
    case Code::kUnavailable: return 503;
    case Code::kNoSpace: return 507;
    case Code::kInternal: return 500;
  }
  return 500;
}

Response Json(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response JsonError(int status, std::string_view message) {
  nlohmann::json j = {{"error", {{"status", status}, {"message", message}}}};
  // Messages quote what the client sent (a path, a field), which need not be UTF-8: invalid
  // bytes become U+FFFD rather than an exception that would turn a 4xx into a 500.
  return Json(status, j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

std::string ClientMessage(const Status& s) {
  const int status = HttpStatusFor(s.code());
  if (status < 500) return s.message();
  spdlog::warn("event=request_failed status={} reason=\"{}\"", status, s.message());
  switch (s.code()) {
    case Code::kNoSpace: return "the hub's disk is full; try again later";
    case Code::kUnavailable: return "the hub's store is unavailable; try again later";
    default: return "internal error";
  }
}

void SetRetryAfter(Response& r, const Status& s) {
  // Long enough for the store's own probe (a few seconds) to find it writable again.
  if (s.code() == Code::kUnavailable || s.code() == Code::kNoSpace) r.SetHeader("Retry-After", "5");
}

Response ErrorFor(const Status& s) {
  Response r = JsonError(HttpStatusFor(s.code()), ClientMessage(s));
  SetRetryAfter(r, s);
  return r;
}

std::string ClientAddress(std::string_view peer, std::string_view forwarded_for,
                          const std::vector<std::string>& trusted_proxies) {
  auto trusted = [&](std::string_view a) {
    return std::find(trusted_proxies.begin(), trusted_proxies.end(), a) != trusted_proxies.end();
  };
  std::string client(peer);
  if (!trusted(peer)) return client;
  while (!forwarded_for.empty()) {
    const size_t comma = forwarded_for.rfind(',');
    std::string_view hop = forwarded_for.substr(comma == std::string_view::npos ? 0 : comma + 1);
    forwarded_for = forwarded_for.substr(0, comma == std::string_view::npos ? 0 : comma);
    while (!hop.empty() && (hop.front() == ' ' || hop.front() == '\t')) hop.remove_prefix(1);
    while (!hop.empty() && (hop.back() == ' ' || hop.back() == '\t')) hop.remove_suffix(1);
    if (hop.empty() || hop.size() > 45 || hop.find_first_not_of("0123456789abcdefABCDEF.:") != std::string_view::npos)
      break;  // not an IP address: what lies beyond it cannot be trusted either
    client.assign(hop);
    if (!trusted(hop)) break;
  }
  return client;
}

}  // namespace gb::http

#include "api/wire.h"

#include <boost/beast/http/error.hpp>
#include <cctype>

namespace gb::http {
namespace bhttp = boost::beast::http;

void LimitRequest(WireParser& parser, std::size_t max_header_bytes, std::size_t max_body_bytes) {
  parser.header_limit(static_cast<std::uint32_t>(max_header_bytes));
  parser.body_limit(max_body_bytes);
}

std::optional<Response> ReadErrorResponse(const boost::system::error_code& ec, ReadStage stage,
                                          std::size_t max_body_bytes) {
  if (ec == bhttp::error::body_limit) {
    // With the head, the limit was met by a declared Content-Length: the client can be told
    // the figure before it sends the body.
    if (stage == ReadStage::kHead)
      return JsonError(413, "request body is over the limit of " + std::to_string(max_body_bytes) + " bytes");
    return JsonError(413, "request body is over the limit");
  }
  if (stage == ReadStage::kBody) return std::nullopt;
  if (ec == bhttp::error::header_limit) return JsonError(431, "request header fields too large");
  // Only the parser's own errors are the client's mistake; a closed or timed-out connection
  // (including one closed halfway through a head) is owed nothing.
  if (ec.category() == boost::system::error_code(bhttp::error::end_of_stream).category() &&
      ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
    return JsonError(400, "malformed HTTP request: " + ec.message());
  return std::nullopt;
}

Request ToRequest(WireRequest&& in, const std::string& peer, const std::vector<std::string>& trusted_proxies) {
  Request req;
  req.method = std::string(in.method_string());
  req.target = std::string(in.target());
  std::string_view target = req.target;
  size_t q = target.find('?');
  auto decoded = PercentDecode(target.substr(0, q), false);
  req.path = decoded ? *decoded : std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  for (const auto& field : in) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  req.body = std::move(in.body());
  if (!trusted_proxies.empty()) {
    std::string forwarded;  // several headers read as one list, in order
    for (const auto& [name, value] : req.headers)
      if (name == "x-forwarded-for") forwarded += (forwarded.empty() ? "" : ",") + value;
    req.remote_address = ClientAddress(peer, forwarded, trusted_proxies);
  } else {
    req.remote_address = peer;
  }
  return req;
}

}  // namespace gb::http

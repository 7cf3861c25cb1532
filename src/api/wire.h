// Wire: an HTTP/1.1 request as it arrives on a connection, turned into the Request that
// handlers see. The server reads each request with a parser whose header and body limits
// LimitRequest sets, answers a failed read with ReadErrorResponse, and hands the
// parsed message to ToRequest. Anything else that reads requests from bytes (the fuzz
// targets) goes through the same three steps, so it meets the server's limits and statuses.
//
// Thread-safety: free functions without shared state.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"

namespace gb::http {

using WireRequest = boost::beast::http::request<boost::beast::http::string_body>;
using WireParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// Makes a fresh parser of one request refuse a head over `max_header_bytes` and a body over
// `max_body_bytes` (a Content-Length over it is refused with the head).
void LimitRequest(WireParser& parser, std::size_t max_header_bytes, std::size_t max_body_bytes);

// Where a read failed: reading the head (start line and header fields) or the body after it.
enum class ReadStage { kHead, kBody };

// The answer to a request whose read failed with `ec`, after which the connection closes:
// 431 for a head over its limit, 413 for a body over its limit (`max_body_bytes` is named in
// the message when the head declared it), 400 for a malformed head. nullopt when the client
// is owed no answer: it closed the connection or timed out, or the body was malformed.
std::optional<Response> ReadErrorResponse(const boost::system::error_code& ec, ReadStage stage,
                                          std::size_t max_body_bytes);

// The parsed message as handlers see it: the method, the target split into a percent-decoded
// path and the raw query, header names lower-cased, the body, and the client's address from
// `peer` (and X-Forwarded-For when the peer is one of `trusted_proxies`; see ClientAddress).
Request ToRequest(WireRequest&& in, const std::string& peer, const std::vector<std::string>& trusted_proxies);

}  // namespace gb::http

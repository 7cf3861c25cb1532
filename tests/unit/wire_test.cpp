// Reading requests off the wire (api/wire.h): the answers to requests that cannot be read,
// and the Request handlers get from a parsed message.
#include "api/wire.h"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>

namespace gb::http {
namespace {

namespace bhttp = boost::beast::http;

// Feeds `bytes` to a parser with the given limits, as one read from the connection would;
// the parser's error, or OK when it took a whole message.
boost::system::error_code Parse(WireParser& parser, std::string_view bytes, std::size_t max_header,
                                std::size_t max_body) {
  LimitRequest(parser, max_header, max_body);
  parser.eager(true);
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  return ec;
}

TEST(Wire, AHeadOverItsLimitIs431) {
  WireParser parser;
  auto ec = Parse(parser, "GET / HTTP/1.1\r\nX-Big: " + std::string(200, 'x') + "\r\n\r\n", 64, 1024);
  auto answer = ReadErrorResponse(ec, ReadStage::kHead, 1024);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 431);
}

TEST(Wire, ADeclaredBodyOverTheLimitIs413WithTheLimitBeforeTheBodyIsRead) {
  WireParser parser;
  auto ec = Parse(parser, "POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n", 1024, 1000);
  auto answer = ReadErrorResponse(ec, ReadStage::kHead, 1000);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 413);
  EXPECT_NE(answer->body.find("1000 bytes"), std::string::npos) << answer->body;
  auto chunked = ReadErrorResponse(bhttp::error::body_limit, ReadStage::kBody, 1000);
  ASSERT_TRUE(chunked);
  EXPECT_EQ(chunked->status, 413);
}

TEST(Wire, AMalformedHeadIs400AndNamesTheProblem) {
  WireParser parser;
  auto ec = Parse(parser, "GET / HTTP/1.1\r\nBad Header\r\n\r\n", 1024, 1024);
  auto answer = ReadErrorResponse(ec, ReadStage::kHead, 1024);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 400);
  EXPECT_NE(answer->body.find("malformed HTTP request"), std::string::npos);
}

TEST(Wire, AClosedOrTimedOutConnectionAndAMalformedBodyGetNoAnswer) {
  EXPECT_FALSE(ReadErrorResponse(bhttp::error::end_of_stream, ReadStage::kHead, 1024));
  EXPECT_FALSE(ReadErrorResponse(bhttp::error::partial_message, ReadStage::kHead, 1024));
  EXPECT_FALSE(ReadErrorResponse(boost::system::errc::make_error_code(boost::system::errc::timed_out),
                                 ReadStage::kHead, 1024));
  EXPECT_FALSE(ReadErrorResponse(bhttp::error::bad_chunk, ReadStage::kBody, 1024));
}

TEST(Wire, ARequestGetsItsDecodedPathRawQueryLowerCaseHeadersAndBody) {
  WireParser parser;
  ASSERT_FALSE(Parse(parser,
                     "POST /open311/v2/requests%2Ejson?a=%20b&c HTTP/1.1\r\nX-Forwarded-For: 198.51.100.1\r\n"
                     "Content-Type: text/plain\r\nContent-Length: 4\r\n\r\nbody",
                     1024, 1024));
  Request req = ToRequest(parser.release(), "203.0.113.7", {});
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/open311/v2/requests.json");
  EXPECT_EQ(req.query, "a=%20b&c");
  EXPECT_EQ(req.Header("content-type"), "text/plain");
  EXPECT_EQ(req.body, "body");
  EXPECT_EQ(req.remote_address, "203.0.113.7");  // X-Forwarded-For from an untrusted peer counts for nothing
}

TEST(Wire, BehindATrustedProxyTheClientComesFromEveryXForwardedForHeaderInOrder) {
  WireParser parser;
  ASSERT_FALSE(Parse(parser,
                     "GET / HTTP/1.1\r\nX-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 10.0.0.2\r\n\r\n", 1024,
                     1024));
  Request req = ToRequest(parser.release(), "10.0.0.1", {"10.0.0.1", "10.0.0.2"});
  EXPECT_EQ(req.remote_address, "198.51.100.1");
}

}  // namespace
}  // namespace gb::http

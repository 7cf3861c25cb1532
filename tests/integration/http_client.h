// A small blocking HTTP/1.1 client over loopback sockets for the integration tests. One
// request per connection (Connection: close) unless raw bytes are sent with SendRaw.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gb::testing {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; last value wins
  std::string body;
  std::string header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port) : port_(port) {}
  // Sends one request; `headers` are "Name: value" lines. Keeps cookies it was given
  // (Set-Cookie) when keep_cookies is true.
  HttpReply Request(const std::string& method, const std::string& target, const std::string& body = "",
                    std::vector<std::string> headers = {});
  // Sends raw bytes and returns everything the server sends back until it closes or the
  // timeout passes.
  std::string SendRaw(const std::string& bytes, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Opens a connection, sends the request and reads for `duration`; returns the raw bytes.
  std::string ReadFor(const std::string& request, std::chrono::milliseconds duration);

  bool keep_cookies = true;
  std::string cookie;  // "gb_session=…"

 private:
  std::uint16_t port_;
};

HttpReply ParseReply(const std::string& raw);

}  // namespace gb::testing

// Small blocking HTTP/1.1 clients over loopback sockets for the integration tests and the
// benchmarks. HttpClient: one request per connection (Connection: close) unless raw bytes
// are sent with SendRaw. KeepAliveClient: many requests, one after another, on one
// connection.
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

// One keep-alive connection: requests go one at a time and each reply is read to the end of
// its Content-Length (replies without one, such as event streams, are not supported).
// No cookies. Not thread-safe: one caller at a time.
class KeepAliveClient {
 public:
  // Connects; throws std::runtime_error when it cannot.
  explicit KeepAliveClient(std::uint16_t port);
  ~KeepAliveClient();
  KeepAliveClient(const KeepAliveClient&) = delete;
  KeepAliveClient& operator=(const KeepAliveClient&) = delete;

  // Sends one request (Host and Content-Length are added; `headers` are "Name: value" lines)
  // and reads its reply. Status 0 when the connection failed or closed, the reply could not
  // be parsed or had no Content-Length, or no reply came within `timeout`; the connection is
  // unusable after that.
  HttpReply Request(const std::string& method, const std::string& target, const std::string& body = "",
                    const std::vector<std::string>& headers = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  bool ReadMore(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buf_;  // bytes received and not yet consumed
};

HttpReply ParseReply(const std::string& raw);

// A TCP connection to 127.0.0.1:port as a raw descriptor (close-on-exec), for tests that act
// as a client no library would be: slow, silent or greedy. `receive_buffer` > 0 shrinks the
// socket's receive buffer, so that a client that reads nothing fills up at once. -1 when the
// connection fails.
int ConnectLoopback(std::uint16_t port, int receive_buffer = 0);

}  // namespace gb::testing

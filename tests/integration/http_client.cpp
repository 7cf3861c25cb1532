#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace gb::testing {
namespace {

int Connect(std::uint16_t port) {
  int fd = ConnectLoopback(port);
  if (fd < 0) throw std::runtime_error("cannot connect to port " + std::to_string(port));
  return fd;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (e.g. 413); the reply tells
    off += static_cast<size_t>(n);
  }
}

std::string ReadUntil(int fd, std::chrono::milliseconds timeout) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

int ConnectLoopback(std::uint16_t port, int receive_buffer) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

HttpReply ParseReply(const std::string& raw) {
  HttpReply r;
  size_t end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  size_t pos = raw.find("\r\n") + 2;
  while (pos < end) {
    size_t eol = raw.find("\r\n", pos);
    std::string line = raw.substr(pos, eol - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers[name] = line.substr(v);
    }
    pos = eol + 2;
  }
  r.body = raw.substr(end + 4);
  if (r.headers.count("transfer-encoding")) {  // de-chunk
    std::string body, &in = r.body;
    size_t p = 0;
    while (p < in.size()) {
      size_t eol = in.find("\r\n", p);
      if (eol == std::string::npos) break;
      size_t n = std::stoul(in.substr(p, eol - p), nullptr, 16);
      if (n == 0) break;
      body += in.substr(eol + 2, n);
      p = eol + 2 + n + 2;
    }
    r.body = body;
  }
  return r;
}

HttpReply HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                              std::vector<std::string> headers) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
  if (!cookie.empty()) req += "Cookie: " + cookie + "\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n" + body;
  HttpReply r = ParseReply(SendRaw(req, std::chrono::seconds(30)));
  if (keep_cookies) {
    std::string set = r.header("set-cookie");
    if (!set.empty()) {
      std::string pair = set.substr(0, set.find(';'));
      cookie = pair.ends_with("=") ? "" : pair;
    }
  }
  return r;
}

std::string HttpClient::SendRaw(const std::string& bytes, std::chrono::milliseconds timeout) {
  int fd = Connect(port_);
  SendAll(fd, bytes);
  std::string out = ReadUntil(fd, timeout);
  ::close(fd);
  return out;
}

std::string HttpClient::ReadFor(const std::string& request, std::chrono::milliseconds duration) {
  return SendRaw(request, duration);
}

KeepAliveClient::KeepAliveClient(std::uint16_t port) : fd_(Connect(port)) {
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // no delay for a short head
}

KeepAliveClient::~KeepAliveClient() {
  if (fd_ >= 0) ::close(fd_);
}

bool KeepAliveClient::ReadMore(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{fd_, POLLIN, 0};
  if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
  char chunk[65536];
  ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) return false;
  buf_.append(chunk, static_cast<size_t>(n));
  return true;
}

HttpReply KeepAliveClient::Request(const std::string& method, const std::string& target, const std::string& body,
                                   const std::vector<std::string>& headers, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto fail = [this] {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return HttpReply{};
  };
  if (fd_ < 0) return HttpReply{};
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "\r\n";
  req += body;
  for (size_t off = 0; off < req.size();) {
    ssize_t n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return fail();
    off += static_cast<size_t>(n);
  }
  size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos)
    if (!ReadMore(deadline)) return fail();
  HttpReply head = ParseReply(buf_.substr(0, head_end + 4));
  const std::string length = head.header("content-length");
  if (head.status == 0 || length.empty() || !head.header("transfer-encoding").empty()) return fail();
  const size_t end = head_end + 4 + std::strtoull(length.c_str(), nullptr, 10);
  while (buf_.size() < end)
    if (!ReadMore(deadline)) return fail();
  HttpReply reply = ParseReply(buf_.substr(0, end));
  buf_.erase(0, end);
  if (reply.header("connection") == "close") fail();
  return reply;
}

}  // namespace gb::testing

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange
#include "edge/hub_client.h"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gb::edge {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

HubClient::HubClient(const std::string& url, std::string token, std::chrono::milliseconds timeout)
    : token_(std::move(token)), timeout_(timeout) {
  std::string rest = url.substr(std::string_view("http://").size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  if (slash != std::string::npos) prefix_ = rest.substr(slash);
  while (prefix_.ends_with('/')) prefix_.pop_back();
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    host_ = authority.substr(0, colon);
    port_ = authority.substr(colon + 1);
  } else {
    host_ = authority;
    port_ = "80";
  }
  if (host_.size() > 2 && host_.front() == '[') host_ = host_.substr(1, host_.size() - 2);
}

Result<HubReply> HubClient::Request(const std::string& method, const std::string& path,
                                    const std::string& content_type, const std::string& body) const {
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  asio::ip::tcp::resolver resolver(ioc);
  bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(method), prefix_ + path, 11};
  req.set(bhttp::field::host, host_);
  req.set(bhttp::field::user_agent, "glassbrain-edge");
  req.set(bhttp::field::authorization, "Bearer " + token_);
  if (!content_type.empty()) req.set(bhttp::field::content_type, content_type);
  req.body() = body;
  req.keep_alive(false);
  req.prepare_payload();

  beast::error_code ec;
  std::string step = "resolve";
  HubReply reply;
  auto exchange = [&]() -> asio::awaitable<void> {
    stream.expires_after(timeout_);
    auto endpoints = co_await resolver.async_resolve(host_, port_, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    step = "connect";
    co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    step = "send";
    co_await bhttp::async_write(stream, req, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    step = "read the reply";
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16u << 20);
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    reply.status = static_cast<int>(parser.get().result_int());
    reply.body = std::move(parser.get().body());
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    ec = {};
  };
  asio::co_spawn(ioc, exchange(), asio::detached);
  ioc.run();
  if (ec || reply.status == 0)
    return Status::Unavailable("hub " + host_ + ":" + port_ + ": cannot " + step + ": " +
                               (ec ? ec.message() : std::string("no reply")));
  return reply;
}

}  // namespace gb::edge

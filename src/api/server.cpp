#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange
#include "api/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "api/wire.h"

namespace gb::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

struct Server::Impl {
  ServerOptions options;
  const Router& router;
  RequestObserver observer;
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  asio::signal_set signals{ioc};
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::uint16_t bound_port = 0;
  std::thread stopper;  // waits out the grace period; joined by Run() before it returns

  Impl(ServerOptions o, const Router& r, RequestObserver obs)
      : options(std::move(o)), router(r), observer(std::move(obs)) {}

  static bhttp::response<bhttp::string_body> ToBeast(Response&& r, unsigned version, bool keep_alive,
                                                    bool head_only) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(r.status), version};
    out.set(bhttp::field::server, "glassbrain");
    if (!r.content_type.empty()) out.set(bhttp::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) out.insert(k, v);
    out.body() = std::move(r.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    if (head_only) out.body().clear();  // Content-Length still describes the GET body
    return out;
  }

  // Answers a request that could not be read; the connection closes after it.
  asio::awaitable<void> WriteResponse(beast::tcp_stream& stream, Response&& answer) {
    bhttp::response<bhttp::string_body> res = ToBeast(std::move(answer), 11, false, false);
    beast::error_code ec;
    co_await bhttp::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
  }

  asio::awaitable<void> ServeStream(beast::tcp_stream& stream, Response& resp, unsigned version) {
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(resp.status), version};
    head.set(bhttp::field::server, "glassbrain");
    head.set(bhttp::field::content_type, resp.content_type);
    head.set(bhttp::field::cache_control, "no-store");
    for (auto& [k, v] : resp.headers) head.insert(k, v);
    head.keep_alive(false);  // the stream ends with the connection
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    beast::error_code ec;
    stream.expires_never();
    co_await bhttp::async_write_header(stream, sr, asio::redirect_error(asio::use_awaitable, ec));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!ec && !stopping) {
      std::optional<std::string> chunk = resp.stream->Poll();
      if (!chunk) break;
      if (!chunk->empty()) {
        stream.expires_after(options.read_timeout);
        co_await asio::async_write(stream, asio::buffer(*chunk), asio::redirect_error(asio::use_awaitable, ec));
        stream.expires_never();
        if (ec) break;
      }
      timer.expires_after(resp.stream->poll_interval);
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  asio::awaitable<void> Session(tcp::socket socket) {
    beast::error_code ec;
    std::string remote = socket.remote_endpoint(ec).address().to_string();
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    while (!stopping) {
      WireParser parser;
      LimitRequest(parser, options.max_header_bytes, options.max_body_bytes);
      stream.expires_after(options.idle_timeout);
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (auto answer = ReadErrorResponse(ec, ReadStage::kHead, options.max_body_bytes))
          co_await WriteResponse(stream, std::move(*answer));
        break;
      }
      if (!parser.is_done()) {
        stream.expires_after(options.read_timeout);
        co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
          if (auto answer = ReadErrorResponse(ec, ReadStage::kBody, options.max_body_bytes))
            co_await WriteResponse(stream, std::move(*answer));
          break;
        }
      }
      ++in_flight;
      auto started = std::chrono::steady_clock::now();
      auto& breq = parser.get();
      unsigned version = breq.version();
      bool keep_alive = breq.keep_alive() && !stopping;
      bool head_only = breq.method() == bhttp::verb::head;
      Request req = ToRequest(parser.release(), remote, options.trusted_proxies);
      std::string route;
      Response resp;
      try {
        resp = router.Dispatch(req, &route);
      } catch (const std::exception& e) {
        spdlog::error("event=handler_exception route={} what=\"{}\"", route, e.what());
        resp = JsonError(500, "internal error");
      }
      int status = resp.status;
      if (resp.stream) {
        --in_flight;
        if (observer) observer(route, req.method, status, 0);
        co_await ServeStream(stream, resp, version);
        break;
      }
      auto out = ToBeast(std::move(resp), version, keep_alive, head_only);
      stream.expires_after(options.read_timeout);
      co_await bhttp::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
      --in_flight;
      if (observer)
        observer(route, req.method, status,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (ec || !keep_alive) break;
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::awaitable<void> Accept() {
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) break;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(acceptor.get_executor(), Session(std::move(socket)), asio::detached);
    }
  }

  void BeginStop() {
    if (stopping.exchange(true)) return;
    asio::post(ioc, [this] {
      beast::error_code ec;
      acceptor.close(ec);
      signals.cancel(ec);
      // Requests in flight finish; then the loop stops, dropping idle keep-alive connections.
      auto deadline = std::chrono::steady_clock::now() + options.shutdown_grace;
      stopper = std::thread([this, deadline] {
        while (in_flight > 0 && std::chrono::steady_clock::now() < deadline)
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        // Give responses just handed to the socket a moment to leave.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        ioc.stop();
      });
    });
  }
};

Server::Server(ServerOptions options, const Router& router, RequestObserver observer)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(observer))) {}
Server::~Server() = default;

Status Server::Listen() {
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec) return Status::Invalid("bad listen address '" + impl_->options.host + "': " + ec.message());
  tcp::endpoint endpoint{address, impl_->options.port};
  auto& acc = impl_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::Unavailable("cannot listen on " + impl_->options.host + ":" +
                               std::to_string(impl_->options.port) + ": " + ec.message());
  impl_->bound_port = acc.local_endpoint().port();
  return Status::Ok();
}

std::uint16_t Server::port() const { return impl_->bound_port; }

void Server::Run() {
  auto& im = *impl_;
  if (im.options.handle_signals) {
    im.signals.add(SIGTERM);
    im.signals.add(SIGINT);
    im.signals.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) Stop();
    });
  }
  asio::co_spawn(im.ioc, im.Accept(), asio::detached);
  int n = im.options.threads > 0 ? im.options.threads
                                 : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back([&im] { im.ioc.run(); });
  im.ioc.run();
  for (auto& t : pool) t.join();
  if (im.stopper.joinable()) im.stopper.join();
}

void Server::Stop() { impl_->BeginStop(); }

}  // namespace gb::http

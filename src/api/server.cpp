#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange
#include "api/server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <exception>
#include <spdlog/spdlog.h>
#include <thread>
#include <vector>

#include "api/wire.h"

namespace gb::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// One accepted connection: its socket and the deadline that bounds the read or write in
// progress. Both run on the connection's strand (the socket's executor), and timer handlers
// hold the connection, so a deadline that fires late finds it alive and stale deadlines are
// told apart by their generation.
struct Connection : std::enable_shared_from_this<Connection> {
  tcp::socket socket;
  asio::steady_timer deadline;
  std::uint64_t generation = 0;
  bool expired = false;  // the current deadline passed and cancelled the socket's operations

  explicit Connection(tcp::socket s) : socket(std::move(s)), deadline(socket.get_executor()) {}

  void ExpireAt(Clock::time_point at) {
    expired = false;
    deadline.expires_at(at);
    deadline.async_wait([self = shared_from_this(), gen = ++generation](const beast::error_code& ec) {
      if (ec || gen != self->generation) return;
      self->expired = true;
      beast::error_code ignored;
      self->socket.cancel(ignored);
    });
  }
  void ExpireAfter(Clock::duration d) { ExpireAt(Clock::now() + d); }
  void Disarm() {
    ++generation;
    deadline.cancel();
  }
};

// What a live stream waits on between pieces: the stream's wake call or the keep-alive
// interval, and the read kept pending to notice a client that leaves.
struct StreamWatch {
  asio::steady_timer timer;
  bool woken = false;
  bool gone = false;
  char scratch[256];
  explicit StreamWatch(const asio::any_io_executor& ex) : timer(ex) {}
};

// Counts a live object in `n` for as long as it exists.
class Counted {
 public:
  explicit Counted(std::atomic<std::size_t>& n) : n_(n) { ++n_; }
  ~Counted() { --n_; }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

 private:
  std::atomic<std::size_t>& n_;
};

bool OutOfDescriptors(const beast::error_code& ec) {
  return ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory;
}

}  // namespace

struct Server::Impl {
  ServerOptions options;
  const Router& router;
  RequestObserver observer;
  // Declared before the io_context: sessions it destroys unfinished still count themselves out.
  std::atomic<std::size_t> connections{0}, streams{0};
  std::unique_ptr<asio::thread_pool> blocking;  // created by Run(), joined before it returns
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

  // Writes `res` within the write timeout; false when the client did not take it.
  template <class Message>
  asio::awaitable<bool> Write(Connection& c, Message& res) {
    beast::error_code ec;
    c.ExpireAfter(options.write_timeout);
    co_await bhttp::async_write(c.socket, res, asio::redirect_error(asio::use_awaitable, ec));
    c.Disarm();
    co_return !ec;
  }

  // Answers a request that could not be read; the connection closes after it.
  asio::awaitable<void> WriteResponse(Connection& c, Response&& answer) {
    bhttp::response<bhttp::string_body> res = ToBeast(std::move(answer), 11, false, false);
    co_await Write(c, res);
  }

  // Reads the body at the rate the options demand: any rate during the grace period, then
  // an average of at least min_body_rate_bytes_s since the body began.
  asio::awaitable<beast::error_code> ReadBody(Connection& c, beast::flat_buffer& buffer, WireParser& parser) {
    const auto began = Clock::now();
    const double rate = static_cast<double>(std::max<std::size_t>(options.min_body_rate_bytes_s, 1));
    std::uint64_t received = 0;
    beast::error_code ec;
    while (!parser.is_done()) {
      auto allowed = std::max<Clock::duration>(
          options.body_grace, std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(static_cast<double>(received) / rate)));
      c.ExpireAt(began + allowed);
      received += co_await bhttp::async_read_some(c.socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
    }
    c.Disarm();
    co_return ec;
  }

  // Runs `dispatch` on the blocking pool and resumes on the connection's strand with its
  // answer (or its exception).
  asio::awaitable<Response> OffIoThread(std::function<Response()> dispatch) {
    co_return co_await asio::async_initiate<const asio::use_awaitable_t<>, void(std::exception_ptr, Response)>(
        [this](auto handler, std::function<Response()> fn) {
          // Tracks work, so the I/O threads keep running until the answer comes back.
          auto home = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
          asio::post(*blocking, [handler = std::move(handler), fn = std::move(fn), home = std::move(home)]() mutable {
            std::exception_ptr error;
            Response r;
            try {
              r = fn();
            } catch (...) {
              error = std::current_exception();
            }
            asio::dispatch(home, [handler = std::move(handler), error, r = std::move(r)]() mutable {
              handler(error, std::move(r));
            });
          });
        },
        asio::use_awaitable, std::move(dispatch));
  }

  // Keeps one read pending on a stream's socket: a client sends nothing after its request,
  // so a completed read means it left (or misbehaves) and the stream ends at once.
  static void WatchPeer(const std::shared_ptr<Connection>& c, const std::shared_ptr<StreamWatch>& w) {
    c->socket.async_read_some(asio::buffer(w->scratch), [c, w](const beast::error_code& ec, std::size_t) {
      if (!ec) return WatchPeer(c, w);
      w->gone = true;
      w->timer.cancel();
    });
  }

  asio::awaitable<void> ServeStream(std::shared_ptr<Connection> c, Response& resp, unsigned version) {
    Counted counted(streams);
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(resp.status), version};
    head.set(bhttp::field::server, "glassbrain");
    head.set(bhttp::field::content_type, resp.content_type);
    head.set(bhttp::field::cache_control, "no-store");
    for (auto& [k, v] : resp.headers) head.insert(k, v);
    head.keep_alive(false);  // the stream ends with the connection
    bhttp::response_serializer<bhttp::empty_body> sr{head};
    beast::error_code ec;
    c->ExpireAfter(options.write_timeout);
    co_await bhttp::async_write_header(c->socket, sr, asio::redirect_error(asio::use_awaitable, ec));
    c->Disarm();
    if (ec) co_return;

    const auto ex = c->socket.get_executor();
    auto watch = std::make_shared<StreamWatch>(ex);
    WatchPeer(c, watch);
    resp.stream->Start([ex, weak = std::weak_ptr<StreamWatch>(watch)] {
      asio::post(ex, [weak] {
        if (auto w = weak.lock()) {
          w->woken = true;
          w->timer.cancel();
        }
      });
    });
    static const Stream::Piece kKeepAlive = std::make_shared<const std::string>(": keep-alive\n\n");
    auto last_write = Clock::now();
    std::vector<asio::const_buffer> buffers;
    while (!stopping && !watch->gone) {
      watch->woken = false;
      std::optional<std::vector<Stream::Piece>> pieces = resp.stream->Next(options.stream_budget_bytes);
      if (!pieces) break;
      if (pieces->empty()) {
        // Quiet: wait for news, a departure, or the keep-alive that lets proxies (and the
        // client) see the connection alive.
        const auto keep_alive_at = last_write + options.stream_keep_alive;
        if (Clock::now() < keep_alive_at) {
          watch->timer.expires_at(keep_alive_at);
          co_await watch->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          continue;
        }
        pieces->push_back(kKeepAlive);
      }
      buffers.clear();
      for (const auto& p : *pieces) buffers.push_back(asio::buffer(*p));
      // A client that takes nothing for write_timeout is dropped; it resumes with Last-Event-ID.
      c->ExpireAfter(options.write_timeout);
      co_await asio::async_write(c->socket, buffers, asio::redirect_error(asio::use_awaitable, ec));
      c->Disarm();
      if (ec) break;
      last_write = Clock::now();
    }
    beast::error_code ignored;
    c->socket.cancel(ignored);  // ends the pending read
  }

  asio::awaitable<void> Session(std::shared_ptr<Connection> c) {
    Counted counted(connections);
    beast::error_code ec;
    std::string remote = c->socket.remote_endpoint(ec).address().to_string();
    beast::flat_buffer buffer;
    while (!stopping) {
      // Keep-alive: any time for the next request's first byte, up to idle_timeout.
      if (buffer.size() == 0) {
        c->ExpireAfter(options.idle_timeout);
        co_await c->socket.async_wait(tcp::socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
        c->Disarm();
        if (ec) break;
      }
      WireParser parser;
      LimitRequest(parser, options.max_header_bytes, options.max_body_bytes);
      c->ExpireAfter(options.header_timeout);
      co_await bhttp::async_read_header(c->socket, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      const bool head_late = c->expired;
      c->Disarm();
      if (ec) {
        if (head_late) {
          co_await WriteResponse(*c, JsonError(408, "the request head did not arrive within " +
                                                         std::to_string(options.header_timeout.count()) + " s"));
        } else if (auto answer = ReadErrorResponse(ec, ReadStage::kHead, options.max_body_bytes)) {
          co_await WriteResponse(*c, std::move(*answer));
        }
        break;
      }
      if (!parser.is_done()) {
        ec = co_await ReadBody(*c, buffer, parser);
        if (ec) {
          if (c->expired) {
            co_await WriteResponse(*c, JsonError(408, "the request body arrived slower than " +
                                                           std::to_string(options.min_body_rate_bytes_s) +
                                                           " bytes per second"));
          } else if (auto answer = ReadErrorResponse(ec, ReadStage::kBody, options.max_body_bytes)) {
            co_await WriteResponse(*c, std::move(*answer));
          }
          break;
        }
      }
      ++in_flight;
      auto started = Clock::now();
      auto& breq = parser.get();
      unsigned version = breq.version();
      bool keep_alive = breq.keep_alive() && !stopping;
      bool head_only = breq.method() == bhttp::verb::head;
      Request req = ToRequest(parser.release(), remote, options.trusted_proxies);
      std::string route;
      auto dispatch = [this, &req, &route] {
        try {
          return router.Dispatch(req, &route);
        } catch (const std::exception& e) {
          spdlog::error("event=handler_exception route={} what=\"{}\"", route, e.what());
          return JsonError(500, "internal error");
        }
      };
      Response resp;  // not a conditional expression around co_await: GCC 12 miscompiles that
      if (router.Blocking(req)) resp = co_await OffIoThread(dispatch);
      else resp = dispatch();
      int status = resp.status;
      if (resp.stream) {
        --in_flight;
        if (observer) observer(route, req.method, status, 0);
        req = Request{};  // what the stream needs it copied; the connection keeps no more
        buffer.shrink_to_fit();
        co_await ServeStream(c, resp, version);
        break;
      }
      auto out = ToBeast(std::move(resp), version, keep_alive, head_only);
      bool written = co_await Write(*c, out);
      --in_flight;
      if (observer)
        observer(route, req.method, status, std::chrono::duration<double>(Clock::now() - started).count());
      if (!written || !keep_alive) break;
    }
    c->Disarm();
    c->socket.shutdown(tcp::socket::shutdown_send, ec);
  }

  // Over max_connections: a short 503, then close after the client has had a moment to read
  // it (closing with its request unread would reset the connection before the answer).
  asio::awaitable<void> Refuse(std::shared_ptr<Connection> c) {
    static const std::string kBusy = [] {
      const std::string body = R"({"error":{"code":"unavailable","message":"the hub serves as many connections as it may; retry shortly"}})";
      return "HTTP/1.1 503 Service Unavailable\r\nServer: glassbrain\r\nContent-Type: application/json\r\n"
             "Retry-After: 1\r\nConnection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    beast::error_code ec;
    c->ExpireAfter(std::chrono::seconds(2));
    co_await asio::async_write(c->socket, asio::buffer(kBusy), asio::redirect_error(asio::use_awaitable, ec));
    if (!ec) c->socket.shutdown(tcp::socket::shutdown_send, ec);
    char drain[512];
    while (!ec && !c->expired)
      co_await c->socket.async_read_some(asio::buffer(drain), asio::redirect_error(asio::use_awaitable, ec));
    c->Disarm();
  }

  asio::awaitable<void> Accept() {
    asio::steady_timer pause(ioc);
    auto last_warning = Clock::time_point{};
    while (!stopping) {
      beast::error_code ec;
      tcp::socket socket(asio::make_strand(ioc));
      co_await acceptor.async_accept(socket, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        if (stopping || ec == asio::error::operation_aborted) break;
        if (OutOfDescriptors(ec)) {
          // Accepting again at once would fail again at once: wait for descriptors to free.
          if (Clock::now() - last_warning > std::chrono::seconds(10)) {
            spdlog::warn("event=accept_paused reason=\"{}\" open_connections={} hint=\"raise the open-file limit "
                         "(LimitNOFILE) or lower server.max_connections\"",
                         ec.message(), connections.load());
            last_warning = Clock::now();
          }
          pause.expires_after(std::chrono::milliseconds(100));
          co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        }
        continue;
      }
      socket.set_option(tcp::no_delay(true), ec);
      auto c = std::make_shared<Connection>(std::move(socket));
      auto ex = c->socket.get_executor();
      if (connections >= options.max_connections) {
        asio::co_spawn(ex, Refuse(std::move(c)), asio::detached);
        continue;
      }
      asio::co_spawn(ex, Session(std::move(c)), asio::detached);
    }
  }

  void BeginStop() {
    if (stopping.exchange(true)) return;
    asio::post(ioc, [this] {
      beast::error_code ec;
      acceptor.close(ec);
      signals.cancel(ec);
      // Requests in flight finish; then the loop stops, dropping idle keep-alive connections.
      auto deadline = Clock::now() + options.shutdown_grace;
      stopper = std::thread([this, deadline] {
        while (in_flight > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
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
  const int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const int blocking = im.options.blocking_threads > 0 ? im.options.blocking_threads : 4 * cores;
  im.blocking = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(blocking));
  asio::co_spawn(im.ioc, im.Accept(), asio::detached);
  int n = im.options.threads > 0 ? im.options.threads : std::max(2, cores);
  std::vector<std::thread> pool;
  for (int i = 1; i < n; ++i) pool.emplace_back([&im] { im.ioc.run(); });
  im.ioc.run();
  for (auto& t : pool) t.join();
  if (im.stopper.joinable()) im.stopper.join();
  im.blocking->join();
}

void Server::Stop() { impl_->BeginStop(); }

std::size_t Server::open_connections() const { return impl_->connections.load(); }
std::size_t Server::open_streams() const { return impl_->streams.load(); }

}  // namespace gb::http

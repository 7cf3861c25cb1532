// Raw bytes of a connection through the server's HTTP parser, its header and body limits
// (api/wire.h) and Router::Dispatch on the fuzz hub, request after request as on a
// keep-alive connection, the way the server reads them. Placeholders in the input stand for
// the hub's credentials (fuzz_hub.h).
// Properties: no handler throws or answers 500; every answer could go on the wire (a status
// from 100 to 599, no CR, LF or NUL in a header); JSON answers are valid JSON.
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <nlohmann/json.hpp>

#include "api/server.h"
#include "api/wire.h"
#include "fuzz_hub.h"
#include "fuzz_input.h"

using namespace gb;
namespace bhttp = boost::beast::http;

namespace {

// A connection's bytes from memory, for Beast's synchronous reads; the end of the bytes is
// the peer closing the connection.
class BytesStream {
 public:
  explicit BytesStream(std::string_view bytes) : rest_(bytes) {}

  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (rest_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(rest_.data(), rest_.size()));
    rest_.remove_prefix(n);
    ec = {};
    return n;
  }
  template <typename Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    std::size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view rest_;
};

bool WireSafe(std::string_view s) { return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos; }

void CheckAnswer(const http::Response& r) {
  fuzz::Require(r.status >= 100 && r.status <= 599, "a status outside 100-599");
  fuzz::Require(r.status != 500, "a handler answered 500");
  fuzz::Require(WireSafe(r.content_type), "a Content-Type with CR, LF or NUL");
  for (const auto& [name, value] : r.headers)
    fuzz::Require(!name.empty() && WireSafe(name) && WireSafe(value), "a header with CR, LF or NUL");
  if (!r.stream && r.content_type.starts_with("application/json") && !r.body.empty())
    fuzz::Require(nlohmann::json::accept(r.body), "a JSON answer that is not valid JSON");
}

}  // namespace

// Sets up the hub before the first input, so that its start-up (the anonymizer's models, the
// store) counts against no input's time limit.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  (void)fuzz::TheHub();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::FuzzHub& f = fuzz::TheHub();
  const http::ServerOptions limits;  // the hub's defaults (api/limits.h)
  const std::string bytes = fuzz::WithCredentials(fuzz::AsText(data, size));
  BytesStream connection(bytes);
  boost::beast::flat_buffer buffer;
  for (;;) {
    http::WireParser parser;
    http::LimitRequest(parser, limits.max_header_bytes, limits.max_body_bytes);
    boost::system::error_code ec;
    bhttp::read_header(connection, buffer, parser, ec);
    if (ec) {
      if (auto answer = http::ReadErrorResponse(ec, http::ReadStage::kHead, limits.max_body_bytes))
        CheckAnswer(*answer);
      return 0;
    }
    if (!parser.is_done()) {
      bhttp::read(connection, buffer, parser, ec);
      if (ec) {
        if (auto answer = http::ReadErrorResponse(ec, http::ReadStage::kBody, limits.max_body_bytes))
          CheckAnswer(*answer);
        return 0;
      }
    }
    bool keep_alive = parser.get().keep_alive();
    http::Request req = http::ToRequest(parser.release(), "198.51.100.7", limits.trusted_proxies);
    std::string route;
    http::Response answer = f.hub->router().Dispatch(req, &route);
    CheckAnswer(answer);
    if (answer.stream) {
      answer.stream->Start([] {});
      (void)answer.stream->Next(64 << 10);
      return 0;  // a stream ends its connection
    }
    if (!keep_alive) return 0;
  }
}

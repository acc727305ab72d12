// Raw bytes into the real HttpServer (src/net/http_server.cpp), over a loopback TCP connection: the
// connection coroutine, Beast's request parser with the node's limits, keep-alive and pipelining, the
// server's own answers (400, 413, 431) and 100-continue paths, streaming responses and a handler that throws.
//
// One server, with small limits (1 KiB bodies, 2 KiB heads) so that inputs reach them, serves every input on
// one io_context and thread. Per input, a client connects, sends the input, shuts down its sending side and
// reads until the server closes; the io_context runs until the connection is over on both sides, so nothing
// of one input is left for the next (LeakSanitizer checks after each one). The handler answers by target:
// "/stream…" as a chunked stream, "/throw…" by throwing, anything else with a Content-Length body; HEAD
// without a body.
//
// Invariants:
//  - the server ends every connection once the client has sent everything (a hang is a libFuzzer timeout);
//  - what it sends parses as a sequence of whole HTTP/1.x responses, each complete (no bytes of a response
//    cut short, none after one that said Connection: close);
//  - one final response per request the handler saw, in order (200, or 500 when the handler threw), plus at
//    most one answer of the server's own at the end (400 unparsable, 413 body over the limit, 431 head over
//    the limit) that closes the connection; 100 Continue only as an interim response;
//  - the handler never sees a body over the limit.
#include "net/http_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>

#include "support/harness.h"

namespace asio = boost::asio;
namespace http = boost::beast::http;
using quorum::net::Headers;
using quorum::net::HttpRequest;
using quorum::net::ResponseWriter;
using quorum::net::Task;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kMaxBody = 1024;
constexpr size_t kMaxHead = 2048;

struct Handled {
  std::string method, target;
};

quorum::net::ServerLimits limits() {
  quorum::net::ServerLimits l;
  l.max_body_bytes = kMaxBody;
  l.max_header_bytes = kMaxHead;
  return l;
}

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool throws(const Handled& request) {
  return starts_with(request.target, "/throw");
}

struct Fixture {
  asio::io_context io{1};
  std::vector<Handled> handled;
  quorum::net::HttpServer server{io.get_executor(), "127.0.0.1", 0,
                                 [this](HttpRequest& r, ResponseWriter& w) { return handle(r, w); },
                                 limits()};

  Fixture() { server.start(); }

  Task<void> handle(HttpRequest& request, ResponseWriter& writer) {
    handled.push_back({request.method, request.target});
    FUZZ_CHECK(!request.method.empty() && request.body.size() <= kMaxBody);
    const bool head = request.method == "HEAD";
    // On HEAD too: the server's own 500 must then go without its body (this harness found it did not).
    if (throws(handled.back())) throw std::runtime_error("a handler bug");
    Headers headers;
    headers.add("Content-Type", "text/plain");
    std::string body = "got " + std::to_string(request.body.size()) + " bytes";
    if (starts_with(request.target, "/stream") && !head) {
      co_await writer.begin_stream(200, headers);
      co_await writer.write(body);
      co_await writer.write(request.body.substr(0, 16));
      co_await writer.end_stream("end");
      co_return;
    }
    co_await writer.send(200, headers, head ? std::string() : body);
  }

  Task<void> client(std::string_view input, std::string& received, bool& done) {
    tcp::socket socket(io);
    boost::system::error_code ec;
    co_await socket.async_connect({asio::ip::make_address("127.0.0.1"), server.port()},
                                  asio::redirect_error(asio::use_awaitable, ec));
    FUZZ_CHECK(!ec, "connect: " + ec.message());
    // The server may close before reading everything (a 413, a request it cannot parse): then the write
    // fails, and what it answered is still read below.
    co_await asio::async_write(socket, asio::buffer(input.data(), input.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    socket.shutdown(tcp::socket::shutdown_send, ec);
    char buffer[4096];
    for (;;) {
      size_t n = co_await socket.async_read_some(asio::buffer(buffer),
                                                 asio::redirect_error(asio::use_awaitable, ec));
      received.append(buffer, n);
      if (ec) break;
    }
    // A reset rather than a FIN: no TIME_WAIT left behind, so millions of inputs do not exhaust the ports.
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
    done = true;
  }
};

// Checks the bytes the server sent against the requests its handler saw.
void check_responses(std::string_view received, const std::vector<Handled>& handled) {
  size_t at = 0, finals = 0;
  bool closed = false;
  while (at < received.size()) {
    FUZZ_CHECK(!closed, "bytes after a response that closed the connection");
    http::response_parser<http::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    const bool answers_handled = finals < handled.size();
    parser.skip(answers_handled && handled[finals].method == "HEAD");
    boost::beast::error_code ec;
    while (!parser.is_done()) {
      // The server's own answer to a request the handler never saw is last (the server closes after it); the
      // request's method is not known here, so its body is not checked.
      if (!answers_handled && parser.is_header_done()) {
        at = received.size();
        break;
      }
      if (at == received.size()) {
        parser.put_eof(ec);
        FUZZ_CHECK(!ec, "a response cut short: " + ec.message());
        break;
      }
      at += parser.put(asio::buffer(received.data() + at, received.size() - at), ec);
      if (ec == http::error::need_more) continue;
      FUZZ_CHECK(!ec,
                 "a malformed response: " + ec.message() + " in " + std::string(received.substr(0, 400)));
    }
    const auto& res = parser.get();
    int status = res.result_int();
    if (status == 100) continue;
    FUZZ_CHECK(status >= 200, "interim status " + std::to_string(status));
    if (finals < handled.size()) {
      int expected = throws(handled[finals]) ? 500 : 200;
      FUZZ_CHECK(status == expected, std::to_string(status) + " for " + handled[finals].target);
    } else {
      const bool own_answer = status == 400 || status == 413 || status == 431;
      FUZZ_CHECK(finals == handled.size() && own_answer && !res.keep_alive(),
                 "an unexpected " + std::to_string(status));
    }
    ++finals;
    closed = !res.keep_alive();
  }
  FUZZ_CHECK(finals == handled.size() || finals == handled.size() + 1,
             std::to_string(finals) + " responses to " + std::to_string(handled.size()) + " requests");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture fixture;
  fixture.handled.clear();
  std::string received;
  bool done = false;
  fixture.io.restart();
  asio::co_spawn(fixture.io, fixture.client(quorum::fuzz::as_text(data, size), received, done),
                 asio::detached);
  while (!done || fixture.server.open_connections() != 0) fixture.io.run_one();
  check_responses(received, fixture.handled);
  return 0;
}

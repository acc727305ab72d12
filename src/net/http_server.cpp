// Beast lives here, in server_writer.cpp and in http_client.cpp only.
#include "net/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <iterator>
#include <list>

#include "core/stage_marks.h"
#include "net/head_fields.h"
#include "net/read_faults.h"
#include "net/server_writer.h"
#include "net/websocket_upgrade.h"

namespace quorum::net {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

struct Connection {
  beast::tcp_stream stream;
  // The connection's place in the intake, given back when it ends; the intake is held for as long (a
  // connection's coroutine may be destroyed after its server, with the io_context).
  std::shared_ptr<Intake> intake;
  std::optional<Intake::Ticket> ticket;  // none for an adopted connection
  std::string remote;                    // the client's address
  bool busy = false;                     // a handler is running
  bool handed_off = false;               // the stream now belongs to a WebSocket
  // The deadline of the read under way (arm_read_deadline): `read_due` is when it ends (max: no read under
  // way); the one wait on `read_timer`, while pending, ends no later than `read_due`.
  asio::steady_timer read_timer;
  std::chrono::steady_clock::time_point read_due = std::chrono::steady_clock::time_point::max();
  uint64_t read_timer_generation = 0;  // of the wait pending; an older wait's completion is ignored
  bool read_timer_pending = false;
  bool timed_out = false;

  Arrival arrival;
  // Its entry in the server's list of connections, removed when it ends.
  std::list<std::weak_ptr<Connection>>::iterator entry;

  Connection(tcp::socket socket, std::shared_ptr<Intake> in, std::optional<Intake::Ticket> t,
             std::string peer, Arrival how)
      : stream(std::move(socket)),
        intake(std::move(in)),
        ticket(std::move(t)),
        remote(std::move(peer)),
        read_timer(stream.get_executor()),
        arrival(how) {}
};

std::string_view target_path(std::string_view target) {
  return target.substr(0, target.find('?'));
}

Arrival arrival_of(const asio::ip::address& peer) {
  return is_loopback(peer) ? Arrival::kLoopback : Arrival::kNetwork;
}

// Waits on the connection's read timer until `due`, then ends the read under way if its deadline has come,
// or waits again for the deadline it has by then.
void wait_read_timer(const std::shared_ptr<Connection>& connection,
                     std::chrono::steady_clock::time_point due) {
  const uint64_t generation = ++connection->read_timer_generation;
  connection->read_timer_pending = true;
  connection->read_timer.expires_at(due);  // a wait pending on a later expiry completes, aborted: ignored
  connection->read_timer.async_wait(
      [weak = std::weak_ptr<Connection>(connection), generation](const beast::error_code& ec) {
        auto c = weak.lock();
        if (ec || !c || c->read_timer_generation != generation) return;
        c->read_timer_pending = false;
        if (c->read_due == std::chrono::steady_clock::time_point::max()) return;  // no read under way
        if (std::chrono::steady_clock::now() < c->read_due) {
          wait_read_timer(c, c->read_due);
          return;
        }
        c->timed_out = true;
        c->stream.cancel();
      });
}

// Cuts the reads that follow once `after` has passed, and sets `timed_out`: unlike Beast's own expiry, which
// closes the socket, this leaves the connection open so that the 408 can still be sent.
//
// Lazy, as a request arms and disarms a deadline for each of its reads (the idle wait, the head, the body):
// arming and disarming set `read_due`, and the timer is touched only when no wait is pending or the new
// deadline comes before the pending wait ends. A wait that ends early finds the later deadline and waits
// again. So a kept-alive connection's requests cost a timer operation per idle period, not six per request
// (each with a cancelled wait's completion through the scheduler).
void arm_read_deadline(const std::shared_ptr<Connection>& connection, std::chrono::seconds after) {
  connection->timed_out = false;
  connection->read_due = std::chrono::steady_clock::now() + after;
  if (!connection->read_timer_pending || connection->read_due < connection->read_timer.expiry()) {
    wait_read_timer(connection, connection->read_due);
  }
}

void disarm_read_deadline(Connection& connection) {
  connection.read_due = std::chrono::steady_clock::time_point::max();
}

// The connection ends: its pending wait goes too (it would keep the io_context busy until it ended).
void end_read_deadline(Connection& connection) {
  disarm_read_deadline(connection);
  ++connection.read_timer_generation;
  connection.read_timer_pending = false;
  connection.read_timer.cancel();
}

using RequestParser = http::request_parser<http::string_body, HeadAllocator>;

// The most take_ready() reads at once: a usual request's head and body.
constexpr size_t kReadyBytes = 16384;

// What the connection holds now, appended to `buffer` without waiting. Nothing is taken when nothing is
// there or the read fails: the asynchronous read that follows meets the same condition and answers it.
void take_ready(tcp::socket& socket, beast::flat_buffer& buffer) {
  const size_t room = std::min(buffer.max_size() - buffer.size(), kReadyBytes);
  if (room == 0) return;
  const auto space = buffer.prepare(room);
  const ssize_t n = ::recv(socket.native_handle(), space.data(), space.size(), MSG_DONTWAIT);
  if (n > 0) buffer.commit(static_cast<size_t>(n));
}

// Feeds `parser` what `buffer` holds until the head is whole (`head_only`) or the request is, or the bytes
// run out ("needs more" is not an error here: an asynchronous read goes on from where this stopped).
void parse_buffered(RequestParser& parser, beast::flat_buffer& buffer, bool head_only,
                    beast::error_code& ec) {
  while (buffer.size() > 0 && !parser.is_done() && !(head_only && parser.is_header_done())) {
    const size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      return;
    }
    if (ec || used == 0) return;
  }
}

RequestHead head_of(const RequestParser& parser, const Connection& connection) {
  const auto& msg = parser.get();
  RequestHead head;
  head.method = std::string(msg.method_string());
  head.target = std::string(msg.target());
  copy_fields(msg, head.headers);
  head.remote_address = connection.remote;
  head.arrival = connection.arrival;
  return head;
}

// The request as Beast's plain message (the WebSocket handshake's), outside the arena its head was read into.
http::request<http::string_body> plain_request(const http::request<http::string_body, HeadFields>& request) {
  http::request<http::string_body> plain{request.method(), request.target(), request.version()};
  if (request.method() == http::verb::unknown) plain.method_string(request.method_string());
  for (const auto& f : request) plain.insert(f.name_string(), f.value());
  plain.body() = request.body();
  return plain;
}

// Sends a response that ends the connection before the request was read to its end, then closes it with a
// lingering close: the client may still be sending (its body, or the rest of a slow head), and closing with
// unread bytes would reset the connection, so that the client never read the answer. What still arrives is
// read and dropped until the client closes or kLingerTime passes.
Task<void> answer_and_close(beast::tcp_stream& stream, unsigned version, int status, const Headers& headers,
                            std::string body) {
  Headers with_type = headers;
  if (!with_type.has("Content-Type")) with_type.add("Content-Type", "application/json");
  ServerWriter writer(stream, version == 10 ? 10u : 11u, /*keep_alive=*/false, /*head_only=*/false);
  if (!co_await writer.send(status, with_type, std::move(body))) co_return;
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTime);
  std::array<char, 16384> sink;
  while (!ec) co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<HttpServer::Impl> {
  asio::any_io_executor executor;
  tcp::acceptor acceptor;
  Handler handler;
  ServerLimits limits;
  Admit admit;
  std::shared_ptr<Intake> intake;
  std::shared_ptr<const PeerTls> tls;
  std::shared_ptr<const ServerCertificate> certificate;
  std::shared_ptr<const ServerOptions::WebSocketEndpoint> websocket;
  bool stopping = false;
  bool abort_all = false;
  std::list<std::weak_ptr<Connection>> connections;
  std::atomic<size_t> active{0};     // connections being served (read from other threads)
  std::function<void()> on_drained;  // posted once stopping and `active` is 0

  Impl(const asio::any_io_executor& ex, Handler h, ServerOptions o)
      : executor(ex),
        acceptor(ex),
        handler(std::move(h)),
        limits(o.limits),
        admit(std::move(o.admit)),
        intake(o.intake ? std::move(o.intake) : std::make_shared<Intake>()),
        tls(std::move(o.tls)),
        certificate(std::move(o.certificate)),
        websocket(std::move(o.websocket)) {}

  Task<void> accept_loop();
  // A connection just accepted: admitted (or closed, over its budget) and served.
  void take(tcp::socket socket);
  void start_serving(std::shared_ptr<Connection> connection);
  // With ServerOptions::tls: when `connection` begins with a TLS handshake, runs it and puts the session's
  // plaintext end in its place. False when the connection is to close (silent, failed handshake, stopping).
  Task<bool> open_tls(const std::shared_ptr<Connection>& connection);
  // With ServerOptions::certificate: runs the handshake and puts the session's plaintext end in the
  // connection's place. False when the connection is to close (failed handshake, stopping).
  Task<bool> open_certificate_tls(const std::shared_ptr<Connection>& connection);
  Task<void> serve(std::shared_ptr<Connection> connection);
  // One request on `connection`, from its head to the end of its response. False when the connection is to
  // close after it.
  Task<bool> serve_request(const std::shared_ptr<Connection>& connection, beast::flat_buffer& buffer,
                           bool first);
  // A request read whole and admitted, ready for the handler.
  struct ReadRequest {
    HttpRequest request;
    unsigned version = 11;
    bool keep_alive = false;
  };
  // Reads the next request on `connection` up to its handler: its head, admission, body. Answers what it
  // refuses itself; nullopt when the connection is to close (or was handed off) without a handler. Its own
  // coroutine, so that the parser and everything else of the reading is freed before a (long) response.
  Task<std::optional<ReadRequest>> read_request(const std::shared_ptr<Connection>& connection,
                                                beast::flat_buffer& buffer, bool first);
  // Answers `fault`, met while reading a request, as read_faults.h says (nothing for kGone), then closes.
  Task<void> answer_read_fault(beast::tcp_stream& stream, unsigned version, ReadFault fault) const {
    auto answer = answer_for(fault, limits.max_body_bytes, limits.max_header_bytes);
    if (!answer) co_return;
    const Headers none;
    co_await answer_and_close(stream, version, answer->status, none, std::move(answer->body));
  }
  // After stop(): tells whoever waits for the drain, once the last connection is gone.
  void notify_if_drained() {
    if (stopping && active == 0 && on_drained) asio::post(executor, std::exchange(on_drained, nullptr));
  }
};

// Connections one wake-up of the accept loop takes from the kernel's queue before it waits again. Each wait
// puts the loop behind every handler ready on its thread: with a thousand streams on the thread, one
// connection per wait took a few dozen a second, and new clients (or a node's new engine connections, to an
// engine served by this class) waited seconds in the queue.
constexpr int kAcceptBatch = 64;

Task<void> HttpServer::Impl::accept_loop() {
  auto self = shared_from_this();
  for (;;) {
    beast::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
    if (stopping) co_return;  // accepted as stop() ran: the socket closes here, unserved
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      // EMFILE and friends: back off briefly rather than spin.
      asio::steady_timer t(executor, std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    take(std::move(socket));
    // Then what else is queued, without waiting (the acceptor is non-blocking): would_block ends the batch,
    // and any other error is the awaited accept's to meet.
    for (int i = 1; i < kAcceptBatch && !stopping; ++i) {
      tcp::socket more(executor);
      acceptor.accept(more, ec);
      if (ec) break;
      take(std::move(more));
    }
  }
}

void HttpServer::Impl::take(tcp::socket socket) {
  stage::mark(stage::Stage::kArrived);
  beast::error_code ec;
  auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto ticket = intake->admit_connection(peer.address());
  if (!ticket) return;  // over its budget: closed here, unread
  socket.set_option(tcp::no_delay(true), ec);
  auto connection = std::make_shared<Connection>(std::move(socket), intake, std::move(ticket),
                                                 peer.address().to_string(), arrival_of(peer.address()));
  start_serving(std::move(connection));
}

void HttpServer::Impl::start_serving(std::shared_ptr<Connection> connection) {
  connection->entry = connections.insert(connections.end(), connection);
  ++active;  // counted from here, so that a drain does not end before serve() begins
  asio::co_spawn(executor, serve(std::move(connection)), asio::detached);
}

Task<bool> HttpServer::Impl::open_tls(const std::shared_ptr<Connection>& connection) {
  // The first byte decides, within the header timeout (a connection that sends nothing is closed as a
  // plain one would be).
  beast::error_code ec;
  arm_read_deadline(connection, limits.header_timeout);
  co_await connection->stream.socket().async_wait(tcp::socket::wait_read,
                                                  asio::redirect_error(use_awaitable, ec));
  disarm_read_deadline(*connection);
  if (ec || stopping) co_return false;
  unsigned char first = 0;
  auto& socket = connection->stream.socket();
  if (::recv(socket.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1) co_return false;
  // A stream from another node through the relay must be TLS with the cluster's key.
  if (!begins_tls(first)) co_return connection->arrival != Arrival::kRelayPeer;
  // The handshake is bounded by the header timeout; stop() does not reach the TCP socket meanwhile.
  auto plain = co_await tls_accept(tls, connection->stream.release_socket(),
                                   std::chrono::milliseconds(limits.header_timeout));
  if (!plain || stopping) co_return false;
  connection->stream.socket() = std::move(*plain);
  connection->arrival = Arrival::kPeerTls;
  co_return true;
}

Task<bool> HttpServer::Impl::open_certificate_tls(const std::shared_ptr<Connection>& connection) {
  // The handshake is bounded by the header timeout; stop() does not reach the TCP socket meanwhile.
  auto plain = co_await certificate->accept(connection->stream.release_socket(),
                                            std::chrono::milliseconds(limits.header_timeout));
  if (!plain || stopping) co_return false;
  connection->stream.socket() = std::move(*plain);
  co_return true;
}

Task<void> HttpServer::Impl::serve(std::shared_ptr<Connection> connection) {
  auto self = shared_from_this();
  beast::flat_buffer buffer;
  bool open = true;
  if (certificate && connection->ticket) {  // accepted, not adopted
    open = co_await open_certificate_tls(connection);
  } else if (tls || connection->arrival == Arrival::kRelayPeer) {
    open = tls && co_await open_tls(connection);
  }
  for (bool first = true; open && !stopping; first = false) {
    if (!co_await serve_request(connection, buffer, first)) break;
  }
  end_read_deadline(*connection);
  if (!connection->handed_off) {
    beast::error_code ec;
    connection->stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    connection->stream.close();
  }
  connections.erase(connection->entry);  // (a walk over every open connection per accept, before)
  --active;
  notify_if_drained();
}

Task<std::optional<HttpServer::Impl::ReadRequest>> HttpServer::Impl::read_request(
    const std::shared_ptr<Connection>& connection, beast::flat_buffer& buffer, bool first) {
  auto& stream = connection->stream;
  HeadArena arena;
  RequestParser parser{std::piecewise_construct, std::make_tuple(), std::make_tuple(arena.allocator())};
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.body_limit(limits.max_body_bytes);
  const bool pipelined = buffer.size() > 0;  // bytes of this request came with the previous one
  beast::error_code ec;
  if (!first && !pipelined) {
    // Kept alive between requests: idle until the next one begins (or closed silently after a while); the
    // header timeout counts from its first byte.
    arm_read_deadline(connection, limits.idle_keepalive);
    co_await stream.socket().async_wait(tcp::socket::wait_read, asio::redirect_error(use_awaitable, ec));
    stage::mark(stage::Stage::kArrived);
    disarm_read_deadline(*connection);
    if (ec) co_return std::nullopt;
  }
  // A request usually arrives whole in one segment: what the connection holds is parsed at once, and only
  // what is missing is read asynchronously (each asynchronous read completes through the scheduler: on a
  // node idle between requests, a trip through cold code).
  take_ready(stream.socket(), buffer);
  parse_buffered(parser, buffer, /*head_only=*/true, ec);
  if (!ec && !parser.is_header_done()) {
    arm_read_deadline(connection, limits.header_timeout);
    co_await http::async_read_header(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    disarm_read_deadline(*connection);
  }
  stage::mark(stage::Stage::kHeadRead);
  // A declared Content-Length over the limit fails here already; it is answered once the head is admitted.
  const bool too_large = ec == http::error::body_limit;
  if (ec && !too_large) {
    const auto fault =
        classify_read_error(ec, connection->timed_out, pipelined || parser.got_some() || buffer.size() > 0);
    co_await answer_read_fault(stream, 11, fault);
    co_return std::nullopt;
  }
  const unsigned version = parser.get().version();
  RequestHead head = head_of(parser, *connection);

  Admission admission = admit ? admit(head) : Admission::admit(true);
  if (!admission.admitted) {
    co_await answer_and_close(stream, version, admission.status, admission.headers,
                              std::move(admission.body));
    co_return std::nullopt;
  }
  if (websocket && !too_large && target_path(head.target) == websocket->path) {
    auto request = plain_request(parser.get());
    if (is_websocket_upgrade(request)) {
      connection->handed_off = true;
      auto upgraded = co_await accept_websocket(std::move(stream), std::move(request), websocket->subprotocol,
                                                connection->remote, websocket->options);
      if (upgraded) websocket->on_open(std::move(*upgraded), std::move(head));
      co_return std::nullopt;
    }
  }
  // (A head that failed on its length is not "done" for the parser: its length is not asked for then.)
  const auto declared = too_large ? boost::none : parser.content_length();
  if (too_large || (declared && *declared > limits.max_body_bytes)) {
    co_await answer_read_fault(stream, version, ReadFault::kBodyTooLarge);
    co_return std::nullopt;
  }
  // An unverified body holds its room in the intake while it is read (the longest it may be when chunked).
  const bool unverified_body = !admission.verified && !parser.is_done();
  std::optional<Intake::Reservation> reservation =
      unverified_body
          ? intake->reserve_unverified(declared ? static_cast<size_t>(*declared) : limits.max_body_bytes)
          : std::nullopt;
  if (unverified_body && !reservation) {
    Headers h;
    h.add("Retry-After", "1");
    co_await answer_and_close(stream, version, 503, h,
                              plain_error_json("The node is reading as many unverified request bodies as it "
                                               "accepts at once; try again shortly.",
                                               "server_error", "busy"));
    co_return std::nullopt;
  }
  if (beast::iequals(parser.get()[http::field::expect], "100-continue") && !parser.is_done()) {
    http::response<http::empty_body> cont{http::status::continue_, version};
    stream.expires_after(kWriteTimeout);
    co_await http::async_write(stream, cont, asio::redirect_error(use_awaitable, ec));
    stream.expires_never();
    if (ec) co_return std::nullopt;
  }
  if (!parser.is_done()) parse_buffered(parser, buffer, /*head_only=*/false, ec);
  if (!ec && !parser.is_done()) {
    arm_read_deadline(connection, limits.body_timeout);
    co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    disarm_read_deadline(*connection);
  }
  stage::mark(stage::Stage::kBodyRead);
  reservation.reset();  // the body is in: the handler verifies its sender before it awaits anything
  if (ec) {
    const auto fault = classify_read_error(ec, connection->timed_out, true);
    co_await answer_read_fault(stream, version, fault);
    co_return std::nullopt;
  }

  // Only the request stays for the (possibly long) response: the parsed message and the read buffer's room
  // go now.
  ReadRequest read;
  static_cast<RequestHead&>(read.request) = std::move(head);
  read.keep_alive = parser.get().keep_alive() && !stopping;
  read.version = version;
  read.request.body = std::move(parser.release().body());
  if (buffer.size() == 0) buffer.shrink_to_fit();
  co_return read;
}

Task<bool> HttpServer::Impl::serve_request(const std::shared_ptr<Connection>& connection,
                                           beast::flat_buffer& buffer, bool first) {
  auto read = co_await read_request(connection, buffer, first);
  if (!read) co_return false;
  HttpRequest& req = read->request;
  ServerWriter writer(connection->stream, read->version, read->keep_alive, req.method == "HEAD");
  connection->busy = true;
  bool failed = false;
  stage::mark(stage::Stage::kHandlerCalled);
  try {
    co_await handler(req, writer);
  } catch (const std::exception&) {
    failed = true;  // a handler bug must not take the node down; answer if nothing was sent yet
  }
  if (failed && !writer.started()) {
    Headers h;
    h.add("Content-Type", "application/json");
    co_await writer.send(500, h,
                         plain_error_json("Internal error while handling the request.", "server_error", ""));
  }
  connection->busy = false;
  co_return writer.complete() && writer.keeps_alive() && !writer.client_gone();
}

HttpServer::HttpServer(const asio::any_io_executor& executor, const std::string& host, unsigned short port,
                       Handler handler, ServerOptions options)
    : impl_(std::make_shared<Impl>(executor, std::move(handler), options)) {
  tcp::endpoint endpoint(asio::ip::make_address(host), port);
  auto& a = impl_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  if (options.reuse_port) {
    int one = 1;
    ::setsockopt(a.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  }
  a.bind(endpoint);
  a.listen(asio::socket_base::max_listen_connections);
  a.non_blocking(true);  // accept_loop() drains the queue without waiting
}

HttpServer::HttpServer(const asio::any_io_executor& executor, const std::string& host, unsigned short port,
                       Handler handler, ServerLimits limits, bool reuse_port)
    : HttpServer(executor, host, port, std::move(handler),
                 ServerOptions{limits, reuse_port, {}, {}, {}, {}}) {}

HttpServer::~HttpServer() {
  stop(true);
}

unsigned short HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::start() {
  asio::co_spawn(impl_->executor, impl_->accept_loop(), asio::detached);
}

void HttpServer::stop(bool abort, std::function<void()> on_drained) {
  impl_->stopping = true;
  if (on_drained && impl_->on_drained) {
    on_drained = [first = std::move(impl_->on_drained), then = std::move(on_drained)] {
      first();
      then();
    };
  }
  if (on_drained) impl_->on_drained = std::move(on_drained);
  beast::error_code ec;
  impl_->acceptor.close(ec);
  for (auto& w : impl_->connections) {
    if (auto c = w.lock(); c && !c->handed_off && (abort || !c->busy)) c->stream.socket().close(ec);
  }
  impl_->notify_if_drained();
}

void HttpServer::adopt(tcp::socket socket, Arrival arrival, std::string remote) {
  if (impl_->stopping) return;
  auto connection = std::make_shared<Connection>(std::move(socket), impl_->intake, std::nullopt,
                                                 std::move(remote), arrival);
  impl_->start_serving(std::move(connection));
}

size_t HttpServer::open_connections() const {
  return impl_->active.load();
}

}  // namespace quorum::net

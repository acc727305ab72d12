// The HTTP client reading a chunked body that arrives in pieces, as engines stream it: whatever the
// pieces (a chunk's closing CRLF alone, a size line cut in two, a size line with an extension longer than
// what the client keeps inline, body bytes that came with the head), the de-chunked body is exactly what was
// sent, and a response read to its end leaves its connection for the next request.
//
// The server is a plain socket on loopback writing its script one piece per send, with a short pause
// between pieces so that they tend to arrive as separate reads. The pause only shapes the byte stream: what
// is asserted holds however the kernel joins the pieces.
#include "net/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace quorum::net {
namespace {

// Serves every request on a connection with the same scripted response, until the client closes it.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(::listen(listener_, 8), 0);
    socklen_t len = sizeof(addr);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { run(); });
  }
  ~ScriptedServer() {
    ::shutdown(listener_, SHUT_RDWR);
    ::close(listener_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1/chat/completions"; }
  int connections() const { return connections_.load(); }
  int requests() const { return requests_.load(); }

 private:
  void run() {
    for (;;) {
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections_;
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      serve(fd);
      ::close(fd);
    }
  }
  // Reads each request's head and body (Content-Length), then writes the script piece by piece.
  void serve(int fd) {
    std::string in;
    char buf[4096];
    for (;;) {
      size_t head_end;
      while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      size_t length = 0;
      if (auto at = in.find("Content-Length: "); at != std::string::npos && at < head_end) {
        length = std::stoul(in.substr(at + 16));
      }
      while (in.size() < head_end + 4 + length) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) return;
        in.append(buf, static_cast<size_t>(n));
      }
      in.erase(0, head_end + 4 + length);
      ++requests_;
      for (const auto& piece : pieces_) {
        if (::send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }

  std::vector<std::string> pieces_;
  int listener_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::atomic<int> requests_{0};
};

// Takes a body through read_into(), checking the calls come in an order the contract allows: bytes, then the
// end or an error once, nothing after.
struct RecordingSink final : ClientResponse::BodySink {
  std::string body;
  int ends = 0;
  int errors = 0;
  bool over() const { return ends + errors > 0; }
  void on_body(std::string_view bytes) override {
    EXPECT_FALSE(over()) << "bytes after the end";
    EXPECT_FALSE(bytes.empty());
    body.append(bytes);
  }
  void on_end() override {
    EXPECT_FALSE(over());
    ++ends;
  }
  void on_error(ApiError error) override {
    EXPECT_FALSE(over());
    ++errors;
    body += "error: " + error.message;
  }
};

// Sends `count` requests one after another and returns each de-chunked body (or the error's message), read
// with read_some() or, `into`, with read_into().
std::vector<std::string> read_bodies(const std::string& url, int count, bool into = false) {
  asio::io_context io{1};
  std::vector<std::string> bodies;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (int i = 0; i < count; ++i) {
          // Named, not temporaries inside the co_await: g++ 12 mishandles those.
          Headers headers;
          ClientOptions options;
          auto response = co_await http_request("POST", url, headers, "{}", options);
          if (!response) {
            bodies.push_back("error: " + response.error().message);
            continue;
          }
          if (into) {
            RecordingSink sink;
            for (int reads = 0; !sink.over(); ++reads) {
              co_await (*response)->read_into(sink);
              if (reads > 1000) ADD_FAILURE() << "read_into() never ends";
              if (reads > 1000) break;
            }
            bodies.push_back(std::move(sink.body));
            continue;
          }
          std::string body;
          for (;;) {
            auto piece = co_await (*response)->read_some();
            if (!piece) {
              body += "error: " + piece.error().message;
              break;
            }
            if (piece->empty()) break;
            body += *piece;
          }
          bodies.push_back(std::move(body));
        }
        io.stop();  // the pool's idle connection would keep the loop running until it expires
      },
      asio::detached);
  io.run();
  return bodies;
}

const std::string kHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return size + data + "\r\n";
}

TEST(HttpClientChunkedBody, PiecesCutAnywhereMakeTheSameBodyAndTheConnectionIsReused) {
  const std::string a = "data: {\"a\":1}\n\n", b = "data: {\"b\":22}\n\n", c = "data: {\"c\":333}\n\n";
  const std::string ca = chunk(a), cb = chunk(b), cc = chunk(c);
  const std::string long_size_line = "10;an-extension-longer-than-what-is-kept-inline=yes\r\n";
  const std::string d = "data: [DONE]\n\n";
  const std::string d16 = d + "xx";  // 16 bytes: the long size line says 10
  ScriptedServer server({
      kHead + ca.substr(0, ca.size() - 2),  // body bytes with the head; the chunk's CRLF comes later
      "\r\n",                               // the closing CRLF alone
      cb.substr(0, 1),                      // a size line cut in two
      cb.substr(1, 5),
      cb.substr(6),
      cc + long_size_line.substr(0, 40),  // a chunk, then most of a long size line (kept in the heap buffer)
      long_size_line.substr(40) + d16.substr(0, 3),
      d16.substr(3) + "\r\n0\r",
      "\n\r\n",
  });
  std::string whole = a;
  whole.append(b).append(c).append(d16);
  for (bool into : {false, true}) {
    SCOPED_TRACE(into ? "read_into" : "read_some");
    const int before = server.requests();
    const auto bodies = read_bodies(server.url(), 2, into);
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bodies[0], whole);
    EXPECT_EQ(bodies[1], whole);
    EXPECT_EQ(server.requests(), before + 2);
  }
  EXPECT_EQ(server.connections(), 2) << "a body read to its end leaves the connection for the next request";
}

TEST(HttpClientChunkedBody, ABrokenChunkIsAnErrorNamingTheServer) {
  ScriptedServer server({kHead + chunk("data: {}\n\n"), "zz\r\nbad\r\n"});
  for (bool into : {false, true}) {
    SCOPED_TRACE(into ? "read_into" : "read_some");
    const auto bodies = read_bodies(server.url(), 1, into);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_NE(bodies[0].find("error: "), std::string::npos) << bodies[0];
    EXPECT_NE(bodies[0].find("malformed HTTP response"), std::string::npos) << bodies[0];
    EXPECT_EQ(bodies[0].rfind("data: {}\n\n", 0), 0u) << "what came before the bad chunk is kept";
  }
}

}  // namespace
}  // namespace quorum::net

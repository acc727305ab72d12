// TLS with a certificate (the relay's HTTPS and WSS), end to end through the real client, WebSocket and
// server on loopback, with throwaway CAs: a client that trusts the CA is served (kept alive, arrival from
// the TCP peer's address); one that does not, or that dialled a name the certificate does not hold, gets no
// session and the handler never runs; plain HTTP gets nothing; reload() serves a new pair to new
// connections and keeps the old one when the new one does not load.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "net/http_client.h"
#include "net/http_server.h"
#include "net/server_certificate.h"
#include "net/websocket.h"
#include "test_pki.h"

namespace quorum::net {
namespace {

using testing::TestPki;

// A server with `certificate` on 127.0.0.1, on a thread of its own: it answers with the body it got,
// reversed, and echoes every message of a WebSocket opened at /ws (subprotocol "echo").
struct CertServer {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  std::unique_ptr<HttpServer> server;
  std::thread thread;
  std::mutex mutex;
  std::vector<Arrival> arrivals;
  std::vector<size_t> open_connections;

  explicit CertServer(std::shared_ptr<const ServerCertificate> certificate) {
    ServerOptions options;
    options.certificate = std::move(certificate);
    auto endpoint = std::make_shared<ServerOptions::WebSocketEndpoint>();
    endpoint->path = "/ws";
    endpoint->subprotocol = "echo";
    endpoint->on_open = [this](WebSocket ws, RequestHead) {
      auto socket = std::make_shared<WebSocket>(std::move(ws));
      asio::co_spawn(
          io,
          [socket]() -> Task<void> {
            for (;;) {
              auto message = co_await socket->read();
              if (!message) co_return;
              if (!co_await socket->write(*message)) co_return;
            }
          },
          asio::detached);
    };
    options.websocket = endpoint;
    server = std::make_unique<HttpServer>(
        io.get_executor(), "127.0.0.1", 0,
        [this](HttpRequest& req, ResponseWriter& w) -> Task<void> {
          {
            std::lock_guard lock(mutex);
            arrivals.push_back(req.arrival);
            open_connections.push_back(server->open_connections());
          }
          std::string answer(req.body.rbegin(), req.body.rend());
          Headers h;
          h.add("Content-Type", "text/plain");
          co_await w.send(200, h, std::move(answer));
        },
        std::move(options));
    server->start();
    thread = std::thread([this] { io.run(); });
  }
  ~CertServer() {
    asio::post(io, [this] { server->stop(true); });
    work.reset();
    thread.join();
  }
  std::string url(const std::string& scheme = "https", const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(server->port()) + "/echo";
  }
  size_t handled() {
    std::lock_guard lock(mutex);
    return arrivals.size();
  }
};

struct Answer {
  int status = 0;
  std::string body;
  std::string error;
};

// Runs the requests one after another on a client io_context of their own.
std::vector<Answer> ask(const std::string& url, const std::string& ca_file,
                        const std::vector<std::string>& bodies) {
  asio::io_context io{1};
  std::vector<Answer> answers;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        for (const auto& body : bodies) {
          ClientOptions options;
          options.ca_file = ca_file;
          auto r = co_await http_request("POST", url, {}, body, options);
          Answer a;
          if (!r) {
            a.status = r.error().status;
            a.error = r.error().message;
          } else {
            a.status = (*r)->status();
            auto text = co_await (*r)->read_all();
            if (text) a.body = std::move(*text);
          }
          answers.push_back(std::move(a));
        }
      },
      asio::detached);
  io.run();
  return answers;
}

Answer ask_one(const std::string& url, const std::string& ca_file) {
  return ask(url, ca_file, {"hello"}).at(0);
}

std::shared_ptr<ServerCertificate> load_or_fail(const TestPki::Issued& issued) {
  auto loaded = ServerCertificate::load(issued.cert_file, issued.key_file);
  if (!loaded) throw std::runtime_error(loaded.error().message);
  return loaded.value();
}

TEST(CertificateTls, AnHttpsRequestTrustedThroughTheCaFileIsServedOnAKeptAliveConnection) {
  TestPki pki;
  CertServer server(load_or_fail(pki.issue("relay", 1001)));
  std::string big(1 << 20, 'x');
  big[0] = 'a';
  auto answers = ask(server.url(), pki.ca_file(), {"hello", big});
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[0].status, 200) << answers[0].error;
  EXPECT_EQ(answers[0].body, "olleh");
  EXPECT_EQ(answers[1].status, 200) << answers[1].error;
  ASSERT_EQ(answers[1].body.size(), big.size());
  EXPECT_EQ(answers[1].body.back(), 'a');
  std::lock_guard lock(server.mutex);
  ASSERT_EQ(server.arrivals.size(), 2u);
  EXPECT_EQ(server.arrivals[0], Arrival::kLoopback) << "the arrival is the TCP peer's, not a peer's TLS";
  EXPECT_EQ(server.open_connections[1], 1u) << "the second request came on the first one's connection";
}

TEST(CertificateTls, AClientThatDoesNotTrustTheCertificateGetsNoSessionAndNothingIsHandled) {
  TestPki pki;
  TestPki stranger("Another CA");
  CertServer server(load_or_fail(pki.issue("relay", 1002)));
  for (const std::string& ca : {std::string(), stranger.ca_file()}) {
    auto a = ask_one(server.url(), ca);
    EXPECT_EQ(a.status, 502);
    EXPECT_NE(a.error.find("No TLS session with " + server.url()), std::string::npos) << a.error;
    EXPECT_NE(a.error.find("certificate verify failed"), std::string::npos) << a.error;
  }
  EXPECT_EQ(server.handled(), 0u);
}

TEST(CertificateTls, TheCertificateMustNameTheAddressOrHostDialled) {
  TestPki pki;
  CertServer server(load_or_fail(pki.issue("elsewhere", 1003, "IP:127.0.0.2,DNS:relay.example")));
  auto by_address = ask_one(server.url(), pki.ca_file());
  EXPECT_EQ(by_address.status, 502);
  EXPECT_NE(by_address.error.find("IP address mismatch"), std::string::npos) << by_address.error;
  auto by_name = ask_one(server.url("https", "localhost"), pki.ca_file());
  EXPECT_EQ(by_name.status, 502);
  EXPECT_NE(by_name.error.find("hostname mismatch"), std::string::npos) << by_name.error;
  EXPECT_EQ(server.handled(), 0u);
}

TEST(CertificateTls, PlainHttpToTheTlsServerIsClosedUnanswered) {
  TestPki pki;
  CertServer server(load_or_fail(pki.issue("relay", 1004)));
  auto a = ask_one(server.url("http"), "");
  EXPECT_EQ(a.status, 502);
  EXPECT_NE(a.error.find("closed the connection before the response was complete"), std::string::npos)
      << a.error;
  EXPECT_EQ(server.handled(), 0u);
}

TEST(CertificateTls, AnUnreadableCaFileIsNamed) {
  TestPki pki;
  CertServer server(load_or_fail(pki.issue("relay", 1005)));
  const std::string missing = (pki.dir() / "missing.pem").string();
  auto a = ask_one(server.url(), missing);
  EXPECT_EQ(a.status, 500);
  EXPECT_NE(a.error.find(missing), std::string::npos) << a.error;
}

TEST(CertificateTls, ReloadServesTheNewPairToNewConnectionsAndKeepsTheOldOneWhenTheNewDoesNotLoad) {
  TestPki first("First CA");
  TestPki second("Second CA");
  const auto paths = first.issue("relay", 2001);
  auto certificate = load_or_fail(paths);
  CertServer server(certificate);
  EXPECT_NE(certificate->describe().find("serial 07D1"), std::string::npos) << certificate->describe();
  EXPECT_EQ(ask_one(server.url(), first.ca_file()).status, 200);
  EXPECT_EQ(ask_one(server.url(), second.ca_file()).status, 502);

  // The renewed pair, from another CA, written over the same files.
  const auto renewed = second.issue("renewed", 2002);
  std::filesystem::copy_file(renewed.cert_file, paths.cert_file,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key_file, paths.key_file,
                             std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(certificate->reload().ok());
  EXPECT_NE(certificate->describe().find("serial 07D2"), std::string::npos) << certificate->describe();
  EXPECT_EQ(ask_one(server.url(), second.ca_file()).status, 200);
  EXPECT_EQ(ask_one(server.url(), first.ca_file()).status, 502);

  // A key that does not match (another certificate's): refused, and the pair in use stays.
  const auto other = second.issue("other", 2003);
  std::filesystem::copy_file(other.key_file, paths.key_file,
                             std::filesystem::copy_options::overwrite_existing);
  auto refused = certificate->reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("is not the certificate's"), std::string::npos)
      << refused.error().message;
  std::ofstream(paths.cert_file, std::ios::trunc) << "not a certificate\n";
  refused = certificate->reload();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("cannot use the certificate " + paths.cert_file), std::string::npos)
      << refused.error().message;
  EXPECT_NE(certificate->describe().find("serial 07D2"), std::string::npos) << certificate->describe();
  EXPECT_EQ(ask_one(server.url(), second.ca_file()).status, 200);
}

TEST(CertificateTls, LoadNamesTheFileAtFault) {
  TestPki pki;
  const auto a = pki.issue("a", 3001);
  const auto b = pki.issue("b", 3002);
  auto missing = ServerCertificate::load((pki.dir() / "none.pem").string(), a.key_file);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find((pki.dir() / "none.pem").string()), std::string::npos);
  auto mismatched = ServerCertificate::load(a.cert_file, b.key_file);
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.error().message.find("is not the certificate's"), std::string::npos)
      << mismatched.error().message;
}

// Opens a WebSocket to `url` trusting `ca_file`, sends `message` and returns what came back (or the error).
std::string echo_over(const std::string& url, const std::string& ca_file, const std::string& message) {
  asio::io_context io{1};
  std::string out;
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        WebSocketOptions options;
        options.ca_file = ca_file;
        const Headers none;
        const std::string subprotocol = "echo";
        auto ws = co_await WebSocket::connect(io.get_executor(), url, none, subprotocol, options);
        if (!ws) {
          out = "error: " + ws.error().message;
          co_return;
        }
        co_await ws->write(message);
        auto back = co_await ws->read();
        out = back ? *back : "error: " + back.error().message;
        co_await ws->close("done");
      },
      asio::detached);
  io.run();
  return out;
}

TEST(CertificateTls, AWebSocketOpensOverWssAndCarriesMessagesBothWays) {
  TestPki pki;
  CertServer server(load_or_fail(pki.issue("relay", 4001)));
  const std::string url = "wss://127.0.0.1:" + std::to_string(server.server->port()) + "/ws";
  const std::string big(300000, 'm');
  EXPECT_EQ(echo_over(url, pki.ca_file(), "hello"), "hello");
  EXPECT_EQ(echo_over(url, pki.ca_file(), big), big);
  const auto untrusted = echo_over(url, "", "hello");
  EXPECT_NE(untrusted.find("certificate verify failed"), std::string::npos) << untrusted;
  const auto plain =
      echo_over("ws://127.0.0.1:" + std::to_string(server.server->port()) + "/ws", "", "hello");
  EXPECT_EQ(plain.rfind("error: ", 0), 0u) << plain;
}

}  // namespace
}  // namespace quorum::net

// append_response_head and append_request_head write the bytes Beast's serializer gives for the same message
// (fields set in order; a response given keep_alive() and chunked(), a request prepare_payload()), so that
// the heads did not change when Beast stopped writing them; and they leave out framing headers a caller
// might pass.
#include "net/http_head.h"

#include <gtest/gtest.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http.hpp>

namespace quorum::net {
namespace {

namespace http = boost::beast::http;

// The head Beast's serializer writes for `message`.
template <bool isRequest, class Body>
std::string serialized_head(http::message<isRequest, Body>& message) {
  http::serializer<isRequest, Body> serializer{message};
  serializer.split(true);
  boost::beast::error_code ec;
  std::string out;
  while (!serializer.is_header_done() && !ec) {
    serializer.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      serializer.consume(n);
    });
  }
  return out;
}

std::string beast_head(int status, unsigned version, const Headers& headers, bool keep_alive, bool chunked) {
  http::response<http::empty_body> res{static_cast<http::status>(status), version};
  for (const auto& [k, v] : headers.items()) res.set(k, v);
  res.keep_alive(keep_alive);
  res.chunked(chunked);
  return serialized_head(res);
}

std::string ours(int status, unsigned version, const Headers& headers, bool keep_alive, bool chunked) {
  std::string out;
  append_response_head(out, status, version, headers, keep_alive, chunked);
  return out;
}

Headers stream_headers() {
  Headers h;
  h.add("Content-Type", "text/event-stream");
  h.add("Cache-Control", "no-cache");
  h.add("X-Accel-Buffering", "no");
  h.add("x-request-id", "req-0123456789");
  h.add("x-quorum-node", "desk top");
  h.add("x-quorum-node-id", "6f1c2d3e-0000-4000-8000-1234567890ab");
  return h;
}

TEST(HttpHead, ResponseIsWhatBeastWritesForEveryVersionAndFraming) {
  for (unsigned version : {10u, 11u}) {
    for (bool keep_alive : {false, true}) {
      for (bool chunked : {false, true}) {
        if (chunked && version == 10) continue;  // HTTP/1.0 has no chunked encoding
        SCOPED_TRACE(testing::Message()
                     << "version " << version << " keep-alive " << keep_alive << " chunked " << chunked);
        EXPECT_EQ(ours(200, version, stream_headers(), keep_alive, chunked),
                  beast_head(200, version, stream_headers(), keep_alive, chunked));
      }
    }
  }
}

TEST(HttpHead, ResponseOtherStatusesCarryBeastsReasonPhrase) {
  for (int status : {201, 204, 400, 404, 413, 429, 499, 500, 502, 503, 599}) {
    SCOPED_TRACE(status);
    EXPECT_EQ(ours(status, 11, stream_headers(), true, true),
              beast_head(status, 11, stream_headers(), true, true));
  }
}

TEST(HttpHead, ResponseANameGivenAgainReplacesTheEarlierValueAndValuesAreTrimmed) {
  Headers h;
  h.add("X-One", "  first\t");
  h.add("Content-Type", "text/plain");
  h.add("x-one", "second ");
  h.add("X-Empty", "   ");
  EXPECT_EQ(ours(200, 11, h, true, true), beast_head(200, 11, h, true, true));
  EXPECT_EQ(ours(200, 11, h, true, true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nx-one: second\r\nX-Empty: \r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
}

TEST(HttpHead, ResponseWithMoreFieldsThanFitOnTheStackIsStillBeasts) {
  Headers h = stream_headers();
  for (int i = 0; i < 40; ++i) h.add("X-Field-" + std::to_string(i % 25), "value " + std::to_string(i));
  EXPECT_EQ(ours(200, 11, h, true, true), beast_head(200, 11, h, true, true));
}

TEST(HttpHead, ResponseFramingHeadersOfTheCallerAreLeftOut) {
  Headers h;
  h.add("Connection", "upgrade");
  h.add("transfer-encoding", "gzip");
  h.add("Content-Type", "text/event-stream");
  EXPECT_EQ(ours(200, 11, h, false, true),
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n"
            "Transfer-Encoding: chunked\r\n\r\n");
}

std::string beast_request(const std::string& method, const std::string& target, const std::string& host,
                          const Headers& headers, const std::string& body) {
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "quorum/1.2.3");
  for (const auto& [k, v] : headers.items()) req.set(k, v);
  req.body() = body;
  req.prepare_payload();
  return serialized_head(req);
}

std::string our_request(const std::string& method, const std::string& target, const std::string& host,
                        const Headers& headers, const std::string& body) {
  std::string out;
  append_request_head(out, method, target, host, "quorum/1.2.3", headers, body.size());
  return out;
}

TEST(HttpHead, RequestIsWhatBeastWritesForEachMethodAndBody) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("Accept", "text/event-stream");
  h.add("Authorization", "Bearer sk-test");
  h.add("x-request-id", " req-1 ");
  for (const std::string method : {"GET", "POST", "PUT", "DELETE", "OPTIONS"}) {
    for (const std::string body : {"", "{\"model\":\"m\"}"}) {
      SCOPED_TRACE(method + " with a body of " + std::to_string(body.size()));
      EXPECT_EQ(our_request(method, "/v1/chat/completions?x=1", "127.0.0.1:8080", h, body),
                beast_request(method, "/v1/chat/completions?x=1", "127.0.0.1:8080", h, body));
    }
  }
}

TEST(HttpHead, RequestHeadersMayReplaceHostAndUserAgent) {
  Headers h;
  h.add("user-agent", "theirs");
  h.add("Host", "example.test");
  EXPECT_EQ(our_request("POST", "/", "127.0.0.1:1", h, "{}"),
            beast_request("POST", "/", "127.0.0.1:1", h, "{}"));
  EXPECT_EQ(our_request("POST", "/", "127.0.0.1:1", h, "{}"),
            "POST / HTTP/1.1\r\nuser-agent: theirs\r\nHost: example.test\r\nContent-Length: 2\r\n\r\n");
}

TEST(HttpHead, RequestFramingIsTheWritersOwn) {
  Headers h;
  h.add("Content-Length", "999");
  h.add("Transfer-Encoding", "chunked");
  EXPECT_EQ(our_request("POST", "/", "h", h, "abc"),
            "POST / HTTP/1.1\r\nHost: h\r\nUser-Agent: quorum/1.2.3\r\nContent-Length: 3\r\n\r\n");
}

}  // namespace
}  // namespace quorum::net

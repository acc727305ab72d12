#include "node/api/responses.h"

#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdint>
#include <random>

#include "wire/stream_writer.h"

namespace quorum::node::api {

namespace json = boost::json;

std::string random_token(size_t length) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  constexpr uint64_t kLetters = sizeof(kAlphabet) - 1;
  // Eight letters from each 64-bit draw: its lowest eight digits in base 62, as even as one draw per letter
  // to within 62^8 / 2^64 (about 1e-5), and a third of the draws for an id.
  constexpr int kPerDraw = 8;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(length, '0');
  uint64_t draw = 0;
  int left = 0;
  for (auto& c : s) {
    if (left == 0) {
      draw = rng();
      left = kPerDraw;
    }
    c = kAlphabet[draw % kLetters];
    draw /= kLetters;
    --left;
  }
  return s;
}

std::string new_request_id() {
  return "req_" + random_token(24);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

net::Headers json_headers(const std::string& request_id) {
  net::Headers h;
  h.reserve(4);  // and room for what send_error() or send_json() add
  h.add("Content-Type", "application/json");
  if (!request_id.empty()) h.add("x-request-id", request_id);
  return h;
}

void add_served_by(net::Headers& headers, const router::Served& served) {
  if (served.node_id.empty()) return;
  headers.add("x-quorum-node", served.node_name);
  headers.add("x-quorum-node-id", served.node_id);
}

net::Task<void> send_json(net::ResponseWriter& writer, int status, const json::value& body,
                          const std::string& request_id, const net::Headers* extra) {
  net::Headers h = json_headers(request_id);
  if (extra) {
    for (const auto& item : extra->items()) h.add(item.first, item.second);
  }
  co_await writer.send(status, h, json::serialize(body));
}

net::Task<void> send_error(net::ResponseWriter& writer, const ApiError& error,
                           const std::string& request_id) {
  net::Headers h = json_headers(request_id);
  if (error.status == 429 || error.status == 503) h.add("Retry-After", "1");
  if (error.status == 500 || error.status == 502) h.add("x-should-retry", "false");
  co_await writer.send(error.status, h, wire::error_body(error));
}

net::Task<void> reply_error(net::ResponseWriter& writer, ApiError error, std::string request_id) {
  co_await send_error(writer, error, request_id);
}

}  // namespace quorum::node::api

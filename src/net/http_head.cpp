#include "net/http_head.h"

#include <boost/beast/http/status.hpp>
#include <boost/container/small_vector.hpp>
#include <charconv>
#include <iterator>

namespace quorum::net {

namespace {

using Field = std::pair<std::string_view, std::string_view>;
// A head's fields, on the stack for the usual dozen or fewer.
using Fields = boost::container::small_vector<Field, 16>;

std::string_view trimmed(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

bool replaced_later(const Fields& fields, size_t index) {
  for (size_t k = index + 1; k < fields.size(); ++k) {
    if (iequals(fields[k].first, fields[index].first)) return true;
  }
  return false;
}

// Writes each field that no later one replaces and that `framing` does not claim.
template <class IsFraming>
void append_fields(std::string& out, const Fields& fields, IsFraming framing) {
  for (size_t i = 0; i < fields.size(); ++i) {
    if (framing(fields[i].first) || replaced_later(fields, i)) continue;
    out.append(fields[i].first);
    out.append(": ");
    out.append(trimmed(fields[i].second));
    out.append("\r\n");
  }
}

void add_all(Fields& fields, const Headers& headers) {
  for (const auto& [name, value] : headers.items()) fields.emplace_back(name, value);
}

// Room for a head of these fields, so that it is written in one allocation: each field's bytes and ": ",
// CRLF, plus `fixed` for the start line and the framing fields.
void reserve_head(std::string& out, const Fields& fields, size_t fixed) {
  size_t size = out.size() + fixed;
  for (const auto& [name, value] : fields) size += name.size() + value.size() + 4;
  out.reserve(size);
}

}  // namespace

void append_response_head(std::string& out, int status, unsigned version, const Headers& headers,
                          bool keep_alive, bool chunked) {
  const auto reason = boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status));
  Fields fields;
  fields.reserve(headers.items().size());
  add_all(fields, headers);
  reserve_head(out, fields, 128 + reason.size());
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char digits[8];
  const auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), status);
  out.append(digits, end);
  out.push_back(' ');
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  append_fields(out, fields, [](std::string_view name) {
    return iequals(name, "Connection") || iequals(name, "Transfer-Encoding") ||
           iequals(name, "Content-Length");
  });
  if (version >= 11 && !keep_alive) out.append("Connection: close\r\n");
  if (version < 11 && keep_alive) out.append("Connection: keep-alive\r\n");
  if (chunked) out.append("Transfer-Encoding: chunked\r\n");
  out.append("\r\n");
}

void append_request_head(std::string& out, std::string_view method, std::string_view target,
                         std::string_view host, std::string_view user_agent, const Headers& headers,
                         size_t body_size) {
  Fields fields;
  fields.reserve(headers.items().size() + 2);
  fields.emplace_back("Host", host);
  fields.emplace_back("User-Agent", user_agent);
  add_all(fields, headers);
  reserve_head(out, fields, method.size() + target.size() + 64);
  out.append(method);
  out.push_back(' ');
  out.append(target);
  out.append(" HTTP/1.1\r\n");
  append_fields(out, fields, [](std::string_view name) {
    return iequals(name, "Transfer-Encoding") || iequals(name, "Content-Length");
  });
  if (body_size > 0 || method == "POST" || method == "PUT" || method == "OPTIONS") {
    char digits[24];
    const auto [end, ec] = std::to_chars(std::begin(digits), std::end(digits), body_size);
    out.append("Content-Length: ");
    out.append(digits, end);
    out.append("\r\n");
  }
  out.append("\r\n");
}

}  // namespace quorum::net

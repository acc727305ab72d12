// What a browser, `quorum keys create` or another relay sends the relay's dashboard and control API, as one
// request: the session cookie (src/relay/dashboard_rules.h cookie_value, session_cookie), the CSRF rule for
// mutations (csrf_allowed), the target's path and query and the JSON body of a new key
// (src/relay/dashboard_read.h path_of, query_value, body_object, text_of, int_of, key_request), and the
// X-Quorum-Mesh-* headers of a request another relay forwarded (src/relay/mesh_home.h mesh_signature_ok).
//
// Input: byte 0 the flags (bit 0: the relay is served over https; bit 1: the cookie is set Secure); byte 1
// the receiving relay's clock, a signed offset in seconds from the mesh time header (from a fixed time when
// the header is not a time); bytes 2-4 one edit (what: % 6 method, target, body, time, sender, secret; at:
// a position; xor: a mask, 0 read as 1) made to the forwarded request after it was signed. Then lines, as
// HTTP delivers them (no newline inside): the Cookie header, the method, the target, Content-Type, Origin,
// Sec-Fetch-Site, Host, X-Quorum-Mesh-From, X-Quorum-Mesh-Time, X-Quorum-Mesh-Signature, the mesh secret;
// the rest is the body.
//
// Invariants:
//  - cookie_value (for quorum_session, for the header's first cookie name, for quorum_session_old) is a
//    substring of the header without ';', the value (spaces and quotes taken off) of a cookie of exactly
//    that name, and "" when the header has none of that name; session_cookie(v) sets quorum_session=v
//    (HttpOnly, SameSite=Strict, Path=/, Max-Age=0 exactly when clearing, Secure when asked), and a header
//    that starts with that pair reads back v;
//  - csrf_allowed is exactly an independent reading of its contract: a method other than POST, PUT, PATCH,
//    DELETE goes on; a mutation is refused whenever its media type is not application/json (a DELETE without
//    a body aside) and otherwise needs an Origin equal to scheme://Host (any case, a Host present), or
//    without an Origin, Sec-Fetch-Site: same-origin; the types a cross-site form sends are always refused;
//  - path_of is the target up to its first '?'; query_value (from, to, limit, token) is the raw value of the
//    query's first `name=` pair, without '&', and "" when there is none;
//  - body_object accepts exactly a JSON object; key_request's name is the body's string name when at most
//    kMaxTextBytes (else ""), valid UTF-8, as text_of reads it at any bound; each limit is the body's integer
//    when above 0 (else 0) and fits a signed 64-bit column; the models are exactly the array's strings, in
//    order; the expiry is the integer;
//  - mesh_signature_ok accepts the fields' own signature (made with mesh_signature) exactly when there is a
//    secret, a sender, and a decimal time within 60 s of the clock (so at ±60 s and not at ±61 s); refuses
//    the input's signature unless it is that one, the right one with one byte changed, and the one made for
//    the same request with one field changed by a byte (another secret included).
#include <boost/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "relay/dashboard_read.h"
#include "relay/dashboard_rules.h"
#include "relay/mesh_home.h"
#include "relay/store.h"
#include "support/harness.h"

namespace json = boost::json;
using namespace quorum::relay;
using quorum::fuzz::valid_utf8;

namespace {

constexpr int64_t kNow = 1753357673;  // the receiver's clock when the mesh time header is not a time

enum Line {
  kCookie,
  kMethod,
  kTarget,
  kContentType,
  kOrigin,
  kSecFetchSite,
  kHost,
  kFrom,
  kTime,
  kSignature,
  kSecret,
  kLines
};

struct Input {
  bool https = false;
  bool secure = false;
  int8_t clock = 0;
  uint8_t edit_what = 0;
  uint8_t edit_at = 0;
  char edit_xor = 1;
  std::vector<std::string_view> lines;
  std::string body;
};

Input split(std::string_view bytes) {
  Input in;
  auto take = [&]() -> uint8_t {
    if (bytes.empty()) return 0;
    const auto b = static_cast<uint8_t>(bytes.front());
    bytes.remove_prefix(1);
    return b;
  };
  const uint8_t flags = take();
  in.https = flags & 1;
  in.secure = flags & 2;
  in.clock = static_cast<int8_t>(take());
  in.edit_what = take();
  in.edit_at = take();
  in.edit_xor = static_cast<char>(take());
  if (in.edit_xor == 0) in.edit_xor = 1;
  for (size_t i = 0; i < kLines; ++i) {
    const size_t newline = bytes.find('\n');
    in.lines.push_back(bytes.substr(0, newline));
    bytes = newline == std::string_view::npos ? std::string_view() : bytes.substr(newline + 1);
  }
  in.body = std::string(bytes);
  return in;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

std::vector<std::string_view> split_on(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    const size_t at = s.find(sep);
    out.push_back(s.substr(0, at));
    if (at == std::string_view::npos) return out;
    s.remove_prefix(at + 1);
  }
}

// --- the session cookie

void check_cookie(std::string_view header, std::string_view name) {
  const std::string got = dashboard::cookie_value(header, name);
  FUZZ_CHECK(got.find(';') == std::string::npos, got);
  FUZZ_CHECK(header.find(got) != std::string_view::npos, got);
  bool named = false;
  bool matched = false;
  for (std::string_view pair : split_on(header, ';')) {
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != name) continue;
    named = true;
    std::string_view value = trim(pair.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    matched = matched || value == got;
  }
  FUZZ_CHECK(named || got.empty(), "a value for a cookie the header does not have: " + got);
  FUZZ_CHECK(!named || matched, "not the value of a cookie of that name: " + got);
}

// RFC 6265's cookie-octet: what a session token may hold.
bool cookie_octet(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x2B) || (u >= 0x2D && u <= 0x3A) || (u >= 0x3C && u <= 0x5B) ||
         (u >= 0x5D && u <= 0x7E);
}

void check_session_cookie(std::string_view header, bool secure) {
  std::string token;
  for (char c : header) {
    if (cookie_octet(c)) token.push_back(c);
  }
  const std::string set = dashboard::session_cookie(token, secure);
  const std::string pair = std::string(dashboard::kCookieName) + "=" + token;
  FUZZ_CHECK(set.starts_with(pair + "; HttpOnly; SameSite=Strict; Path=/; Max-Age="), set);
  FUZZ_CHECK((set.find("; Max-Age=0") != std::string::npos) == token.empty(), set);
  FUZZ_CHECK(set.ends_with("; Secure") == secure, set);
  const std::string sent = pair + "; " + std::string(header);
  FUZZ_CHECK(dashboard::cookie_value(sent, dashboard::kCookieName) == token, sent);
}

// --- CSRF

bool expected_csrf(const dashboard::CsrfInput& in) {
  const bool mutation =
      in.method == "POST" || in.method == "PUT" || in.method == "PATCH" || in.method == "DELETE";
  if (!mutation) return true;
  const bool json_type =
      lower(trim(in.content_type.substr(0, in.content_type.find(';')))) == "application/json";
  if (!json_type && !(in.method == "DELETE" && !in.has_body)) return false;
  if (!in.origin.empty()) {
    return !in.host.empty() &&
           lower(in.origin) == lower((in.https ? "https://" : "http://") + std::string(in.host));
  }
  return in.sec_fetch_site == "same-origin";
}

void check_csrf(const Input& input) {
  dashboard::CsrfInput in{input.lines[kMethod], input.lines[kContentType],  !input.body.empty(),
                          input.lines[kOrigin], input.lines[kSecFetchSite], input.lines[kHost],
                          input.https};
  FUZZ_CHECK(dashboard::csrf_allowed(in) == expected_csrf(in),
             std::string(in.method) + " " + std::string(in.content_type));
  // What a cross-site form can send without a preflight, whatever the parameters after the type.
  const std::string_view params =
      in.content_type.substr(std::min(in.content_type.find(';'), in.content_type.size()));
  for (std::string_view form : {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}) {
    const std::string type = std::string(form) + std::string(params);
    for (std::string_view method : {"POST", "PUT", "PATCH", "DELETE"}) {
      dashboard::CsrfInput cross = in;
      cross.method = method;
      cross.content_type = type;
      cross.has_body = true;
      FUZZ_CHECK(!dashboard::csrf_allowed(cross), type);
    }
  }
}

// --- the target and the body

void check_target(std::string_view target) {
  const std::string_view path = dashboard_wire::path_of(target);
  FUZZ_CHECK(target.starts_with(path) && path.find('?') == std::string_view::npos);
  FUZZ_CHECK(path.size() == target.size() || target[path.size()] == '?');
  const size_t q = target.find('?');
  const std::vector<std::string_view> pairs =
      q == std::string_view::npos ? std::vector<std::string_view>{} : split_on(target.substr(q + 1), '&');
  for (std::string_view name : {"from", "to", "limit", "token"}) {
    const std::string got = dashboard_wire::query_value(target, name);
    FUZZ_CHECK(got.find('&') == std::string::npos, got);
    std::optional<std::string_view> first;
    for (std::string_view pair : pairs) {
      if (!first && pair.starts_with(std::string(name) + "=")) first = pair.substr(name.size() + 1);
    }
    FUZZ_CHECK(got == first.value_or(""), "not the value of the first pair of that name: " + got);
  }
}

std::optional<int64_t> integer(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v && v->is_int64()) return v->as_int64();
  if (v && v->is_uint64())
    return v->as_uint64() > INT64_MAX ? INT64_MAX : static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

void check_key_request(const json::object& o) {
  const dashboard_wire::KeyRequest asked = dashboard_wire::key_request(o);
  const json::value* name = o.if_contains("name");
  const bool named = name && name->is_string() && name->as_string().size() <= kMaxTextBytes;
  FUZZ_CHECK(asked.name == (named ? std::string(name->as_string()) : std::string()), asked.name);
  FUZZ_CHECK(asked.name.size() <= kMaxTextBytes && valid_utf8(asked.name), asked.name);
  if (name && name->is_string()) {
    const size_t n = name->as_string().size();
    FUZZ_CHECK(dashboard_wire::text_of(o, "name", n) == std::string(name->as_string()));
    FUZZ_CHECK(n == 0 || dashboard_wire::text_of(o, "name", n - 1).empty());
  } else {
    FUZZ_CHECK(dashboard_wire::text_of(o, "name", SIZE_MAX).empty());
  }

  const std::pair<std::string_view, uint64_t> limits[] = {
      {"rpm", asked.limits.rpm}, {"tpm", asked.limits.tpm}, {"max_parallel", asked.limits.max_parallel}};
  for (const auto& [key, got] : limits) {
    const std::optional<int64_t> n = integer(o, key);
    FUZZ_CHECK(got == (n && *n > 0 ? static_cast<uint64_t>(*n) : 0u),
               std::string(key) + " " + std::to_string(got));
    FUZZ_CHECK(got <= static_cast<uint64_t>(INT64_MAX), std::string(key) + " " + std::to_string(got));
    FUZZ_CHECK(dashboard_wire::int_of(o, key) == n);
  }

  std::vector<std::string> models;
  if (const json::value* m = o.if_contains("models"); m && m->is_array()) {
    for (const json::value& x : m->as_array()) {
      if (x.is_string()) models.emplace_back(x.as_string());
    }
  }
  FUZZ_CHECK(asked.models == models);
  for (const std::string& m : asked.models) FUZZ_CHECK(valid_utf8(m), m);
  FUZZ_CHECK(asked.expires_at == integer(o, "expires_at"));
}

void check_body(const std::string& body) {
  json::error_code ec;
  const json::value parsed = json::parse(body, ec);
  const std::optional<json::object> object = dashboard_wire::body_object(body);
  FUZZ_CHECK(object.has_value() == (!ec && parsed.is_object()));
  if (!object) return;
  FUZZ_CHECK(*object == parsed.as_object());
  check_key_request(*object);
}

// --- a forwarded request's proof

// An optional '-' and decimal digits, at most 19 characters in all, within int64.
std::optional<int64_t> decimal_time(std::string_view t) {
  if (t.empty() || t.size() > 19) return std::nullopt;
  const bool negative = t.front() == '-';
  std::string_view digits = negative ? t.substr(1) : t;
  if (digits.empty()) return std::nullopt;
  unsigned __int128 value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  const unsigned __int128 limit = static_cast<unsigned __int128>(INT64_MAX) + (negative ? 1 : 0);
  if (value > limit) return std::nullopt;
  return negative ? static_cast<int64_t>(-static_cast<__int128>(value)) : static_cast<int64_t>(value);
}

struct Forwarded {
  std::string secret, method, target, body, from;
  int64_t at = 0;
  std::string sign() const { return mesh_signature(secret, method, target, body, at, from); }
};

void check_mesh(const Input& input) {
  const std::string_view time_text = input.lines[kTime];
  const std::optional<int64_t> at = decimal_time(time_text);
  const bool sane = at && *at > -(int64_t{1} << 62) && *at < (int64_t{1} << 62);
  const int64_t now = (sane ? *at : kNow) + input.clock;

  const Forwarded sent{std::string(input.lines[kSecret]), std::string(input.lines[kMethod]),
                       std::string(input.lines[kTarget]), input.body,
                       std::string(input.lines[kFrom]),   sane ? *at : now};
  auto ok = [&](std::string_view signature, int64_t clock) {
    return mesh_signature_ok(sent.secret, sent.method, sent.target, sent.body, time_text, sent.from,
                             signature, clock);
  };
  const std::string good = sent.sign();
  FUZZ_CHECK(good.size() == 64 && good.find_first_not_of("0123456789abcdef") == std::string::npos, good);

  const bool provable = !sent.secret.empty() && !sent.from.empty() && sane;
  const bool in_time = provable && *at - now <= kMeshMaxSkewSeconds && now - *at <= kMeshMaxSkewSeconds;
  FUZZ_CHECK(ok(good, now) == in_time, std::string(time_text));
  if (provable) {
    FUZZ_CHECK(ok(good, *at + kMeshMaxSkewSeconds) && ok(good, *at - kMeshMaxSkewSeconds));
    FUZZ_CHECK(!ok(good, *at + kMeshMaxSkewSeconds + 1) && !ok(good, *at - kMeshMaxSkewSeconds - 1));
  }

  const std::string_view signature = input.lines[kSignature];
  FUZZ_CHECK(ok(signature, now) == (in_time && signature == good), std::string(signature));

  std::string typo = good;
  typo[input.edit_at % typo.size()] ^= input.edit_xor;
  FUZZ_CHECK(!ok(typo, now), typo);

  // The same request with one field changed by a byte, signed with the secret (or with another one).
  Forwarded other = sent;
  auto edit = [&](std::string& field) {
    if (field.empty()) {
      field.push_back(input.edit_xor);
    } else {
      field[input.edit_at % field.size()] ^= input.edit_xor;
    }
  };
  switch (input.edit_what % 6) {
    case 0:
      edit(other.method);
      break;
    case 1:
      edit(other.target);
      break;
    case 2:
      edit(other.body);
      break;
    case 3:
      other.at += static_cast<int8_t>(input.edit_xor);
      break;
    case 4:
      edit(other.from);
      break;
    default:
      edit(other.secret);
      break;
  }
  FUZZ_CHECK(!ok(other.sign(), now), "a signature for another request or with another secret");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Input input = split(quorum::fuzz::as_text(data, size));
  const std::string_view header = input.lines[kCookie];

  check_cookie(header, dashboard::kCookieName);
  check_cookie(header, trim(header.substr(0, std::min(header.find('='), header.find(';')))));
  check_cookie(header, "quorum_session_old");
  check_session_cookie(header, input.secure);

  check_csrf(input);
  check_target(input.lines[kTarget]);
  check_body(input.body);
  check_mesh(input);
  return 0;
}

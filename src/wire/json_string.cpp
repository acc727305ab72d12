#include "wire/json_string.h"

#include <boost/json/parse.hpp>

#include "core/hex_digit.h"
#include "wire/byte_scan.h"
#include "wire/utf8.h"

namespace quorum::wire {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// The escape letter of a byte below 0x20 that has a named escape, else 0.
char named_escape(unsigned char c) {
  switch (c) {
    case '\b':
      return 'b';
    case '\t':
      return 't';
    case '\n':
      return 'n';
    case '\f':
      return 'f';
    case '\r':
      return 'r';
    default:
      return 0;
  }
}

// The code unit of the \uXXXX escape whose 'u' is at s[i], or -1 when the four hex digits are not there.
int escaped_unit(std::string_view s, size_t i) {
  if (i + 4 >= s.size()) return -1;
  int unit = 0;
  for (size_t k = 1; k <= 4; ++k) {
    int v = hex_value(s[i + k]);
    if (v < 0) return -1;
    unit = unit * 16 + v;
  }
  return unit;
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  size_t run = 0;  // start of the bytes not yet appended
  for (size_t i = find_string_special(text, 0); i < text.size(); i = find_string_special(text, i + 1)) {
    auto c = static_cast<unsigned char>(text[i]);
    out.append(text.data() + run, i - run);
    run = i + 1;
    out += '\\';
    if (c == '"' || c == '\\') {
      out += static_cast<char>(c);
    } else if (char name = named_escape(c)) {
      out += name;
    } else {
      out += "u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  out.append(text.data() + run, text.size() - run);
  out += '"';
}

bool json_string_well_formed(std::string_view token) {
  if (token.size() < 2 || token.front() != '"' || token.back() != '"') return false;
  std::string_view body = token.substr(1, token.size() - 2);
  bool want_low = false;  // the previous escape was a high surrogate
  for (size_t i = 0; i < body.size(); ++i) {
    auto c = static_cast<unsigned char>(body[i]);
    if (c < 0x20 || c == '"') return false;
    if (c != '\\') {
      if (want_low) return false;
      continue;
    }
    if (++i >= body.size()) return false;
    char e = body[i];
    if (e == 'u') {
      int unit = escaped_unit(body, i);
      if (unit < 0) return false;
      i += 4;
      bool high = unit >= 0xD800 && unit <= 0xDBFF;
      bool low = unit >= 0xDC00 && unit <= 0xDFFF;
      if (want_low != low) return false;
      want_low = high;
      continue;
    }
    if (want_low) return false;
    if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
      return false;
    }
  }
  return !want_low;
}

bool is_plain_ascii_string(std::string_view token) {
  return token.size() >= 2 && token.front() == '"' && token.back() == '"' &&
         find_non_plain_ascii(token.substr(0, token.size() - 1), 1) == token.size() - 1;
}

bool is_clean_json_string(std::string_view token) {
  if (is_plain_ascii_string(token)) return true;
  // Escapes are ASCII, and ASCII never occurs inside a multi-byte sequence: the raw bytes can be checked as
  // a whole, apart from the escapes.
  return json_string_well_formed(token) && utf8_valid(token.substr(1, token.size() - 2));
}

std::string decode_json_string(std::string_view token) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(token, ec);
  if (ec || !v.is_string()) return {};
  return std::string(v.get_string());
}

}  // namespace quorum::wire

// Join tokens (`quorum cluster join TOKEN`: whatever a user pastes) and the base64url codec under them.
//
// Invariants:
//  - a token is accepted only with a 16-hex cluster id, a 64-hex secret and a matching check value, and then
//    it is exactly what encode_join_token writes for them (surrounding whitespace aside): one membership, one
//    token;
//  - a refusal is a 400 with a message; every membership's token is accepted back;
//  - base64url: decode(encode(bytes)) == bytes; whatever decodes re-encodes to a text of the same length that
//    decodes to the same bytes.
#include <cctype>

#include "cluster/crypto.h"
#include "cluster/membership.h"
#include "support/harness.h"

using namespace quorum::cluster;

namespace {

bool lower_hex(const std::string& s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = quorum::fuzz::as_text(data, size);

  auto m = decode_join_token(input);
  if (m) {
    FUZZ_CHECK(lower_hex(m->cluster_id, 16) && lower_hex(m->secret, 64));
    FUZZ_CHECK(encode_join_token(*m) == trimmed(input), "two tokens for one membership");
    FUZZ_CHECK(m->fingerprint().size() == 16);
  } else {
    FUZZ_CHECK(m.error().status == 400 && !m.error().message.empty());
  }

  if (input.size() >= 40) {
    Membership made{hex(input.substr(0, 8)), hex(input.substr(8, 32))};
    auto back = decode_join_token(encode_join_token(made));
    FUZZ_CHECK(back.ok() && back->cluster_id == made.cluster_id && back->secret == made.secret);
  }

  std::string encoded = base64url_encode(input);
  FUZZ_CHECK(base64url_decode(encoded) == input);
  FUZZ_CHECK(encoded.find_first_of("+/=") == std::string::npos);

  std::string decoded = base64url_decode(input);
  if (!decoded.empty()) {
    std::string again = base64url_encode(decoded);
    FUZZ_CHECK(again.size() == input.size() && base64url_decode(again) == decoded);
  }
  return 0;
}

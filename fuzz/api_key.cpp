// API keys and enrolment tokens (src/auth/api_key.h): what outside clients send the relay as a bearer key
// and what `quorum relay join` is given, so whatever a stranger types.
//
// Input: the whole input is a text to parse as a key and as a token. Its first two bytes also choose a typo
// (position, character) made in a fixed valid key.
//
// Invariants:
//  - a text is accepted as one kind at most; an accepted text is exactly compose(kind, id, secret) of the id
//  and
//    secret parse returned (one key, one text), with a 12-character id and a 43-character secret in base62;
//  - redacted() is "(malformed key)" or the first 16 bytes of the text and an ellipsis: never a byte of the
//    secret;
//  - matches(s, secret_hash(s)) for every s, and secret_hash is 64 lowercase hex characters;
//  - every one-character change of a valid key is refused.
#include "auth/api_key.h"

#include <string>

#include "support/harness.h"

using namespace quorum::auth::api_key;

namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const std::string kValid = compose(Kind::key, "3fZ9a0LmQ2xY", "1Qm8c2RZr7Vn0fXGk5dT4pYw9HbE3aLs6NjU2yKq8oW");

bool base62(std::string_view s) {
  return s.find_first_not_of(kBase62) == std::string_view::npos;
}

void check_parse(std::string_view input, Kind kind) {
  auto parsed = parse(input, kind);
  if (!parsed) return;
  FUZZ_CHECK(parsed->id.size() == kIdLength && base62(parsed->id));
  FUZZ_CHECK(parsed->secret.size() == kSecretLength && base62(parsed->secret));
  FUZZ_CHECK(compose(kind, parsed->id, parsed->secret) == input, "two texts for one key");
  FUZZ_CHECK(!parse(input, kind == Kind::key ? Kind::enrol_token : Kind::key), "a text of both kinds");
  FUZZ_CHECK(redacted(input) == std::string(input.substr(0, 16)) + "\xE2\x80\xA6");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = quorum::fuzz::as_text(data, size);
  check_parse(input, Kind::key);
  check_parse(input, Kind::enrol_token);

  const std::string shown = redacted(input);
  if (shown != "(malformed key)") {
    FUZZ_CHECK(input.size() >= 16 && shown == std::string(input.substr(0, 16)) + "\xE2\x80\xA6", shown);
  }

  const std::string hash = secret_hash(input);
  FUZZ_CHECK(hash.size() == 64 && hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  FUZZ_CHECK(matches(input, hash));

  FUZZ_CHECK(parse(kValid).has_value());
  if (size >= 2) {
    std::string typo = kValid;
    typo[data[0] % typo.size()] = static_cast<char>(data[1]);
    FUZZ_CHECK(typo == kValid || !parse(typo), typo);
  }
  return 0;
}

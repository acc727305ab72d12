// JSON string tokens, written and read without building a JSON value: the stream writer's hot path.
// Pure code.
#pragma once

#include <string>
#include <string_view>

namespace quorum::wire {

// Appends `text` as a JSON string token (quotes included), escaped exactly as boost::json::serialize escapes
// it: `"` and `\` with a backslash, \b \t \n \f \r by name, other bytes below 0x20 as \u00xx (lower-case
// hex), everything else as it is. REQUIRES: `text` is valid UTF-8 (the writer sanitizes engine text first).
void append_json_string(std::string& out, std::string_view text);

// Whether `token` is one complete JSON string token (quotes included) whose value is valid Unicode text:
// raw bytes valid UTF-8 and none below 0x20, every escape one of \" \\ \/ \b \f \n \r \t \uXXXX, and every
// \u escape of a surrogate half part of a high-low pair. Such a token can go to a client as it is: every
// strict JSON decoder reads it, and to the same text as decode_json_string().
bool is_clean_json_string(std::string_view token);

// Whether `token` is `"`, printable ASCII other than `"` and `\`, then `"`: the common text, for which
// is_clean_json_string() holds at once (one pass, no escape to read). False says nothing either way.
bool is_plain_ascii_string(std::string_view token);

// The same checks as is_clean_json_string() but for the raw bytes' UTF-8: what a JSON parser that accepts
// invalid UTF-8 (as the node reads engines' chunks) accepts of a string token.
bool json_string_well_formed(std::string_view token);

// The text of a token for which is_clean_json_string() holds.
std::string decode_json_string(std::string_view token);

}  // namespace quorum::wire

// Embeddings as the client asked for them: `encoding_format: "base64"` is the little-endian float32 bytes of
// the vector, base64-encoded (what the openai SDKs request by default and decode). Pure.
#pragma once

#include <boost/json/array.hpp>
#include <string>

namespace quorum::wire {

// Base64 of the float32 bytes of a JSON array of numbers (anything not a number counts as 0).
std::string floats_to_base64(const boost::json::array& values);

}  // namespace quorum::wire

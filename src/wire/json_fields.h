// Reading one field of a JSON object that came from outside (a page, a peer, the relay): what is missing,
// of the wrong type or too long reads as empty, so a caller checks one thing.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

namespace quorum::wire {

// The string at `key`; empty when there is none, it is not a string, or it is longer than `max_bytes`.
std::string string_field(const boost::json::object& o, std::string_view key, size_t max_bytes = 4096);

}  // namespace quorum::wire

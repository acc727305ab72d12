#include "engines/engine_headers.h"

#include <utility>

namespace quorum::engines {

net::Headers json_headers(const CallContext& context, std::string accept) {
  net::Headers h;
  h.reserve(3);
  h.add("Content-Type", "application/json");
  if (!accept.empty()) h.add("Accept", std::move(accept));
  if (!context.request_id.empty()) h.add("X-Request-Id", context.request_id);
  return h;
}

}  // namespace quorum::engines

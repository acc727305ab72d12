#include "wire/json_fields.h"

namespace quorum::wire {

std::string string_field(const boost::json::object& o, std::string_view key, size_t max_bytes) {
  const boost::json::value* v = o.if_contains(key);
  if (!v || !v->is_string() || v->as_string().size() > max_bytes) return {};
  return std::string(v->as_string());
}

}  // namespace quorum::wire

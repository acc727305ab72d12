// A peer's heartbeat status body (parse_node_status): a peer may send anything.
//
// Invariants:
//  - a refusal is a 502 with a message;
//  - an accepted status has an id, a port, counts and sizes within the documented bounds, and no control
//    character in the texts that reach logs and terminals;
//  - status_to_json of it parses back to the same status.
#include "cluster/node_status.h"

#include <boost/json.hpp>

#include "support/harness.h"

namespace json = boost::json;
using quorum::cluster::ModelState;
using quorum::cluster::NodeStatus;

namespace {

bool printable(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return s.size() <= 512;
}

bool same(const NodeStatus& a, const NodeStatus& b) {
  if (a.id != b.id || a.name != b.name || a.version != b.version || a.port != b.port ||
      a.engines != b.engines || a.in_flight != b.in_flight || a.capacity != b.capacity ||
      a.models.size() != b.models.size()) {
    return false;
  }
  for (size_t i = 0; i < a.models.size(); ++i) {
    const ModelState &x = a.models[i], &y = b.models[i];
    if (x.id != y.id || x.loaded != y.loaded || x.created != y.created || x.owned_by != y.owned_by)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = quorum::cluster::parse_node_status(quorum::fuzz::as_text(data, size));
  if (!parsed) {
    FUZZ_CHECK(parsed.error().status == 502 && !parsed.error().message.empty());
    return 0;
  }
  const NodeStatus& s = *parsed;
  FUZZ_CHECK(!s.id.empty() && printable(s.id) && printable(s.name) && printable(s.version));
  FUZZ_CHECK(s.port >= 1);
  FUZZ_CHECK(s.in_flight >= 0 && s.in_flight <= 1'000'000 && s.capacity >= 1 && s.capacity <= 1'000'000);
  FUZZ_CHECK(s.models.size() <= 10000 && s.engines.size() <= 256);
  for (const auto& m : s.models) FUZZ_CHECK(!m.id.empty() && printable(m.id) && printable(m.owned_by));
  for (const auto& e : s.engines) FUZZ_CHECK(e.size() <= 512);

  auto again = quorum::cluster::parse_node_status(json::serialize(quorum::cluster::status_to_json(s)));
  FUZZ_CHECK(again.ok(), again.ok() ? "" : again.error().message);
  FUZZ_CHECK(same(s, *again));
  return 0;
}

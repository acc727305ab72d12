// The relay's reader of a node's answer (relay/node_answer.h): a node is outside the relay's trust, and its
// answer arrives as link frames split anywhere.
//
// Input: byte 0 picks a split step (1..16 bytes per feed, or all at once); the rest is the answer's bytes.
//
// Invariants:
//  - nothing crashes, and the same bytes give the same result however they are split: head or not, status,
//    headers, body, whole or not, failed or not;
//  - a body is handed out only after a head; a failed reader stays failed and hands out nothing more.
#include "relay/node_answer.h"

#include "support/harness.h"

using quorum::relay::NodeAnswer;

namespace {

struct Outcome {
  bool head = false;
  unsigned status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool done = false;
  bool failed = false;
};

Outcome read_answer(std::string_view bytes, size_t step) {
  NodeAnswer answer;
  Outcome out;
  for (size_t at = 0; at < bytes.size() && !answer.failed(); at += step) {
    answer.feed(bytes.substr(at, step));
    std::string body = answer.take_body();
    FUZZ_CHECK(body.empty() || answer.head_done(), "a body before the head");
    out.body += body;
  }
  answer.end();
  out.body += answer.take_body();
  out.head = answer.head_done();
  if (out.head) {
    out.status = answer.status();
    for (const auto& [name, value] : answer.headers().items()) out.headers.emplace_back(name, value);
  }
  out.done = answer.done();
  out.failed = answer.failed();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t step = data[0] % 17;
  std::string_view bytes = quorum::fuzz::as_text(data + 1, size - 1);
  const Outcome whole = read_answer(bytes, bytes.size() + 1);
  const Outcome split = read_answer(bytes, step == 0 ? 1 : step);
  FUZZ_CHECK(whole.head == split.head && whole.status == split.status, "the head depends on the split");
  FUZZ_CHECK(whole.headers == split.headers, "the headers depend on the split");
  FUZZ_CHECK(whole.failed == split.failed, "failing depends on the split");
  FUZZ_CHECK(whole.done == split.done, "completeness depends on the split");
  if (!whole.failed) FUZZ_CHECK(whole.body == split.body, "the body depends on the split");
  return 0;
}

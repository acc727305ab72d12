// Bytes from an engine or a peer as the stream decoders see them: SseDecoder (SSE), LineSplitter (NDJSON),
// Utf8Carry and sanitize_utf8 (text that must never reach a client split or invalid).
//
// Invariants, for any input fed whole, in deterministic random pieces and byte by byte:
//  - the decoders give the same events, lines and pending state however the input is cut, and the SSE
//    decoder the same whether its sink takes one-line data events as views or not;
//  - what they return is no larger than the input, and no line holds a line ending;
//  - Utf8Carry's output is valid UTF-8, equal to sanitize_utf8 of the whole, and holds back at most 3 bytes;
//  - sanitize_utf8 keeps valid text as it is, is idempotent and at most triples the size.
#include "support/harness.h"
#include "wire/sse.h"
#include "wire/utf8.h"

using namespace quorum::wire;
using quorum::fuzz::valid_utf8;

namespace {

bool same(const std::vector<SseEvent>& a, const std::vector<SseEvent>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].event != b[i].event || a[i].data != b[i].data || a[i].error != b[i].error) return false;
  }
  return true;
}

// Records every event, taking one-line data events as views (as the node's stream reader does).
struct ViewSink final : SseDecoder::Sink {
  std::vector<SseEvent> events;
  void on_event(SseEvent& event) override { events.push_back(event); }
  bool on_data(std::string_view data) override {
    SseEvent event;
    event.data = data;
    events.push_back(std::move(event));
    return true;
  }
};

void check_sse(std::string_view input) {
  std::vector<SseEvent> whole, cut, bytewise;
  SseDecoder a, b, c;
  a.feed(input, whole);
  for (auto piece : quorum::fuzz::pieces(input)) b.feed(piece, cut);
  for (size_t i = 0; i < input.size(); ++i) c.feed(input.substr(i, 1), bytewise);
  FUZZ_CHECK(same(whole, cut) && same(whole, bytewise));
  FUZZ_CHECK(a.has_pending() == b.has_pending() && a.has_pending() == c.has_pending());
  FUZZ_CHECK(!a.overflowed() && !b.overflowed() && !c.overflowed());
  // Events taken as views are the events on_event would have had, whole or cut.
  ViewSink viewed_whole, viewed_cut;
  SseDecoder d, e;
  d.feed(input, viewed_whole);
  for (auto piece : quorum::fuzz::pieces(input)) e.feed(piece, viewed_cut);
  FUZZ_CHECK(same(whole, viewed_whole.events) && same(whole, viewed_cut.events));
  FUZZ_CHECK(d.has_pending() == a.has_pending() && e.has_pending() == a.has_pending());
  size_t total = 0;
  for (const auto& e : whole) {
    total += e.event.size() + e.data.size() + e.error.size();
    is_done_sentinel(e.data);
  }
  FUZZ_CHECK(total <= input.size());
  FUZZ_CHECK(whole.size() <= input.size() / 2);  // an event takes a field line and a blank line at least
}

void check_lines(std::string_view input) {
  std::vector<std::string> whole, cut;
  LineSplitter a, b;
  a.feed(input, whole);
  for (auto piece : quorum::fuzz::pieces(input)) b.feed(piece, cut);
  std::string rest_a = a.take_rest(), rest_b = b.take_rest();
  FUZZ_CHECK(whole == cut && rest_a == rest_b);
  FUZZ_CHECK(!a.overflowed() && !b.overflowed());
  size_t total = rest_a.size();
  for (const auto& line : whole) {
    FUZZ_CHECK(!line.empty() && line.find('\n') == std::string::npos);
    total += line.size();
  }
  FUZZ_CHECK(rest_a.find('\n') == std::string::npos);
  FUZZ_CHECK(total <= input.size());
}

void check_utf8(std::string_view input) {
  std::string clean = sanitize_utf8(input);
  FUZZ_CHECK(valid_utf8(clean));
  FUZZ_CHECK(clean.size() <= 3 * input.size());
  FUZZ_CHECK(sanitize_utf8(clean) == clean);
  if (valid_utf8(input)) FUZZ_CHECK(clean == input);

  size_t prefix = utf8_complete_prefix(input);
  FUZZ_CHECK(prefix <= input.size() && prefix + 3 >= input.size());

  Utf8Carry carry;
  std::string joined;
  for (auto piece : quorum::fuzz::pieces(input)) {
    std::string out = carry.take(piece);
    FUZZ_CHECK(valid_utf8(out));
    joined += out;
  }
  std::string tail = carry.flush();
  FUZZ_CHECK(valid_utf8(tail) && tail.size() <= 9);  // at most 3 held bytes, each a U+FFFD
  FUZZ_CHECK(carry.empty());
  joined += tail;
  FUZZ_CHECK(joined == clean);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = quorum::fuzz::as_text(data, size);
  check_sse(input);
  check_lines(input);
  check_utf8(input);
  return 0;
}

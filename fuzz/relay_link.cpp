// What arrives on the relay link and at the relay's control API from outside: link frames (from a node, or a
// relay, that may lie), the `Quorum-Node` authorization header of a control request, and the key list a
// relay pushes to nodes (src/link/frame.h, src/link/relay_auth.h, src/auth/key_book.h).
//
// Input: the whole input is a frame, a header and a key list at once.
//
// Invariants:
//  - a frame decode accepts re-encodes to exactly its input; stream frames never carry stream 0, link frames
//    never another; a DATA payload is at most 64 KiB, WINDOW's exactly 4 bytes;
//  - a BATCH payload that splits re-batches to exactly its input, its frames inside it and non-empty;
//  - an accepted authorization header renders back to itself, with fields of the allowed alphabet;
//  - an accepted key list has at most KeyBook::kMaxKeys keys, each with a 64-character hash, and survives
//    to_json → parse unchanged; a KeyBook holding it answers check() for any text without throwing.
#include <string>

#include "auth/key_book.h"
#include "link/frame.h"
#include "link/relay_auth.h"
#include "support/harness.h"

using namespace quorum;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto decoded = link::decode(input);
  if (auto* frame = std::get_if<link::Frame>(&decoded)) {
    FUZZ_CHECK(link::encode(*frame) == input, "a frame that does not re-encode to its input");
    FUZZ_CHECK(link::is_stream_frame(frame->type) == (frame->stream != 0));
    if (frame->type == link::FrameType::kData) FUZZ_CHECK(frame->payload.size() <= link::kMaxDataBytes);
    if (frame->type == link::FrameType::kWindow) FUZZ_CHECK(frame->payload.size() == 4);
    if (auto delta = link::parse_window(frame->payload)) FUZZ_CHECK(*delta > 0);
  }

  // The input as a BATCH's payload: the frames it splits into are non-empty, in order, and re-batch to it.
  if (auto frames = link::split_batch(input)) {
    FUZZ_CHECK(!frames->empty());
    std::string again;
    for (std::string_view frame : *frames) {
      FUZZ_CHECK(!frame.empty() && frame.data() >= input.data() &&
                 frame.data() + frame.size() <= input.data() + input.size());
      link::append_to_batch(again, frame);
    }
    FUZZ_CHECK(again == input, "a batch that does not re-batch to its input");
  }

  if (auto auth = link::parse_control_authorization(input)) {
    FUZZ_CHECK(!auth->node_id.empty() && !auth->nonce.empty() && !auth->signature.empty());
    const std::string again = link::control_authorization(*auth);
    auto reparsed = link::parse_control_authorization(again);
    FUZZ_CHECK(reparsed && reparsed->node_id == auth->node_id && reparsed->nonce == auth->nonce &&
                   reparsed->unix_seconds == auth->unix_seconds && reparsed->signature == auth->signature,
               again);
  }

  if (auto keys = auth::KeyBook::parse(input)) {
    FUZZ_CHECK(keys->size() <= auth::KeyBook::kMaxKeys);
    for (const auto& k : *keys) FUZZ_CHECK(k.secret_hash.size() == 64 && !k.id.empty());
    auto again = auth::KeyBook::parse(auth::KeyBook::to_json(*keys));
    FUZZ_CHECK(again && again->size() == keys->size());
    auth::KeyBook book;
    book.replace(*keys);
    (void)book.check(input, 0);
  }
  return 0;
}

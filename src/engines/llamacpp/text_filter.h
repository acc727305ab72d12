// Turns decoded token pieces into text that is safe to stream: whole UTF-8 characters only, and no part of a
// stop string ever reaches the client (pure).
//
// Stop semantics: generation stops at the first point in the text where some stop string has been fully
// seen (the earliest *end*); the output is everything before that occurrence. If several stop strings end at
// the same byte, the longest one (the earliest start) is cut. The result depends only on the text, never on
// how it was split into pieces: with stops {"abcd", "bc"} the text "xabcd" yields "xa".
//
// Stop strings are matched against the sanitized text (invalid bytes already replaced by U+FFFD) and are
// sanitized the same way on construction; empty ones are ignored. Matching is incremental (one
// Knuth-Morris-Pratt automaton per stop string), so feed() costs O(piece size x number of stops) amortized
// plus O(longest stop) for the held-back tail, independent of how much text came before.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "wire/utf8.h"

namespace quorum::engines::llamacpp {

class TextFilter {
 public:
  explicit TextFilter(const std::vector<std::string>& stops);

  struct Output {
    std::string text;
    bool stopped = false;
  };

  // Feeds one token's piece (raw bytes; it may begin or end inside a UTF-8 character). Returns the text that
  // can be emitted now: it never ends inside a UTF-8 character (an incomplete tail is held until completed;
  // invalid bytes become U+FFFD, as with wire::Utf8Carry) and never contains any part of a stop string: a
  // suffix of the text so far that is a prefix of some stop string is held back until it is either completed
  // (then stopped=true and text is everything not yet emitted before the stop string; the stop string and
  // whatever follows are dropped) or disproved (then released). Once stopped, every feed() returns {"",
  // true}. With no stop strings this is exactly wire::Utf8Carry::take.
  Output feed(std::string_view piece);

  // End of generation (EOS or length): returns what is still held back, sanitized (an incomplete character
  // becomes U+FFFD per byte). Returns "" after a stop. The filter is then empty; it is not meant to be fed
  // again.
  std::string flush();

  bool stopped() const { return stopped_; }

 private:
  struct Stop {
    std::string text;
    std::vector<size_t> failure;  // failure[i]: longest proper border of text[0..i]
    size_t matched = 0;           // longest suffix of the text so far that is a proper prefix of `text`
  };

  // Runs complete, sanitized text through the stop automata.
  Output consume(std::string text);

  wire::Utf8Carry carry_;
  std::vector<Stop> stops_;
  std::string held_;  // unemitted text; its size is always the largest `matched` among stops_
  bool stopped_ = false;
};

}  // namespace quorum::engines::llamacpp

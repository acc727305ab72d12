// Server-Sent Events framing, both directions, as the OpenAI SDKs parse it (openai-wire.md §4).
// Pure code: bytes in, bytes or events out.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace quorum::wire {

// ---- Encoding (what the node sends) ----

// "data: <payload>\n\n". REQUIRES: payload is one line (compact JSON or "[DONE]").
std::string sse_data(std::string_view payload);
// ": <text>\n\n", a comment every SSE parser ignores; used as keep-alive.
std::string sse_comment(std::string_view text);
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

// ---- Decoding (what the node reads from engines and peers, and what `quorum chat` reads) ----

struct SseEvent {
  std::string event;  // the `event:` field, empty when absent
  std::string data;   // `data:` lines joined with '\n'
  std::string
      error;  // llama.cpp's legacy, non-standard `error:` field (openai-wire.md §5.2); empty when absent
};

// The most one SSE line or event (or one NDJSON line) from an engine may hold. Engines are not trusted, and
// one that never ends a line would otherwise grow the node's memory forever; the largest real event (a chunk
// with a long tool-call argument or a whole non-streamed answer) is far below this.
inline constexpr size_t kMaxEventBytes = size_t{1} << 20;

// Incremental decoder following the WHATWG algorithm as the SDKs implement it: lines end at "\r\n", "\r" or
// "\n" (a "\r" at the end of one feed and "\n" at the start of the next are one line ending); a blank line
// dispatches an event if a `data`, `event` or (llama.cpp's) `error` field was seen; lines starting with ':'
// are comments; one leading space is removed from a value; `id`, `retry` and unknown fields are ignored.
// Input may be split at any byte, including inside a multi-byte UTF-8 character. Not thread-safe; one
// instance per stream. A line or an event over kMaxEventBytes makes the decoder overflow: it frees what it
// held and decodes nothing more, and the caller ends the stream with an error.
class SseDecoder {
 public:
  // Receives each event as it is completed. The event is the decoder's own: it may be moved from or
  // read in place, and is cleared (its strings keeping their room) once on_event returns.
  class Sink {
   public:
    virtual ~Sink() = default;
    virtual void on_event(SseEvent& event) = 0;
    // An event that is one `data:` line ended by "\n\n" and nothing else, whole within one feed (what every
    // engine sends per token), offered as a view of the fed bytes, so that it is not copied: the same event
    // on_event would get with only `data` set. Returns false to decline: that event and every later one then
    // come through on_event (the default).
    virtual bool on_data(std::string_view data) {
      (void)data;
      return false;
    }
  };
  // Decodes `bytes` and appends every event completed by them to `out`.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  // The same, handing each event to `sink` in place: a stream of events reuses one event's room.
  void feed(std::string_view bytes, Sink& sink);
  // True when a partial line or an undispatched event is pending (an unterminated final event is dropped,
  // like the SDKs do; callers use this to tell a truncated stream apart).
  bool has_pending() const;
  // True once a line or an event went over kMaxEventBytes.
  bool overflowed() const { return overflowed_; }

 private:
  void feed_lines(std::string_view bytes, Sink& sink);
  // Hands the whole one-line data events at `start` to sink.on_data() while it takes them; returns where the
  // first other line begins.
  size_t offer_data_events(std::string_view bytes, size_t start, Sink& sink);
  void line(std::string_view text, Sink& sink);
  void overflow();
  bool overflowed_ = false;
  std::string partial_;       // bytes of the current incomplete line
  bool last_was_cr_ = false;  // previous feed ended with '\r'
  bool have_data_ = false;
  bool have_event_ = false;
  bool have_error_ = false;
  bool offer_views_ = true;  // until the sink declines on_data()
  SseEvent pending_;
};

// True for the end-of-stream sentinel ("[DONE]", checked before any JSON parsing).
bool is_done_sentinel(std::string_view data);

// Splits newline-delimited records (NDJSON); "\r\n" and "\n" end a line, empty lines are skipped. A line over
// kMaxEventBytes makes it overflow, like SseDecoder.
class LineSplitter {
 public:
  void feed(std::string_view bytes, std::vector<std::string>& out);
  // The unterminated last line, if any (NDJSON streams may omit the final newline).
  std::string take_rest();
  bool overflowed() const { return overflowed_; }

 private:
  std::string partial_;
  bool overflowed_ = false;
};

}  // namespace quorum::wire

// Timestamps of a proxied request's stages, for finding where a cold request path spends its time
// (bench/stages.sh; docs/benchmarks.md, "Where a cold request's time goes"). Off unless the process starts
// with QUORUM_STAGES=PATH in its environment; off, a mark is one load of a flag and a branch.
//
// Contract (when on):
//  - mark(stage) notes the time on the calling thread; the engine's response head ends the request: its
//    marks go out as one line of PATH.<pid> and are cleared.
//  - A line: the realtime nanoseconds of the first stage marked, then for each later stage in enum order its
//    offset from that in tenths of a microsecond, or -1 when it was not marked. Only requests a client made
//    of this process are written (the request's head was read here), not the node's own calls to engines.
//  - Meant for one request at a time per thread: marks of interleaved requests mix.
#pragma once

namespace quorum::stage {

enum class Stage : int {
  kArrived,           // a connection was accepted, or a kept-alive one became readable
  kHeadRead,          // the request's head is parsed
  kBodyRead,          // its body is read
  kHandlerCalled,     // the server calls the node's handler
  kAuthorized,        // the handler has a request id and has authenticated the caller
  kRequestTracked,    // the generation endpoint's record and call context exist
  kBodyParsed,        // the JSON body is parsed into the request
  kRouted,            // the router has a plan of holders
  kStreamBegun,       // the reply's identity and stream head are made, the client's leaving is watched
  kTryStarted,        // the first holder's try is set up
  kUpstreamBodyMade,  // the engine request's body is written
  kClientCalled,      // the HTTP client is called
  kConnectionTaken,   // a pooled connection is taken (or a new one open)
  kWriting,           // the engine request's head is made: the write starts
  kWritten,           // the write completed
  kResponseHead,      // the engine's response head is read
  kCount
};

extern bool g_enabled;
void record(Stage stage) noexcept;
// Writes the request's line (at kResponseHead) and clears the marks.
void end_request() noexcept;

inline void mark(Stage stage) noexcept {
  if (g_enabled) [[unlikely]]
    record(stage);
}

inline void mark_end(Stage stage) noexcept {
  if (g_enabled) [[unlikely]] {
    record(stage);
    end_request();
  }
}

}  // namespace quorum::stage

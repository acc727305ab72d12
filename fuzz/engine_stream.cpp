// What an engine streams, from its bytes to what the client receives: SSE through SseDecoder and
// parse_openai_chunk (llama-server, vLLM, LM Studio, Ollama's /v1), or NDJSON through LineSplitter and
// OllamaStreamParser (Ollama's /api/chat), then the events through StreamWriter (a streaming client) and
// ResponseAggregator (a non-streaming one), as src/engines/*_backend.cpp and src/node/api/stream_response.cpp
// chain them.
//
// Input: byte 0 chooses the dialect (bit 0: NDJSON), the kind (bit 1: text completion) and include_usage
// (bit 2); byte 1 the request's n (1 + byte % 128); the rest is the engine's body, fed in deterministic
// random pieces. An OpenAI body is read twice, on the full path and with the pass-through path
// (OpenAiStreamReader), and served to a client each time.
//
// Invariants:
//  - the client's stream keeps the wire contract (ARCHITECTURE.md, openai-wire.md §2.2, §4.1, §5.2): every
//    event is `data:` with a JSON object in valid UTF-8, then `[DONE]` once, last; one id, object, created
//    and model throughout; each choice starts with its role chunk (chat), choices appear in ascending order
//    below n, at most one finish_reason per choice and nothing after it, a valid finish_reason; tool-call
//    fragments carry index and function, id and type only first; an error event is followed by [DONE] only;
//    on success every choice is finished; a usage chunk only when asked;
//  - the aggregated response is a JSON object in valid UTF-8 with one finish_reason per choice;
//  - the writer failed exactly when the aggregator did;
//  - what reaches the client is bounded by a linear function of what the engine sent (kMaxOutputPerByte);
//  - the two paths give the client the same stream (as parsed JSON), the same failure and the same aggregate.
#include <boost/json.hpp>
#include <map>
#include <set>

#include "support/harness.h"
#include "wire/ollama_dialect.h"
#include "wire/openai_dialect.h"
#include "wire/openai_stream.h"
#include "wire/sse.h"
#include "wire/stream_writer.h"

namespace json = boost::json;
using namespace quorum::wire;
using quorum::ApiError;
using quorum::fuzz::valid_utf8;

namespace {

constexpr std::string_view kEngine = "fuzz-engine";

// Output bound: a fixed part per choice the request allows (its role and finish chunks) plus this many bytes
// per byte the engine sent. The largest expansion is a tool call: `{}` in a tool_calls array (3 bytes) is a
// whole chunk with a synthesized id and "type":"function" for the client.
constexpr size_t kFixedPerChoice = 1024;
constexpr size_t kMaxOutputPerByte = 128;

// The events of an OpenAI-compatible SSE body, as SseEventStream (src/engines/openai_backend.cpp) yields
// them: through OpenAiStreamReader, with or without its pass-through path.
std::vector<StreamEvent> openai_events(std::string_view body, bool pass_through) {
  std::vector<StreamEvent> out;
  OpenAiStreamReader reader(std::string(kEngine), pass_through);
  for (auto piece : quorum::fuzz::pieces(body)) {
    reader.feed(piece, out);
    if (reader.ended()) return out;
  }
  reader.end_of_body(out);
  return out;
}

// The events of an Ollama NDJSON body, as NdjsonEventStream (src/engines/ollama_backend.cpp) yields them.
std::vector<StreamEvent> ollama_events(std::string_view body) {
  std::vector<StreamEvent> out;
  LineSplitter splitter;
  OllamaStreamParser parser;
  std::vector<std::string> lines;
  auto parse = [&] {
    for (const auto& line : lines) {
      if (!parser.feed(line, out)) break;
    }
  };
  for (auto piece : quorum::fuzz::pieces(body)) {
    lines.clear();
    splitter.feed(piece, lines);
    parse();
    FUZZ_CHECK(!splitter.overflowed());
    if (parser.done()) return out;
  }
  lines.clear();
  if (auto rest = splitter.take_rest(); !rest.empty()) lines.push_back(std::move(rest));
  parse();
  if (!parser.done())
    out.push_back(StreamError{ApiError::server(502, "closed before the generation finished")});
  return out;
}

std::string str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

bool valid_finish_reason(const json::value& v) {
  static const std::set<std::string> kValid = {"stop", "length", "tool_calls", "content_filter",
                                               "function_call"};
  return v.is_string() && kValid.count(std::string(v.get_string()));
}

json::object parse_object(std::string_view text, const char* what) {
  json::error_code ec;
  json::value v = json::parse(text, ec);  // strict: invalid UTF-8 is an error
  FUZZ_CHECK(!ec && v.is_object(),
             std::string(what) + " is not a JSON object in valid UTF-8: " + std::string(text.substr(0, 300)));
  return std::move(v.get_object());
}

// Checks the stream a client receives; returns whether it ended with an error event.
bool check_client_stream(const std::string& sse, const StreamIdentity& id) {
  SseDecoder decoder;
  std::vector<SseEvent> events;
  decoder.feed(sse, events);
  FUZZ_CHECK(!decoder.has_pending(), "the stream ends inside an event");
  FUZZ_CHECK(!events.empty() && events.back().data == "[DONE]", "the stream does not end with [DONE]");
  const bool chat = id.kind == GenerationKind::kChat;
  struct Choice {
    bool finished = false;
    std::set<int64_t> tool_calls;
  };
  std::map<int64_t, Choice> choices;
  bool error = false, usage = false;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const auto& e = events[i];
    FUZZ_CHECK(e.event.empty() && e.error.empty() && e.data != "[DONE]");
    FUZZ_CHECK(!error && !usage, "an event after the error or usage event");
    json::object chunk = parse_object(e.data, "a stream event");
    if (const auto* err = chunk.if_contains("error")) {
      FUZZ_CHECK(err->is_object());
      const auto& o = err->get_object();
      FUZZ_CHECK(o.contains("message") && o.contains("type") && o.contains("param") && o.contains("code"));
      FUZZ_CHECK(!str(o, "message").empty() && !str(o, "type").empty());
      error = true;
      continue;
    }
    FUZZ_CHECK(str(chunk, "id") == id.id && str(chunk, "model") == id.model);
    FUZZ_CHECK(str(chunk, "object") == (chat ? "chat.completion.chunk" : "text_completion"));
    FUZZ_CHECK(chunk.contains("created") && chunk.at("created") == json::value(id.created));
    const auto* cs = chunk.if_contains("choices");
    FUZZ_CHECK(cs && cs->is_array());
    if (cs->get_array().empty()) {
      FUZZ_CHECK(id.include_usage && chunk.contains("usage"), "a chunk without choices that is not usage");
      const auto& u = chunk.at("usage").as_object();
      FUZZ_CHECK(u.at("prompt_tokens").is_int64() && u.at("completion_tokens").is_int64());
      FUZZ_CHECK(u.at("prompt_tokens").get_int64() >= 0 && u.at("completion_tokens").get_int64() >= 0);
      usage = true;
      continue;
    }
    FUZZ_CHECK(cs->get_array().size() == 1);
    const auto& c = cs->get_array()[0].as_object();
    FUZZ_CHECK(c.at("index").is_int64());
    int64_t index = c.at("index").get_int64();
    FUZZ_CHECK(index >= 0 && index < id.n, "choice index " + std::to_string(index));
    bool first = !choices.count(index);
    FUZZ_CHECK(!chat || !first || index == static_cast<int64_t>(choices.size()), "choices out of order");
    Choice& choice = choices[index];
    FUZZ_CHECK(!choice.finished, "a chunk after the choice's finish_reason");
    const json::value& fr = c.at("finish_reason");
    if (!fr.is_null()) {
      FUZZ_CHECK(valid_finish_reason(fr), "finish_reason " + json::serialize(fr));
      choice.finished = true;
    }
    if (!chat) {
      FUZZ_CHECK(c.at("text").is_string());
      continue;
    }
    const auto& delta = c.at("delta").as_object();
    FUZZ_CHECK(first == delta.contains("role"), "the role chunk is not the first of its choice");
    if (first) FUZZ_CHECK(str(delta, "role") == "assistant");
    if (const auto* calls = delta.if_contains("tool_calls")) {
      for (const auto& call : calls->as_array()) {
        const auto& o = call.as_object();
        FUZZ_CHECK(o.at("index").is_int64() && o.at("function").is_object());
        bool first_fragment = choice.tool_calls.insert(o.at("index").get_int64()).second;
        FUZZ_CHECK(first_fragment == o.contains("id") && first_fragment == o.contains("type"));
        FUZZ_CHECK(first_fragment == o.at("function").as_object().contains("name"));
      }
    }
  }
  if (!error) {
    FUZZ_CHECK(choices.count(0), "a stream without its first choice");
    for (const auto& [index, c] : choices)
      FUZZ_CHECK(c.finished, "unfinished choice " + std::to_string(index));
    FUZZ_CHECK(usage == id.include_usage);
  }
  return error;
}

void check_aggregate(ResponseAggregator& aggregator, const StreamIdentity& id) {
  if (aggregator.error()) {
    FUZZ_CHECK(!aggregator.error()->message.empty());
    parse_object(error_body(*aggregator.error()), "an error body");
    return;
  }
  json::object o = parse_object(json::serialize(aggregator.result()), "the aggregated response");
  const auto& choices = o.at("choices").as_array();
  FUZZ_CHECK(!choices.empty() && static_cast<int64_t>(choices.size()) <= id.n);
  for (size_t i = 0; i < choices.size(); ++i) {
    const auto& c = choices[i].as_object();
    FUZZ_CHECK(c.at("index") == json::value(static_cast<int64_t>(i)) &&
               valid_finish_reason(c.at("finish_reason")));
  }
}

// The stream's payloads, JSON parsed (the [DONE] as a string), for comparing two streams as a client reads
// them.
std::vector<json::value> parsed_payloads(const std::string& sse) {
  SseDecoder decoder;
  std::vector<SseEvent> events;
  decoder.feed(sse, events);
  std::vector<json::value> out;
  for (const auto& e : events) {
    out.push_back(e.data == "[DONE]" ? json::value(e.data) : json::parse(e.data));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t options = data[0];
  StreamIdentity id;
  id.id = "chatcmpl-fuzz";
  id.created = 1753357673;
  id.model = "fuzz-model";
  id.kind = options & 2 ? GenerationKind::kCompletion : GenerationKind::kChat;
  id.include_usage = options & 4;
  id.n = 1 + data[1] % 128;
  std::string_view body = quorum::fuzz::as_text(data + 2, size - 2);

  // What the client gets from these events: the stream (checked), whether it failed, the aggregate.
  struct Client {
    std::string sse;
    bool failed = false;
    std::string aggregate;
  };
  auto serve = [&](const std::vector<StreamEvent>& events) {
    StreamWriter writer(id);
    ResponseAggregator aggregator(id);
    Client client;
    for (const auto& e : events) {
      writer.on_event(e, client.sse);
      aggregator.on_event(e);
    }
    writer.finish(client.sse);
    const size_t bound = kFixedPerChoice * static_cast<size_t>(id.n) + kMaxOutputPerByte * body.size();
    FUZZ_CHECK(client.sse.size() <= bound,
               std::to_string(client.sse.size()) + " bytes out of " + std::to_string(body.size()));
    client.failed = check_client_stream(client.sse, id);
    FUZZ_CHECK(client.failed == aggregator.error().has_value(),
               "the writer and the aggregator disagree on failure");
    check_aggregate(aggregator, id);
    if (!client.failed) {
      client.aggregate = json::serialize(aggregator.result());
      FUZZ_CHECK(client.aggregate.size() <= bound);
    }
    return client;
  };

  if (options & 1) {
    serve(ollama_events(body));
    return 0;
  }
  // Both paths of the OpenAI reader, on purpose: the client must not be able to tell them apart. The
  // pass-through path keeps the engine's escapes (\u00e9 for é), so streams compare as parsed JSON.
  Client full = serve(openai_events(body, false));
  Client fast = serve(openai_events(body, true));
  FUZZ_CHECK(full.failed == fast.failed && full.aggregate == fast.aggregate,
             "the pass-through path changed the answer");
  FUZZ_CHECK(parsed_payloads(full.sse) == parsed_payloads(fast.sse),
             "the pass-through path changed the stream");
  return 0;
}

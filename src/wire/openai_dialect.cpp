#include "wire/openai_dialect.h"

#include <boost/json.hpp>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <string>

#include "wire/json_number.h"
#include "wire/request.h"
#include "wire/utf8.h"

namespace quorum::wire {
namespace json = boost::json;

namespace {

// The most of an engine's plain-text error body that reaches the client.
constexpr size_t kMaxPlainErrorBytes = 500;

// Text an engine chose, fit for the client's JSON: at most `max_bytes`, cut between two characters, with
// invalid UTF-8 replaced. Engines are not trusted to send text (error bodies are read with invalid UTF-8
// allowed, and a plain-text one may be any bytes), and the client's JSON decoder is strict.
std::string engine_text(std::string_view text, size_t max_bytes = std::string_view::npos) {
  if (text.size() > max_bytes) text = text.substr(0, utf8_complete_prefix(text.substr(0, max_bytes)));
  return sanitize_utf8(text);
}

std::string_view str_or_empty(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return it->value().get_string();
}

// The first out-of-range number of a chunk, e.g. "usage.prompt_tokens = 1e+300"; empty while there is none.
using Malformed = std::string;

// Integer `key` of an engine's object: nullopt when absent or not a number (ignored, as other fields of the
// wrong type are). A number that is not an integer in [lo, hi] (1e300, -3, 1.5) is the engine's fault: it
// is recorded in `bad` (`where` names the object) and reads as nullopt.
std::optional<int64_t> int_field(const json::object& o, std::string_view key, int64_t lo, int64_t hi,
                                 std::string_view where, Malformed& bad) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_number()) return std::nullopt;
  int64_t x = 0;
  if (json_integer(it->value(), lo, hi, x) == IntegerStatus::kOk) return x;
  if (bad.empty()) bad = std::string(where) + std::string(key) + " = " + json_number_text(it->value());
  return std::nullopt;
}

constexpr int64_t kMaxCount = INT64_MAX;

Usage parse_usage(const json::object& u, Malformed& bad) {
  Usage usage;
  usage.prompt_tokens = int_field(u, "prompt_tokens", 0, kMaxCount, "usage.", bad).value_or(0);
  usage.completion_tokens = int_field(u, "completion_tokens", 0, kMaxCount, "usage.", bad).value_or(0);
  if (auto it = u.find("completion_tokens_details"); it != u.end() && it->value().is_object()) {
    usage.reasoning_tokens = int_field(it->value().get_object(), "reasoning_tokens", 0, kMaxCount,
                                       "usage.completion_tokens_details.", bad);
  }
  if (auto it = u.find("prompt_tokens_details"); it != u.end() && it->value().is_object()) {
    usage.cached_tokens = int_field(it->value().get_object(), "cached_tokens", 0, kMaxCount,
                                    "usage.prompt_tokens_details.", bad);
  }
  return usage;
}

void parse_tool_calls(int choice, const json::array& calls, std::vector<StreamEvent>& out, Malformed& bad) {
  int position = 0;
  for (const auto& c : calls) {
    if (!c.is_object()) continue;
    const auto& call = c.get_object();
    ToolCallDelta d;
    d.choice = choice;
    d.index =
        static_cast<int>(int_field(call, "index", 0, INT32_MAX, "tool_calls[].", bad).value_or(position));
    d.id = std::string(str_or_empty(call, "id"));
    if (auto f = call.find("function"); f != call.end() && f->value().is_object()) {
      const auto& fn = f->value().get_object();
      d.name = std::string(str_or_empty(fn, "name"));
      if (auto a = fn.find("arguments"); a != fn.end()) {
        // Arguments should be a JSON string; an engine that sends an object gets it serialized.
        d.arguments = a->value().is_string() ? std::string(a->value().get_string())
                      : a->value().is_null() ? std::string()
                                             : json::serialize(a->value());
      }
    }
    out.emplace_back(std::move(d));
    ++position;
  }
}

// The events of a chunk that is a JSON object without an error; `bad` set when a number in it is out of
// range.
void parse_choices_and_usage(const json::object& chunk, std::vector<StreamEvent>& out, Malformed& bad) {
  if (auto it = chunk.find("choices"); it != chunk.end() && it->value().is_array()) {
    int position = 0;
    for (const auto& c : it->value().get_array()) {
      if (!c.is_object()) continue;
      const auto& choice = c.get_object();
      int index = static_cast<int>(
          int_field(choice, "index", 0, kMaxChoices - 1, "choices[].", bad).value_or(position++));
      const json::object* delta = nullptr;
      if (auto d = choice.find("delta"); d != choice.end() && d->value().is_object()) {
        delta = &d->value().get_object();
      }
      if (delta) {
        std::string_view reasoning = str_or_empty(*delta, "reasoning_content");
        if (reasoning.empty()) reasoning = str_or_empty(*delta, "reasoning");
        if (reasoning.empty()) reasoning = str_or_empty(*delta, "thinking");
        if (!reasoning.empty()) out.emplace_back(ReasoningDelta{index, std::string(reasoning)});
        if (auto content = str_or_empty(*delta, "content"); !content.empty()) {
          out.emplace_back(TextDelta{index, std::string(content)});
        }
        if (auto tc = delta->find("tool_calls"); tc != delta->end() && tc->value().is_array()) {
          parse_tool_calls(index, tc->value().get_array(), out, bad);
        }
      }
      // Text completions carry `text` on the choice itself.
      if (auto text = str_or_empty(choice, "text"); !text.empty())
        out.emplace_back(TextDelta{index, std::string(text)});
      if (auto fr = str_or_empty(choice, "finish_reason"); !fr.empty()) {
        if (fr == "error") {
          out.emplace_back(
              StreamError{ApiError::server(502, "The engine ended the generation with an error.")});
          return;
        }
        out.emplace_back(Finish{index, *parse_finish_reason(fr)});
      }
    }
  }
  if (auto it = chunk.find("usage"); it != chunk.end() && it->value().is_object()) {
    out.emplace_back(parse_usage(it->value().get_object(), bad));
  }
}

}  // namespace

ApiError error_from_json(const json::value& error, int fallback_status) {
  ApiError e;
  e.status = fallback_status;
  if (error.is_string()) {
    e.message = engine_text(error.get_string());
  } else if (error.is_object()) {
    const auto& o = error.get_object();
    e.message = engine_text(str_or_empty(o, "message"));
    if (auto t = str_or_empty(o, "type"); !t.empty()) e.type = engine_text(t);
    if (auto p = str_or_empty(o, "param"); !p.empty()) e.param = engine_text(p);
    if (auto it = o.find("code"); it != o.end()) {
      if (it->value().is_string()) {
        e.code = engine_text(it->value().get_string());
      } else if (int64_t n = 0; json_integer(it->value(), 400, 599, n) == IntegerStatus::kOk) {
        e.status = static_cast<int>(n);  // llama.cpp and vLLM put the HTTP status here
      }
    }
  }
  if (e.message.empty()) e.message = "The engine reported an error without a message.";
  return e;
}

namespace {

// What the client sees of an engine's error with HTTP `status`: statuses and types keep their meaning for a
// client (engine_error's rules).
ApiError normalize_engine_error(ApiError e, int status, std::string_view engine_name) {
  e.status = status;
  if (status >= 500) {
    e.type = "server_error";
    if (status != 503) e.status = 502;
    if (!engine_name.empty()) e.message = "Engine '" + std::string(engine_name) + "' failed: " + e.message;
  } else if (status == 404) {
    e.type = "invalid_request_error";
    if (!e.code) e.code = "model_not_found";
  } else if (status == 429) {
    e.type = "rate_limit_error";
    if (!e.code) e.code = "rate_limit_exceeded";
  } else if (status >= 400) {
    // Engines name their own types (exceed_context_size_error, not_supported_error…); clients know OpenAI's.
    if (e.type != "invalid_request_error" && e.type != "authentication_error" &&
        e.type != "permission_error") {
      if (e.type == "exceed_context_size_error" && !e.code) e.code = "context_length_exceeded";
      e.type = "invalid_request_error";
    }
  }
  return e;
}

}  // namespace

ApiError engine_error(int status, std::string_view body, std::string_view engine_name) {
  if (status < 400 || status > 599) {
    // A redirect, an informational answer or a success other than the one expected (a proxy in front of the
    // engine, a wrong URL): not a status to pass on to the client, but the engine failing.
    std::string text = engine_text(body, kMaxPlainErrorBytes);
    ApiError e = ApiError::server(
        502, "unexpected HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text));
    return normalize_engine_error(std::move(e), 502, engine_name);
  }
  ApiError e;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.get_object();
    if (auto it = o.find("error"); it != o.end()) {
      e = error_from_json(it->value(), status);
    } else if (o.contains("message")) {
      e = error_from_json(v, status);  // vLLM before 0.10.1: a flat error object
    }
  }
  if (e.message.empty()) {
    std::string text = engine_text(body, kMaxPlainErrorBytes);
    e.message =
        text.empty() ? "The engine answered with HTTP " + std::to_string(status) + " and no body." : text;
  }
  return normalize_engine_error(std::move(e), status, engine_name);
}

ApiError engine_stream_error(std::string_view payload, std::string_view engine_name) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  json::error_code ec;
  json::value v = json::parse(payload, ec, {}, options);
  ApiError e;
  if (ec) {
    // Not JSON: the text is all the engine said.
    e = ApiError::server(500, payload.empty() ? "The engine reported an error without a message."
                                              : engine_text(payload, kMaxPlainErrorBytes));
  } else {
    const json::value* error = &v;
    if (v.is_object()) {
      if (const auto* inner = v.get_object().if_contains("error"); inner && !inner->is_null()) error = inner;
    }
    e = error_from_json(*error, 500);
  }
  int status = e.status;
  return normalize_engine_error(std::move(e), status, engine_name);
}

void parse_openai_chunk(std::string_view data, std::vector<StreamEvent>& out, std::string_view engine_name) {
  // Engines that cut a multi-byte character between two events send invalid UTF-8 in each; accept it here,
  // the StreamWriter joins the halves before anything reaches a client.
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  json::error_code ec;
  // The value lives only for this call and nothing of it is kept (the events copy what they carry): its
  // keys, strings and tables go in a buffer on the stack, not one allocation each (a usage chunk with
  // llama-server's timings is some twenty). A larger chunk goes on into the heap.
  alignas(std::max_align_t) unsigned char scratch[4096];
  json::monotonic_resource resource(scratch, sizeof(scratch));
  json::value v = json::parse(data, ec, &resource, options);
  if (ec || !v.is_object()) {
    out.emplace_back(
        StreamError{ApiError::server(502, "The engine sent a stream event that is not a JSON object.")});
    return;
  }
  const auto& chunk = v.get_object();
  if (auto it = chunk.find("error"); it != chunk.end() && !it->value().is_null()) {
    ApiError e = error_from_json(it->value(), 500);
    int status = e.status;
    out.emplace_back(StreamError{normalize_engine_error(std::move(e), status, engine_name)});
    return;
  }
  std::vector<StreamEvent> events;
  Malformed bad;
  parse_choices_and_usage(chunk, events, bad);
  if (!bad.empty()) {
    // Nothing of a malformed chunk is used: the client gets the error, not half of the chunk.
    out.emplace_back(StreamError{
        ApiError::server(502, "The engine sent a stream event with a number out of range: " + bad + ".")});
    return;
  }
  for (auto& e : events) out.push_back(std::move(e));
}

}  // namespace quorum::wire

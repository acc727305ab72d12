#include "wire/stream_writer.h"

#include <boost/json.hpp>

#include "wire/json_string.h"
#include "wire/sse.h"

namespace quorum::wire {
namespace json = boost::json;

namespace {

// Tool calls from engines that give no id get one derived from the stream id: unique, and stable in tests.
std::string synth_call_id(const std::string& stream_id, int choice, int index) {
  auto dash = stream_id.find('-');
  std::string tail = dash == std::string::npos ? stream_id : stream_id.substr(dash + 1);
  return "call_" + tail + "_" + std::to_string(choice) + "_" + std::to_string(index);
}

}  // namespace

json::object error_object(const ApiError& e) {
  json::object err;
  err["message"] = e.message;
  err["type"] = e.type;
  err["param"] = e.param ? json::value(*e.param) : json::value(nullptr);
  err["code"] = e.code ? json::value(*e.code) : json::value(nullptr);
  json::object root;
  root["error"] = std::move(err);
  return root;
}

std::string error_body(const ApiError& e) {
  return json::serialize(error_object(e));
}

json::object usage_json(const Usage& u) {
  json::object o;
  o["prompt_tokens"] = u.prompt_tokens;
  o["completion_tokens"] = u.completion_tokens;
  o["total_tokens"] = u.total();
  if (u.cached_tokens) o["prompt_tokens_details"] = json::object{{"cached_tokens", *u.cached_tokens}};
  if (u.reasoning_tokens)
    o["completion_tokens_details"] = json::object{{"reasoning_tokens", *u.reasoning_tokens}};
  return o;
}

// ---------------- StreamWriter ----------------
//
// Chunks are written as text, not built as JSON values: the identity's part once (chunk_prefix_), then each
// choice. The bytes are what boost::json::serialize gives for the same object, member for member (the unit
// test StreamWriter.BytesAreTheSerializedChunks holds them to it).

StreamWriter::StreamWriter(StreamIdentity identity) : id_(std::move(identity)) {
  // Once, at its size: the fixed text, and the id and model escaped (at most six bytes for each of theirs).
  chunk_prefix_.reserve(96 + 6 * (id_.id.size() + id_.model.size()));
  chunk_prefix_ = "data: {\"id\":";
  append_json_string(chunk_prefix_, id_.id);
  chunk_prefix_ += id_.kind == GenerationKind::kChat ? ",\"object\":\"chat.completion.chunk\",\"created\":"
                                                     : ",\"object\":\"text_completion\",\"created\":";
  chunk_prefix_ += std::to_string(id_.created);
  chunk_prefix_ += ",\"model\":";
  append_json_string(chunk_prefix_, id_.model);
  chunk_prefix_ += ",\"choices\":[";
  reasoning_key_ = "{";
  append_json_string(reasoning_key_, id_.reasoning_field);
  reasoning_key_ += ':';
}

namespace {

constexpr std::string_view kChoiceTail = ",\"logprobs\":null,\"finish_reason\":null}";
constexpr std::string_view kChunkEnd = "]}\n\n";

}  // namespace

void StreamWriter::begin_choice(int index, std::string& out) const {
  out += chunk_prefix_;
  out += "{\"index\":";
  out += std::to_string(index);
}

void StreamWriter::emit_text(int index, bool reasoning, std::string_view text, bool encoded,
                             std::string& out) {
  begin_choice(index, out);
  if (id_.kind == GenerationKind::kChat) {
    out += ",\"delta\":";
    out += reasoning ? std::string_view(reasoning_key_) : std::string_view("{\"content\":");
  } else {
    out += ",\"text\":";
  }
  if (encoded) {
    out += text;
  } else {
    append_json_string(out, text);
  }
  if (id_.kind == GenerationKind::kChat) out += '}';
  out += kChoiceTail;
  out += kChunkEnd;
}

void StreamWriter::emit_role(int index, std::string& out) const {
  begin_choice(index, out);
  out += ",\"delta\":{\"role\":\"assistant\",\"content\":\"\"}";
  out += kChoiceTail;
  out += kChunkEnd;
}

void StreamWriter::emit_tool_call(int index, const json::object& call, std::string& out) const {
  begin_choice(index, out);
  out += ",\"delta\":{\"tool_calls\":[";
  out += json::serialize(call);
  out += "]}";
  out += kChoiceTail;
  out += kChunkEnd;
}

StreamWriter::ChoiceState& StreamWriter::choice(int index, std::string& out) {
  // REQUIRES: 0 <= index < n (on_event rejects other events first).
  // Choices first appear in ascending order, each with its role chunk (the python SDK stores them by
  // position).
  while (static_cast<int>(choices_.size()) <= index) {
    int i = static_cast<int>(choices_.size());
    choices_.emplace_back();
    choices_.back().started = true;
    if (id_.kind == GenerationKind::kChat) emit_role(i, out);
  }
  return choices_[index];
}

void StreamWriter::on_event(const StreamEvent& event, std::string& out) {
  if (ended_) return;
  if (const auto* e = std::get_if<StreamError>(&event)) {
    fail(e->error, out);
    return;
  }
  if (auto bad = malformed_event(event, id_.n)) {
    fail(*bad, out);
    return;
  }
  if (const auto* u = std::get_if<Usage>(&event)) {
    usage_ = *u;
    return;
  }
  if (const auto* t = std::get_if<TextDelta>(&event)) {
    auto& c = choice(t->choice, out);
    if (c.finished) return;
    ++deltas_;
    std::string text = c.text.take(t->text);
    if (!text.empty()) emit_text(t->choice, false, text, false, out);
    return;
  }
  if (const auto* e = std::get_if<EncodedText>(&event)) {
    auto& c = choice(e->choice, out);
    if (c.finished) return;
    Utf8Carry& carry = e->reasoning ? c.reasoning : c.text;
    if (!carry.empty()) {
      // Half a character is waiting from an earlier event: join them as the full path does.
      std::string text = decode_json_string(e->token);
      if (e->reasoning) {
        on_event(ReasoningDelta{e->choice, std::move(text)}, out);
      } else {
        on_event(TextDelta{e->choice, std::move(text)}, out);
      }
      return;
    }
    ++deltas_;
    if (!e->reasoning || id_.kind == GenerationKind::kChat)
      emit_text(e->choice, e->reasoning, e->token, true, out);
    return;
  }
  if (const auto* r = std::get_if<ReasoningDelta>(&event)) {
    auto& c = choice(r->choice, out);
    if (c.finished) return;
    ++deltas_;
    std::string text = c.reasoning.take(r->text);
    if (!text.empty() && id_.kind == GenerationKind::kChat) emit_text(r->choice, true, text, false, out);
    return;
  }
  if (const auto* tc = std::get_if<ToolCallDelta>(&event)) {
    auto& c = choice(tc->choice, out);
    if (c.finished || id_.kind != GenerationKind::kChat) return;
    ++deltas_;
    c.saw_tools = true;
    auto [it, first] = c.tools.try_emplace(tc->index);
    if (first) it->second.out_index = static_cast<int>(c.tools.size()) - 1;
    std::string args = it->second.args.take(tc->arguments);
    json::object fn;
    json::object call;
    call["index"] = it->second.out_index;
    if (first) {
      // An id and a name are whole strings, never fragments: invalid bytes in them are the engine's, and
      // are replaced here (text and arguments go through their Utf8Carry).
      call["id"] =
          tc->id.empty() ? synth_call_id(id_.id, tc->choice, it->second.out_index) : sanitize_utf8(tc->id);
      call["type"] = "function";
      fn["name"] = sanitize_utf8(tc->name);
    } else if (args.empty()) {
      return;  // nothing new: a repeated id or name is dropped (the SDKs would concatenate it)
    }
    fn["arguments"] = args;  // json::string copies from a std::string either way
    call["function"] = std::move(fn);
    emit_tool_call(tc->choice, call, out);
    return;
  }
  if (const auto* f = std::get_if<Finish>(&event)) {
    auto& c = choice(f->choice, out);
    if (c.finished) return;
    FinishReason reason = f->reason;
    if (c.saw_tools && reason == FinishReason::kStop) reason = FinishReason::kToolCalls;
    flush_choice(f->choice, out);
    emit_finish(f->choice, reason, out);
  }
}

void StreamWriter::flush_choice(int index, std::string& out) {
  auto& c = choices_[index];
  if (std::string r = c.reasoning.flush(); !r.empty() && id_.kind == GenerationKind::kChat) {
    emit_text(index, true, r, false, out);
  }
  if (std::string t = c.text.flush(); !t.empty()) emit_text(index, false, t, false, out);
  for (auto& [engine_index, tool] : c.tools) {
    if (std::string a = tool.args.flush(); !a.empty()) {
      json::object call{{"index", tool.out_index}, {"function", json::object{{"arguments", std::move(a)}}}};
      emit_tool_call(index, call, out);
    }
  }
}

void StreamWriter::emit_finish(int index, FinishReason reason, std::string& out) {
  choices_[index].finished = true;
  begin_choice(index, out);
  out += id_.kind == GenerationKind::kChat ? ",\"delta\":{}" : ",\"text\":\"\"";
  out += ",\"logprobs\":null,\"finish_reason\":\"";
  out += to_string(reason);
  out += "\"}";
  out += kChunkEnd;
}

Usage StreamWriter::usage() const {
  if (usage_) return *usage_;
  Usage u;
  u.completion_tokens = deltas_;
  return u;
}

void StreamWriter::finish(std::string& out) {
  if (ended_) return;
  choice(0, out);  // an empty generation still has its role chunk and finish chunk
  for (int i = 0; i < static_cast<int>(choices_.size()); ++i) {
    if (choices_[i].finished) continue;
    flush_choice(i, out);
    emit_finish(i, choices_[i].saw_tools ? FinishReason::kToolCalls : FinishReason::kStop, out);
  }
  if (id_.include_usage) {
    out += chunk_prefix_;
    out += "],\"usage\":";
    out += json::serialize(usage_json(usage()));
    out += "}\n\n";
  }
  out += kSseDone;
  ended_ = true;
}

void StreamWriter::fail(const ApiError& error, std::string& out) {
  if (ended_) return;
  // Whatever complete text was held back still reaches the client before the error.
  for (int i = 0; i < static_cast<int>(choices_.size()); ++i) {
    if (!choices_[i].finished) flush_choice(i, out);
  }
  out += sse_data(error_body(error));
  out += kSseDone;
  ended_ = true;
}

// ---------------- ResponseAggregator ----------------

ResponseAggregator::ResponseAggregator(StreamIdentity identity) : id_(std::move(identity)) {}

ResponseAggregator::Choice& ResponseAggregator::choice(int index) {
  // REQUIRES: 0 <= index < n (on_event rejects other events first).
  if (static_cast<int>(choices_.size()) <= index) choices_.resize(index + 1);
  return choices_[index];
}

bool ResponseAggregator::on_event(const StreamEvent& event) {
  if (error_) return false;
  if (auto bad = malformed_event(event, id_.n)) {
    error_ = std::move(bad);
    return false;
  }
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, TextDelta>) {
          choice(e.choice).text += e.text;
          ++deltas_;
        } else if constexpr (std::is_same_v<T, ReasoningDelta>) {
          choice(e.choice).reasoning += e.text;
          ++deltas_;
        } else if constexpr (std::is_same_v<T, EncodedText>) {
          auto& c = choice(e.choice);
          (e.reasoning ? c.reasoning : c.text) += decode_json_string(e.token);
          ++deltas_;
        } else if constexpr (std::is_same_v<T, ToolCallDelta>) {
          auto& call = choice(e.choice).calls[e.index];
          if (call.id.empty()) call.id = e.id;
          if (call.name.empty()) call.name = e.name;
          call.arguments += e.arguments;
          ++deltas_;
        } else if constexpr (std::is_same_v<T, Finish>) {
          auto& c = choice(e.choice);
          if (!c.finish) c.finish = e.reason;
        } else if constexpr (std::is_same_v<T, Usage>) {
          usage_ = e;
        } else if constexpr (std::is_same_v<T, StreamError>) {
          error_ = e.error;
        }
      },
      event);
  return !error_;
}

Usage ResponseAggregator::usage() const {
  if (usage_) return *usage_;
  Usage u;
  u.completion_tokens = deltas_;
  return u;
}

json::object ResponseAggregator::result() {
  if (choices_.empty()) choices_.resize(1);
  json::array choices;
  for (int i = 0; i < static_cast<int>(choices_.size()); ++i) {
    auto& c = choices_[i];
    FinishReason reason = c.finish.value_or(FinishReason::kStop);
    if (!c.calls.empty() && reason == FinishReason::kStop) reason = FinishReason::kToolCalls;
    json::object choice;
    choice["index"] = i;
    if (id_.kind == GenerationKind::kChat) {
      json::object message;
      message["role"] = "assistant";
      message["content"] =
          (c.text.empty() && !c.calls.empty()) ? json::value(nullptr) : json::value(sanitize_utf8(c.text));
      message["refusal"] = nullptr;
      if (!c.reasoning.empty()) message[id_.reasoning_field] = sanitize_utf8(c.reasoning);
      if (!c.calls.empty()) {
        json::array calls;
        int n = 0;
        for (auto& [index, call] : c.calls) {
          calls.push_back(
              json::object{{"id", call.id.empty() ? synth_call_id(id_.id, i, n) : sanitize_utf8(call.id)},
                           {"type", "function"},
                           {"function", json::object{{"name", sanitize_utf8(call.name)},
                                                     {"arguments", sanitize_utf8(call.arguments)}}}});
          ++n;
        }
        message["tool_calls"] = std::move(calls);
      }
      choice["message"] = std::move(message);
    } else {
      choice["text"] = sanitize_utf8(c.text);
    }
    choice["logprobs"] = nullptr;
    choice["finish_reason"] = to_string(reason);
    choices.push_back(std::move(choice));
  }
  json::object o;
  o["id"] = id_.id;
  o["object"] = id_.kind == GenerationKind::kChat ? "chat.completion" : "text_completion";
  o["created"] = id_.created;
  o["model"] = id_.model;
  o["choices"] = std::move(choices);
  o["usage"] = usage_json(usage());
  return o;
}

}  // namespace quorum::wire

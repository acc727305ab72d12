#include "wire/ollama_dialect.h"

#include <boost/json.hpp>
#include <climits>
#include <ctime>

#include "wire/json_number.h"
#include "wire/openai_dialect.h"

namespace quorum::wire {
namespace json = boost::json;

namespace {

std::string_view str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

// Flattens OpenAI content (string or parts) into text, collecting data-URI images.
Status flatten_content(const json::value& content, std::string& text, json::array& images,
                       const std::string& where) {
  if (content.is_string()) {
    text = std::string(content.get_string());
    return Ok{};
  }
  if (!content.is_array()) return Ok{};
  for (const auto& part : content.get_array()) {
    if (!part.is_object()) continue;
    const auto& p = part.get_object();
    auto type = str(p, "type");
    if (type == "text") {
      text += str(p, "text");
    } else if (type == "image_url") {
      const auto* iu = p.if_contains("image_url");
      std::string_view url = iu && iu->is_object() ? str(iu->get_object(), "url") : std::string_view();
      auto comma = url.find(";base64,");
      if (url.substr(0, 5) != "data:" || comma == std::string_view::npos) {
        return ApiError::invalid_request("Ollama accepts images only as data: URIs (base64).",
                                         where + ".content");
      }
      images.push_back(json::string(url.substr(comma + 8)));
    }
  }
  return Ok{};
}

void copy_option(const json::object& from, std::string_view key, json::object& options, std::string_view as) {
  if (const auto* v = from.if_contains(key); v && !v->is_null()) options[as] = *v;
}

json::object sampling_options(const GenerationRequest& request) {
  const auto& b = request.body();
  json::object options;
  for (std::string_view key : {"temperature", "top_p", "seed", "presence_penalty", "frequency_penalty",
                               "top_k", "min_p", "repeat_penalty", "num_ctx"}) {
    copy_option(b, key, options, key);
  }
  if (request.max_tokens) options["num_predict"] = *request.max_tokens;
  if (const auto* stop = b.if_contains("stop"); stop && !stop->is_null()) {
    options["stop"] = stop->is_string() ? json::value(json::array{*stop}) : *stop;
  }
  if (const auto* extra = b.if_contains("options"); extra && extra->is_object()) {
    for (const auto& kv : extra->get_object()) options[kv.key()] = kv.value();  // Ollama's own options win
  }
  return options;
}

}  // namespace

Result<json::object> ollama_chat_body(const GenerationRequest& request, std::string_view model) {
  const auto& b = request.body();
  json::array messages;
  std::vector<std::pair<std::string, std::string>> call_names;  // tool_call_id -> function name
  size_t i = 0;
  for (const auto& m : b.at("messages").get_array()) {
    std::string where = "messages[" + std::to_string(i++) + "]";
    const auto& msg = m.get_object();
    std::string role(str(msg, "role"));
    if (role == "developer") role = "system";
    if (role == "function") role = "tool";
    json::object out{{"role", role}};
    std::string text;
    json::array images;
    if (const auto* content = msg.if_contains("content"); content && !content->is_null()) {
      auto flat = flatten_content(*content, text, images, where);
      if (!flat) return flat.take_error();
    }
    out["content"] = text;
    if (!images.empty()) out["images"] = std::move(images);
    if (const auto* calls = msg.if_contains("tool_calls"); calls && calls->is_array()) {
      json::array converted;
      for (const auto& c : calls->get_array()) {
        if (!c.is_object()) continue;
        const auto& call = c.get_object();
        const auto* fn = call.if_contains("function");
        if (!fn || !fn->is_object()) continue;
        std::string name(str(fn->get_object(), "name"));
        json::value args = json::object{};
        if (auto a = str(fn->get_object(), "arguments"); !a.empty()) {
          json::error_code ec;
          json::value parsed = json::parse(a, ec);
          if (!ec) args = std::move(parsed);
        }
        call_names.emplace_back(std::string(str(call, "id")), name);
        converted.push_back(
            json::object{{"function", json::object{{"name", name}, {"arguments", std::move(args)}}}});
      }
      out["tool_calls"] = std::move(converted);
    }
    if (role == "tool") {
      std::string id(str(msg, "tool_call_id"));
      for (const auto& [call_id, name] : call_names) {
        if (call_id == id) out["tool_name"] = name;
      }
      if (auto name = str(msg, "name"); !name.empty() && !out.contains("tool_name")) out["tool_name"] = name;
    }
    messages.push_back(std::move(out));
  }
  json::object body{{"model", model}, {"messages", std::move(messages)}, {"stream", true}};
  if (const auto* tools = b.if_contains("tools"); tools && tools->is_array()) body["tools"] = *tools;
  if (auto options = sampling_options(request); !options.empty()) body["options"] = std::move(options);
  if (const auto* rf = b.if_contains("response_format"); rf && rf->is_object()) {
    auto type = str(rf->get_object(), "type");
    if (type == "json_object") body["format"] = "json";
    if (type == "json_schema") {
      if (const auto* js = rf->get_object().if_contains("json_schema"); js && js->is_object()) {
        if (const auto* schema = js->get_object().if_contains("schema")) body["format"] = *schema;
      }
    }
  }
  if (const auto* effort = b.if_contains("reasoning_effort"); effort && effort->is_string()) {
    auto e = std::string_view(effort->get_string());
    body["think"] = (e == "none") ? json::value(false)
                                  : json::value(e == "minimal"                 ? "low"
                                                : (e == "xhigh" || e == "max") ? "high"
                                                                               : e);
  }
  for (std::string_view key : {"think", "keep_alive", "format"}) {
    if (const auto* v = b.if_contains(key); v && !v->is_null()) body[key] = *v;
  }
  return body;
}

Result<json::object> ollama_generate_body(const GenerationRequest& request, std::string_view model) {
  const auto& prompt = request.body().at("prompt");
  std::string text;
  if (prompt.is_string()) {
    text = std::string(prompt.get_string());
  } else if (prompt.is_array() && prompt.get_array().size() == 1 && prompt.get_array()[0].is_string()) {
    text = std::string(prompt.get_array()[0].get_string());
  } else {
    return ApiError::invalid_request("Ollama engines take one prompt string per completion request.",
                                     "prompt");
  }
  json::object body{{"model", model}, {"prompt", text}, {"stream", true}};
  if (auto options = sampling_options(request); !options.empty()) body["options"] = std::move(options);
  if (const auto* v = request.body().if_contains("keep_alive"); v && !v->is_null()) body["keep_alive"] = *v;
  return body;
}

json::object ollama_embed_body(const EmbeddingRequest& request, std::string_view model) {
  return json::object{{"model", model}, {"input", request.body.at("input")}};
}

Result<json::object> ollama_embeddings_response(std::string_view body, std::string_view model) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object() || !v.get_object().contains("embeddings") || !v.at("embeddings").is_array() ||
      find_non_finite(v.at("embeddings"))) {
    return ApiError::server(502, "Ollama answered /api/embed with an unexpected body.");
  }
  json::array data;
  int64_t index = 0;
  for (const auto& e : v.at("embeddings").get_array()) {
    data.push_back(json::object{{"object", "embedding"}, {"index", index++}, {"embedding", e}});
  }
  int64_t tokens = 0;
  if (const auto* n = v.get_object().if_contains("prompt_eval_count"); n && n->is_int64())
    tokens = n->get_int64();
  return json::object{{"object", "list"},
                      {"data", std::move(data)},
                      {"model", model},
                      {"usage", json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
}

bool OllamaStreamParser::feed(std::string_view line, std::vector<StreamEvent>& out) {
  if (done_) return false;
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  json::error_code ec;
  json::value v = json::parse(line, ec, {}, options);
  if (ec || !v.is_object()) {
    out.emplace_back(StreamError{ApiError::server(502, "Ollama sent a line that is not a JSON object.")});
    done_ = true;
    return false;
  }
  const auto& o = v.get_object();
  if (const auto* err = o.if_contains("error"); err && !err->is_null()) {
    ApiError e = error_from_json(*err, 502);
    e.status = 502;
    e.type = "server_error";
    out.emplace_back(StreamError{std::move(e)});
    done_ = true;
    return false;
  }
  const json::object* message = nullptr;
  if (const auto* m = o.if_contains("message"); m && m->is_object()) message = &m->get_object();
  if (message) {
    if (auto thinking = str(*message, "thinking"); !thinking.empty())
      out.emplace_back(ReasoningDelta{0, std::string(thinking)});
    if (auto content = str(*message, "content"); !content.empty())
      out.emplace_back(TextDelta{0, std::string(content)});
    if (const auto* calls = message->if_contains("tool_calls"); calls && calls->is_array()) {
      for (const auto& c : calls->get_array()) {
        if (!c.is_object()) continue;
        const auto* fn = c.get_object().if_contains("function");
        if (!fn || !fn->is_object()) continue;
        const auto& f = fn->get_object();
        ToolCallDelta d;
        d.index = tool_calls_;
        if (const auto* idx = f.if_contains("index"); idx && idx->is_int64()) {
          // Out of int range becomes -1, which the writer rejects (a huge value must not wrap into a valid
          // one).
          int64_t i = idx->get_int64();
          d.index = i >= 0 && i <= INT_MAX ? static_cast<int>(i) : -1;
        }
        d.id = std::string(str(c.get_object(), "id"));
        if (d.id.empty()) d.id = "call_ollama_" + std::to_string(tool_calls_);
        d.name = std::string(str(f, "name"));
        if (const auto* args = f.if_contains("arguments")) {
          d.arguments = args->is_string() ? std::string(args->get_string()) : json::serialize(*args);
        } else {
          d.arguments = "{}";
        }
        ++tool_calls_;
        out.emplace_back(std::move(d));
      }
    }
  }
  if (auto response = str(o, "response"); !response.empty())
    out.emplace_back(TextDelta{0, std::string(response)});
  if (auto thinking = str(o, "thinking"); !thinking.empty() && !message)
    out.emplace_back(ReasoningDelta{0, std::string(thinking)});
  if (const auto* d = o.if_contains("done"); d && d->is_bool() && d->get_bool()) {
    FinishReason reason = parse_finish_reason(str(o, "done_reason")).value_or(FinishReason::kStop);
    if (tool_calls_ > 0 && reason == FinishReason::kStop) reason = FinishReason::kToolCalls;
    out.emplace_back(Finish{0, reason});
    Usage usage;
    if (const auto* n = o.if_contains("prompt_eval_count"); n && n->is_int64())
      usage.prompt_tokens = n->get_int64();
    if (const auto* n = o.if_contains("eval_count"); n && n->is_int64())
      usage.completion_tokens = n->get_int64();
    out.emplace_back(usage);
    done_ = true;
    return false;
  }
  return true;
}

int64_t parse_rfc3339(std::string_view t) {
  std::tm tm{};
  int y, mo, d, h, mi, s;
  std::string text(t);
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) return 0;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  int64_t seconds = timegm(&tm);
  // Zone: Z, or +hh:mm / -hh:mm after the seconds (and any fraction).
  size_t pos = 19;
  while (pos < text.size() && (text[pos] == '.' || std::isdigit(static_cast<unsigned char>(text[pos]))))
    ++pos;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int zh = 0, zm = 0;
    if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &zh, &zm) == 2) {
      int64_t offset = zh * 3600 + zm * 60;
      seconds += text[pos] == '+' ? -offset : offset;
    }
  }
  return seconds;
}

Result<std::vector<OllamaModel>> parse_ollama_tags(std::string_view body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object() || !v.get_object().contains("models") || !v.at("models").is_array()) {
    return ApiError::server(502, "Ollama answered /api/tags with an unexpected body.");
  }
  std::vector<OllamaModel> models;
  for (const auto& m : v.at("models").get_array()) {
    if (!m.is_object()) continue;
    auto name = str(m.get_object(), "name");
    if (name.empty()) name = str(m.get_object(), "model");
    if (name.empty()) continue;
    models.push_back(OllamaModel{std::string(name), parse_rfc3339(str(m.get_object(), "modified_at"))});
  }
  return models;
}

std::vector<std::string> parse_ollama_ps(std::string_view body) {
  std::vector<std::string> names;
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return names;
  const auto* models = v.get_object().if_contains("models");
  if (!models || !models->is_array()) return names;
  for (const auto& m : models->get_array()) {
    if (!m.is_object()) continue;
    auto name = str(m.get_object(), "name");
    if (name.empty()) name = str(m.get_object(), "model");
    if (!name.empty()) names.emplace_back(name);
  }
  return names;
}

ApiError ollama_error(int status, std::string_view body, std::string_view engine_name) {
  ApiError e = engine_error(status, body, engine_name);
  if (status == 404) {
    e.type = "invalid_request_error";
    e.code = "model_not_found";
    e.param = "model";
  }
  return e;
}

}  // namespace quorum::wire

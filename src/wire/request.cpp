#include "wire/request.h"

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "wire/json_number.h"
#include "wire/json_string.h"

namespace quorum::wire {
namespace json = boost::json;

std::string json_kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "an integer";
    case json::kind::double_:
      return "a number";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
  }
  return "a value";
}

namespace {

std::string kind_name(const json::value& v) {
  return json_kind_name(v);
}

ApiError missing(const std::string& field) {
  return ApiError::invalid_request("Missing required parameter: '" + field + "'.", field);
}

ApiError wrong_type(const std::string& field, const std::string& expected, const json::value& got) {
  return ApiError::invalid_request(
      "Invalid type for '" + field + "': expected " + expected + ", but got " + kind_name(got) + ".", field);
}

// A token id in a prompt or an embedding input (llama_token and its kin are int32).
bool is_token_id(const json::value& v) {
  int64_t id = 0;
  return json_integer(v, 0, INT32_MAX, id) == IntegerStatus::kOk;
}

// Present and not null.
const json::value* field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return (v && !v->is_null()) ? v : nullptr;
}

std::optional<ApiError> check_number(const json::object& o, const char* key) {
  if (const auto* v = field(o, key); v && !v->is_number()) return wrong_type(key, "a number", *v);
  return std::nullopt;
}

std::optional<ApiError> check_model(const json::object& o, std::string& model) {
  const auto* v = o.if_contains("model");
  if (!v || v->is_null()) return missing("model");
  if (!v->is_string()) return wrong_type("model", "a string", *v);
  if (v->get_string().empty()) return ApiError::invalid_request("'model' must not be empty.", "model");
  model = std::string(v->get_string());
  return std::nullopt;
}

// stream, stream_options, n, max_tokens/max_completion_tokens, temperature, top_p, penalties, stop, seed.
std::optional<ApiError> check_common(const json::object& o, GenerationRequest& r) {
  if (const auto* v = field(o, "stream")) {
    if (!v->is_bool()) return wrong_type("stream", "a boolean", *v);
    r.stream = v->get_bool();
  }
  if (const auto* v = field(o, "stream_options")) {
    if (!v->is_object()) return wrong_type("stream_options", "an object", *v);
    if (const auto* iu = field(v->get_object(), "include_usage")) {
      if (!iu->is_bool()) return wrong_type("stream_options.include_usage", "a boolean", *iu);
      r.include_usage = r.stream && iu->get_bool();
    }
  }
  if (const auto* v = field(o, "n")) {
    int64_t n = 1;
    if (auto e = read_integer(*v, "n", 1, kMaxChoices, n)) return e;
    r.n = static_cast<int>(n);
  }
  // max_completion_tokens wins when both are given.
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* v = field(o, key)) {
      int64_t max_tokens = 0;
      if (auto e = read_integer(*v, key, 0, INT64_MAX, max_tokens)) return e;
      r.max_tokens = max_tokens;
    }
  }
  for (const char* key : {"temperature", "top_p", "presence_penalty", "frequency_penalty"}) {
    if (auto e = check_number(o, key)) return e;
  }
  if (const auto* v = field(o, "seed")) {
    int64_t seed = 0;
    if (auto e = read_integer(*v, "seed", INT64_MIN, INT64_MAX, seed)) return e;
  }
  if (const auto* v = field(o, "stop")) {
    if (v->is_array()) {
      for (const auto& s : v->get_array()) {
        if (!s.is_string()) return wrong_type("stop", "a string or an array of strings", s);
      }
    } else if (!v->is_string()) {
      return wrong_type("stop", "a string or an array of strings", *v);
    }
  }
  return std::nullopt;
}

// string | [string] | [int] | [[int]], non-empty.
std::optional<ApiError> check_text_input(const json::value* v, const std::string& name) {
  if (!v) return missing(name);
  if (v->is_string()) return std::nullopt;
  if (!v->is_array()) return wrong_type(name, "a string or an array", *v);
  const auto& a = v->get_array();
  if (a.empty()) return ApiError::invalid_request("'" + name + "' must not be empty.", name);
  bool strings = a.front().is_string();
  bool ints = a.front().is_number();
  bool arrays = a.front().is_array();
  for (const auto& item : a) {
    bool ok = (strings && item.is_string()) || (ints && is_token_id(item)) ||
              (arrays && item.is_array() &&
               std::all_of(item.get_array().begin(), item.get_array().end(),
                           [](const json::value& t) { return is_token_id(t); }));
    if (!ok)
      return ApiError::invalid_request(
          "'" + name +
              "' must be a string, an array of strings, an array of token ids or an array of such arrays.",
          name);
  }
  return std::nullopt;
}

const std::initializer_list<std::string_view> kRoles = {"system",    "developer", "user",
                                                        "assistant", "tool",      "function"};

// `slot` becomes `parsed`, storage and all. (Assigning would copy it into the slot's default storage: a
// json::object moves its contents only between objects of the same storage.)
void adopt(json::object& slot, json::object&& parsed) {
  std::destroy_at(&slot);
  std::construct_at(&slot, std::move(parsed));
}

}  // namespace

Result<json::object> parse_json_object(std::string_view body) {
  if (body.empty()) return ApiError::invalid_request("The request body is empty; it must be a JSON object.");
  json::error_code ec;
  // The parsed body lives as long as its request (a stream's whole life), in blocks of one resource freed
  // together: one or two allocations instead of one per string, array and object.
  json::storage_ptr storage =
      json::make_shared_resource<json::monotonic_resource>(std::max<size_t>(1024, 2 * body.size()));
  json::value v = json::parse(body, ec, std::move(storage));
  if (ec) {
    return ApiError::invalid_request("We could not parse the JSON body of your request (" + ec.message() +
                                     "). The body must be a JSON object.");
  }
  if (!v.is_object())
    return ApiError::invalid_request("The request body must be a JSON object, not " + kind_name(v) + ".");
  if (auto path = find_non_finite(v)) {
    return ApiError::invalid_request(
        "Invalid number for '" + *path + "': it is beyond the range of a double-precision number.", *path);
  }
  return std::move(v.get_object());
}

namespace {

Result<GenerationRequest> parse_chat_tree(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return parsed.take_error();
  GenerationRequest r;
  r.kind = GenerationKind::kChat;
  r.set_body(std::move(parsed.value()));
  const auto& o = r.body();
  if (auto e = check_model(o, r.model)) return *e;
  const auto* messages = o.if_contains("messages");
  if (!messages || messages->is_null()) return missing("messages");
  if (!messages->is_array()) return wrong_type("messages", "an array", *messages);
  if (messages->get_array().empty()) {
    return ApiError::invalid_request("'messages' must contain at least one message.", "messages");
  }
  size_t i = 0;
  for (const auto& m : messages->get_array()) {
    std::string where = "messages[" + std::to_string(i++) + "]";
    if (!m.is_object()) return wrong_type(where, "an object", m);
    const auto* role = m.get_object().if_contains("role");
    if (!role || role->is_null()) return missing(where + ".role");
    if (!role->is_string()) return wrong_type(where + ".role", "a string", *role);
    if (std::find(kRoles.begin(), kRoles.end(), std::string_view(role->get_string())) == kRoles.end()) {
      return ApiError::invalid_request(
          "Invalid value for '" + where + ".role': '" + std::string(role->get_string()) +
              "'. Supported values are: system, developer, user, assistant, tool.",
          where + ".role");
    }
    if (const auto* content = field(m.get_object(), "content");
        content && !content->is_string() && !content->is_array()) {
      return wrong_type(where + ".content", "a string or an array of content parts", *content);
    }
  }
  if (const auto* tools = field(o, "tools"); tools && !tools->is_array())
    return wrong_type("tools", "an array", *tools);
  if (auto e = check_common(o, r)) return *e;
  return r;
}

Result<GenerationRequest> parse_completion_tree(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return parsed.take_error();
  GenerationRequest r;
  r.kind = GenerationKind::kCompletion;
  r.set_body(std::move(parsed.value()));
  const auto& o = r.body();
  if (auto e = check_model(o, r.model)) return *e;
  if (auto e = check_text_input(field(o, "prompt"), "prompt")) return *e;
  if (auto e = check_common(o, r)) return *e;
  return r;
}

}  // namespace

const json::object& GenerationRequest::body() const {
  static const json::object kNone;
  if (!body_) return kNone;
  if (!body_->text.empty()) {
    std::call_once(body_->parsed, [b = body_.get()] {
      // The scanner took the text only if the full parse takes it (the request fuzz harness holds it to
      // that).
      auto parsed = parse_json_object(b->text);
      if (parsed) adopt(b->tree, std::move(parsed.value()));
    });
  }
  return body_->tree;
}

void GenerationRequest::set_body(json::object tree) {
  auto b = std::make_shared<ClientBody>();
  adopt(b->tree, std::move(tree));
  body_ = std::move(b);
}

Result<GenerationRequest> parse_generation_tree(GenerationKind kind, std::string_view body) {
  return kind == GenerationKind::kChat ? parse_chat_tree(body) : parse_completion_tree(body);
}

Result<GenerationRequest> parse_generation_request(GenerationKind kind, std::string body) {
  auto scanned = scan_generation_request(body, kind == GenerationKind::kChat);
  if (!scanned) return parse_generation_tree(kind, body);
  GenerationRequest r;
  r.kind = kind;
  r.model = std::string(scanned->model);  // before the text moves: the view is into it
  r.stream = scanned->stream;
  r.include_usage = scanned->include_usage;
  r.n = scanned->n;
  r.max_tokens = scanned->max_tokens;
  auto b = std::make_shared<ClientBody>();
  b->text = std::move(body);
  b->members = std::move(scanned->members);
  r.body_ = std::move(b);
  return r;
}

Result<GenerationRequest> parse_chat_request(std::string_view body) {
  return parse_generation_request(GenerationKind::kChat, std::string(body));
}

Result<GenerationRequest> parse_completion_request(std::string_view body) {
  return parse_generation_request(GenerationKind::kCompletion, std::string(body));
}

Result<EmbeddingRequest> parse_embedding_request(std::string_view body) {
  auto parsed = parse_json_object(body);
  if (!parsed) return parsed.take_error();
  EmbeddingRequest r;
  adopt(r.body, std::move(parsed.value()));
  if (auto e = check_model(r.body, r.model)) return *e;
  if (auto e = check_text_input(field(r.body, "input"), "input")) return *e;
  if (const auto* f = field(r.body, "encoding_format")) {
    if (!f->is_string() || (f->get_string() != "float" && f->get_string() != "base64")) {
      return ApiError::invalid_request("Invalid value for 'encoding_format': expected 'float' or 'base64'.",
                                       "encoding_format");
    }
    r.base64 = f->get_string() == "base64";
  }
  return r;
}

namespace {

// A key the node sets in an OpenAI-compatible engine's body, with its value as JSON text.
struct UpstreamField {
  std::string_view key;
  std::string value;
};

// What the node sets, in the order it sets them (one list for both forms of the body below).
std::vector<UpstreamField> upstream_fields(const GenerationRequest& request,
                                           std::string_view upstream_model) {
  std::vector<UpstreamField> fields;
  fields.reserve(5);
  std::string model;
  append_json_string(model, upstream_model);
  fields.push_back({"model", std::move(model)});
  fields.push_back({"stream", "true"});
  fields.push_back({"stream_options", R"({"include_usage":true})"});
  if (request.max_tokens) {
    fields.push_back({"max_tokens", std::to_string(*request.max_tokens)});
    if (request.kind == GenerationKind::kChat)
      fields.push_back({"max_completion_tokens", std::to_string(*request.max_tokens)});
  }
  return fields;
}

}  // namespace

json::object openai_upstream_body(const GenerationRequest& request, std::string_view upstream_model) {
  json::object body = request.body();
  for (const auto& field : upstream_fields(request, upstream_model))
    body[field.key] = json::parse(field.value);
  return body;
}

namespace {

// The engine's body as it is written: the client's members in the client's order, the node's value in
// place of the client's for each key the node sets, then the node's keys the client did not send.
class UpstreamText {
 public:
  UpstreamText(const GenerationRequest& request, std::string_view upstream_model, size_t size_hint)
      : fields_(upstream_fields(request, upstream_model)) {
    out_.reserve(size_hint);
    out_.push_back('{');
  }

  // Starts the client's member `name` (`written`: its key as the client wrote it, quotes included, when the
  // client wrote it without escapes). True when the client's value is to follow; false when the node's
  // value was written instead.
  bool member(std::string_view name, std::optional<std::string_view> written) {
    if (out_.size() > 1) out_.push_back(',');
    if (written) {
      out_.append(*written);
    } else {
      append_json_string(out_, name);
    }
    out_.push_back(':');
    auto field = std::find_if(fields_.begin(), fields_.end(),
                              [name](const UpstreamField& f) { return f.key == name; });
    if (field == fields_.end()) return true;
    placed_[field - fields_.begin()] = true;
    out_ += field->value;
    return false;
  }

  std::string& out() { return out_; }

  std::string finish() {
    for (size_t k = 0; k < fields_.size(); ++k) {
      if (placed_[k]) continue;
      if (out_.size() > 1) out_.push_back(',');
      append_json_string(out_, fields_[k].key);
      out_.push_back(':');
      out_ += fields_[k].value;
    }
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  std::vector<UpstreamField> fields_;
  std::array<bool, 5> placed_{};
  std::string out_;
};

}  // namespace

std::string openai_upstream_json(const GenerationRequest& request, std::string_view upstream_model) {
  if (const ClientBody* scanned = request.scanned()) {
    // The client's bytes, member by member: the scanner takes only keys written without escapes, so a key's
    // text between its quotes is its name.
    const std::string_view text = scanned->text;
    UpstreamText body(request, upstream_model, text.size() + 128);
    for (const ScannedMember& m : scanned->members) {
      const std::string_view key = text.substr(m.key_begin, m.key_end - m.key_begin);
      if (body.member(key.substr(1, key.size() - 2), key))
        body.out().append(text.substr(m.value_begin, m.value_end - m.value_begin));
    }
    return body.finish();
  }
  UpstreamText body(request, upstream_model, 512);
  json::serializer serializer;  // one for all of the client's values: it is not free to make
  for (const auto& client : request.body()) {
    if (!body.member(client.key(), std::nullopt)) continue;
    serializer.reset(&client.value());
    char buffer[4096];
    while (!serializer.done()) body.out().append(serializer.read(buffer, sizeof(buffer)));
  }
  return body.finish();
}

}  // namespace quorum::wire

#include "engines/llamacpp/chat_prompt.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "chat.h"  // llama.cpp common: Jinja chat templates

namespace quorum::engines::llamacpp {

namespace json = boost::json;

ChatPrompt::ChatPrompt(const llama_model* model) {
  templates_ = common_chat_templates_init(model, "").release();
}

ChatPrompt::~ChatPrompt() {
  if (templates_) common_chat_templates_free(templates_);
}

namespace {

std::string as_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

Result<common_chat_msg> to_message(const json::value& item, size_t index) {
  std::string where = "messages[" + std::to_string(index) + "]";
  if (!item.is_object()) return ApiError::invalid_request("'" + where + "' must be an object.", where);
  const auto& o = item.get_object();
  common_chat_msg msg;
  const auto* role = o.if_contains("role");
  if (!role || !role->is_string())
    return ApiError::invalid_request("'" + where + ".role' must be a string.", where);
  msg.role = std::string(role->get_string());
  if (msg.role == "developer") msg.role = "system";
  if (const auto* content = o.if_contains("content"); content && !content->is_null()) {
    if (content->is_string()) {
      msg.content = std::string(content->get_string());
    } else if (content->is_array()) {
      for (const auto& part : content->get_array()) {
        const auto* po = part.if_object();
        const json::value* type = po ? po->if_contains("type") : nullptr;
        if (!type || !type->is_string()) {
          return ApiError::invalid_request("'" + where + ".content' parts must be objects with a 'type'.",
                                           where);
        }
        if (type->get_string() != "text") {
          return ApiError::invalid_request("This model accepts text only; '" + where +
                                               ".content' has a part of type '" +
                                               std::string(type->get_string()) + "'.",
                                           where);
        }
        const json::value* text = po->if_contains("text");
        if (!msg.content.empty()) msg.content += "\n";
        if (text) msg.content += as_text(*text);
      }
    } else {
      return ApiError::invalid_request("'" + where + ".content' must be a string, an array of parts or null.",
                                       where);
    }
  }
  if (const auto* calls = o.if_contains("tool_calls"); calls && calls->is_array()) {
    for (const auto& call : calls->get_array()) {
      const auto* co = call.if_object();
      if (!co) continue;
      common_chat_tool_call tc;
      if (const auto* id = co->if_contains("id")) tc.id = as_text(*id);
      if (const auto* fn = co->if_contains("function"); fn && fn->is_object()) {
        if (const auto* name = fn->get_object().if_contains("name")) tc.name = as_text(*name);
        if (const auto* args = fn->get_object().if_contains("arguments")) tc.arguments = as_text(*args);
      }
      msg.tool_calls.push_back(std::move(tc));
    }
  }
  if (const auto* id = o.if_contains("tool_call_id"); id && id->is_string())
    msg.tool_call_id = id->get_string();
  if (const auto* name = o.if_contains("name"); name && name->is_string() && msg.role == "tool") {
    msg.tool_name = name->get_string();
  }
  return msg;
}

}  // namespace

Result<RenderedPrompt> ChatPrompt::render(const json::array& messages) const {
  common_chat_templates_inputs inputs;
  inputs.use_jinja = true;
  inputs.add_generation_prompt = true;
  for (size_t i = 0; i < messages.size(); ++i) {
    auto msg = to_message(messages[i], i);
    if (!msg) return msg.take_error();
    inputs.messages.push_back(std::move(msg.value()));
  }
  try {
    auto params = common_chat_templates_apply(templates_, inputs);
    return RenderedPrompt{std::move(params.prompt), std::move(params.additional_stops)};
  } catch (const std::exception& e) {
    return ApiError::invalid_request(
        std::string("The model's chat template cannot render these messages: ") + e.what(), "messages");
  }
}

}  // namespace quorum::engines::llamacpp

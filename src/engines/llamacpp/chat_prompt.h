// ChatPrompt: renders OpenAI chat messages into the prompt text a model expects, with the chat template that
// the GGUF file carries (a Jinja template, run by llama.cpp's template engine; models without one get
// ChatML). Thread-safety: render() is const and may run on any thread, but a ChatPrompt is used by its
// model's thread.
#pragma once

#include <boost/json/array.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/result.h"

struct llama_model;
struct common_chat_templates;

namespace quorum::engines::llamacpp {

struct RenderedPrompt {
  std::string text;
  std::vector<std::string>
      extra_stops;  // stop strings the template asks for (besides end-of-generation tokens)
};

class ChatPrompt {
 public:
  explicit ChatPrompt(const llama_model* model);
  ~ChatPrompt();
  ChatPrompt(const ChatPrompt&) = delete;
  ChatPrompt& operator=(const ChatPrompt&) = delete;

  // Roles system/developer/user/assistant/tool; content as a string, null, or an array of text parts. A part
  // of another type (an image, audio) is a 400 naming it: the embedded engine serves text models. A template
  // that fails on these messages is a 400 with the template's own message.
  Result<RenderedPrompt> render(const boost::json::array& messages) const;

 private:
  common_chat_templates* templates_ = nullptr;
};

}  // namespace quorum::engines::llamacpp

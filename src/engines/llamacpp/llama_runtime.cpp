#include "engines/llamacpp/llama_runtime.h"

#include <mutex>

#include "core/log.h"
#include "llama.h"

namespace quorum::engines::llamacpp {

void append_captured(const char* text);

namespace {

thread_local LoadErrorCapture* current_capture = nullptr;
thread_local std::string pending_line;

void on_llama_log(ggml_log_level level, const char* text, void* /*user*/) {
  if (level == GGML_LOG_LEVEL_CONT) {
    pending_line += text;
  } else {
    pending_line = text;
  }
  if (pending_line.empty() || pending_line.back() != '\n') return;
  pending_line.pop_back();
  if (level == GGML_LOG_LEVEL_ERROR || level == GGML_LOG_LEVEL_WARN) {
    append_captured(pending_line.c_str());
  }
  if (level == GGML_LOG_LEVEL_ERROR) {
    log::warn("llama.cpp: " + pending_line);
  } else {
    log::debug("llama.cpp: " + pending_line);
  }
  pending_line.clear();
}

}  // namespace

void append_captured(const char* text) {
  if (!current_capture) return;
  auto& s = current_capture->collected_;
  if (!s.empty()) s += "; ";
  s += text;
  if (s.size() > 2000) s.erase(0, s.size() - 2000);
}

void ensure_llama_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    llama_log_set(on_llama_log, nullptr);
    llama_backend_init();
  });
}

LoadErrorCapture::LoadErrorCapture() : previous_(current_capture) {
  current_capture = this;
}
LoadErrorCapture::~LoadErrorCapture() {
  current_capture = previous_;
}

std::string LoadErrorCapture::text() const {
  if (collected_.size() <= 400) return collected_;
  return "..." + collected_.substr(collected_.size() - 400);
}

}  // namespace quorum::engines::llamacpp

// Process-wide llama.cpp set-up: backend initialization (once) and routing of llama.cpp's log into the node's
// log at debug level. While a LoadErrorCapture is alive on a thread, llama.cpp's warnings and errors on that
// thread are also collected, so that a failed load can say why ("tensor data is not within the file bounds").
#pragma once

#include <string>

namespace quorum::engines::llamacpp {

void ensure_llama_initialized();

class LoadErrorCapture {
 public:
  LoadErrorCapture();
  ~LoadErrorCapture();
  LoadErrorCapture(const LoadErrorCapture&) = delete;
  LoadErrorCapture& operator=(const LoadErrorCapture&) = delete;
  // The collected messages, one per line, trimmed to the last few hundred characters.
  std::string text() const;

 private:
  std::string collected_;
  LoadErrorCapture* previous_;
  friend void append_captured(const char* text);
};

}  // namespace quorum::engines::llamacpp

// What the model's thread does with an exception from llama.cpp or from its own work (a bad_alloc while
// creating a sampler, say): it fails the job it was working on with a 500, and goes on serving the others. No
// exception may leave the model's thread, where it would terminate the whole node.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace quorum::engines::llamacpp {

// Runs `f`; the text of the exception it threw, if it threw one.
template <class F>
std::optional<std::string> exception_text(F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an unknown exception");
  }
}

// 500 server_error: "The embedded engine failed while <doing> (<why>)."
inline ApiError engine_failure(std::string_view doing, std::string_view why) {
  return ApiError::server(
      500, "The embedded engine failed while " + std::string(doing) + " (" + std::string(why) + ").");
}

}  // namespace quorum::engines::llamacpp

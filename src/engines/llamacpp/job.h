// One unit of work for a loaded model: a chat or text completion that the decode loop runs in a slot, or an
// embedding request. Shared between the request side (which may cancel it) and the model's thread.
#pragma once

#include <atomic>
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engines/llamacpp/event_sink.h"
#include "engines/llamacpp/sampling_params.h"

namespace quorum::engines::llamacpp {

struct GenerationJob {
  bool chat = true;
  boost::json::array messages;  // chat: the client's messages
  std::string prompt;           // completion: the prompt text
  SamplingParams params;
  std::shared_ptr<EventSink> sink;  // TextDelta*, then Finish + Usage, or one StreamError; then end()
  // Set by the request side when the client is gone; the decode loop frees the slot at its next step.
  std::atomic<bool> cancelled{false};

  // Ends the job with `error` (its only event).
  void fail(const ApiError& error) const {
    sink->push(wire::StreamError{error});
    sink->end();
  }
};

struct Embeddings {
  std::vector<std::vector<float>> vectors;  // one per input, in order, L2-normalized
  int64_t prompt_tokens = 0;
};

struct EmbeddingJob {
  std::vector<std::string> inputs;
  // Called once, on the model's thread, with the vectors or an error (499 once cancelled).
  std::function<void(Result<Embeddings>)> done;
  // Set by the request side when the client is gone: a queued job is dropped, a running one stops before its
  // next input.
  std::atomic<bool> cancelled{false};
};

}  // namespace quorum::engines::llamacpp

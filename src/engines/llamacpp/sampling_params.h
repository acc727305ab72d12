// Sampling settings for the embedded llama.cpp engine, read from a client's generation request (pure).
//
// The OpenAI fields (temperature, top_p, seed, stop, presence_penalty, frequency_penalty, max_tokens) and the
// llama.cpp extensions (top_k, min_p, repeat_penalty, repeat_last_n, ignore_eos) are range-checked here; a
// value out of range is a 400 invalid_request_error whose `param` names the field and whose message states
// the bad value, in OpenAI's wording. A field that is absent or null keeps its default. Numbers are accepted
// whether boost::json holds them as int64, uint64 or double; integer fields also accept integral doubles, and
// refuse (400) integers beyond int64 (1e300, 1e19) as src/wire/request.cpp does (wire::read_integer).
//
// Size-like fields (top_k, repeat_last_n, max_tokens) are only bounded below when parsed, since the slot they
// will run in is not known yet; fit_to_slot() then bounds them by what is meaningful for that slot before any
// of them reaches llama.cpp (whose penalty sampler, for one, allocates repeat_last_n tokens up front).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "wire/request.h"

namespace quorum::engines::llamacpp {

struct SamplingParams {
  float temperature = 1.0f;      // 0..2; 0 means greedy
  float top_p = 1.0f;            // 0..1
  int32_t top_k = 0;             // >= 0; 0 = off (parsed values above INT32_MAX are clamped to it)
  float min_p = 0.0f;            // 0..1
  float presence_penalty = 0;    // -2..2
  float frequency_penalty = 0;   // -2..2
  float repeat_penalty = 1.0f;   // > 0 and <= FLT_MAX; 1 = off
  int32_t penalty_last_n = 64;   // "repeat_last_n": >= -1 (-1 = whole context, 0 = off); parsed: <= INT32_MAX
  std::optional<uint32_t> seed;  // any int64, reduced modulo 2^32 (-1 becomes 0xFFFFFFFF)
  std::optional<int64_t> max_tokens;  // >= 1
  std::vector<std::string> stop;      // at most 16 given; empty strings dropped
  bool ignore_eos = false;
};

// Reads request.body and request.max_tokens (see wire::GenerationRequest). Type errors are reported too, so
// the function is safe on a body that src/wire/request.cpp has not checked (the extensions never are).
Result<SamplingParams> parse_sampling_params(const wire::GenerationRequest& request);

// `p` bounded by a slot of `ctx_per_slot` context tokens and a vocabulary of `n_vocab` tokens (both >= 1):
//  - penalty_last_n: -1 (whole context) and anything above ctx_per_slot become ctx_per_slot, since a slot
//    never holds more tokens to penalize; 0 stays off;
//  - top_k: above n_vocab becomes n_vocab (keeping every token, as many as a larger k would); 0 stays off;
//  - max_tokens: above ctx_per_slot becomes ctx_per_slot (a generation ends when the slot is full anyway).
// Values already in range are unchanged, so fitting twice changes nothing.
SamplingParams fit_to_slot(SamplingParams p, int32_t ctx_per_slot, int32_t n_vocab);

}  // namespace quorum::engines::llamacpp

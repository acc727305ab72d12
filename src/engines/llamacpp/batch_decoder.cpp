#include "engines/llamacpp/batch_decoder.h"

#include <algorithm>
#include <cstdint>
#include <random>

#include "common.h"  // llama.cpp common: tokenize, token_to_piece
#include "engines/llamacpp/engine_failure.h"

namespace quorum::engines::llamacpp {

namespace {

// `p` has been through fit_to_slot(): its sizes are those of the slot at most.
SamplerPtr make_sampler(const SamplingParams& p, const llama_vocab* vocab) {
  SamplerPtr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  if (p.repeat_penalty != 1.0f || p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) {
    llama_sampler_chain_add(
        chain.get(), llama_sampler_init_penalties(llama_vocab_n_tokens(vocab), p.penalty_last_n,
                                                  p.repeat_penalty, p.frequency_penalty, p.presence_penalty));
  }
  if (p.temperature <= 0.0f) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
    return chain;
  }
  if (p.top_k > 0) llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(p.top_k));
  if (p.top_p < 1.0f)
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(std::max(p.top_p, 1e-6f), 1));
  if (p.min_p > 0.0f) llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(p.min_p, 1));
  llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(p.temperature));
  uint32_t seed = p.seed ? *p.seed : std::random_device{}();
  llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(seed));
  return chain;
}

size_t common_prefix(const std::vector<llama_token>& a, const std::vector<llama_token>& b) {
  return static_cast<size_t>(std::mismatch(a.begin(), a.end(), b.begin(), b.end()).first - a.begin());
}

}  // namespace

BatchDecoder::BatchDecoder(llama_model* model, llama_context* ctx, const ChatPrompt& chat, int slots,
                           int32_t ctx_per_slot, int32_t batch_size, std::function<void()> on_job_end)
    : ctx_(ctx),
      vocab_(llama_model_get_vocab(model)),
      memory_(llama_get_memory(ctx)),
      chat_(chat),
      ctx_per_slot_(ctx_per_slot),
      batch_size_(batch_size),
      on_job_end_(std::move(on_job_end)),
      slots_(static_cast<size_t>(slots)),
      batch_(batch_size) {
  for (size_t i = 0; i < slots_.size(); ++i) slots_[i].seq = static_cast<llama_seq_id>(i);
}

size_t BatchDecoder::free_slots() const {
  return static_cast<size_t>(
      std::count_if(slots_.begin(), slots_.end(), [](const Slot& s) { return !s.job; }));
}

std::shared_ptr<GenerationJob> BatchDecoder::release(Slot& slot) {
  auto job = std::move(slot.job);
  slot.job.reset();
  slot.sampler.reset();
  slot.filter.reset();
  slot.pending = -1;
  slot.output_index = -1;
  on_job_end_();
  return job;
}

void BatchDecoder::fail(Slot& slot, const ApiError& error) {
  release(slot)->fail(error);
}

void BatchDecoder::finish(Slot& slot, wire::FinishReason reason) {
  auto& sink = *slot.job->sink;
  std::string rest = slot.filter->flush();  // empty after a stop string
  if (!rest.empty()) sink.push(wire::TextDelta{0, std::move(rest)});
  sink.push(wire::Finish{0, reason});
  wire::Usage usage;
  usage.prompt_tokens = static_cast<int64_t>(slot.prompt.size());
  usage.completion_tokens = slot.generated;
  usage.cached_tokens = slot.reused;
  sink.push(usage);
  release(slot)->sink->end();
}

void BatchDecoder::start(std::shared_ptr<GenerationJob> job) {
  auto why = exception_text([&] { place(job); });
  if (!why) return;
  ApiError e = engine_failure("starting the generation", *why);
  for (auto& slot : slots_) {
    if (slot.job == job) return discard(slot, e);
  }
  on_job_end_();
  job->fail(e);  // it failed before it had a slot
}

void BatchDecoder::discard(Slot& slot, const ApiError& error) {
  llama_memory_seq_rm(memory_, slot.seq, -1, -1);
  slot.cache.clear();
  if (slot.job) fail(slot, error);
}

void BatchDecoder::place(const std::shared_ptr<GenerationJob>& job) {
  auto refuse = [&](const ApiError& e) {
    on_job_end_();
    job->fail(e);
  };
  const char* field = job->chat ? "messages" : "prompt";
  std::string text;
  std::vector<std::string> stops = job->params.stop;
  if (job->chat) {
    auto rendered = chat_.render(job->messages);
    if (!rendered) return refuse(rendered.take_error());
    text = std::move(rendered->text);
    for (auto& s : rendered->extra_stops) stops.push_back(std::move(s));
  } else {
    text = job->prompt;
  }
  std::vector<llama_token> tokens =
      common_tokenize(vocab_, text, /*add_special=*/true, /*parse_special=*/true);
  if (tokens.empty()) return refuse(ApiError::invalid_request("The prompt is empty.", field));
  if (static_cast<int64_t>(tokens.size()) >= ctx_per_slot_) {
    return refuse(ApiError::invalid_request("This model's maximum context length is " +
                                                std::to_string(ctx_per_slot_) + " tokens. However, your " +
                                                field + " resulted in " + std::to_string(tokens.size()) +
                                                " tokens. Please reduce the length of the " + field + ".",
                                            field, "context_length_exceeded"));
  }
  Slot* best = nullptr;
  size_t best_prefix = 0;
  for (auto& slot : slots_) {
    if (slot.job) continue;
    size_t prefix = common_prefix(slot.cache, tokens);
    if (!best || prefix > best_prefix) {
      best = &slot;
      best_prefix = prefix;
    }
  }
  Slot& slot = *best;
  size_t keep = std::min(best_prefix, tokens.size() - 1);  // the last prompt token is always evaluated
  if (!llama_memory_seq_rm(memory_, slot.seq, static_cast<llama_pos>(keep), -1)) {
    llama_memory_seq_rm(memory_, slot.seq, -1, -1);
    keep = 0;
  }
  slot.cache.resize(keep);
  const SamplingParams params = fit_to_slot(job->params, ctx_per_slot_, llama_vocab_n_tokens(vocab_));
  slot.job = job;
  slot.prompt = std::move(tokens);
  slot.prompt_pos = keep;
  slot.reused = static_cast<int64_t>(keep);
  slot.generated = 0;
  slot.max_tokens = params.max_tokens.value_or(INT64_MAX);
  slot.sampler = make_sampler(params, vocab_);
  slot.filter.emplace(stops);
  slot.pending = -1;
  slot.output_index = -1;
}

void BatchDecoder::drop_cancelled() {
  for (auto& slot : slots_) {
    if (slot.job && slot.job->cancelled.load()) release(slot)->sink->end();
  }
}

void BatchDecoder::fail_all(const ApiError& error) {
  for (auto& slot : slots_) {
    if (slot.job) fail(slot, error);
  }
}

void BatchDecoder::add(Slot& slot, llama_token token, bool output) {
  llama_batch& batch = batch_.get();
  int32_t i = batch.n_tokens++;
  batch.token[i] = token;
  batch.pos[i] = static_cast<llama_pos>(slot.cache.size());
  batch.n_seq_id[i] = 1;
  batch.seq_id[i][0] = slot.seq;
  batch.logits[i] = output ? 1 : 0;
  slot.cache.push_back(token);
  slot.in_batch = true;
  if (output) slot.output_index = i;
}

void BatchDecoder::sample(Slot& slot) {
  llama_token token = llama_sampler_sample(slot.sampler.get(), ctx_, slot.output_index);
  slot.output_index = -1;
  ++slot.generated;
  if (llama_vocab_is_eog(vocab_, token) && !slot.job->params.ignore_eos)
    return finish(slot, wire::FinishReason::kStop);
  auto out = slot.filter->feed(common_token_to_piece(ctx_, token, /*special=*/false));
  if (!out.text.empty()) slot.job->sink->push(wire::TextDelta{0, std::move(out.text)});
  if (out.stopped) return finish(slot, wire::FinishReason::kStop);
  // The next token needs a position in the slot's context (and prompt + completion stays within it).
  if (slot.generated >= slot.max_tokens || static_cast<int32_t>(slot.cache.size()) + 1 >= ctx_per_slot_) {
    return finish(slot, wire::FinishReason::kLength);
  }
  slot.pending = token;
}

void BatchDecoder::step() {
  for (auto& slot : slots_) slot.in_batch = false;
  int rc = 0;
  auto why = exception_text([&] { rc = build_and_decode(); });
  if (why || rc != 0) {
    // The slots in this batch may hold part of it in their caches: they start over, their jobs fail; the
    // other slots are untouched and go on.
    ApiError e = why ? engine_failure("evaluating the model", *why)
                     : ApiError::server(500,
                                        "The embedded engine failed to evaluate the model (llama_decode "
                                        "returned " +
                                            std::to_string(rc) + ").");
    for (auto& slot : slots_) {
      if (slot.in_batch) discard(slot, e);
    }
    return;
  }
  for (auto& slot : slots_) {
    if (!slot.job || slot.output_index < 0) continue;
    if (auto failed = exception_text([&] { sample(slot); }))
      discard(slot, engine_failure("sampling", *failed));
  }
}

int BatchDecoder::build_and_decode() {
  llama_batch& batch = batch_.get();
  batch.n_tokens = 0;
  for (auto& slot : slots_) {
    if (slot.job && slot.pending >= 0) {
      add(slot, slot.pending, /*output=*/true);
      slot.pending = -1;
    }
  }
  const size_t n = slots_.size();
  for (size_t k = 0; k < n && batch.n_tokens < batch_size_; ++k) {
    Slot& slot = slots_[(prompt_turn_ + k) % n];
    if (!slot.job) continue;
    while (slot.prompt_pos < slot.prompt.size() && batch.n_tokens < batch_size_) {
      bool last = slot.prompt_pos + 1 == slot.prompt.size();
      add(slot, slot.prompt[slot.prompt_pos++], /*output=*/last);
    }
  }
  prompt_turn_ = (prompt_turn_ + 1) % n;
  if (batch.n_tokens == 0) return 0;
  return llama_decode(ctx_, batch);
}

}  // namespace quorum::engines::llamacpp

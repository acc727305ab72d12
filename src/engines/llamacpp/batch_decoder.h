// BatchDecoder: continuous batching over the slots of one llama.cpp context.
//
// Each slot is a sequence of the context with its own KV cache (`ctx_per_slot` tokens). step() builds one
// batch: the last sampled token of every generating slot, then prompt tokens of starting jobs in the room
// left (round-robin between slots, `batch_size` tokens in all), so a long prompt is fed in chunks beside the
// running generations instead of stalling them; then one llama_decode, then every slot whose row has logits
// samples its next token, turns it into text through its TextFilter, and posts it to the job's sink. A job
// ends at an end-of-generation token (unless ignore_eos), a stop string, max_tokens, or a full slot context,
// with a Finish and exact Usage. A slot keeps its tokens cached after its job: start() puts a job in the free
// slot that shares the longest prefix with the prompt and only the rest is evaluated.
//
// Used on the model's thread only. `on_job_end` is called once for every job start() took, when it ends in
// any way (finished, failed, cancelled), before the job's last event reaches its sink: a client that has its
// answer may send its next request at once, and must find the model no longer busy with this one.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engines/llamacpp/chat_prompt.h"
#include "engines/llamacpp/job.h"
#include "engines/llamacpp/llama_handles.h"
#include "engines/llamacpp/text_filter.h"

namespace quorum::engines::llamacpp {

class BatchDecoder {
 public:
  BatchDecoder(llama_model* model, llama_context* ctx, const ChatPrompt& chat, int slots,
               int32_t ctx_per_slot, int32_t batch_size, std::function<void()> on_job_end);

  size_t free_slots() const;
  bool idle() const { return free_slots() == slots_.size(); }

  // Renders and tokenizes the job's prompt and gives it a free slot (there must be one). A prompt that cannot
  // run (template error, too long) ends the job at once with its error; so does an exception (500).
  void start(std::shared_ptr<GenerationJob> job);
  // Frees the slots of jobs whose client is gone (what they evaluated stays cached).
  void drop_cancelled();
  // One decode step; does nothing when no slot has work. When the decode fails (an error status or an
  // exception) the jobs in the batch fail with a 500; when sampling a slot throws, that slot's job does.
  void step();
  // Ends every running job with `error`.
  void fail_all(const ApiError& error);

 private:
  struct Slot {
    llama_seq_id seq = 0;
    std::shared_ptr<GenerationJob> job;
    std::vector<llama_token> cache;  // tokens whose keys/values this sequence holds, in position order
    std::vector<llama_token> prompt;
    size_t prompt_pos = 0;  // next prompt token to evaluate
    int64_t generated = 0;
    int64_t reused = 0;  // prompt tokens found in the cache
    int64_t max_tokens = 0;
    SamplerPtr sampler;
    std::optional<TextFilter> filter;
    llama_token pending = -1;   // sampled, evaluated in the next step
    int32_t output_index = -1;  // row of this slot's logits in the current batch
    bool in_batch = false;      // has tokens in the current batch
  };

  void place(const std::shared_ptr<GenerationJob>& job);
  int build_and_decode();  // llama_decode's status
  // Fails the slot's job (if it still has one) and forgets what its sequence holds.
  void discard(Slot& slot, const ApiError& error);
  // Frees the slot and reports the end of its job, which it returns (to be ended by the caller).
  std::shared_ptr<GenerationJob> release(Slot& slot);
  void fail(Slot& slot, const ApiError& error);
  void finish(Slot& slot, wire::FinishReason reason);
  void add(Slot& slot, llama_token token, bool output);
  void sample(Slot& slot);

  llama_context* ctx_;
  const llama_vocab* vocab_;
  llama_memory_t memory_;
  const ChatPrompt& chat_;
  const int32_t ctx_per_slot_;
  const int32_t batch_size_;
  std::function<void()> on_job_end_;
  std::vector<Slot> slots_;
  Batch batch_;
  size_t prompt_turn_ = 0;  // round-robin start among slots feeding prompts
};

}  // namespace quorum::engines::llamacpp

#!/usr/bin/python3
"""Writes a tiny random-weight llama-architecture GGUF model with a real 32k SentencePiece tokenizer.

The tokenizer (and nothing else) is copied from llama.cpp's models/ggml-vocab-llama-spm.gguf; the weights are
random, so the model "speaks" gibberish made of real tokens at the speed of a model of its size. Deterministic
for a given seed. Needs numpy (Debian's python3-numpy) and llama.cpp's gguf-py (from the source checkout).

usage: make-test-model.py OUT.gguf --llama-src DIR [--seed N] [--embd 64] [--layers 2] [--heads 4]
                          [--kv-heads 2] [--ff 128] [--ctx 2048] [--embedding]
"""
import argparse
import sys

import numpy as np

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--llama-src", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--embd", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--ff", type=int, default=128)
    p.add_argument("--ctx", type=int, default=2048)
    a = p.parse_args()

    sys.path.insert(0, f"{a.llama_src}/gguf-py")
    import gguf  # noqa: E402

    vocab = gguf.GGUFReader(f"{a.llama_src}/models/ggml-vocab-llama-spm.gguf")

    def field(name):
        f = vocab.fields[name]
        return f

    tokens = [bytes(field("tokenizer.ggml.tokens").parts[i]) for i in field("tokenizer.ggml.tokens").data]
    scores = [float(field("tokenizer.ggml.scores").parts[i][0]) for i in field("tokenizer.ggml.scores").data]
    types = [int(field("tokenizer.ggml.token_type").parts[i][0]) for i in field("tokenizer.ggml.token_type").data]
    n_vocab = len(tokens)

    rng = np.random.default_rng(a.seed)
    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name(f"quorum-test-{a.seed}")
    w.add_context_length(a.ctx)
    w.add_embedding_length(a.embd)
    w.add_block_count(a.layers)
    w.add_feed_forward_length(a.ff)
    w.add_head_count(a.heads)
    w.add_head_count_kv(a.kv_heads)
    w.add_rope_dimension_count(a.embd // a.heads)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(n_vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_chat_template(CHAT_TEMPLATE)

    head_dim = a.embd // a.heads

    def tensor(name, shape, scale=0.02, dtype=np.float16):
        w.add_tensor(name, (rng.standard_normal(shape) * scale).astype(dtype))

    tensor("token_embd.weight", (n_vocab, a.embd))
    w.add_tensor("output_norm.weight", np.ones(a.embd, dtype=np.float32))
    tensor("output.weight", (n_vocab, a.embd))
    for i in range(a.layers):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(a.embd, dtype=np.float32))
        tensor(f"blk.{i}.attn_q.weight", (a.heads * head_dim, a.embd))
        tensor(f"blk.{i}.attn_k.weight", (a.kv_heads * head_dim, a.embd))
        tensor(f"blk.{i}.attn_v.weight", (a.kv_heads * head_dim, a.embd))
        tensor(f"blk.{i}.attn_output.weight", (a.embd, a.heads * head_dim))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(a.embd, dtype=np.float32))
        tensor(f"blk.{i}.ffn_gate.weight", (a.ff, a.embd))
        tensor(f"blk.{i}.ffn_up.weight", (a.ff, a.embd))
        tensor(f"blk.{i}.ffn_down.weight", (a.embd, a.ff))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

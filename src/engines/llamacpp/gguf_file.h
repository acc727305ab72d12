// What the node learns from a model file before llama.cpp is asked to load it: quick checks, so that a file
// that is not a GGUF model at all gets a clear message at once (truncated tensor data is found by the loader
// itself), and the model's shape from its metadata, so that its memory need is known before it loads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace quorum::engines::llamacpp {

// Checks the fixed header: magic "GGUF", a known version (1-3), plausible tensor and metadata counts.
// `head` is the start of the file (at least 24 bytes when the file has them), `file_size` its size.
// The error (empty when fine) says what is wrong in words a user can act on.
std::string check_gguf_header(std::string_view head, uint64_t file_size);

// Reads the header of `path` and checks it; also reports a missing or unreadable file.
std::string check_gguf_file(const std::string& path);

// What sizes a model's context cache: per slot token, each of `layers` layers holds `kv_per_token` key and
// value elements. All zero when the metadata does not say (the cache is then not counted).
struct ModelShape {
  uint64_t layers = 0;
  uint64_t kv_per_token = 0;
  uint64_t train_ctx = 0;  // the context the model was trained for; 0: unknown
  bool operator==(const ModelShape&) const = default;
};

// A number of the GGUF metadata by key (an array: its largest element); nullopt when absent or not a number.
using MetadataNumber = std::function<std::optional<uint64_t>(const std::string& key)>;

// The shape from llama.cpp's metadata keys for architecture `arch` ("llama", ...): `ARCH.block_count`,
// `ARCH.context_length`, and the attention keys: `ARCH.attention.head_count_kv` heads (default head_count)
// of `ARCH.attention.key_length` + `value_length` elements (default embedding_length / head_count each).
// Without head counts, 2 x embedding_length per token (no grouped-query attention assumed). Pure.
ModelShape shape_from_metadata(const std::string& arch, const MetadataNumber& number);

// The shape of the GGUF file at `path` (its metadata only is read, by llama.cpp's parser); all zero when it
// cannot be read. Never throws. Defined in gguf_reader.cpp, the one part of this header that needs llama.cpp.
ModelShape read_model_shape(const std::string& path);

}  // namespace quorum::engines::llamacpp

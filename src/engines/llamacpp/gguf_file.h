// Quick checks of a model file before llama.cpp is asked to load it, so that a file that is not a GGUF model
// at all gets a clear message at once (truncated tensor data is found by the loader itself).
#pragma once

#include <cstdint>
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

}  // namespace quorum::engines::llamacpp

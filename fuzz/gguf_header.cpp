// The quick check of a model file's header before llama.cpp is asked to load it (check_gguf_header): any file
// can sit in the models directory.
//
// Input: bytes 0-7 the file's size (little-endian), the rest the start of the file.
//
// Invariants: a header passes only with the magic "GGUF", a version from 1 to 3, 24 bytes at least and
// tensor and metadata counts that the file's size can hold; a refusal says why in words (printable, one
// line).
#include <cstring>

#include "engines/llamacpp/gguf_file.h"
#include "support/harness.h"

namespace {

uint64_t le(std::string_view bytes, size_t at, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= uint64_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  std::string_view input = quorum::fuzz::as_text(data, size);
  const uint64_t file_size = le(input, 0, 8);
  std::string_view head = input.substr(8);
  std::string error = quorum::engines::llamacpp::check_gguf_header(head, file_size);
  if (error.empty()) {
    FUZZ_CHECK(head.size() >= 24 && file_size >= 24 && head.substr(0, 4) == "GGUF");
    uint64_t version = le(head, 4, 4);
    FUZZ_CHECK(version >= 1 && version <= 3);
    FUZZ_CHECK(le(head, 8, 8) <= file_size / 8 && le(head, 16, 8) <= file_size / 8);
  } else {
    for (char c : error) FUZZ_CHECK(c >= 0x20 && c < 0x7f, error);
  }
  return 0;
}

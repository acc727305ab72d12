#include "engines/llamacpp/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace quorum::engines::llamacpp {

namespace {

uint64_t read_le(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

}  // namespace

std::string check_gguf_header(std::string_view head, uint64_t file_size) {
  if (file_size == 0) return "the file is empty";
  if (head.size() < 4 || head.substr(0, 4) != "GGUF")
    return "not a GGUF file (it does not start with 'GGUF')";
  if (head.size() < 24 || file_size < 24) return "the file is truncated (shorter than a GGUF header)";
  uint64_t version = read_le(head, 4, 4);
  if (version < 1 || version > 3) return "unsupported GGUF version " + std::to_string(version);
  uint64_t tensors = read_le(head, 8, 8);
  uint64_t metadata = read_le(head, 16, 8);
  // Every tensor and metadata entry takes more than 8 bytes of the file.
  if (tensors > file_size / 8 || metadata > file_size / 8)
    return "the file is damaged (impossible header counts)";
  return {};
}

std::string check_gguf_file(const std::string& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return "the file does not exist";
  if (!std::filesystem::is_regular_file(status)) return "not a regular file";
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot read the file size: " + ec.message();
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("cannot open the file: ") + std::strerror(errno);
  char head[24] = {};
  in.read(head, sizeof head);
  return check_gguf_header(std::string_view(head, static_cast<size_t>(in.gcount())), size);
}

ModelShape shape_from_metadata(const std::string& arch, const MetadataNumber& number) {
  // Each number is capped far above any real model's, so that the products below cannot overflow.
  constexpr uint64_t kCap = uint64_t{1} << 24;
  const std::string prefix = arch + ".";
  auto get = [&](const std::string& key, uint64_t otherwise) {
    return std::min(number(prefix + key).value_or(otherwise), kCap);
  };
  ModelShape shape;
  shape.layers = get("block_count", 0);
  shape.train_ctx = get("context_length", 0);
  const uint64_t embd = get("embedding_length", 0);
  const uint64_t heads = get("attention.head_count", 0);
  if (heads == 0) {
    shape.kv_per_token = 2 * embd;
    return shape;
  }
  const uint64_t kv_heads = get("attention.head_count_kv", heads);
  shape.kv_per_token =
      kv_heads * (get("attention.key_length", embd / heads) + get("attention.value_length", embd / heads));
  return shape;
}

}  // namespace quorum::engines::llamacpp

#include "engines/llamacpp/gguf_file.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "gguf.h"

namespace quorum::engines::llamacpp {

namespace {

uint64_t read_le(std::string_view bytes, size_t offset, size_t width) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  return v;
}

// A non-negative integer of type `type` at `data`; nullopt for other types and negative values.
std::optional<uint64_t> integer_at(gguf_type type, const void* data) {
  int64_t v = 0;
  switch (type) {
    case GGUF_TYPE_UINT8:
      return *static_cast<const uint8_t*>(data);
    case GGUF_TYPE_UINT16:
      return *static_cast<const uint16_t*>(data);
    case GGUF_TYPE_UINT32:
      return *static_cast<const uint32_t*>(data);
    case GGUF_TYPE_UINT64:
      return *static_cast<const uint64_t*>(data);
    case GGUF_TYPE_INT8:
      v = *static_cast<const int8_t*>(data);
      break;
    case GGUF_TYPE_INT16:
      v = *static_cast<const int16_t*>(data);
      break;
    case GGUF_TYPE_INT32:
      v = *static_cast<const int32_t*>(data);
      break;
    case GGUF_TYPE_INT64:
      v = *static_cast<const int64_t*>(data);
      break;
    default:
      return std::nullopt;
  }
  if (v < 0) return std::nullopt;
  return static_cast<uint64_t>(v);
}

size_t type_width(gguf_type type) {
  switch (type) {
    case GGUF_TYPE_UINT8:
    case GGUF_TYPE_INT8:
      return 1;
    case GGUF_TYPE_UINT16:
    case GGUF_TYPE_INT16:
      return 2;
    case GGUF_TYPE_UINT32:
    case GGUF_TYPE_INT32:
      return 4;
    case GGUF_TYPE_UINT64:
    case GGUF_TYPE_INT64:
      return 8;
    default:
      return 0;
  }
}

// The number under `key` (an array of integers: its largest element).
std::optional<uint64_t> metadata_number(const gguf_context* ctx, const std::string& key) {
  const int64_t id = gguf_find_key(ctx, key.c_str());
  if (id < 0) return std::nullopt;
  const gguf_type type = gguf_get_kv_type(ctx, id);
  if (type != GGUF_TYPE_ARRAY) return integer_at(type, gguf_get_val_data(ctx, id));
  const gguf_type item = gguf_get_arr_type(ctx, id);
  const size_t width = type_width(item);
  const size_t n = gguf_get_arr_n(ctx, id);
  if (width == 0 || n == 0) return std::nullopt;
  const auto* bytes = static_cast<const unsigned char*>(gguf_get_arr_data(ctx, id));
  std::optional<uint64_t> largest;
  for (size_t i = 0; i < n; ++i) {
    auto v = integer_at(item, bytes + i * width);
    if (v && (!largest || *v > *largest)) largest = v;
  }
  return largest;
}

struct GgufDeleter {
  void operator()(gguf_context* c) const { gguf_free(c); }
};

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

ModelShape read_model_shape(const std::string& path) {
  try {
    gguf_init_params params{/*no_alloc=*/true, /*ctx=*/nullptr};
    std::unique_ptr<gguf_context, GgufDeleter> ctx(gguf_init_from_file(path.c_str(), params));
    if (!ctx) return {};
    const int64_t arch_id = gguf_find_key(ctx.get(), "general.architecture");
    if (arch_id < 0 || gguf_get_kv_type(ctx.get(), arch_id) != GGUF_TYPE_STRING) return {};
    const std::string arch = gguf_get_val_str(ctx.get(), arch_id);
    return shape_from_metadata(arch, [&](const std::string& key) { return metadata_number(ctx.get(), key); });
  } catch (...) {
    return {};  // a file llama.cpp cannot parse: the loader will say why, if the model is asked for
  }
}

}  // namespace quorum::engines::llamacpp

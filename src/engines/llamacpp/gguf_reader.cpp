#include <cstring>
#include <memory>

#include "engines/llamacpp/gguf_file.h"
#include "gguf.h"

// read_model_shape (declared in gguf_file.h) apart from the pure checks, because it needs llama.cpp's GGUF
// parser: the pure part builds without llama.cpp (the fuzz harnesses, fuzz/).

namespace quorum::engines::llamacpp {

namespace {

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

#include "wire/embedding_encoding.h"

#include <cstdint>
#include <cstring>

namespace quorum::wire {

std::string floats_to_base64(const boost::json::array& values) {
  std::string bytes;
  bytes.reserve(values.size() * 4);
  for (const auto& v : values) {
    float f = v.is_double()   ? static_cast<float>(v.get_double())
              : v.is_int64()  ? static_cast<float>(v.get_int64())
              : v.is_uint64() ? static_cast<float>(v.get_uint64())
                              : 0.0f;
    char b[4];
    std::memcpy(b, &f, 4);  // x86-64 and aarch64 are little-endian
    bytes.append(b, 4);
  }
  static constexpr char kTable[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += kTable[(n >> 6) & 63];
    out += kTable[n & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    if (rest == 2) n |= uint8_t(bytes[i + 1]) << 8;
    out += kTable[(n >> 18) & 63];
    out += kTable[(n >> 12) & 63];
    out += rest == 2 ? kTable[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace quorum::wire

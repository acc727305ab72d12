#include "cluster/dns_message.h"

#include <optional>
#include <unordered_map>
#include <utility>

namespace quorum::cluster::dns {
namespace {

constexpr uint16_t kClassIn = 1;
constexpr uint16_t kClassAny = 255;
constexpr uint16_t kTopBit = 0x8000;  // QU in a qclass, cache-flush in an rrclass
constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxNameWire = 255;  // RFC 1035 section 2.3.4, counting the length bytes and the final zero
constexpr size_t kMaxLabel = 63;
constexpr size_t kMaxPointerTarget = 0x3fff;
constexpr int kMaxJumps = 128;          // more than any real name needs; pointers are also strictly backwards
constexpr size_t kMinQuestionWire = 5;  // the root name (1 byte), type and class
constexpr size_t kMinRecordWire = 11;   // the root name, type, class, ttl and rdlength

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

ApiError invalid(const std::string& why) {
  return ApiError::invalid_request("dns: " + why, std::nullopt, "dns_invalid");
}
ApiError malformed(const std::string& why) {
  return ApiError::invalid_request("dns: malformed message: " + why, std::nullopt, "dns_malformed");
}

// ---- encoding -------------------------------------------------------------------------------------------

// The labels of a text name, or an error.
Result<std::vector<std::string>> split_name(std::string_view name) {
  std::vector<std::string> labels;
  if (name.empty()) return labels;  // the root
  std::string label;
  size_t wire = 1;  // the final zero
  auto finish = [&]() -> std::optional<ApiError> {
    if (label.empty()) return invalid("empty label in name '" + std::string(name) + "'");
    if (label.size() > kMaxLabel)
      return invalid("label longer than 63 bytes in name '" + std::string(name) + "'");
    wire += 1 + label.size();
    labels.push_back(std::move(label));
    label.clear();
    return std::nullopt;
  };
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\\') {
      if (++i == name.size()) return invalid("dangling '\\' in name '" + std::string(name) + "'");
      label += name[i];
    } else if (c == '.') {
      if (auto e = finish()) return *e;
    } else {
      label += c;
    }
  }
  if (auto e = finish()) return *e;
  if (wire > kMaxNameWire) return invalid("name longer than 255 bytes: '" + std::string(name) + "'");
  return labels;
}

class Encoder {
 public:
  std::vector<uint8_t> out;

  void u8(uint8_t v) { out.push_back(v); }
  void u16(uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void put_u16_at(size_t at, uint16_t v) {
    out[at] = static_cast<uint8_t>(v >> 8);
    out[at + 1] = static_cast<uint8_t>(v);
  }

  // Writes `name`, ending in a pointer to the longest suffix already written, if any.
  Status name(std::string_view text) {
    auto labels = split_name(text);
    if (!labels) return labels.take_error();
    const auto& ls = labels.value();
    for (size_t i = 0; i < ls.size(); ++i) {
      // The suffix from label i in wire form. Matching is exact rather than case-insensitive, so a decoded
      // name keeps the case it was encoded with.
      std::string key;
      for (size_t j = i; j < ls.size(); ++j) {
        key += static_cast<char>(ls[j].size());
        key += ls[j];
      }
      if (auto it = suffixes_.find(key); it != suffixes_.end()) {
        u16(static_cast<uint16_t>(0xc000 | it->second));
        return Ok{};
      }
      if (out.size() <= kMaxPointerTarget)
        suffixes_.emplace(std::move(key), static_cast<uint16_t>(out.size()));
      u8(static_cast<uint8_t>(ls[i].size()));
      out.insert(out.end(), ls[i].begin(), ls[i].end());
    }
    u8(0);
    return Ok{};
  }

  Status record(const Record& r) {
    if (auto s = name(r.name); !s) return s;
    u16(static_cast<uint16_t>(r.type));
    u16(static_cast<uint16_t>(kClassIn | (r.cache_flush ? kTopBit : 0)));
    u32(r.ttl);
    size_t length_at = out.size();
    u16(0);  // rdlength, filled in below
    size_t start = out.size();
    switch (r.type) {
      case Type::A:
        out.insert(out.end(), r.ipv4.begin(), r.ipv4.end());
        break;
      case Type::AAAA:
        out.insert(out.end(), r.ipv6.begin(), r.ipv6.end());
        break;
      case Type::PTR:
        if (auto s = name(r.target); !s) return s;
        break;
      case Type::SRV:
        u16(r.priority);
        u16(r.weight);
        u16(r.port);
        if (auto s = name(r.target); !s) return s;
        break;
      case Type::TXT:
        if (r.txt.empty()) u8(0);  // RFC 6763 section 6.1: never zero bytes of rdata
        for (const auto& s : r.txt) {
          if (s.size() > 255) return invalid("TXT string longer than 255 bytes in record '" + r.name + "'");
          u8(static_cast<uint8_t>(s.size()));
          out.insert(out.end(), s.begin(), s.end());
        }
        break;
      default:
        out.insert(out.end(), r.rdata.begin(), r.rdata.end());
        break;
    }
    size_t length = out.size() - start;
    if (length > 0xffff) return invalid("rdata longer than 65535 bytes in record '" + r.name + "'");
    put_u16_at(length_at, static_cast<uint16_t>(length));
    return Ok{};
  }

 private:
  std::unordered_map<std::string, uint16_t> suffixes_;
};

// ---- decoding -------------------------------------------------------------------------------------------

class Decoder {
 public:
  explicit Decoder(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining(size_t pos) const { return pos <= data_.size() ? data_.size() - pos : 0; }
  uint8_t u8(size_t pos) const { return data_[pos]; }
  uint16_t u16(size_t pos) const { return static_cast<uint16_t>(data_[pos] << 8 | data_[pos + 1]); }
  uint32_t u32(size_t pos) const { return static_cast<uint32_t>(u16(pos)) << 16 | u16(pos + 2); }

  // Reads the name at `pos`, moving `pos` past it (past its first pointer if it has one).
  Result<std::string> name(size_t& pos) const {
    std::string text;
    size_t p = pos;
    size_t segment = pos;  // where the current run of labels started; a pointer must point before it
    size_t wire = 0;
    bool jumped = false;
    int jumps = 0;
    for (;;) {
      if (p >= data_.size()) return malformed("name runs past the end");
      uint8_t b = data_[p];
      if (b == 0) {
        if (!jumped) pos = p + 1;
        return text;
      }
      if ((b & 0xc0) == 0xc0) {
        if (p + 1 >= data_.size()) return malformed("compression pointer runs past the end");
        size_t target = static_cast<size_t>(b & 0x3f) << 8 | data_[p + 1];
        if (target >= segment) return malformed("compression pointer does not point backwards");
        if (++jumps > kMaxJumps) return malformed("too many compression pointers in one name");
        if (!jumped) pos = p + 2;
        jumped = true;
        segment = p = target;
        continue;
      }
      if (b > kMaxLabel) return malformed("label longer than 63 bytes (or of a reserved type)");
      if (remaining(p + 1) < b) return malformed("label runs past the end");
      wire += 1 + b;
      if (wire + 1 > kMaxNameWire) return malformed("name longer than 255 bytes");
      if (!text.empty()) text += '.';
      for (size_t i = p + 1; i < p + 1 + b; ++i) {
        char c = static_cast<char>(data_[i]);
        if (c == '.' || c == '\\') text += '\\';
        text += c;
      }
      p += 1 + b;
    }
  }

  // Reads the question at `pos` and appends it to `into`, unless its class is one this codec does not keep.
  Status question(size_t& pos, std::vector<Question>& into) const {
    auto n = name(pos);
    if (!n) return n.take_error();
    if (remaining(pos) < 4) return malformed("question runs past the end");
    Question q{std::move(n.value()), static_cast<Type>(u16(pos)), (u16(pos + 2) & kTopBit) != 0};
    uint16_t cls = u16(pos + 2) & ~kTopBit;
    pos += 4;
    if (cls == kClassIn || cls == kClassAny) into.push_back(std::move(q));
    return Ok{};
  }

  // Reads the record at `pos` and appends it to `into`, unless its class is one this codec does not keep.
  Status record(size_t& pos, std::vector<Record>& into) const {
    auto n = name(pos);
    if (!n) return n.take_error();
    if (remaining(pos) < 10) return malformed("record header runs past the end");
    Record r;
    r.name = std::move(n.value());
    r.type = static_cast<Type>(u16(pos));
    uint16_t cls = u16(pos + 2);
    r.cache_flush = (cls & kTopBit) != 0;
    r.ttl = u32(pos + 4);
    size_t length = u16(pos + 8);
    pos += 10;
    if (remaining(pos) < length) return malformed("rdata runs past the end");
    size_t start = pos;
    size_t end = pos + length;
    pos = end;
    if ((cls & ~kTopBit) != kClassIn) return Ok{};

    switch (r.type) {
      case Type::A:
        if (length != r.ipv4.size()) return malformed("A rdata is not 4 bytes");
        for (size_t i = 0; i < length; ++i) r.ipv4[i] = data_[start + i];
        break;
      case Type::AAAA:
        if (length != r.ipv6.size()) return malformed("AAAA rdata is not 16 bytes");
        for (size_t i = 0; i < length; ++i) r.ipv6[i] = data_[start + i];
        break;
      case Type::PTR:
      case Type::SRV: {
        size_t p = start;
        if (r.type == Type::SRV) {
          if (length < 7) return malformed("SRV rdata too short");
          r.priority = u16(p);
          r.weight = u16(p + 2);
          r.port = u16(p + 4);
          p += 6;
        }
        auto target = name(p);
        if (!target) return target.take_error();
        if (p != end) return malformed("rdlength does not match the name in the rdata");
        r.target = std::move(target.value());
        break;
      }
      case Type::TXT:
        for (size_t p = start; p < end;) {
          size_t n = data_[p];
          if (end - p - 1 < n) return malformed("TXT string runs past its rdata");
          r.txt.emplace_back(reinterpret_cast<const char*>(data_.data()) + p + 1, n);
          p += 1 + n;
        }
        if (r.txt.size() == 1 && r.txt[0].empty()) r.txt.clear();
        break;
      default:
        r.rdata.assign(data_.begin() + static_cast<std::ptrdiff_t>(start),
                       data_.begin() + static_cast<std::ptrdiff_t>(end));
        break;
    }
    into.push_back(std::move(r));
    return Ok{};
  }

 private:
  std::span<const uint8_t> data_;
};

}  // namespace

Result<std::vector<uint8_t>> encode(const Message& message) {
  for (size_t count : {message.questions.size(), message.answers.size(), message.authorities.size(),
                       message.additionals.size()}) {
    if (count > 0xffff) return invalid("more than 65535 entries in one section");
  }
  Encoder e;
  e.u16(message.id);
  e.u16(static_cast<uint16_t>((message.response ? 0x8000 : 0) | (message.authoritative ? 0x0400 : 0)));
  e.u16(static_cast<uint16_t>(message.questions.size()));
  e.u16(static_cast<uint16_t>(message.answers.size()));
  e.u16(static_cast<uint16_t>(message.authorities.size()));
  e.u16(static_cast<uint16_t>(message.additionals.size()));
  for (const auto& q : message.questions) {
    if (auto s = e.name(q.name); !s) return s.take_error();
    e.u16(static_cast<uint16_t>(q.type));
    e.u16(static_cast<uint16_t>(kClassIn | (q.unicast_response ? kTopBit : 0)));
  }
  for (const auto* section : {&message.answers, &message.authorities, &message.additionals}) {
    for (const auto& r : *section) {
      if (auto s = e.record(r); !s) return s.take_error();
    }
  }
  return std::move(e.out);
}

Result<Message> decode(std::span<const uint8_t> packet) {
  if (packet.size() < kHeaderSize) return malformed("shorter than a DNS header");
  Decoder d(packet);
  Message m;
  m.id = d.u16(0);
  uint16_t flags = d.u16(2);
  if ((flags >> 11 & 0xf) != 0) return malformed("non-zero opcode");
  if ((flags & 0xf) != 0) return malformed("non-zero rcode");
  m.response = (flags & 0x8000) != 0;
  m.authoritative = (flags & 0x0400) != 0;
  size_t qd = d.u16(4), an = d.u16(6), ns = d.u16(8), ar = d.u16(10);
  // Each entry takes at least a few bytes, so counts the packet cannot hold are refused before any loop or
  // allocation depends on them.
  if (qd * kMinQuestionWire + (an + ns + ar) * kMinRecordWire > packet.size() - kHeaderSize) {
    return malformed("counts larger than the packet could hold");
  }
  size_t pos = kHeaderSize;
  m.questions.reserve(qd);
  for (size_t i = 0; i < qd; ++i) {
    if (auto s = d.question(pos, m.questions); !s) return s.take_error();
  }
  const std::pair<size_t, std::vector<Record>*> sections[] = {
      {an, &m.answers}, {ns, &m.authorities}, {ar, &m.additionals}};
  for (auto [count, section] : sections) {
    section->reserve(count);
    for (size_t i = 0; i < count; ++i) {
      if (auto s = d.record(pos, *section); !s) return s.take_error();
    }
  }
  return m;  // bytes after the last record, if any, are ignored
}

bool same_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::map<std::string, std::string> parse_txt(const std::vector<std::string>& txt) {
  std::map<std::string, std::string> pairs;
  for (const auto& s : txt) {
    size_t eq = s.find('=');
    std::string key = s.substr(0, eq);
    if (key.empty()) continue;
    for (char& c : key) c = lower(c);
    pairs.emplace(std::move(key), eq == std::string::npos ? std::string() : s.substr(eq + 1));
  }
  return pairs;
}

}  // namespace quorum::cluster::dns

// Beast's header fields kept in one block per head instead of one allocation per field. Internal to
// net/*.cpp, as Beast is.
//
// A HeadArena lives as long as the parser it serves: its first block (kFirstBlock bytes, enough for the head
// an openai SDK sends) is taken at the first field and given back when the arena goes or release() is called;
// a larger head takes more blocks. Freeing a field returns nothing to the arena, which is fine for a head
// parsed once and then copied out.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <cstddef>
#include <memory_resource>

#include "net/http_types.h"

namespace quorum::net {

using HeadAllocator = std::pmr::polymorphic_allocator<char>;
using HeadFields = boost::beast::http::basic_fields<HeadAllocator>;

class HeadArena {
 public:
  static constexpr size_t kFirstBlock = 2048;

  HeadArena() = default;
  HeadArena(const HeadArena&) = delete;
  HeadArena& operator=(const HeadArena&) = delete;

  HeadAllocator allocator() { return HeadAllocator(&resource_); }
  // Gives back every block. REQUIRES: nothing allocated from the arena is used again (the fields are
  // cleared, and their start line's text is empty).
  void release() { resource_.release(); }

 private:
  std::pmr::monotonic_buffer_resource resource_{kFirstBlock};
};

// Appends `fields` to `out` in order, its storage reserved once for all of them.
inline void copy_fields(const HeadFields& fields, Headers& out) {
  size_t count = 0, bytes = 0;
  for (const auto& f : fields) {
    ++count;
    bytes += f.name_string().size() + f.value().size();
  }
  out.reserve(count, bytes);
  for (const auto& f : fields) out.add(f.name_string(), f.value());
}

}  // namespace quorum::net

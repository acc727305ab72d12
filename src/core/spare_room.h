// Room (a string's or a vector's allocated capacity) that an owner gives to its thread while it waits, and
// takes back when it has something to hold again, so that thousands of open streams between two tokens hold
// no buffers, and the next owner on the thread to need room finds it instead of allocating.
//
// The pattern on one thread: take_room(b) -> fill and use b -> give_room(b), with nothing that suspends in
// between; then whichever owner runs next takes the same room back. Only empty buffers change hands (their
// contents never do), so any interleaving is correct; an interleaving other than the pattern only costs an
// allocation.
//
// One spare per thread and per buffer type; room above kMaxSpareRoom is freed rather than kept.
#pragma once

#include <cstddef>
#include <utility>

namespace quorum {

inline constexpr size_t kMaxSpareRoom = size_t{64} << 10;

template <class Buffer>
Buffer& thread_spare_room() {
  static thread_local Buffer spare;
  return spare;
}

// Empties `buffer` and gives its room to the thread: it is left holding none. (Moves rather than swaps: a
// string's swap copies both sides' inline bytes, and this runs for every token.)
template <class Buffer>
void give_room(Buffer& buffer) {
  buffer.clear();
  const size_t room = buffer.capacity();
  if (room == Buffer().capacity()) return;  // no room of its own (an empty vector, a string's inline bytes)
  Buffer& spare = thread_spare_room<Buffer>();
  if (room > spare.capacity() && room <= kMaxSpareRoom) {
    spare = std::move(buffer);  // the spare's smaller room, if it had one, is freed
    buffer.clear();             // moved-from: valid, and now empty
    if (buffer.capacity() == Buffer().capacity()) return;
  }
  Buffer().swap(buffer);  // frees the room nobody keeps
}

// An empty `buffer` takes the thread's spare room, if that is more than it has.
template <class Buffer>
void take_room(Buffer& buffer) {
  if (!buffer.empty()) return;
  Buffer& spare = thread_spare_room<Buffer>();
  if (spare.capacity() > buffer.capacity()) {
    buffer = std::move(spare);  // buffer's own smaller room, if any, is freed
    spare.clear();
  }
}

}  // namespace quorum

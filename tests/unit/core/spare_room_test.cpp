// Room handed between a thread's buffers: an owner gives its room to the thread and holds none; the next
// owner takes it back without allocating.
#include "core/spare_room.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quorum {
namespace {

// Each test starts with no spare on the thread.
void clear_spares() {
  std::string().swap(thread_spare_room<std::string>());
  std::vector<int>().swap(thread_spare_room<std::vector<int>>());
}

TEST(SpareRoom, GivenRoomIsTakenBackByTheNextOwner) {
  clear_spares();
  std::string first(1000, 'x');
  const char* room = first.data();
  const size_t capacity = first.capacity();
  give_room(first);
  EXPECT_TRUE(first.empty());
  EXPECT_EQ(first.capacity(), std::string().capacity());  // holds none of its own
  std::string second;
  take_room(second);
  EXPECT_EQ(second.capacity(), capacity);
  EXPECT_EQ(second.data(), room);  // the same bytes, no allocation
  EXPECT_EQ(thread_spare_room<std::string>().capacity(), std::string().capacity());
}

TEST(SpareRoom, TheLargerRoomIsKeptAndTheSmallerFreed) {
  clear_spares();
  std::vector<int> small(10), large(1000);
  give_room(small);
  give_room(large);
  EXPECT_EQ(small.capacity(), 0u);
  EXPECT_EQ(large.capacity(), 0u);
  EXPECT_GE(thread_spare_room<std::vector<int>>().capacity(), 1000u);
  std::vector<int> smaller(5);
  give_room(smaller);  // smaller than the spare: freed
  EXPECT_EQ(smaller.capacity(), 0u);
  EXPECT_GE(thread_spare_room<std::vector<int>>().capacity(), 1000u);
}

TEST(SpareRoom, RoomAboveTheLimitIsFreedNotKept) {
  clear_spares();
  std::string huge(kMaxSpareRoom + 1, 'x');
  give_room(huge);
  EXPECT_EQ(huge.capacity(), std::string().capacity());
  EXPECT_EQ(thread_spare_room<std::string>().capacity(), std::string().capacity());
}

TEST(SpareRoom, ABufferHoldingBytesKeepsThemWhenAskedToTake) {
  clear_spares();
  std::string spare_source(500, 'y');
  give_room(spare_source);
  std::string holding = "kept";
  take_room(holding);
  EXPECT_EQ(holding, "kept");
  std::string empty;
  take_room(empty);
  EXPECT_GE(empty.capacity(), 500u);
}

}  // namespace
}  // namespace quorum

#include "cluster/node_status.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace quorum::cluster {
namespace {

TEST(NodeStatus, RoundTrips) {
  NodeStatus s;
  s.id = "abc";
  s.name = "laptop";
  s.version = "0.1.0";
  s.port = 32768;
  s.models = {{"tiny-a", true, 1700000000, "llamacpp"}, {"qwen3:8b", false, 0, ""}};
  s.engines = {"llamacpp", "ollama"};
  s.in_flight = 3;
  s.capacity = 8;
  auto parsed = parse_node_status(boost::json::serialize(status_to_json(s)));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->id, "abc");
  EXPECT_EQ(parsed->name, "laptop");
  EXPECT_EQ(parsed->port, 32768);
  ASSERT_EQ(parsed->models.size(), 2u);
  EXPECT_TRUE(parsed->models[0].loaded);
  EXPECT_EQ(parsed->models[0].created, 1700000000);
  EXPECT_EQ(parsed->models[1].id, "qwen3:8b");
  EXPECT_EQ(parsed->engines, s.engines);
  EXPECT_EQ(parsed->in_flight, 3);
  EXPECT_EQ(parsed->capacity, 8);
}

TEST(NodeStatus, WhatAPeerMustNotGetAwayWith) {
  const char* bad[] = {
      "",
      "[]",
      "{\"port\":1,\"in_flight\":0,\"capacity\":1}",                               // no id
      "{\"id\":\"\",\"port\":1,\"in_flight\":0,\"capacity\":1}",                   // empty id
      "{\"id\":\"a\",\"port\":0,\"in_flight\":0,\"capacity\":1}",                  // no port
      "{\"id\":\"a\",\"port\":70000,\"in_flight\":0,\"capacity\":1}",              // port out of range
      "{\"id\":\"a\",\"port\":1,\"in_flight\":-1,\"capacity\":1}",                 // negative load
      "{\"id\":\"a\",\"port\":1,\"in_flight\":0,\"capacity\":0}",                  // no capacity
      "{\"id\":\"a\",\"port\":1,\"in_flight\":0,\"capacity\":1,\"models\":{}}",    // models not a list
      "{\"id\":\"a\",\"port\":1,\"in_flight\":0,\"capacity\":1,\"engines\":[1]}",  // engine not a string
      "{\"id\":7,\"port\":1,\"in_flight\":0,\"capacity\":1}",                      // id not a string
      "{\"id\":\"a\\u0007b\",\"port\":1,\"in_flight\":0,\"capacity\":1}",          // a control character
  };
  for (const char* body : bad) {
    auto parsed = parse_node_status(body);
    EXPECT_FALSE(parsed.ok()) << body;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.error().status, 502);
    }
  }
  std::string long_id(600, 'x');
  EXPECT_FALSE(
      parse_node_status("{\"id\":\"" + long_id + "\",\"port\":1,\"in_flight\":0,\"capacity\":1}").ok());
}

// One model id a peer cannot take (a GGUF file with a newline in its name) used to make it refuse the whole
// status, dropping the node from the cluster: now that model is left out and the rest is taken.
TEST(NodeStatus, AModelThatCannotBeTakenIsSkippedNotTheWholeStatus) {
  const std::string body =
      "{\"id\":\"a\",\"port\":1,\"in_flight\":0,\"capacity\":1,\"models\":[{\"id\":\"bad\\nname\"},{\"id\":"
      "\"" +
      std::string(600, 'x') + "\"},{},7,{\"id\":\"\"},{\"id\":\"good\"}]}";
  auto parsed = parse_node_status(body);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->models.size(), 1u);
  EXPECT_EQ(parsed->models[0].id, "good");
}

TEST(NodeStatus, WhatThisNodeTellsLeavesOutWhatPeersCouldNotTake) {
  NodeStatus s;
  s.id = "a";
  s.port = 1;
  s.models = {{"bad\nname"}, {"good"}, {std::string(513, 'x')}, {"tab\tname"}, {"also-good"}};
  s.engines = {"llamacpp", std::string(600, 'e')};
  std::vector<std::string> left_out;
  auto shared = shareable_status(s, left_out);
  ASSERT_EQ(shared.models.size(), 2u);
  EXPECT_EQ(shared.models[0].id, "good");
  EXPECT_EQ(shared.models[1].id, "also-good");
  EXPECT_EQ(shared.engines, std::vector<std::string>{"llamacpp"});
  ASSERT_EQ(left_out.size(), 4u);
  EXPECT_EQ(left_out[0], "bad\nname");
  // What is left can be taken whole by a peer.
  auto parsed = parse_node_status(boost::json::serialize(status_to_json(shared)));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->models.size(), 2u);
}

TEST(NodeStatus, MoreModelsThanAPeerTakesAreCutNotRefused) {
  NodeStatus s;
  s.id = "a";
  s.port = 1;
  for (int i = 0; i < 10'050; ++i) s.models.push_back({"m" + std::to_string(i)});
  std::vector<std::string> left_out;
  auto shared = shareable_status(s, left_out);
  EXPECT_EQ(shared.models.size(), 10'000u);
  EXPECT_EQ(left_out.size(), 50u);
  EXPECT_TRUE(parse_node_status(boost::json::serialize(status_to_json(shared))).ok());
}

TEST(NodeStatus, ValidTextHasNoControlCharactersAndAtMost512Bytes) {
  EXPECT_TRUE(valid_status_text("qwen3:8b"));
  EXPECT_TRUE(valid_status_text("mod\xc3\xa8le"));
  EXPECT_TRUE(valid_status_text(std::string(512, 'x')));
  EXPECT_FALSE(valid_status_text(std::string(513, 'x')));
  EXPECT_FALSE(valid_status_text("a\nb"));
  EXPECT_FALSE(valid_status_text(std::string("a\0b", 3)));
  EXPECT_FALSE(valid_status_text("a\x7f"));
}

TEST(NodeStatus, OptionalFieldsDefault) {
  auto parsed = parse_node_status("{\"id\":\"a\",\"port\":5,\"in_flight\":0,\"capacity\":1}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->name, "a");
  EXPECT_TRUE(parsed->models.empty());
}

}  // namespace
}  // namespace quorum::cluster

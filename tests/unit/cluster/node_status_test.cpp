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
      "{\"id\":\"a\",\"port\":1,\"in_flight\":0,\"capacity\":1,\"models\":[{}]}",  // a model without id
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

TEST(NodeStatus, OptionalFieldsDefault) {
  auto parsed = parse_node_status("{\"id\":\"a\",\"port\":5,\"in_flight\":0,\"capacity\":1}");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->name, "a");
  EXPECT_TRUE(parsed->models.empty());
}

}  // namespace
}  // namespace quorum::cluster

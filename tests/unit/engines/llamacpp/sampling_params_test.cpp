// Sampling settings for the embedded engine: defaults, every field, and what a client who gets one wrong is
// told.
#include "engines/llamacpp/sampling_params.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

namespace quorum::engines::llamacpp {
namespace {

// A chat request through the real request validation, with extra fields (given as `"name":value,...`).
Result<SamplingParams> parse_with(std::string_view fields) {
  std::string body = R"({"model":"m","messages":[{"role":"user","content":"x"}])";
  if (!fields.empty()) {
    body += ',';
    body.append(fields);
  }
  body += '}';
  auto request = wire::parse_chat_request(body);
  if (!request.ok()) return request.take_error();
  return parse_sampling_params(*request);
}

// A request whose body is taken as is (no validation by src/wire/request.cpp).
Result<SamplingParams> parse_raw(boost::json::object body, std::optional<int64_t> max_tokens = std::nullopt) {
  wire::GenerationRequest request;
  request.set_body(std::move(body));
  request.max_tokens = max_tokens;
  return parse_sampling_params(request);
}

SamplingParams ok(Result<SamplingParams> r) {
  EXPECT_TRUE(r.ok()) << r.error().message;
  return r.ok() ? std::move(r).value() : SamplingParams{};
}

// A 400 naming `param` whose message names the parameter and contains `value_text`.
void expect_400(const Result<SamplingParams>& r, const std::string& param, const std::string& value_text) {
  ASSERT_FALSE(r.ok()) << param << " " << value_text;
  EXPECT_EQ(r.error().status, 400);
  EXPECT_EQ(r.error().type, "invalid_request_error");
  EXPECT_EQ(r.error().param, param) << r.error().message;
  EXPECT_NE(r.error().message.find("'" + param + "'"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(value_text), std::string::npos) << r.error().message;
}

void expect_defaults(const SamplingParams& p) {
  EXPECT_FLOAT_EQ(p.temperature, 1.0f);
  EXPECT_FLOAT_EQ(p.top_p, 1.0f);
  EXPECT_EQ(p.top_k, 0);
  EXPECT_FLOAT_EQ(p.min_p, 0.0f);
  EXPECT_FLOAT_EQ(p.presence_penalty, 0.0f);
  EXPECT_FLOAT_EQ(p.frequency_penalty, 0.0f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.penalty_last_n, 64);
  EXPECT_EQ(p.seed, std::nullopt);
  EXPECT_EQ(p.max_tokens, std::nullopt);
  EXPECT_TRUE(p.stop.empty());
  EXPECT_FALSE(p.ignore_eos);
}

TEST(SamplingParams, DefaultsWhenAbsent) {
  expect_defaults(ok(parse_with("")));
}

TEST(SamplingParams, NullMeansDefault) {
  expect_defaults(ok(parse_with(
      R"("temperature":null,"top_p":null,"top_k":null,"min_p":null,"presence_penalty":null,)"
      R"("frequency_penalty":null,"repeat_penalty":null,"repeat_last_n":null,"seed":null,"stop":null,)"
      R"("ignore_eos":null,"max_tokens":null,"max_completion_tokens":null)")));
}

TEST(SamplingParams, EveryField) {
  auto p = ok(parse_with(R"("temperature":0.7,"top_p":0.9,"top_k":40,"min_p":0.05,"presence_penalty":-1.5,)"
                         R"("frequency_penalty":0.5,"repeat_penalty":1.1,"repeat_last_n":128,"seed":1234,)"
                         R"("stop":["\n\n","</s>"],"ignore_eos":true,"max_tokens":100)"));
  EXPECT_FLOAT_EQ(p.temperature, 0.7f);
  EXPECT_FLOAT_EQ(p.top_p, 0.9f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(p.min_p, 0.05f);
  EXPECT_FLOAT_EQ(p.presence_penalty, -1.5f);
  EXPECT_FLOAT_EQ(p.frequency_penalty, 0.5f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.1f);
  EXPECT_EQ(p.penalty_last_n, 128);
  EXPECT_EQ(p.seed, 1234u);
  EXPECT_EQ(p.max_tokens, 100);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"\n\n", "</s>"}));
  EXPECT_TRUE(p.ignore_eos);
}

TEST(SamplingParams, MaxCompletionTokensWinsOverMaxTokens) {
  EXPECT_EQ(ok(parse_with(R"("max_tokens":5,"max_completion_tokens":9)")).max_tokens, 9);
  EXPECT_EQ(ok(parse_raw({}, 3)).max_tokens, 3);
}

TEST(SamplingParams, BoundsAreInclusive) {
  auto lo = ok(parse_with(
      R"("temperature":0,"top_p":0,"top_k":0,"min_p":0,"presence_penalty":-2,"frequency_penalty":-2,)"
      R"("repeat_last_n":-1,"max_tokens":1)"));
  EXPECT_FLOAT_EQ(lo.temperature, 0.0f);
  EXPECT_FLOAT_EQ(lo.top_p, 0.0f);
  EXPECT_FLOAT_EQ(lo.presence_penalty, -2.0f);
  EXPECT_EQ(lo.penalty_last_n, -1);
  EXPECT_EQ(lo.max_tokens, 1);
  auto hi =
      ok(parse_with(R"("temperature":2,"top_p":1,"min_p":1,"presence_penalty":2,"frequency_penalty":2)"));
  EXPECT_FLOAT_EQ(hi.temperature, 2.0f);
  EXPECT_FLOAT_EQ(hi.top_p, 1.0f);
  EXPECT_FLOAT_EQ(hi.min_p, 1.0f);
  EXPECT_FLOAT_EQ(hi.frequency_penalty, 2.0f);
  EXPECT_FLOAT_EQ(ok(parse_with(R"("repeat_penalty":0.01)")).repeat_penalty, 0.01f);
}

TEST(SamplingParams, NumbersInEveryJsonRepresentation) {
  // int64, uint64 and double all work for decimal fields; integral doubles work for integer fields.
  boost::json::object body;
  body["temperature"] = int64_t{1};
  body["top_p"] = uint64_t{1};
  body["min_p"] = 0.25;
  body["top_k"] = 40.0;
  body["repeat_last_n"] = uint64_t{256};
  body["repeat_penalty"] = int64_t{2};
  auto p = ok(parse_raw(body));
  EXPECT_FLOAT_EQ(p.temperature, 1.0f);
  EXPECT_FLOAT_EQ(p.top_p, 1.0f);
  EXPECT_FLOAT_EQ(p.min_p, 0.25f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_EQ(p.penalty_last_n, 256);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 2.0f);
}

TEST(SamplingParams, SizesAreFittedToTheSlot) {
  // llama.cpp's penalty sampler allocates repeat_last_n tokens up front: INT32_MAX would be 8 GiB per slot.
  constexpr int32_t kCtx = 512;
  constexpr int32_t kVocab = 32000;
  auto huge = fit_to_slot(
      ok(parse_with(R"("top_k":9223372036854775807,"repeat_last_n":9999999999,"max_tokens":1000000)")), kCtx,
      kVocab);
  EXPECT_EQ(huge.penalty_last_n, kCtx);
  EXPECT_EQ(huge.top_k, kVocab);
  EXPECT_EQ(huge.max_tokens, kCtx);
  auto just_above = fit_to_slot(ok(parse_with(R"("top_k":32001,"repeat_last_n":513)")), kCtx, kVocab);
  EXPECT_EQ(just_above.penalty_last_n, kCtx);
  EXPECT_EQ(just_above.top_k, kVocab);
  // -1 keeps its meaning, the whole context; 0 stays off.
  EXPECT_EQ(fit_to_slot(ok(parse_with(R"("repeat_last_n":-1)")), kCtx, kVocab).penalty_last_n, kCtx);
  auto off = fit_to_slot(ok(parse_with(R"("repeat_last_n":0,"top_k":0)")), kCtx, kVocab);
  EXPECT_EQ(off.penalty_last_n, 0);
  EXPECT_EQ(off.top_k, 0);
  // Values that fit are kept, and fitting again changes nothing.
  auto fits =
      fit_to_slot(ok(parse_with(R"("repeat_last_n":512,"top_k":32000,"max_tokens":512)")), kCtx, kVocab);
  EXPECT_EQ(fits.penalty_last_n, 512);
  EXPECT_EQ(fits.top_k, 32000);
  EXPECT_EQ(fits.max_tokens, 512);
  auto again = fit_to_slot(huge, kCtx, kVocab);
  EXPECT_EQ(again.penalty_last_n, kCtx);
  EXPECT_EQ(again.top_k, kVocab);
  EXPECT_EQ(again.max_tokens, kCtx);
  // The default window (64) is bounded by a smaller slot too; no max_tokens stays none.
  auto small = fit_to_slot(SamplingParams{}, 32, kVocab);
  EXPECT_EQ(small.penalty_last_n, 32);
  EXPECT_EQ(small.max_tokens, std::nullopt);
}

TEST(SamplingParams, RangeErrorsNameTheParameterAndTheValue) {
  expect_400(parse_with(R"("temperature":2.5)"), "temperature", "2.5");
  expect_400(parse_with(R"("temperature":-0.1)"), "temperature", "-0.1");
  expect_400(parse_with(R"("top_p":1.5)"), "top_p", "1.5");
  expect_400(parse_with(R"("top_p":-1)"), "top_p", "-1");
  expect_400(parse_with(R"("top_k":-1)"), "top_k", "-1");
  expect_400(parse_with(R"("min_p":1.01)"), "min_p", "1.01");
  expect_400(parse_with(R"("min_p":-0.5)"), "min_p", "-0.5");
  expect_400(parse_with(R"("presence_penalty":3)"), "presence_penalty", "3");
  expect_400(parse_with(R"("presence_penalty":-2.5)"), "presence_penalty", "-2.5");
  expect_400(parse_with(R"("frequency_penalty":2.01)"), "frequency_penalty", "2.01");
  expect_400(parse_with(R"("frequency_penalty":-7)"), "frequency_penalty", "-7");
  expect_400(parse_with(R"("repeat_penalty":0)"), "repeat_penalty", "0");
  expect_400(parse_with(R"("repeat_penalty":-1)"), "repeat_penalty", "-1");
  expect_400(parse_with(R"("repeat_last_n":-2)"), "repeat_last_n", "-2");
  expect_400(parse_with(R"("max_tokens":0)"), "max_tokens", "0");
  expect_400(parse_with(R"("max_completion_tokens":0)"), "max_completion_tokens", "0");
  expect_400(parse_raw({}, -5), "max_tokens", "-5");
}

TEST(SamplingParams, RangeErrorsUseOpenAIsWording) {
  auto r = parse_with(R"("max_tokens":0)");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1, but got 0 instead.");
  EXPECT_EQ(r.error().code, "integer_below_min_value");

  auto t = parse_with(R"("temperature":2.5)");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(
      t.error().message,
      "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead.");
  EXPECT_EQ(t.error().code, "decimal_above_max_value");

  auto rp = parse_with(R"("repeat_penalty":0)");
  ASSERT_FALSE(rp.ok());
  EXPECT_NE(rp.error().message.find("Expected a value > 0, but got 0 instead."), std::string::npos);
}

TEST(SamplingParams, TypeErrorsForTheExtensions) {
  // src/wire/request.cpp forwards extensions unchecked, so their types are checked here.
  expect_400(parse_with(R"("top_k":"40")"), "top_k", "a string");
  expect_400(parse_with(R"("top_k":1.5)"), "top_k", "a number");
  expect_400(parse_with(R"("min_p":true)"), "min_p", "a boolean");
  expect_400(parse_with(R"("repeat_penalty":[1])"), "repeat_penalty", "an array");
  expect_400(parse_with(R"("repeat_last_n":64.5)"), "repeat_last_n", "a number");
  expect_400(parse_with(R"("ignore_eos":"yes")"), "ignore_eos", "a string");
  // And the OpenAI fields when the body did not go through validation.
  expect_400(parse_raw({{"temperature", "hot"}}), "temperature", "a string");
  expect_400(parse_raw({{"seed", 1.5}}), "seed", "a number");
  expect_400(parse_raw({{"stop", 3}}), "stop", "an integer");
  expect_400(parse_raw({{"stop", boost::json::array{"a", 1}}}), "stop", "an integer");
}

TEST(SamplingParams, SeedWrapsModulo2To32) {
  auto seed = [](std::string_view v) {
    return ok(parse_with(std::string(R"("seed":)") + std::string(v))).seed;
  };
  EXPECT_EQ(seed("0"), 0u);
  EXPECT_EQ(seed("42"), 42u);
  EXPECT_EQ(seed("4294967295"), 4294967295u);
  EXPECT_EQ(seed("4294967296"), 0u);
  EXPECT_EQ(seed("4294967297"), 1u);
  EXPECT_EQ(seed("-1"), 4294967295u);
  EXPECT_EQ(seed("-4294967297"), 4294967295u);
  EXPECT_EQ(seed("-9223372036854775808"), 0u);
  EXPECT_EQ(seed("9223372036854775807"), 4294967295u);
  EXPECT_EQ(seed("5.0"), 5u);           // an integral double
  EXPECT_EQ(seed("-42"), seed("-42"));  // deterministic
  // Doubles wrap exactly like the integers they equal.
  EXPECT_EQ(ok(parse_raw({{"seed", 4294967298.0}})).seed, 2u);
  EXPECT_EQ(ok(parse_raw({{"seed", -1.0}})).seed, 4294967295u);
  EXPECT_EQ(ok(parse_raw({{"seed", -9223372036854775808.0}})).seed, 0u);
}

TEST(SamplingParams, IntegersBeyondInt64AndFractionsAre400) {
  // Whether or not the body went through src/wire/request.cpp (which checks seed, not the extensions).
  for (const char* key : {"top_k", "repeat_last_n", "seed"}) {
    for (const char* value : {"1e300", "1e19", "18446744073709551615"}) {
      expect_400(parse_with(std::string("\"") + key + "\":" + value), key,
                 value[0] == '1' && value[1] == 'e' ? std::string("e+") : std::string(value));
    }
    for (double d : {1e300, 1e19, -1e19, -1e300, 1.5}) expect_400(parse_raw({{key, d}}), key, "");
  }
  auto r = parse_raw({{"top_k", 1e300}});
  EXPECT_EQ(r.error().code, "integer_above_max_value");
  EXPECT_EQ(parse_raw({{"repeat_last_n", -1e19}}).error().code, "integer_below_min_value");
  // A decimal no float holds is refused too, rather than converted (undefined).
  expect_400(parse_with(R"("repeat_penalty":1e300)"), "repeat_penalty", "1e+300");
  EXPECT_FLOAT_EQ(ok(parse_with(R"("repeat_penalty":1e30)")).repeat_penalty, 1e30f);
}

TEST(SamplingParams, StopAsStringOrList) {
  EXPECT_EQ(ok(parse_with(R"("stop":"END")")).stop, std::vector<std::string>{"END"});
  EXPECT_TRUE(ok(parse_with(R"("stop":"")")).stop.empty());
  EXPECT_TRUE(ok(parse_with(R"("stop":[])")).stop.empty());
  EXPECT_EQ(ok(parse_with(R"("stop":["a","","b",""])")).stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ok(parse_with(R"("stop":["\u00e9t\u00e9"])")).stop,
            std::vector<std::string>{"\xC3\xA9t\xC3\xA9"});
}

TEST(SamplingParams, AtMostSixteenStops) {
  auto list = [](int n) {
    std::string s = R"("stop":[)";
    for (int i = 0; i < n; ++i) s += (i ? ",\"s" : "\"s") + std::to_string(i) + "\"";
    return s + "]";
  };
  EXPECT_EQ(ok(parse_with(list(16))).stop.size(), 16u);
  auto r = parse_with(list(17));
  expect_400(r, "stop", "17");
  EXPECT_NE(r.error().message.find("16"), std::string::npos);
}

}  // namespace
}  // namespace quorum::engines::llamacpp
